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
/// DK0002: removes the SetPageReserved call (with its loop, when the loop does nothing else) and the ClearPageReserved calls on
/// the same buffer in the document. Offered when the SetPageReserved call is a statement of its own.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemovePageReservationCodeFix)), Shared]
public sealed class RemovePageReservationCodeFix : DriverKitCodeFix
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "DK0002.RemoveReservation";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ReservePagesForRemap);

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
            if (Invocations.At(root, model, symbols, diagnostic.Location, context.CancellationToken, KernelApi.SetPageReserved) is { } call
                && Invocations.Statement(call.Syntax) is { } statement && SyntaxEdits.CanRemove(SyntaxEdits.WidenToLoop(statement)))
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Remove the SetPageReserved/ClearPageReserved pair",
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

        var statements = new List<StatementSyntax>();
        foreach (var diagnostic in diagnostics)
        {
            if (Invocations.At(root, model, symbols, diagnostic.Location, cancellationToken, KernelApi.SetPageReserved) is not { } call
                || Invocations.Statement(call.Syntax) is not { } statement
                || SyntaxEdits.WidenToLoop(statement) is not { } removed || !SyntaxEdits.CanRemove(removed))
            {
                continue;
            }

            statements.Add(removed);
            if (BufferKey.Resolve(call.Operation.Argument(0), symbols, model, cancellationToken) is { Symbol: not null } key)
            {
                foreach (var clear in Invocations.CallsOnBuffer(root, model, symbols, KernelApi.ClearPageReserved, key, cancellationToken))
                {
                    if (Invocations.Statement(clear) is { } clearStatement && SyntaxEdits.WidenToLoop(clearStatement) is { } clearRemoved
                        && SyntaxEdits.CanRemove(clearRemoved))
                    {
                        statements.Add(clearRemoved);
                    }
                }
            }
        }

        return statements.Count == 0 ? null : document.WithSyntaxRoot(SyntaxEdits.RemoveStatements(root, statements));
    }
}
