using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0012 and DK0013. DK0012: a fault path hands out a page — sets <c>vmf.Page</c> (in a fault handler, or a helper given the VmFault) or returns it
/// from a nopage handler — with no reference taken for the PTE: no GetPage of that page (directly, or in a helper called before)
/// on every path to the hand-out, and the page is not a fresh allocation of the handler or of a helper that takes a reference.
/// DK0013 is the same hand-out on VMAs whose ->mmap set VM_RESERVED or VM_IO and neither VM_PFNMAP nor VM_MIXEDMAP (hoping the VM
/// treats the pages as special, which it has not done since 2.6.15-rc3), and any change of VM_PFNMAP or VM_MIXEDMAP in a handler
/// other than ->mmap (the VMA's discipline flips while PTEs exist).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class FaultReferenceAnalyzer : DriverKitAnalyzer
{
    private static readonly string[] Words = { "Page" };

    /// <summary>The flags whose change outside ->mmap flips a VMA's discipline.</summary>
    private static readonly string[] DisciplineWords = { "PfnMap", "MixedMap" };

    private const VmFlags Disciplines = VmFlags.PfnMap | VmFlags.MixedMap;

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.FaultPageWithoutReference, DiagnosticDescriptors.StructPageSpecialMapping, DiagnosticDescriptors.DisciplineFlip);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(model => Analyze(model, engine));

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        var cancellationToken = context.CancellationToken;
        var policy = engine.GetPolicy(context.Options, context.SemanticModel.SyntaxTree);
        foreach (var root in policy.FlagExists(VmFlags.PfnMap) ? engine.RootsAt(context, engine.Words.Cached(DisciplineWords, cancellationToken)) : Array.Empty<IOperation>())
        {
            foreach (var operation in root.Descendants())
            {
                if (DisciplineChange(engine, operation) is { } change && engine.Model.RoleAt(operation, cancellationToken) is { } role && role != "->mmap"
                    && Functions.EnclosingFunction(operation) is { } function)
                {
                    // Before pte_special (2.6.26) vm_normal_page classifies every PTE by the vma's flags; after, only where the arch lacks it.
                    var byFlags = policy.SpecialPteRule != SpecialPteRule.PfnMapMixedMap;
                    context.ReportVisible(Diagnostic.Create(
                        DiagnosticDescriptors.DisciplineFlip,
                        operation.Syntax.GetLocation(),
                        byFlags ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
                        additionalLocations: null,
                        properties: null,
                        change.Vma,
                        change.What,
                        role,
                        Functions.DisplayName(function),
                        byFlags
                            ? $"in Linux {policy.Describe()} vm_normal_page decides from these flags at every fork and zap, so PTEs installed under one discipline are copied and unmapped under the other, and refcounts and mapcounts go wrong"
                            : $"in Linux {policy.Describe()} the PTE's special bit decides where the architecture has one; where it has none (and for VM_MIXEDMAP's pfn_valid test) fork and zap go by these flags and disagree with the fault that installed the PTE"));
                }
            }
        }

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
                if (value is null || role is null || !IsPage(engine, value) || engine.Ops.IsNoPage(value) || Functions.EnclosingFunction(operation) is not { } function)
                {
                    continue;
                }

                flow ??= engine.Values.FlowOf(root, cancellationToken);
                if (!HasReference(engine, flow, function, value, operation, cancellationToken))
                {
                    Report(context, engine, policy, function, value, operation, role, HopedSpecial(engine, policy, function, operation, cancellationToken),
                        mayFix: !MayBeNoPage(engine, flow, function, value, 0));
                }
            }
        }
    }

    /// <summary>
    /// Whether a value handed out is a page of its own type: a value of another type converted to Page is a compile error
    /// (half-typed code), about which a finding, and a <c>GetPage</c> of it, would be wrong.
    /// </summary>
    private static bool IsPage(DriverKitEngine engine, IOperation value) => value.WithoutConversions()?.Type is { } type && engine.Symbols.IsPage(type);

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

        var calls = function.OperationsWithinFunction().OfType<IInvocationOperation>()
            .Where(call => call.Syntax.Span.End <= site.Syntax.SpanStart && RunsBefore(call, site, function))
            .ToList();

        // The common shape first, without the value analysis: GetPage of the very value handed out (the same local or text).
        if (calls.Any(call => engine.Symbols.Classify(call.TargetMethod) == KernelApi.GetPage && SameValue(flow, call.Argument(0), value)))
        {
            return true;
        }

        foreach (var call in calls)
        {

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

    /// <summary>The same local holding the same assignments at both reads, or the same text of a side-effect-free expression.</summary>
    private static bool SameValue(ValueFlow flow, IOperation? a, IOperation? b) => (a.WithoutConversions(), b.WithoutConversions()) switch
    {
        (ILocalReferenceOperation x, ILocalReferenceOperation y) => SymbolEqualityComparer.Default.Equals(x.Local, y.Local)
            && flow.ValuesReaching(x).SequenceEqual(flow.ValuesReaching(y)),
        (IOperation x, IOperation y) => IsPure(x) && x.Syntax.ToString() == y.Syntax.ToString(),
        _ => false,
    };

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

    /// <summary>The ->mmap behind the hand-out's VMA that set VM_RESERVED or VM_IO, and neither VM_PFNMAP nor VM_MIXEDMAP, from 2.6.15-rc3; or null.</summary>
    private static MmapState? HopedSpecial(DriverKitEngine engine, EraPolicy policy, IOperation function, IOperation site, CancellationToken cancellationToken)
    {
        if (policy.SpecialPteRule is not (SpecialPteRule.PfnMapLinear or SpecialPteRule.PfnMapMixedMap)
            || Functions.SymbolOf(function)?.Parameters.FirstOrDefault(parameter => engine.Symbols.IsVmFault(parameter.Type) || engine.Symbols.IsVmArea(parameter.Type)) is not { } parameter)
        {
            return null;
        }

        return engine.Vmas.ContextsOf(function, parameter, site, policy, cancellationToken)
            .Select(vma => vma.Mmap)
            .FirstOrDefault(mmap => (mmap.DriverSet & (ulong)(VmFlags.Reserved | VmFlags.IO)) != 0 && (mmap.MaySet & (ulong)Disciplines) == 0);
    }

    /// <summary>A write that sets or clears VM_PFNMAP or VM_MIXEDMAP on a VMA: <c>vma.Flags |= …</c>, <c>&amp;= ~…</c>, <c>=</c>, VmFlagsSet, VmFlagsClear.</summary>
    private static (string Vma, string What)? DisciplineChange(DriverKitEngine engine, IOperation operation)
    {
        var (vma, value, verb) = operation switch
        {
            IAssignmentOperation { Target: IPropertyReferenceOperation target } assignment when engine.Symbols.Is(target.Property, engine.Symbols.VmAreaFlags) =>
                (target.Instance, assignment.Value, assignment is ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.And } ? "clears" : "sets"),
            IInvocationOperation call when engine.Symbols.Classify(call.TargetMethod) is KernelApi.VmFlagsSet or KernelApi.VmFlagsClear =>
                (call.Argument(0), call.Argument(1), engine.Symbols.Classify(call.TargetMethod) == KernelApi.VmFlagsSet ? "sets" : "clears"),
            _ => (null, null, null),
        };
        if (vma is null || value is null
            || value.DescendantsAndSelf().OfType<IFieldReferenceOperation>().FirstOrDefault(field => field.Field.Name is "PfnMap" or "MixedMap" && engine.Symbols.IsVmFlags(field.Field.ContainingType)) is not { } flag)
        {
            return null;
        }

        return (vma.Syntax.ToString(), $"{verb} {(flag.Field.Name == "PfnMap" ? "VM_PFNMAP" : "VM_MIXEDMAP")}");
    }

    private static void Report(SemanticModelAnalysisContext context, DriverKitEngine engine, EraPolicy policy, IOperation function, IOperation value, IOperation site, string role, MmapState? hoped, bool mayFix)
    {
        var kernel = KernelReceiver.In(engine.Symbols, function);
        var anchor = Anchor(site.Syntax);
        var statement = mayFix && kernel is not null && IsPure(value) ? $"{kernel}.GetPage({value.Syntax});" : null;
        var fixable = statement is not null && anchor is not null;
        var advice = statement is not null
            ? $"take one with '{statement}' first"
            : "take one with GetPage first, or map it with a special PTE (VmfInsertPfn)";
        var properties = fixable ? FixForms.Properties(FixForms.TakeReference).Add(FixForms.Statement, statement) : FixForms.Properties(FixForms.None);
        var handler = $"{role} '{Functions.DisplayName(function)}'";
        if (hoped is not null)
        {
            var marked = (hoped.DriverSet & (ulong)VmFlags.IO) != 0 ? "VM_IO" : "VM_RESERVED";
            context.ReportVisible(Diagnostic.Create(
                DiagnosticDescriptors.StructPageSpecialMapping,
                value.Syntax.GetLocation(),
                fixable ? new[] { anchor!.GetLocation() } : null,
                properties,
                handler,
                value.Syntax.ToString(),
                hoped.Name,
                marked,
                policy.Describe(),
                advice + "; a page the VM must not manage goes in with VmfInsertPfn on a VM_PFNMAP | VM_IO VMA that refuses private mappings"));
            return;
        }

        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.FaultPageWithoutReference,
            value.Syntax.GetLocation(),
            fixable ? new[] { anchor!.GetLocation() } : null,
            properties,
            handler,
            value.Syntax.ToString(),
            advice));
    }

    /// <summary>Where the GetPage goes: before the statement that hands out the page, or into the expression body it is.</summary>
    private static SyntaxNode? Anchor(SyntaxNode site) =>
        site.Parent is ArrowExpressionClauseSyntax arrow ? arrow
        : site.Parent is LambdaExpressionSyntax lambda && lambda.Body == site ? site
        : site.AncestorsAndSelf().OfType<StatementSyntax>().FirstOrDefault() is { Parent: BlockSyntax or SwitchSectionSyntax } statement ? statement
        : null;

    /// <summary>How deep <see cref="MayBeNoPage"/> follows locals and conditionals.</summary>
    private const int MaxNoPageDepth = 4;

    /// <summary>
    /// Whether the value handed out may be no page on some path: <c>default</c>, <c>Page.NoPageOom</c> or a null reaching it
    /// through locals or a conditional (C's <c>struct page *page = NOPAGE_SIGBUS;</c>), or a value the function tests for being
    /// none (<c>page.IsNull</c>). A GetPage of it would oops on that path, so no statement is spelt for the fix.
    /// </summary>
    private static bool MayBeNoPage(DriverKitEngine engine, ValueFlow flow, IOperation function, IOperation? value, int depth)
    {
        value = value.WithoutConversions();
        if (value is null || depth > MaxNoPageDepth)
        {
            return false;
        }

        if (engine.Ops.IsNoPage(value))
        {
            return true;
        }

        switch (value)
        {
            case IConditionalOperation conditional:
                return MayBeNoPage(engine, flow, function, conditional.WhenTrue, depth + 1) || MayBeNoPage(engine, flow, function, conditional.WhenFalse, depth + 1);
            case ICoalesceOperation coalesce:
                return MayBeNoPage(engine, flow, function, coalesce.WhenNull, depth + 1);
            case ILocalReferenceOperation local:
                return function.Descendants().Any(operation => operation is IPropertyReferenceOperation { Property.Name: "IsNull" or "IsNoPageOom", Instance: ILocalReferenceOperation tested }
                        && SymbolEqualityComparer.Default.Equals(tested.Local, local.Local))
                    || flow.ValuesReaching(local).Any(reaching => MayBeNoPage(engine, flow, function, reaching, depth + 1));
            default:
                return false;
        }
    }

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
