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
        Words = new SourceWords(compilation);
        Sources = new FlagSourceFilter(compilation, symbols, Bodies, Words);
        Model = new DriverModel(symbols, Bodies, Words);
    }

    public Compilation Compilation { get; }

    public DriverKitSymbols Symbols { get; }

    public KernelConfiguration Configuration { get; } = new();

    public MethodBodies Bodies { get; }

    public VmOpsResolver Ops { get; }

    public HelperSummaries Summaries { get; }

    /// <summary>Whole-word search of the compilation's source text.</summary>
    public SourceWords Words { get; }

    /// <summary>Which blocks the flag analysis can find something in.</summary>
    public FlagSourceFilter Sources { get; }

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

    /// <summary>Whether the flag analysis of the block's root can find anything a rule reports (see <see cref="FlagSourceFilter"/>).</summary>
    public bool MayReportFlags(IOperation block, CancellationToken cancellationToken) => Sources.MayReport(block, cancellationToken);

    /// <summary>
    /// The flag analysis of the root of an operation block (a method body, constructor body or initializer, with its lambdas
    /// and local functions), computed once per root and era for all rules. <paramref name="block"/> is one of the context's
    /// operation blocks, which <paramref name="getGraph"/> accepts. Blocks in which the analysis cannot find a reported bit
    /// (<see cref="FlagSourceFilter"/>) get the empty result without a graph.
    /// </summary>
    public FlagFlowResult GetFlagFlow(IOperation block, Func<IOperation, ControlFlowGraph?> getGraph, EraPolicy policy, CancellationToken cancellationToken)
    {
        var root = block.Root();
        if (root is not (IMethodBodyOperation or IConstructorBodyOperation or IFieldInitializerOperation or IPropertyInitializerOperation)
            || root.SemanticModel is not { } model
            || !MayReportFlags(root, cancellationToken))
        {
            return FlagFlowResult.Empty;
        }

        // Computed once: the rules that ask for the same root concurrently wait for the first instead of repeating the
        // analysis. A computation cancelled by its caller's token is dropped, and the next caller computes it again.
        var key = (root.Syntax, policy);
        while (true)
        {
            var flow = flows.GetOrAdd(
                key,
                _ => new Lazy<FlagFlowResult>(() => Compute(root, model, () => getGraph(block), policy, cancellationToken), LazyThreadSafetyMode.ExecutionAndPublication));
            try
            {
                return flow.Value;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ((ICollection<KeyValuePair<(SyntaxNode Root, EraPolicy Policy), Lazy<FlagFlowResult>>>)flows).Remove(new(key, flow));
            }
        }
    }

    private FlagFlowResult Compute(IOperation root, SemanticModel model, Func<ControlFlowGraph?> getGraph, EraPolicy policy, CancellationToken cancellationToken)
    {
        if (getGraph() is not { } graph)
        {
            return FlagFlowResult.Empty;
        }

        var analysis = new FlagFlowAnalysis(this, policy, model, ImmutableStack<IMethodSymbol>.Empty, cancellationToken);
        var facts = analysis.AnalyzeAll(graph, model.GetDeclaredSymbol(root.Syntax, cancellationToken) as IMethodSymbol);
        return new FlagFlowResult(facts, analysis.Ops);
    }
}
