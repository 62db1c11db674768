using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.Analyzers.Engine;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0002: removes the SetPageReserved call with every ClearPageReserved that may clear the same buffer — in any method, a
/// cleanup helper taking the page included — and every other reservation those clears pair with, so no page is left reserved
/// without its clear. What the calls leave behind goes too (<see cref="DeadCode"/>): the loops around them, cursors and their
/// declarations, a helper left empty. Not offered when that set reaches into another document, holds a reservation of device
/// memory (pfn_to_page), or holds a call that is not a statement of its own.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemovePageReservationCodeFix)), Shared]
public sealed class RemovePageReservationCodeFix : DriverKitCodeFix
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "DK0002.RemoveReservation";

    private static readonly string[] ReservedBitNames = { "SetPageReserved", "ClearPageReserved" };

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ReservePagesForRemap);

    /// <inheritdoc/>
    private protected override async Task RegisterAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (await StatementsAsync(context.Document, ImmutableArray.Create(diagnostic), context.CancellationToken).ConfigureAwait(false) is { Count: > 0 })
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
        var statements = await StatementsAsync(document, diagnostics, cancellationToken).ConfigureAwait(false);
        return statements is { Count: > 0 } ? await DeadCode.RemoveAsync(document, statements, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>The statements (or loops) to remove for the diagnostics' reservations; empty when the fix cannot be complete.</summary>
    private static async Task<List<StatementSyntax>> StatementsAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var statements = new List<StatementSyntax>();
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || DriverKitEngine.Get(model.Compilation) is not { } engine)
        {
            return statements;
        }

        List<PairedCall>? calls = null;
        foreach (var diagnostic in diagnostics)
        {
            if (Invocations.At(root, model, engine.Symbols, diagnostic.Location, cancellationToken, KernelApi.SetPageReserved) is not { } call)
            {
                continue;
            }

            calls ??= PairedCalls.Find(
                engine,
                ReservedBitNames,
                invocation => engine.Symbols.Classify(invocation.TargetMethod) is KernelApi.SetPageReserved or KernelApi.ClearPageReserved,
                cancellationToken);
            if (PairedCalls.Closure(engine, calls, call.Syntax, api => api == KernelApi.ClearPageReserved, cancellationToken) is not { } closure)
            {
                continue;
            }

            var removed = new List<StatementSyntax>();
            foreach (var member in closure)
            {
                if (member.Syntax.SyntaxTree != root.SyntaxTree
                    || (member.Api == KernelApi.SetPageReserved && member.Origin.Device)
                    || root.FindNode(member.Syntax.Span, getInnermostNodeForTie: true) is not InvocationExpressionSyntax syntax
                    || Invocations.Statement(syntax) is not { } statement
                    || !syntax.ArgumentList.Arguments.All(argument => DeadCode.IsPure(argument.Expression, model, engine.Symbols, cancellationToken))
                    || DeadCode.Widen(statement, model, cancellationToken) is not { } widened || !SyntaxEdits.CanRemove(widened)
                    || !LoopHeadersArePure(widened, model, engine.Symbols, cancellationToken))
                {
                    removed = null;
                    break;
                }

                removed.Add(widened);
            }

            if (removed is not null)
            {
                statements.AddRange(removed);
            }
        }

        return statements.Distinct().ToList();
    }

    /// <summary>
    /// Whether the loops a removal takes with the call do nothing but loop: a header that calls the driver or changes state
    /// (<c>foreach (var p in dev.TakePages())</c>, <c>i &lt; Count()</c>) would go with them. A for loop's own counter is the
    /// exception, which <see cref="DeadCode.Widen"/> keeps when the counter is read after the loop.
    /// </summary>
    private static bool LoopHeadersArePure(StatementSyntax removed, SemanticModel model, DriverKitSymbols symbols, CancellationToken cancellationToken) =>
        removed.DescendantNodesAndSelf().All(node => node switch
        {
            ForEachStatementSyntax each => DeadCode.IsPure(each.Expression, model, symbols, cancellationToken),
            WhileStatementSyntax loop => DeadCode.IsPure(loop.Condition, model, symbols, cancellationToken),
            DoStatementSyntax loop => DeadCode.IsPure(loop.Condition, model, symbols, cancellationToken),
            ForStatementSyntax loop => loop.Condition is null || DeadCode.IsPure(loop.Condition, model, symbols, cancellationToken),
            _ => true,
        });
}
