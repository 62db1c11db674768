using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.Analyzers.Engine;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0006: pins with a reference instead of PG_locked — <c>LockPage</c>/<c>SetPageLocked</c> becomes <c>GetPage</c>, and the
/// <c>UnlockPage</c> calls on the same page or buffer in the document become <c>PutPage</c>. Not offered for types declared in
/// several files, whose unlocks could live elsewhere.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LockToReferenceCodeFix)), Shared]
public sealed class LockToReferenceCodeFix : DriverKitCodeFix
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "DK0006.UseReference";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.PageLockAsPin);

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || DriverKitSymbols.TryCreate(model.Compilation) is not { } symbols)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Find(root, model, symbols, diagnostic, context.CancellationToken) is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Pin with GetPage/PutPage instead of the page lock",
                        ct => FixOrSelfAsync(context.Document, diagnostic, EquivalenceKey, ct),
                        EquivalenceKey),
                    diagnostic);
            }
        }
    }

    private protected override async Task<Document?> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string? equivalenceKey, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || DriverKitSymbols.TryCreate(model.Compilation) is not { } symbols)
        {
            return null;
        }

        var renames = new Dictionary<InvocationExpressionSyntax, string>();
        foreach (var diagnostic in diagnostics)
        {
            if (Find(root, model, symbols, diagnostic, cancellationToken) is not { } call)
            {
                continue;
            }

            renames[call.Syntax] = "GetPage";
            if (BufferKey.Resolve(call.Operation.Argument(0), symbols, model, cancellationToken) is { Symbol: not null } key)
            {
                foreach (var unlock in Invocations.CallsOnBuffer(root, model, symbols, KernelApi.UnlockPage, key, cancellationToken))
                {
                    renames[unlock] = "PutPage";
                }
            }
        }

        return renames.Count == 0
            ? null
            : document.WithSyntaxRoot(root.ReplaceNodes(renames.Keys, (original, current) => Invocations.Rename(current, renames[original])));
    }

    private static (InvocationExpressionSyntax Syntax, Microsoft.CodeAnalysis.Operations.IInvocationOperation Operation)? Find(
        SyntaxNode root, SemanticModel model, DriverKitSymbols symbols, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var call = Invocations.At(root, model, symbols, diagnostic.Location, cancellationToken, KernelApi.LockPage, KernelApi.SetPageLocked);
        if (call is null || call.Value.Syntax.Expression is not (MemberAccessExpressionSyntax or IdentifierNameSyntax))
        {
            return null;
        }

        var type = model.GetEnclosingSymbol(call.Value.Syntax.SpanStart, cancellationToken)?.ContainingType;
        return type is not null && type.DeclaringSyntaxReferences.Length > 1 ? null : call;
    }
}
