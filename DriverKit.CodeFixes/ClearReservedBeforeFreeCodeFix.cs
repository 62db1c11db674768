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
/// SetPageReserved statement or loop that reserved the buffer, with the locals it needs from the reserving method declared
/// again (a cursor assigned in the loop) or given their value there (<c>var first = VirtToPage(area)</c>). A free under a
/// label (a goto error path) gets the clear under the label. The inserted code must compile where it lands, or the fix is not
/// offered.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ClearReservedBeforeFreeCodeFix)), Shared]
public sealed class ClearReservedBeforeFreeCodeFix : DriverKitCodeFix
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "DK0003.ClearBeforeFree";

    /// <summary>The kind of the annotation on inserted code; each attempt gets an annotation of its own.</summary>
    private const string InsertedKind = "DriverKit.InsertedClear";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ReservedBitLeftAtFree);

    /// <inheritdoc/>
    private protected override async Task RegisterAsync(CodeFixContext context)
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
        if (Invocations.Statement(free) is not { } statement || InsertionPoint(statement) is not { } point
            || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model
            || DriverKitSymbols.TryCreate(model.Compilation) is not { } symbols
            || model.GetOperation(free, cancellationToken) is not IInvocationOperation operation
            || await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root)
        {
            return null;
        }

        var candidates = new List<IReadOnlyList<StatementSyntax>>();
        if (FromFree(free, operation, symbols, model, statement) is { } generated)
        {
            candidates.Add(new[] { generated });
        }

        if (await FromReservationAsync(original, diagnostic, model, point.SpanStart, cancellationToken).ConfigureAwait(false) is { } mirrored)
        {
            candidates.Add(mirrored);
        }

        // Blank lines above the free now separate the inserted code from what precedes it; comments above the free stay with it.
        var leading = point.GetLeadingTrivia();
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
        var indent = indentation.IsKind(SyntaxKind.None) ? Array.Empty<SyntaxTrivia>() : new[] { indentation };
        var newLine = SyntaxEdits.NewLine(root);
        foreach (var candidate in candidates)
        {
            var annotation = new SyntaxAnnotation(InsertedKind);
            var inserted = candidate
                .Select((statement, index) => statement
                    .WithLeadingTrivia(index == 0 ? leading.Take(blankLines).Concat(indent) : indent)
                    .WithTrailingTrivia(newLine)
                    .WithAdditionalAnnotations(Formatter.Annotation, annotation))
                .ToList();
            var attempt = document.WithSyntaxRoot(Insert(root, point, statement, inserted, leading.Skip(blankLines)));
            if (await CompilesAsync(attempt, annotation, cancellationToken).ConfigureAwait(false))
            {
                return attempt;
            }
        }

        return null;
    }

    /// <summary>
    /// The statement the clear goes before: the free's statement, or the labeled statement around it (the label then moves
    /// to the clear, so a goto still runs it); null when that statement is not in a block or switch section.
    /// </summary>
    private static StatementSyntax? InsertionPoint(StatementSyntax statement)
    {
        StatementSyntax point = statement;
        while (point.Parent is LabeledStatementSyntax labeled)
        {
            point = labeled;
        }

        return SyntaxEdits.CanRemove(point) ? point : null;
    }

    /// <summary><paramref name="inserted"/> before the free; the labels above the free move onto the first inserted statement.</summary>
    private static SyntaxNode Insert(SyntaxNode root, StatementSyntax point, StatementSyntax free, List<StatementSyntax> inserted, IEnumerable<SyntaxTrivia> keptLeading)
    {
        var labels = new List<LabeledStatementSyntax>();
        for (var node = free.Parent; node is LabeledStatementSyntax labeled; node = node.Parent)
        {
            labels.Insert(0, labeled);
        }

        var replacement = new List<SyntaxNode>();
        if (labels.Count == 0)
        {
            replacement.AddRange(inserted);
            replacement.Add(free.WithLeadingTrivia(keptLeading));
        }
        else
        {
            // out_free: kernel.FreePages(…)  →  out_free: <clear>; kernel.FreePages(…), the clear indented as the free was.
            StatementSyntax first = inserted[0].WithLeadingTrivia(free.GetLeadingTrivia());
            for (var i = labels.Count - 1; i >= 0; i--)
            {
                first = labels[i].WithStatement(first);
            }

            replacement.Add(first.WithLeadingTrivia(point.GetLeadingTrivia()).WithAdditionalAnnotations(inserted[0].GetAnnotations(InsertedKind)));
            replacement.AddRange(inserted.Skip(1));
            replacement.Add(free);
        }

        var container = point.Parent!;
        return root.ReplaceNode(container, container.ReplaceNode(point, replacement));
    }

    private static async Task<bool> CompilesAsync(Document document, SyntaxAnnotation annotation, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var nodes = root?.GetAnnotatedNodes(annotation).ToList();
        if (nodes is not { Count: > 0 } || model is null)
        {
            return false;
        }

        // The whole enclosing member: a declaration the insertion adds may clash with a later one of the same name.
        var member = nodes[0].FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? nodes[0];
        return !model.GetDiagnostics(member.Span, cancellationToken).Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
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

    /// <summary>
    /// The statement (or loop) that reserved the buffer, with SetPageReserved turned into ClearPageReserved, preceded by what
    /// the locals it uses need where the free is: a declaration for a local the mirrored code assigns itself (a cursor), the
    /// value of one assigned once before the reservation (<c>var first = kernel.VirtToPage(area);</c>), nothing for one the
    /// freeing code has too. Null when a local's value cannot be carried over (several assignments, an allocation).
    /// </summary>
    private static async Task<IReadOnlyList<StatementSyntax>?> FromReservationAsync(
        Project project, Diagnostic diagnostic, SemanticModel freeModel, int position, CancellationToken cancellationToken)
    {
        if (diagnostic.AdditionalLocations.FirstOrDefault() is not { SourceTree: { } tree } location
            || project.GetDocument(tree) is not { } reservationDocument
            || await reservationDocument.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root
            || await reservationDocument.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model
            || DriverKitEngine.Get(model.Compilation) is not { } engine
            || root.FindNode(location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax set
            || Invocations.Statement(set) is not { } statement)
        {
            return null;
        }

        var copied = SyntaxEdits.WidenToLoop(statement);
        var prelude = new List<StatementSyntax>();
        foreach (var (local, references) in LocalsUsedNotDeclared(copied, model, cancellationToken))
        {
            var outside = new HashSet<Definition>();
            foreach (var reference in references)
            {
                if (reference.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } write && write.Left == reference)
                {
                    continue;
                }

                if (model.GetOperation(reference, cancellationToken) is not { } operation
                    || engine.Values.FlowOf(operation, cancellationToken).DefinitionsReaching(operation) is not { } reaching)
                {
                    return null;
                }

                // A declaration without a value (`Page page;` at the top) gives the local none; what the copy needs are the others.
                outside.UnionWith(reaching.Where(definition =>
                    !(definition.Kind == DefinitionKind.Opaque && definition.Operation is IVariableDeclaratorOperation { Initializer: null })
                    && (definition.Operation is null || !copied.Span.Contains(definition.Operation.Syntax.Span))));
            }

            var inScope = freeModel.LookupSymbols(position, name: local.Name).FirstOrDefault();
            if (inScope is not null && !(inScope is ILocalSymbol or IParameterSymbol && SymbolEqualityComparer.Default.Equals(TypeOf(inScope), local.Type)))
            {
                return null;
            }

            switch (outside.Count)
            {
                case 0 when inScope is null:
                    prelude.Add(SyntaxFactory.ParseStatement($"{local.Type.ToMinimalDisplayString(freeModel, position)} {local.Name};"));
                    break;
                case 0:
                    break;
                case 1 when outside.Single() is { Kind: DefinitionKind.Assignment, Value: { } value } && IsPure(value, engine):
                    prelude.Add(SyntaxFactory.ParseStatement(inScope is null
                        ? $"var {local.Name} = {value.Syntax.WithoutTrivia()};"
                        : $"{local.Name} = {value.Syntax.WithoutTrivia()};"));
                    break;
                default:
                    return null;
            }
        }

        var renamed = copied.ReplaceNodes(
            copied.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().Where(invocation => Name(invocation) == "SetPageReserved"),
            (_, current) => Invocations.Rename(current, "ClearPageReserved"));
        prelude.Add(renamed.WithoutLeadingTrivia().WithoutTrailingTrivia());
        return prelude;
    }

    /// <summary>The locals <paramref name="code"/> reads or assigns without declaring them, in order, with their references.</summary>
    private static IEnumerable<(ILocalSymbol Local, List<IdentifierNameSyntax> References)> LocalsUsedNotDeclared(StatementSyntax code, SemanticModel model, CancellationToken cancellationToken)
    {
        var declared = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var node in code.DescendantNodesAndSelf())
        {
            if (node is VariableDeclaratorSyntax or ForEachStatementSyntax or SingleVariableDesignationSyntax
                && model.GetDeclaredSymbol(node, cancellationToken) is { } symbol)
            {
                declared.Add(symbol);
            }
        }

        var found = new List<(ILocalSymbol Local, List<IdentifierNameSyntax> References)>();
        foreach (var identifier in code.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (model.GetSymbolInfo(identifier, cancellationToken).Symbol is not ILocalSymbol local || declared.Contains(local))
            {
                continue;
            }

            var index = found.FindIndex(entry => SymbolEqualityComparer.Default.Equals(entry.Local, local));
            if (index < 0)
            {
                found.Add((local, new List<IdentifierNameSyntax> { identifier }));
            }
            else
            {
                found[index].References.Add(identifier);
            }
        }

        return found;
    }

    private static ITypeSymbol? TypeOf(ISymbol symbol) => symbol switch
    {
        ILocalSymbol local => local.Type,
        IParameterSymbol parameter => parameter.Type,
        _ => null,
    };

    /// <summary>A value that can be computed again where the free is without changing anything: names, arithmetic, address conversions.</summary>
    private static bool IsPure(IOperation value, DriverKitEngine engine) => value.WithoutConversions() switch
    {
        null => false,
        ILiteralOperation or ILocalReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation => true,
        IFieldReferenceOperation field => field.Instance is null || IsPure(field.Instance, engine),
        IPropertyReferenceOperation property => property.Arguments.IsEmpty && (property.Instance is null || IsPure(property.Instance, engine)),
        IBinaryOperation binary => IsPure(binary.LeftOperand, engine) && IsPure(binary.RightOperand, engine),
        IConversionOperation conversion => IsPure(conversion.Operand, engine),
        IInvocationOperation invocation => engine.Symbols.RoleOf(invocation.TargetMethod) is ValueRole.Conversion or ValueRole.DeviceConversion
            && (invocation.Instance is null || IsPure(invocation.Instance, engine))
            && invocation.Arguments.All(argument => IsPure(argument.Value, engine)),
        _ => false,
    };

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
