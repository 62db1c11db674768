using System.Collections.Concurrent;
using System.Collections.Immutable;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>What a helper does to the flags of one of its VmArea parameters.</summary>
internal sealed class ParameterEffect
{
    public ParameterEffect(ulong driverBits, ulong runtimeBits, ulong mustClear, OpsInfo? ops)
    {
        DriverBits = driverBits;
        RuntimeBits = runtimeBits;
        MustClear = mustClear;
        Ops = ops;
    }

    /// <summary>Bits the helper's own code may set.</summary>
    public ulong DriverBits { get; }

    /// <summary>Bits runtime functions it calls may set (remap_pfn_range).</summary>
    public ulong RuntimeBits { get; }

    /// <summary>Bits it clears on every path.</summary>
    public ulong MustClear { get; }

    /// <summary>The RAM-page handler of the vm_ops it installs, if any.</summary>
    public OpsInfo? Ops { get; }
}

/// <summary>A helper method's effect on its VmArea parameters and its VmFlags return value.</summary>
internal sealed class HelperSummary
{
    public static readonly HelperSummary Empty = new(ImmutableDictionary<int, ParameterEffect>.Empty, null);

    public HelperSummary(ImmutableDictionary<int, ParameterEffect> parameters, FlagValue? returnValue)
    {
        Parameters = parameters;
        Return = returnValue;
    }

    /// <summary>Effects by parameter ordinal.</summary>
    public ImmutableDictionary<int, ParameterEffect> Parameters { get; }

    public FlagValue? Return { get; }
}

/// <summary>
/// Summaries of helper methods of the compilation, computed on demand by the same flag analysis and cached per method and
/// era. A request from analyzed code first computes the summaries of the helpers its helper calls, bottom-up with a work
/// list rather than by recursion, so a chain of a thousand helpers costs a thousand analyses and no stack. A call back into a
/// helper still being computed (recursion) is cut; summaries computed with a cut are not cached, so a cached summary never
/// depends on who asked first. Calls the work list did not foresee recurse, at most <see cref="MaxDepth"/> deep.
/// </summary>
internal sealed class HelperSummaries
{
    public const int MaxDepth = 4;

    private readonly DriverKitEngine engine;
    private readonly ConcurrentDictionary<(ISymbol Method, EraPolicy Policy), HelperSummary> cache = new(new KeyComparer());

    public HelperSummaries(DriverKitEngine engine) => this.engine = engine;

    public HelperSummary Get(IMethodSymbol method, EraPolicy policy, ImmutableStack<IMethodSymbol> stack, CancellationToken cancellationToken, out bool complete)
    {
        complete = true;
        method = method.OriginalDefinition;
        if (!Summarizable(method))
        {
            return HelperSummary.Empty;
        }

        if (cache.TryGetValue((method, policy), out var cached))
        {
            return cached;
        }

        if (stack.IsEmpty)
        {
            ComputeCallees(method, policy, cancellationToken);
        }

        if (stack.Count() >= MaxDepth || stack.Contains(method, SymbolEqualityComparer.Default))
        {
            complete = false;
            return HelperSummary.Empty;
        }

        return Compute(method, policy, stack, cancellationToken, out complete);
    }

    private static bool Summarizable(IMethodSymbol method) =>
        !method.IsAbstract && !(method.IsVirtual && !method.IsSealed && method.ContainingType?.TypeKind == TypeKind.Interface);

    /// <summary>
    /// Summarizes, callees first, the helpers reachable from <paramref name="method"/>'s calls that the flag analysis will ask
    /// about, so that computing a summary finds its callees' summaries cached.
    /// </summary>
    private void ComputeCallees(IMethodSymbol method, EraPolicy policy, CancellationToken cancellationToken)
    {
        var onPath = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        var work = new Stack<(IMethodSymbol Method, bool Expanded)>();
        foreach (var callee in Callees(method, cancellationToken))
        {
            work.Push((callee, false));
        }

        while (work.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (current, expanded) = work.Pop();
            if (cache.ContainsKey((current, policy)))
            {
                continue;
            }

            if (expanded)
            {
                Compute(current, policy, ImmutableStack<IMethodSymbol>.Empty, cancellationToken, out _);
                onPath.Remove(current);
                continue;
            }

            if (SymbolEqualityComparer.Default.Equals(current, method) || !onPath.Add(current))
            {
                continue;
            }

            work.Push((current, true));
            foreach (var callee in Callees(current, cancellationToken))
            {
                if (!onPath.Contains(callee) && !cache.ContainsKey((callee, policy)))
                {
                    work.Push((callee, false));
                }
            }
        }
    }

    /// <summary>The helpers a method's code calls that the flag analysis summarizes: with a VmArea argument or a VmFlags result.</summary>
    private IEnumerable<IMethodSymbol> Callees(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (engine.Bodies.Get(method, cancellationToken) is not { } body)
        {
            yield break;
        }

        foreach (var operation in body.Code.DescendantsAndSelf())
        {
            if (operation is IInvocationOperation invocation
                && engine.Symbols.Classify(invocation.TargetMethod) == KernelApi.None
                && Summarizable(invocation.TargetMethod.OriginalDefinition)
                && (engine.Symbols.IsVmFlags(invocation.Type) || invocation.Arguments.Any(argument => engine.Symbols.IsVmArea(argument.Parameter?.Type))))
            {
                yield return invocation.TargetMethod.OriginalDefinition;
            }
        }
    }

    private HelperSummary Compute(IMethodSymbol method, EraPolicy policy, ImmutableStack<IMethodSymbol> stack, CancellationToken cancellationToken, out bool complete)
    {
        complete = true;
        if (engine.Bodies.Get(method, cancellationToken) is not { } body
            || (method.ReturnType is not ITypeParameterSymbol && !engine.Symbols.IsVmFlags(method.ReturnType) && !engine.Sources.TouchesVma(body.Operation)))
        {
            // A helper that returns no VmFlags and touches no VMA has no effect to summarize: it is not analyzed.
            cache.TryAdd((method, policy), HelperSummary.Empty);
            return HelperSummary.Empty;
        }

        var analysis = new FlagFlowAnalysis(engine, policy, body.Model, stack.Push(method), cancellationToken);
        var (exit, returnValue) = analysis.AnalyzeOne(body.Code);
        var parameters = ImmutableDictionary.CreateBuilder<int, ParameterEffect>();
        foreach (var parameter in method.Parameters)
        {
            if (exit is null || !engine.Symbols.IsVmArea(parameter.Type)
                || Effect(exit.FactsOf(new VmaKey(parameter)), analysis.Ops, analysis.Table) is not { } effect)
            {
                continue;
            }

            parameters[parameter.Ordinal] = effect;
        }

        var summary = new HelperSummary(parameters.ToImmutable(), returnValue);
        complete = !analysis.Truncated;
        if (complete)
        {
            cache.TryAdd((method, policy), summary);
        }

        return summary;
    }

    private static ParameterEffect? Effect(ImmutableArray<FlagFact> facts, ImmutableDictionary<SyntaxNode, OpsInfo> ops, SourceTable table)
    {
        ulong driver = 0, runtime = 0, mustClear = ulong.MaxValue;
        OpsInfo? opsInfo = null;
        foreach (var fact in facts)
        {
            mustClear &= fact.Cleared;
            driver |= fact.Set.Driver;
            runtime |= fact.Set.Runtime;
            foreach (var source in fact.Set.DriverSources(PseudoBits.RamFaultOps))
            {
                if (ops.TryGetValue(table.Node(source.Ordinal), out var info))
                {
                    opsInfo ??= info;
                }
            }
        }

        if (facts.IsEmpty)
        {
            mustClear = 0;
        }

        return driver == 0 && runtime == 0 && mustClear == 0 ? null : new ParameterEffect(driver, runtime, mustClear, opsInfo);
    }

    private sealed class KeyComparer : IEqualityComparer<(ISymbol Method, EraPolicy Policy)>
    {
        public bool Equals((ISymbol Method, EraPolicy Policy) x, (ISymbol Method, EraPolicy Policy) y) =>
            ReferenceEquals(x.Policy, y.Policy) && SymbolEqualityComparer.Default.Equals(x.Method, y.Method);

        public int GetHashCode((ISymbol Method, EraPolicy Policy) obj) =>
            unchecked((SymbolEqualityComparer.Default.GetHashCode(obj.Method) * 31) + obj.Policy.GetHashCode());
    }
}
