using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The engine all rules share, one per compilation: the DriverKit.Runtime symbols, the kernel configuration, method bodies,
/// helper summaries, vm_ops resolution and the cached flag analysis of each code root (<see cref="CodeRoots"/>). Analyzers get it in their
/// compilation-start action; it is null (and they register nothing) when DriverKit.Runtime is not referenced.
/// </summary>
internal sealed class DriverKitEngine
{
    private static readonly ConditionalWeakTable<Compilation, StrongBox<DriverKitEngine?>> Engines = new();

    /// <summary>The names a [GeneratedCode] attribute is spelt with (an alias must name it too).</summary>
    private static readonly string[] GeneratedCodeNames = { "GeneratedCode", "GeneratedCodeAttribute" };

    private readonly ConcurrentDictionary<(SyntaxNode Root, EraPolicy Policy), Lazy<FlagFlowResult>> flows = new();

    /// <summary>GeneratedCodeAttribute, resolved once and only in a compilation whose text spells it.</summary>
    private readonly Lazy<INamedTypeSymbol?> generatedCodeAttribute;

    private DriverKitEngine(Compilation compilation, DriverKitSymbols symbols)
    {
        Compilation = compilation;
        Symbols = symbols;
        generatedCodeAttribute = new(() => compilation.GetTypeByMetadataName("System.CodeDom.Compiler.GeneratedCodeAttribute"));
        Bodies = new MethodBodies(compilation);
        Words = new SourceWords(compilation);
        Ops = new VmOpsResolver(symbols, Bodies, Words);
        Summaries = new HelperSummaries(this);
        Sources = new FlagSourceFilter(compilation, symbols, Bodies, Words);
        Model = new DriverModel(symbols, Bodies, Words);
        Values = new ValueSummaries(this);
        Provenance = new MemoryProvenance(this);
        Vmas = new VmaModel(this);
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

    /// <summary>The value analysis: where a page, address or pfn comes from (<see cref="ValueFlow"/>).</summary>
    public ValueSummaries Values { get; }

    /// <summary>What memory a mapped value comes from (<see cref="MemoryProvenance"/>).</summary>
    public MemoryProvenance Provenance { get; }

    /// <summary>The per-VMA model across handlers (<see cref="VmaModel"/>).</summary>
    public VmaModel Vmas { get; }

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
    /// The roots of the context's tree (<see cref="CodeRoots"/>) that hold one of the found words, less code marked
    /// [GeneratedCode]: what a rule analyzes in the tree.
    /// </summary>
    public IReadOnlyList<IOperation> RootsAt(SemanticModelAnalysisContext context, WordOccurrences words, WordOccurrences? more = null) =>
        WithoutGeneratedCode(CodeRoots.At(context.SemanticModel, words, more, context.FilterSpan, context.CancellationToken), context.CancellationToken);

    /// <summary>The roots <see cref="RootsAt(SemanticModelAnalysisContext, WordOccurrences, WordOccurrences?)"/> finds whose syntax <paramref name="accept"/> admits, bound only then.</summary>
    public IReadOnlyList<IOperation> RootsAt(SemanticModelAnalysisContext context, WordOccurrences words, Func<SyntaxNode, bool> accept) =>
        WithoutGeneratedCode(CodeRoots.At(context.SemanticModel, words, null, context.FilterSpan, accept, context.CancellationToken), context.CancellationToken);

    /// <summary>Whether the code root is in a member (or type) marked [GeneratedCode], which the rules skip.</summary>
    public bool IsGenerated(IOperation root, CancellationToken cancellationToken) => WithoutGeneratedCode(new[] { root }, cancellationToken).Count == 0;

    /// <summary>The roots of the context's tree in which the flag analysis may find a reported bit, judged by their text.</summary>
    public IReadOnlyList<IOperation> FlagSourceRoots(SemanticModelAnalysisContext context) =>
        Sources.SourceWordsFound(context.CancellationToken) is { } words
            ? RootsAt(context, words)
            : WithoutGeneratedCode(CodeRoots.All(context.SemanticModel, context.FilterSpan, context.CancellationToken), context.CancellationToken);

    /// <summary>
    /// The flag analysis of a root (<see cref="CodeRoots"/>: a method body, constructor body or initializer, with its lambdas
    /// and local functions), computed once per root and era for all rules. Roots in which the analysis cannot find a
    /// reported bit (<see cref="FlagSourceFilter"/>) get the empty result without a graph.
    /// </summary>
    /// <param name="root">The root.</param>
    /// <param name="policy">The configured era.</param>
    /// <param name="cancellationToken">Cancels the analysis.</param>
    /// <param name="always">Analyze even a root in which no reported bit can be set (the per-VMA model asks for every ->mmap).</param>
    public FlagFlowResult GetFlagFlow(IOperation root, EraPolicy policy, CancellationToken cancellationToken, bool always = false)
    {
        if (root is not (IMethodBodyOperation or IConstructorBodyOperation or IFieldInitializerOperation or IPropertyInitializerOperation)
            || root.Parent is not null
            || root.SemanticModel is not { } model
            || (!always && !MayReportFlags(root, cancellationToken)))
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
                _ => new Lazy<FlagFlowResult>(() => Compute(root, model, policy, cancellationToken), LazyThreadSafetyMode.ExecutionAndPublication));
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

    /// <summary>
    /// The roots that are not generated code: the driver skips generated files, but a tree-wide action sees the members of
    /// a normal file marked [GeneratedCode] (or inside a type so marked). No look-up unless the compilation spells the name.
    /// </summary>
    private IReadOnlyList<IOperation> WithoutGeneratedCode(IReadOnlyList<IOperation> roots, CancellationToken cancellationToken)
    {
        if (roots.Count == 0
            || !Words.Cached(GeneratedCodeNames, cancellationToken).Exists
            || generatedCodeAttribute.Value is not { } attribute)
        {
            return roots;
        }

        return roots.Where(root => !IsGenerated(CodeRoots.OwnerOf(root, cancellationToken), attribute)).ToList();
    }

    private static bool IsGenerated(ISymbol? symbol, INamedTypeSymbol attribute)
    {
        for (; symbol is not null; symbol = symbol is IMethodSymbol { AssociatedSymbol: { } property } ? property : symbol.ContainingSymbol)
        {
            if (symbol.GetAttributes().Any(data => SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute)))
            {
                return true;
            }
        }

        return false;
    }

    private FlagFlowResult Compute(IOperation root, SemanticModel model, EraPolicy policy, CancellationToken cancellationToken)
    {
        var analysis = new FlagFlowAnalysis(this, policy, model, ImmutableStack<IMethodSymbol>.Empty, cancellationToken);
        var facts = analysis.AnalyzeAll(root, model.GetDeclaredSymbol(root.Syntax, cancellationToken) as IMethodSymbol);
        return new FlagFlowResult(facts, analysis.Ops, analysis.Table, analysis.BeforeCalls);
    }
}
