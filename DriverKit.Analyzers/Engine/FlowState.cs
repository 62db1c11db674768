using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The abstract state at one program point of the flag analysis: per VMA a set of <see cref="FlagFact"/>s (a missing VMA is
/// untouched), and the values of VmFlags locals. Immutable; joins are unions. A function touches a handful of VMAs and
/// locals and a VMA has at most <see cref="MaxFactsPerVma"/> facts, so all three are short arrays searched in order, which
/// costs less than hashed collections at that size.
/// </summary>
internal sealed class FlowState
{
    /// <summary>More path classes than this per VMA are merged into one (may-union), which keeps the analysis finite and small.</summary>
    public const int MaxFactsPerVma = 12;

    public static readonly FlowState Initial = new(Array.Empty<VmaFacts>(), Array.Empty<LocalEntry>());

    private static readonly ImmutableArray<FlagFact> Untouched = ImmutableArray.Create(FlagFact.Empty);

    private readonly VmaFacts[] vmas;
    private readonly LocalEntry[] locals;

    private FlowState(VmaFacts[] vmas, LocalEntry[] locals)
    {
        this.vmas = vmas;
        this.locals = locals;
    }

    /// <summary>Every VMA the code touched, with its facts.</summary>
    public IEnumerable<(VmaKey Key, ImmutableArray<FlagFact> Facts)> Vmas => vmas.Select(entry => (entry.Key, entry.Facts));

    public ImmutableArray<FlagFact> FactsOf(VmaKey key) => IndexOf(key) is var index and >= 0 ? vmas[index].Facts : Untouched;

    /// <summary>The value of a VmFlags local or parameter, or null when this path assigned none.</summary>
    public FlagValue? LocalValue(ISymbol local)
    {
        foreach (var entry in locals)
        {
            if (SymbolEqualityComparer.Default.Equals(entry.Symbol, local))
            {
                return entry.Value;
            }
        }

        return null;
    }

    public FlowState WithFacts(VmaKey key, ImmutableArray<FlagFact> facts)
    {
        facts = Bound(facts);
        var index = IndexOf(key);
        VmaFacts[] updated;
        if (index >= 0)
        {
            updated = (VmaFacts[])vmas.Clone();
            updated[index] = new VmaFacts(key, facts);
        }
        else
        {
            updated = new VmaFacts[vmas.Length + 1];
            Array.Copy(vmas, updated, vmas.Length);
            updated[vmas.Length] = new VmaFacts(key, facts);
        }

        return new FlowState(updated, locals);
    }

    /// <summary>Applies <paramref name="transform"/> to every fact of the VMA.</summary>
    public FlowState Update(VmaKey key, Func<FlagFact, FlagFact> transform)
    {
        var facts = FactsOf(key);
        var result = new FlagFact[facts.Length];
        var count = 0;
        var changed = false;
        foreach (var fact in facts)
        {
            var updated = transform(fact);
            changed |= !ReferenceEquals(updated, fact);
            if (Array.IndexOf(result, updated, 0, count) < 0)
            {
                result[count++] = updated;
            }
        }

        if (!changed && count == facts.Length && IndexOf(key) >= 0)
        {
            return this;
        }

        Array.Resize(ref result, count);
        return WithFacts(key, ImmutableCollectionsMarshal.AsImmutableArray(result));
    }

    public FlowState WithLocal(ISymbol local, FlagValue value)
    {
        for (var i = 0; i < locals.Length; i++)
        {
            if (SymbolEqualityComparer.Default.Equals(locals[i].Symbol, local))
            {
                var updated = (LocalEntry[])locals.Clone();
                updated[i] = new LocalEntry(local, value);
                return new FlowState(vmas, updated);
            }
        }

        var added = new LocalEntry[locals.Length + 1];
        Array.Copy(locals, added, locals.Length);
        added[locals.Length] = new LocalEntry(local, value);
        return new FlowState(vmas, added);
    }

    public static FlowState Join(FlowState a, FlowState b)
    {
        if (ReferenceEquals(a, b))
        {
            return a;
        }

        var vmas = JoinVmas(a, b);
        var locals = ReferenceEquals(a.locals, b.locals) ? a.locals : JoinLocals(a.locals, b.locals);
        return ReferenceEquals(vmas, a.vmas) && ReferenceEquals(locals, a.locals) ? a : new FlowState(vmas, locals);
    }

    public bool SameAs(FlowState other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (vmas.Length != other.vmas.Length || locals.Length != other.locals.Length)
        {
            return false;
        }

        foreach (var entry in vmas)
        {
            if (other.IndexOf(entry.Key) is not (var index and >= 0) || !SameFacts(entry.Facts, other.vmas[index].Facts))
            {
                return false;
            }
        }

        foreach (var entry in locals)
        {
            if (other.LocalValue(entry.Symbol) is not { } value || !value.SameAs(entry.Value))
            {
                return false;
            }
        }

        return true;
    }

    private int IndexOf(VmaKey key)
    {
        for (var i = 0; i < vmas.Length; i++)
        {
            if (vmas[i].Key.Equals(key))
            {
                return i;
            }
        }

        return -1;
    }

    private static VmaFacts[] JoinVmas(FlowState a, FlowState b)
    {
        if (ReferenceEquals(a.vmas, b.vmas))
        {
            return a.vmas;
        }

        List<VmaFacts>? result = null;
        for (var i = 0; i < a.vmas.Length; i++)
        {
            var entry = a.vmas[i];
            var union = Union(entry.Facts, b.FactsOf(entry.Key));
            if (union is { } facts)
            {
                result ??= a.vmas.Take(i).ToList();
                result.Add(new VmaFacts(entry.Key, Bound(facts)));
            }
            else
            {
                result?.Add(entry);
            }
        }

        foreach (var entry in b.vmas)
        {
            if (a.IndexOf(entry.Key) < 0)
            {
                // Untouched on a's paths: those paths bring the empty fact.
                result ??= a.vmas.ToList();
                result.Add(new VmaFacts(entry.Key, Bound(Union(entry.Facts, Untouched) ?? entry.Facts)));
            }
        }

        return result?.ToArray() ?? a.vmas;
    }

    private static ImmutableArray<FlagFact> Bound(ImmutableArray<FlagFact> facts)
    {
        if (facts.Length <= MaxFactsPerVma)
        {
            return facts;
        }

        var merged = facts[0];
        for (var i = 1; i < facts.Length; i++)
        {
            merged = FlagFact.Merge(merged, facts[i]);
        }

        return ImmutableArray.Create(merged);
    }

    /// <summary>The facts of <paramref name="a"/> and <paramref name="b"/> without duplicates; null when <paramref name="a"/> already holds them all.</summary>
    private static ImmutableArray<FlagFact>? Union(ImmutableArray<FlagFact> a, ImmutableArray<FlagFact> b)
    {
        if (a.Equals(b))
        {
            return null;
        }

        FlagFact[]? result = null;
        var count = 0;
        foreach (var fact in b)
        {
            if (a.Contains(fact) || (result is not null && Array.IndexOf(result, fact, a.Length, count - a.Length) >= 0))
            {
                continue;
            }

            if (result is null)
            {
                result = new FlagFact[a.Length + b.Length];
                a.CopyTo(result);
                count = a.Length;
            }

            result[count++] = fact;
        }

        if (result is null)
        {
            return null;
        }

        Array.Resize(ref result, count);
        return ImmutableCollectionsMarshal.AsImmutableArray(result);
    }

    private static bool SameFacts(ImmutableArray<FlagFact> a, ImmutableArray<FlagFact> b)
    {
        if (a.Equals(b))
        {
            return true;
        }

        if (a.Length != b.Length)
        {
            return false;
        }

        foreach (var fact in a)
        {
            if (!b.Contains(fact))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A value known on one side only may be anything on the other (an unassigned local has no flags we know of).</summary>
    private static LocalEntry[] JoinLocals(LocalEntry[] a, LocalEntry[] b)
    {
        LocalEntry[]? result = null;
        for (var i = 0; i < a.Length; i++)
        {
            var other = Find(b, a[i].Symbol);
            var joined = FlagValue.Join(a[i].Value, other ?? FlagValue.Unknown);
            if (!joined.SameAs(a[i].Value))
            {
                result ??= (LocalEntry[])a.Clone();
                result[i] = new LocalEntry(a[i].Symbol, joined);
            }
        }

        List<LocalEntry>? added = null;
        foreach (var entry in b)
        {
            if (Find(a, entry.Symbol) is null)
            {
                (added ??= new List<LocalEntry>()).Add(new LocalEntry(entry.Symbol, FlagValue.Join(FlagValue.Unknown, entry.Value)));
            }
        }

        if (added is not null)
        {
            return (result ?? a).Concat(added).ToArray();
        }

        return result ?? a;
    }

    private static FlagValue? Find(LocalEntry[] values, ISymbol symbol)
    {
        foreach (var entry in values)
        {
            if (SymbolEqualityComparer.Default.Equals(entry.Symbol, symbol))
            {
                return entry.Value;
            }
        }

        return null;
    }

    private readonly struct VmaFacts
    {
        public VmaFacts(VmaKey key, ImmutableArray<FlagFact> facts)
        {
            Key = key;
            Facts = facts;
        }

        public VmaKey Key { get; }

        public ImmutableArray<FlagFact> Facts { get; }
    }

    private readonly struct LocalEntry
    {
        public LocalEntry(ISymbol symbol, FlagValue value)
        {
            Symbol = symbol;
            Value = value;
        }

        public ISymbol Symbol { get; }

        public FlagValue Value { get; }
    }
}
