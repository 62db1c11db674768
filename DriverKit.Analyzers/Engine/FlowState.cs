using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The abstract state at one program point: per VMA a set of <see cref="FlagFact"/>s (a missing VMA is untouched), and
/// the values of VmFlags locals and flow captures. Immutable; joins are unions.
/// </summary>
internal sealed class FlowState
{
    /// <summary>More path classes than this per VMA are merged into one (may-union), which keeps the analysis finite and small.</summary>
    public const int MaxFactsPerVma = 12;

    public static readonly FlowState Initial = new(
        ImmutableDictionary<VmaKey, ImmutableHashSet<FlagFact>>.Empty,
        ImmutableDictionary.Create<ISymbol, FlagValue>(SymbolEqualityComparer.Default),
        ImmutableDictionary<CaptureId, FlagValue>.Empty);

    private static readonly ImmutableHashSet<FlagFact> Untouched = ImmutableHashSet.Create(FlagFact.Empty);

    private FlowState(
        ImmutableDictionary<VmaKey, ImmutableHashSet<FlagFact>> vmas,
        ImmutableDictionary<ISymbol, FlagValue> locals,
        ImmutableDictionary<CaptureId, FlagValue> captures)
    {
        Vmas = vmas;
        Locals = locals;
        Captures = captures;
    }

    public ImmutableDictionary<VmaKey, ImmutableHashSet<FlagFact>> Vmas { get; }

    public ImmutableDictionary<ISymbol, FlagValue> Locals { get; }

    public ImmutableDictionary<CaptureId, FlagValue> Captures { get; }

    public ImmutableHashSet<FlagFact> FactsOf(VmaKey key) => Vmas.TryGetValue(key, out var facts) ? facts : Untouched;

    public FlowState WithFacts(VmaKey key, ImmutableHashSet<FlagFact> facts) =>
        new(Vmas.SetItem(key, Bound(facts)), Locals, Captures);

    /// <summary>Applies <paramref name="transform"/> to every fact of the VMA.</summary>
    public FlowState Update(VmaKey key, Func<FlagFact, FlagFact> transform)
    {
        var builder = ImmutableHashSet.CreateBuilder<FlagFact>();
        foreach (var fact in FactsOf(key))
        {
            builder.Add(transform(fact));
        }

        return WithFacts(key, builder.ToImmutable());
    }

    public FlowState WithLocal(ISymbol local, FlagValue value) => new(Vmas, Locals.SetItem(local, value), Captures);

    public FlowState WithCapture(CaptureId id, FlagValue value) => new(Vmas, Locals, Captures.SetItem(id, value));

    public static FlowState Join(FlowState a, FlowState b)
    {
        if (ReferenceEquals(a, b))
        {
            return a;
        }

        var vmas = a.Vmas;
        foreach (var pair in b.Vmas)
        {
            vmas = vmas.SetItem(pair.Key, Bound(a.FactsOf(pair.Key).Union(pair.Value)));
        }

        foreach (var pair in a.Vmas)
        {
            if (!b.Vmas.ContainsKey(pair.Key))
            {
                vmas = vmas.SetItem(pair.Key, Bound(pair.Value.Add(FlagFact.Empty)));
            }
        }

        return new FlowState(vmas, JoinValues(a.Locals, b.Locals), JoinValues(a.Captures, b.Captures));
    }

    public bool SameAs(FlowState other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (Vmas.Count != other.Vmas.Count || Locals.Count != other.Locals.Count || Captures.Count != other.Captures.Count)
        {
            return false;
        }

        foreach (var pair in Vmas)
        {
            if (!other.Vmas.TryGetValue(pair.Key, out var facts) || !facts.SetEquals(pair.Value))
            {
                return false;
            }
        }

        return SameValues(Locals, other.Locals) && SameValues(Captures, other.Captures);
    }

    private static ImmutableHashSet<FlagFact> Bound(ImmutableHashSet<FlagFact> facts)
    {
        if (facts.Count <= MaxFactsPerVma)
        {
            return facts;
        }

        var merged = FlagFact.Empty;
        var first = true;
        foreach (var fact in facts)
        {
            merged = first ? fact : FlagFact.Merge(merged, fact);
            first = false;
        }

        return ImmutableHashSet.Create(merged);
    }

    /// <summary>A value known on one side only may be anything on the other (an unassigned local has no flags we know of).</summary>
    private static ImmutableDictionary<TKey, FlagValue> JoinValues<TKey>(ImmutableDictionary<TKey, FlagValue> a, ImmutableDictionary<TKey, FlagValue> b)
        where TKey : notnull
    {
        var result = a;
        foreach (var pair in b)
        {
            result = result.SetItem(pair.Key, a.TryGetValue(pair.Key, out var value) ? FlagValue.Join(value, pair.Value) : FlagValue.Join(FlagValue.Unknown, pair.Value));
        }

        foreach (var pair in a)
        {
            if (!b.ContainsKey(pair.Key))
            {
                result = result.SetItem(pair.Key, FlagValue.Join(FlagValue.Unknown, pair.Value));
            }
        }

        return result;
    }

    private static bool SameValues<TKey>(ImmutableDictionary<TKey, FlagValue> a, ImmutableDictionary<TKey, FlagValue> b)
        where TKey : notnull
    {
        foreach (var pair in a)
        {
            if (!b.TryGetValue(pair.Key, out var value) || !value.SameAs(pair.Value))
            {
                return false;
            }
        }

        return true;
    }
}
