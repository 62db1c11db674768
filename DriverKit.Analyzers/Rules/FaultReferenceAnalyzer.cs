using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0012: a fault path hands out a page — sets <c>vmf.Page</c> (in a fault handler, or a helper given the VmFault) or returns it
/// from a nopage handler — with no reference taken for the PTE: no GetPage of that page (directly, or in a helper called before)
/// on every path to the hand-out, and the page is not a fresh allocation of the handler or of a helper that takes a reference.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FaultReferenceAnalyzer : DriverKitAnalyzer
{
    private static readonly string[] Words = { "Page" };

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.FaultPageWithoutReference);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(model => Analyze(model, engine));

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        var cancellationToken = context.CancellationToken;
        foreach (var root in engine.RootsAt(context, engine.Words.Cached(Words, cancellationToken), MayHandOutPages))
        {
            ValueFlow? flow = null;
            foreach (var operation in root.Descendants())
            {
                var (value, role) = operation switch
                {
                    ISimpleAssignmentOperation { Target: IPropertyReferenceOperation target } store when engine.Symbols.Is(target.Property, engine.Symbols.VmFaultPage) =>
                        (store.Value, engine.Model.RoleAt(store, cancellationToken) is { } handler ? $"The {handler} handler" : TakesFault(engine, store) ? "The fault-path helper" : null),
                    IReturnOperation { ReturnedValue: { } returned } when engine.Symbols.IsPage(returned.Type) =>
                        (returned, engine.Model.RoleAt(operation, cancellationToken) == "vm_ops->nopage" ? "The vm_ops->nopage handler" : null),
                    _ => (null, null),
                };
                if (value is null || role is null || engine.Ops.IsNoPage(value) || Functions.EnclosingFunction(operation) is not { } function)
                {
                    continue;
                }

                flow ??= engine.Values.FlowOf(root, cancellationToken);
                if (!HasReference(engine, flow, function, value, operation, cancellationToken))
                {
                    Report(context, engine, function, value, operation, role);
                }
            }
        }
    }

    /// <summary>A method or lambda that may set <c>vmf.Page</c> or return a Page, judged by syntax.</summary>
    private static bool MayHandOutPages(SyntaxNode root) =>
        root is MethodDeclarationSyntax { ReturnType: IdentifierNameSyntax { Identifier.ValueText: "Page" } }
        || root.DescendantNodes().Any(node => node is LambdaExpressionSyntax or LocalFunctionStatementSyntax
            || node is AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Page" } });

    private static bool TakesFault(DriverKitEngine engine, IOperation operation) =>
        Functions.SymbolOf(Functions.EnclosingFunction(operation)) is { } function && function.Parameters.Any(parameter => engine.Symbols.IsVmFault(parameter.Type));

    /// <summary>Whether a reference is taken for the page handed out at <paramref name="site"/>.</summary>
    private static bool HasReference(DriverKitEngine engine, ValueFlow flow, IOperation function, IOperation value, IOperation site, CancellationToken cancellationToken)
    {
        var origin = flow.Of(value, cancellationToken);

        // A page the handler allocated: the allocation's reference is the one handed over.
        if (!origin.Atoms.IsEmpty && origin.Atoms.All(atom => atom.Kind == OriginKind.Allocation && atom.Site is { } allocation && function.Syntax.Span.Contains(allocation.Span)))
        {
            return true;
        }

        // A page a helper looked up and took a reference on (find_get_page's shape).
        if (Candidates(flow, value).Any(candidate => candidate.WithoutConversions() is IInvocationOperation call && TakesReference(engine, call.TargetMethod, cancellationToken)))
        {
            return true;
        }

        foreach (var operation in function.OperationsWithinFunction())
        {
            if (operation is not IInvocationOperation call || call.Syntax.Span.End > site.Syntax.SpanStart || !RunsBefore(call, site, function))
            {
                continue;
            }

            var taken = engine.Symbols.Classify(call.TargetMethod) switch
            {
                KernelApi.GetPage => flow.Of(call.Argument(0), cancellationToken),
                KernelApi.None => engine.Values.ReleasedByHelper(call, KernelApi.GetPage, cancellationToken),
                _ => ValueOrigin.None,
            };
            if (engine.Values.Overlap(taken, origin, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The value itself and, for a local, the values assigned to it that reach it.</summary>
    private static IEnumerable<IOperation> Candidates(ValueFlow flow, IOperation value) =>
        value.WithoutConversions() is ILocalReferenceOperation
            ? flow.ValuesReaching(value).OfType<IOperation>().Prepend(value)
            : new[] { value };

    /// <summary>A helper of the compilation whose body calls GetPage: what it returns carries a reference.</summary>
    private static bool TakesReference(DriverKitEngine engine, IMethodSymbol method, CancellationToken cancellationToken) =>
        engine.Symbols.Classify(method) == KernelApi.None
        && engine.Symbols.IsPage(method.ReturnType)
        && engine.Bodies.Get(method, cancellationToken) is { } body
        && body.Code.Descendants().Any(operation => operation is IInvocationOperation call && engine.Symbols.Classify(call.TargetMethod) == KernelApi.GetPage);

    /// <summary>
    /// Whether an earlier call runs on every path to <paramref name="site"/>: no branch, loop, case or handler around the call
    /// leaves the site out.
    /// </summary>
    private static bool RunsBefore(IOperation call, IOperation site, IOperation function)
    {
        var span = site.Syntax.Span;
        for (var node = call.Parent; node is not null && node != function; node = node.Parent)
        {
            switch (node)
            {
                case IConditionalOperation conditional when !conditional.Condition.Syntax.Span.Contains(call.Syntax.Span) && !conditional.Syntax.Span.Contains(span):
                case ILoopOperation loop when !loop.Syntax.Span.Contains(span):
                case ISwitchCaseOperation switchCase when !switchCase.Syntax.Span.Contains(span):
                case ICatchClauseOperation catchClause when !catchClause.Syntax.Span.Contains(span):
                case IConditionalAccessOperation or ICoalesceOperation or IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return false;
            }
        }

        return true;
    }

    private static void Report(SemanticModelAnalysisContext context, DriverKitEngine engine, IOperation function, IOperation value, IOperation site, string role)
    {
        var kernel = KernelReceiver.In(engine.Symbols, function);
        var anchor = Anchor(site.Syntax);
        var statement = kernel is not null && IsPure(value) ? $"{kernel}.GetPage({value.Syntax});" : null;
        var fixable = statement is not null && anchor is not null;
        var advice = statement is not null
            ? $"take one with '{statement}' first"
            : "take one with GetPage first, or map it with a special PTE (VmfInsertPfn)";
        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.FaultPageWithoutReference,
            value.Syntax.GetLocation(),
            fixable ? new[] { anchor!.GetLocation() } : null,
            fixable ? FixForms.Properties(FixForms.TakeReference).Add(FixForms.Statement, statement) : FixForms.Properties(FixForms.None),
            $"{role} '{Functions.DisplayName(function)}'",
            value.Syntax.ToString(),
            advice));
    }

    /// <summary>Where the GetPage goes: before the statement that hands out the page, or into the expression body it is.</summary>
    private static SyntaxNode? Anchor(SyntaxNode site) =>
        site.Parent is ArrowExpressionClauseSyntax arrow ? arrow
        : site.Parent is LambdaExpressionSyntax lambda && lambda.Body == site ? site
        : site.AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault() is { Parent: BlockSyntax or SwitchSectionSyntax } statement ? statement
        : null;

    /// <summary>An expression that reads the same page when evaluated twice: locals, parameters, members and elements indexed by such.</summary>
    private static bool IsPure(IOperation? operation) => operation.WithoutConversions() switch
    {
        ILocalReferenceOperation or IParameterReferenceOperation or ILiteralOperation or IInstanceReferenceOperation => true,
        IFieldReferenceOperation field => field.Instance is null || IsPure(field.Instance),
        IPropertyReferenceOperation property => property.Arguments.IsEmpty && (property.Instance is null || IsPure(property.Instance)),
        IArrayElementReferenceOperation element => IsPure(element.ArrayReference) && element.Indices.All(IsPure),
        IBinaryOperation binary => IsPure(binary.LeftOperand) && IsPure(binary.RightOperand),
        _ => false,
    };
}
