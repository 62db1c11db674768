using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace DriverKit.CodeFixes;

/// <summary>
/// The base of DriverKit's code fixes: one document-level fix routine serves a single diagnostic and Fix All (document,
/// project, solution), so fixes whose edits touch the same statements compose instead of conflicting. No fix is offered in a
/// document with syntax errors: the parser's recovery makes statements out of half-typed code (<c>vma.Flags |= A B;</c> is two),
/// and an edit to them can turn one error into others. The fixes come back once the code parses.
/// </summary>
public abstract class DriverKitCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        if (!await HasSyntaxErrorsAsync(context.Document, context.CancellationToken).ConfigureAwait(false))
        {
            await RegisterAsync(context).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public sealed override FixAllProvider GetFixAllProvider() =>
        FixAllProvider.Create(async (context, document, diagnostics) =>
            await HasSyntaxErrorsAsync(document, context.CancellationToken).ConfigureAwait(false)
                ? null
                : await FixAsync(document, diagnostics, context.CodeActionEquivalenceKey, context.CancellationToken).ConfigureAwait(false));

    /// <summary>Registers the fixes for <see cref="CodeFixContext.Diagnostics"/> (in a document that parses).</summary>
    private protected abstract Task RegisterAsync(CodeFixContext context);

    /// <summary>The fix with <paramref name="equivalenceKey"/> for one diagnostic, or the document unchanged when it cannot be applied.</summary>
    private protected async Task<Document> FixOrSelfAsync(Document document, Diagnostic diagnostic, string equivalenceKey, CancellationToken cancellationToken) =>
        await FixAsync(document, ImmutableArray.Create(diagnostic), equivalenceKey, cancellationToken).ConfigureAwait(false) ?? document;

    /// <summary>Applies the fix with <paramref name="equivalenceKey"/> for every diagnostic of <paramref name="document"/> it can fix.</summary>
    private protected abstract Task<Document?> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string? equivalenceKey, CancellationToken cancellationToken);

    private static async Task<bool> HasSyntaxErrorsAsync(Document document, CancellationToken cancellationToken) =>
        await document.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false) is not { } tree
        || tree.GetDiagnostics(cancellationToken).Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
}
