using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using DriverKit.Analyzers;
using DriverKit.Analyzers.Engine;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0003: inserts the ClearPageReserved loop before the free. The loop covers exactly the freed block when the free says how
/// big it is (<c>FreePages(buf, order)</c>: 2^order pages; <c>FreePage</c>: one page); otherwise (Kfree, Vfree) it mirrors the
/// SetPageReserved statement or loop that reserved the buffer. The inserted code must compile where it lands, or the fix is
/// not offered.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ClearReservedBeforeFreeCodeFix)), Shared]
public sealed class ClearReservedBeforeFreeCodeFix : DriverKitCodeFix
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "DK0003.ClearBeforeFree";

    private static readonly SyntaxAnnotation Inserted = new("DriverKit.InsertedClear");

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ReservedBitLeftAtFree);

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            var fixedDocument = await FixAsync(context.Document, ImmutableArray.Create(diagnostic), EquivalenceKey, context.CancellationToken).ConfigureAwait(false);
            if (fixedDocument is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create("Clear PG_reserved before freeing", _ => Task.FromResult(fixedDocument), EquivalenceKey),
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

        var frees = new List<(InvocationExpressionSyntax Free, Diagnostic Diagnostic)>();
        foreach (var diagnostic in diagnostics.OrderBy(diagnostic => diagnostic.Location.SourceSpan.Start))
        {
            if (Invocations.At(root, model, symbols, diagnostic.Location, cancellationToken,
                    KernelApi.FreePages, KernelApi.FreePage, KernelApi.Kfree, KernelApi.Vfree) is { } call
                && frees.All(free => free.Free != call.Syntax))
            {
                frees.Add((call.Syntax, diagnostic));
            }
        }

        var changed = false;
        var tracked = document.WithSyntaxRoot(root.TrackNodes(frees.Select(free => free.Free)));
        foreach (var (originalFree, diagnostic) in frees)
        {
            var currentRoot = await tracked.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (currentRoot?.GetCurrentNode(originalFree) is not { } free
                || await InsertClearAsync(tracked, free, diagnostic, document.Project, cancellationToken).ConfigureAwait(false) is not { } next)
            {
                continue;
            }

            tracked = next;
            changed = true;
        }

        return changed ? tracked : null;
    }

    /// <summary>Inserts the first candidate that compiles before the free statement; null when none does.</summary>
    /// <param name="document">The document being fixed (its trees are newer than the diagnostic's).</param>
    /// <param name="free">The free call in <paramref name="document"/>.</param>
    /// <param name="diagnostic">The DK0003 diagnostic; its additional location is the reservation.</param>
    /// <param name="original">The project the diagnostic was computed on, whose trees its locations refer to.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    private static async Task<Document?> InsertClearAsync(Document document, InvocationExpressionSyntax free, Diagnostic diagnostic, Project original, CancellationToken cancellationToken)
    {
        if (Invocations.Statement(free) is not { } statement || !SyntaxEdits.CanRemove(statement)
            || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model
            || DriverKitSymbols.TryCreate(model.Compilation) is not { } symbols
            || model.GetOperation(free, cancellationToken) is not IInvocationOperation operation
            || await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root)
        {
            return null;
        }

        var candidates = new List<StatementSyntax>();
        if (FromFree(free, operation, symbols, model, statement) is { } generated)
        {
            candidates.Add(generated);
        }

        if (await FromReservationAsync(original, diagnostic, cancellationToken).ConfigureAwait(false) is { } mirrored)
        {
            candidates.Add(mirrored);
        }

        // Blank lines above the free now separate the inserted loop from what precedes it; comments above the free stay with it.
        var leading = statement.GetLeadingTrivia();
        var blankLines = 0;
        for (var i = 0; i < leading.Count; i++)
        {
            if (leading[i].IsKind(SyntaxKind.EndOfLineTrivia))
            {
                blankLines = i + 1;
            }
            else if (!leading[i].IsKind(SyntaxKind.WhitespaceTrivia))
            {
                break;
            }
        }

        var indentation = leading.LastOrDefault(trivia => trivia.IsKind(SyntaxKind.WhitespaceTrivia));
        var newLine = SyntaxEdits.NewLine(root);
        var keptStatement = statement.WithLeadingTrivia(leading.Skip(blankLines));
        foreach (var candidate in candidates)
        {
            var inserted = candidate
                .WithLeadingTrivia(leading.Take(blankLines).Concat(indentation.IsKind(SyntaxKind.None) ? Enumerable.Empty<SyntaxTrivia>() : new[] { indentation }))
                .WithTrailingTrivia(newLine)
                .WithAdditionalAnnotations(Formatter.Annotation, Inserted);
            var block = statement.Parent!;
            var attempt = document.WithSyntaxRoot(root.ReplaceNode(block, block.ReplaceNode(statement, new SyntaxNode[] { inserted, keptStatement })));
            if (await CompilesAsync(attempt, cancellationToken).ConfigureAwait(false))
            {
                return attempt;
            }
        }

        return null;
    }

    private static async Task<bool> CompilesAsync(Document document, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root?.GetAnnotatedNodes(Inserted).FirstOrDefault() is not { } node || model is null)
        {
            return false;
        }

        return !model.GetDiagnostics(node.Span, cancellationToken).Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
    }

    /// <summary>The clear derived from the free call itself: FreePages(page|addr, order) and FreePage(page|addr).</summary>
    private static StatementSyntax? FromFree(InvocationExpressionSyntax free, IInvocationOperation operation, DriverKitSymbols symbols, SemanticModel model, StatementSyntax statement)
    {
        if (free.Expression is not MemberAccessExpressionSyntax { Expression: var receiver } || !IsDuplicable(receiver))
        {
            return null;
        }

        var api = symbols.Classify(operation.TargetMethod);
        if (api is not (KernelApi.FreePages or KernelApi.FreePage) || operation.Argument(0) is not { } target || !IsDuplicable(target.Syntax))
        {
            return null;
        }

        var byAddress = !symbols.IsPage(target.Type);
        var kernel = receiver.WithoutTrivia().ToString();
        var what = target.Syntax.WithoutTrivia().ToString();
        string order;
        if (api == KernelApi.FreePage)
        {
            order = "0";
        }
        else if (operation.Argument(1) is { } orderArgument && IsDuplicable(orderArgument.Syntax))
        {
            order = orderArgument.ConstantValue is { HasValue: true, Value: int constant } ? constant.ToString(CultureInfo.InvariantCulture) : orderArgument.Syntax.WithoutTrivia().ToString();
        }
        else
        {
            return null;
        }

        if (order == "0")
        {
            var page = byAddress ? $"{kernel}.VirtToPage({what})" : what;
            return SyntaxFactory.ParseStatement($"{kernel}.ClearPageReserved({page});");
        }

        var index = FreshName(model, statement.SpanStart, "i", "j", "k", "pageIndex");
        var pageSize = model.LookupNamespacesAndTypes(statement.SpanStart, name: "Kernel")
            .Any(symbol => SymbolEqualityComparer.Default.Equals(symbol, symbols.Kernel))
            ? "Kernel.PageSize"
            : "global::DriverKit.Runtime.Kernel.PageSize";
        var each = byAddress ? $"{kernel}.VirtToPage({Parenthesize(target.Syntax)} + (ulong){index} * {pageSize})" : $"{Parenthesize(target.Syntax)} + {index}";
        var indent = statement.GetLeadingTrivia().LastOrDefault(trivia => trivia.IsKind(SyntaxKind.WhitespaceTrivia)).ToFullString();
        var newLine = SyntaxEdits.NewLine(statement.SyntaxTree.GetRoot()).ToFullString();
        return SyntaxFactory.ParseStatement(
            $"for (var {index} = 0; {index} < 1 << {Parenthesize(operation.Argument(1)!.Syntax)}; {index}++){newLine}{indent}{{{newLine}" +
            $"{indent}    {kernel}.ClearPageReserved({each});{newLine}{indent}}}");
    }

    /// <summary>The statement (or loop) that reserved the buffer, with SetPageReserved turned into ClearPageReserved.</summary>
    private static async Task<StatementSyntax?> FromReservationAsync(Project project, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (diagnostic.AdditionalLocations.FirstOrDefault() is not { SourceTree: { } tree } location
            || project.GetDocument(tree) is not { } reservationDocument
            || await reservationDocument.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root
            || root.FindNode(location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax set
            || Invocations.Statement(set) is not { } statement)
        {
            return null;
        }

        var copied = SyntaxEdits.WidenToLoop(statement);
        var renamed = copied.ReplaceNodes(
            copied.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Where(invocation => Name(invocation) == "SetPageReserved"),
            (_, current) => Invocations.Rename(current, "ClearPageReserved"));
        return renamed.WithoutLeadingTrivia().WithoutTrailingTrivia();
    }

    private static string? Name(InvocationExpressionSyntax invocation) => invocation.Expression switch
    {
        MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
        IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
        _ => null,
    };

    /// <summary>Expressions that may be repeated without changing behavior: names, member chains, literals, simple indexing.</summary>
    private static bool IsDuplicable(SyntaxNode syntax) => syntax switch
    {
        IdentifierNameSyntax or LiteralExpressionSyntax or ThisExpressionSyntax or PredefinedTypeSyntax => true,
        MemberAccessExpressionSyntax access => IsDuplicable(access.Expression),
        ElementAccessExpressionSyntax element => IsDuplicable(element.Expression) && element.ArgumentList.Arguments.All(argument => IsDuplicable(argument.Expression)),
        ParenthesizedExpressionSyntax parenthesized => IsDuplicable(parenthesized.Expression),
        CastExpressionSyntax cast => IsDuplicable(cast.Expression),
        BinaryExpressionSyntax binary => IsDuplicable(binary.Left) && IsDuplicable(binary.Right),
        _ => false,
    };

    private static string Parenthesize(SyntaxNode syntax) =>
        syntax is IdentifierNameSyntax or LiteralExpressionSyntax or MemberAccessExpressionSyntax or ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax
            ? syntax.WithoutTrivia().ToString()
            : "(" + syntax.WithoutTrivia() + ")";

    private static string FreshName(SemanticModel model, int position, params string[] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (model.LookupSymbols(position, name: candidate).IsEmpty)
            {
                return candidate;
            }
        }

        return candidates[candidates.Length - 1] + "2";
    }
}
