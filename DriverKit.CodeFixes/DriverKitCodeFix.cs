using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace DriverKit.CodeFixes;

/// <summary>
/// The base of DriverKit's code fixes: one document-level fix routine serves a single diagnostic and Fix All (document,
/// project, solution), so fixes whose edits touch the same statements compose instead of conflicting.
/// </summary>
public abstract class DriverKitCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider() =>
        FixAllProvider.Create((context, document, diagnostics) => FixAsync(document, diagnostics, context.CodeActionEquivalenceKey, context.CancellationToken));

    /// <summary>The fix with <paramref name="equivalenceKey"/> for one diagnostic, or the document unchanged when it cannot be applied.</summary>
    private protected async Task<Document> FixOrSelfAsync(Document document, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken) =>
        await FixAsync(document, ImmutableArray.Create(diagnostic), equivalenceKey, cancellationToken).ConfigureAwait(false) ?? document;

    /// <summary>Applies the fix with <paramref name="equivalenceKey"/> for every diagnostic of <paramref name="document"/> it can fix.</summary>
    private protected abstract Task<Document?> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string? equivalenceKey, CancellationToken cancellationToken);
}
