using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The engine all rules share, one per compilation: the DriverKit.Runtime symbols, the kernel configuration, method bodies,
/// helper summaries, vm_ops resolution and the cached flag analysis of each operation block. Analyzers get it in their
/// compilation-start action; it is null (and they register nothing) when DriverKit.Runtime is not referenced.
/// </summary>
internal sealed class DriverKitEngine
{
    private static readonly ConditionalWeakTable<Compilation, StrongBox<DriverKitEngine?>> Engines = new();

    private readonly ConcurrentDictionary<(SyntaxNode Root, EraPolicy Policy), Lazy<FlagFlowResult>> flows = new();

    private DriverKitEngine(Compilation compilation, DriverKitSymbols symbols)
    {
        Compilation = compilation;
        Symbols = symbols;
        Bodies = new MethodBodies(compilation);
        Ops = new VmOpsResolver(symbols, Bodies);
        Summaries = new HelperSummaries(this);
        Model = new DriverModel(symbols, Bodies);
    }

    public Compilation Compilation { get; }

    public DriverKitSymbols Symbols { get; }

    public KernelConfiguration Configuration { get; } = new();

    public MethodBodies Bodies { get; }

    public VmOpsResolver Ops { get; }

    public HelperSummaries Summaries { get; }

    public DriverModel Model { get; }

    /// <summary>" in the ->mmap handler 'RegsMmap'" when the function is a driver handler (from the driver model), else "".</summary>
    public string HandlerContext(IMethodSymbol? function, SyntaxNode? lambda, CancellationToken cancellationToken) =>
        Model.RoleOf(function, lambda, cancellationToken) is { } role
            ? $" in the {role} handler '{(lambda is null ? function!.Name : "(lambda)")}'"
            : "";

    /// <summary>The engine of a compilation, or null when it does not reference DriverKit.Runtime.</summary>
    public static DriverKitEngine? Get(Compilation compilation) =>
        Engines.GetValue(compilation, c => new StrongBox<DriverKitEngine?>(DriverKitSymbols.TryCreate(c) is { } symbols ? new DriverKitEngine(c, symbols) : null)).Value;

    public EraPolicy GetPolicy(AnalyzerOptions options, SyntaxTree? tree) => Configuration.GetPolicy(options, tree);

    /// <summary>
    /// The flag analysis of the root of an operation block (a method body, constructor body or initializer, with its lambdas
    /// and local functions), computed once per root and era for all rules. <paramref name="block"/> is one of the context's
    /// operation blocks, which <paramref name="getGraph"/> accepts.
    /// </summary>
    public FlagFlowResult GetFlagFlow(IOperation block, Func<IOperation, ControlFlowGraph?> getGraph, EraPolicy policy, CancellationToken cancellationToken)
    {
        var root = block.Root();
        if (root.SemanticModel is not { } model || !MayTouchVmFlags(root))
        {
            return FlagFlowResult.Empty;
        }

        // PublicationOnly: a cancelled computation is not cached; another caller computes it again.
        return flows.GetOrAdd(
            (root.Syntax, policy),
            _ => new Lazy<FlagFlowResult>(() => Compute(root, model, () => getGraph(block), policy, cancellationToken), LazyThreadSafetyMode.PublicationOnly)).Value;
    }

    private FlagFlowResult Compute(IOperation root, SemanticModel model, Func<ControlFlowGraph?> getGraph, EraPolicy policy, CancellationToken cancellationToken)
    {
        var graph = root is IMethodBodyOperation or IConstructorBodyOperation or IFieldInitializerOperation or IPropertyInitializerOperation
            ? getGraph()
            : null;
        if (graph is null)
        {
            return FlagFlowResult.Empty;
        }

        var analysis = new FlagFlowAnalysis(this, policy, model, ImmutableStack<IMethodSymbol>.Empty, cancellationToken);
        var facts = analysis.AnalyzeAll(graph, model.GetDeclaredSymbol(root.Syntax, cancellationToken) as IMethodSymbol);
        return new FlagFlowResult(facts, analysis.Ops);
    }

    /// <summary>A cheap filter: the block mentions VmArea flags or ops, a runtime remap function, or a source helper taking a VmArea.</summary>
    private bool MayTouchVmFlags(IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            switch (operation)
            {
                case IPropertyReferenceOperation property when Symbols.Is(property.Property, Symbols.VmAreaFlags) || Symbols.Is(property.Property, Symbols.VmAreaOps):
                    return true;
                case IInvocationOperation invocation when Symbols.Classify(invocation.TargetMethod) != KernelApi.None
                    || invocation.Arguments.Any(argument => Symbols.IsVmArea(argument.Value.Type)):
                    return true;
            }
        }

        return false;
    }
}
