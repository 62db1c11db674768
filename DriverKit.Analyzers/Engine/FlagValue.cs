using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace DriverKit.Analyzers.Engine;

/// <summary>Where a flag bit came from: a syntax node in the analyzed code, and whether the runtime set it (remap_pfn_range) rather than the driver.</summary>
internal readonly struct SourceKey : IEquatable<SourceKey>
{
    public SourceKey(SyntaxNode node, bool runtime)
    {
        Node = node;
        Runtime = runtime;
    }

    public SyntaxNode Node { get; }

    public bool Runtime { get; }

    public bool Equals(SourceKey other) => Node == other.Node && Runtime == other.Runtime;

    public override bool Equals(object? obj) => obj is SourceKey other && Equals(other);

    public override int GetHashCode() => unchecked((Node.GetHashCode() * 2) + (Runtime ? 1 : 0));
}

/// <summary>Bits the analysis tracks besides the VmFlags values.</summary>
internal static class PseudoBits
{
    /// <summary>The VMA's vm_ops has a fault or nopage handler that hands out RAM pages.</summary>
    public const ulong RamFaultOps = 1UL << 62;

    /// <summary>Only the real VmFlags bits.</summary>
    public const ulong FlagMask = ~RamFaultOps;
}

/// <summary>Source maps: which source contributed which bits.</summary>
internal static class Sources
{
    public static readonly ImmutableDictionary<SourceKey, ulong> Empty = ImmutableDictionary<SourceKey, ulong>.Empty;

    public static ImmutableDictionary<SourceKey, ulong> Union(ImmutableDictionary<SourceKey, ulong> a, ImmutableDictionary<SourceKey, ulong> b)
    {
        if (a.IsEmpty)
        {
            return b;
        }

        if (b.IsEmpty || ReferenceEquals(a, b))
        {
            return a;
        }

        var builder = a.ToBuilder();
        foreach (var pair in b)
        {
            builder[pair.Key] = builder.TryGetValue(pair.Key, out var bits) ? bits | pair.Value : pair.Value;
        }

        return builder.ToImmutable();
    }

    /// <summary>The map restricted to <paramref name="keep"/>; sources left without bits are dropped.</summary>
    public static ImmutableDictionary<SourceKey, ulong> Restrict(ImmutableDictionary<SourceKey, ulong> sources, ulong keep)
    {
        if (sources.IsEmpty || keep == ulong.MaxValue)
        {
            return sources;
        }

        var builder = sources.ToBuilder();
        foreach (var pair in sources)
        {
            var bits = pair.Value & keep;
            if (bits == 0)
            {
                builder.Remove(pair.Key);
            }
            else if (bits != pair.Value)
            {
                builder[pair.Key] = bits;
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>Every source re-attributed to <paramref name="node"/> (a helper call, a field read).</summary>
    public static ImmutableDictionary<SourceKey, ulong> Reattribute(ImmutableDictionary<SourceKey, ulong> sources, SyntaxNode node)
    {
        ulong driver = 0, runtime = 0;
        foreach (var pair in sources)
        {
            if (pair.Key.Runtime)
            {
                runtime |= pair.Value;
            }
            else
            {
                driver |= pair.Value;
            }
        }

        var result = Empty;
        if (driver != 0)
        {
            result = result.Add(new SourceKey(node, runtime: false), driver);
        }

        if (runtime != 0)
        {
            result = result.Add(new SourceKey(node, runtime: true), runtime);
        }

        return result;
    }

    public static bool Equal(ImmutableDictionary<SourceKey, ulong> a, ImmutableDictionary<SourceKey, ulong> b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (var pair in a)
        {
            if (!b.TryGetValue(pair.Key, out var bits) || bits != pair.Value)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// The abstract value of a VmFlags expression: the bits it may contain (<see cref="Exact"/> when they are exactly known),
/// where they came from, and optionally the current flags of a VMA it was computed from (<c>vma.Flags | X</c>).
/// <see cref="IsComplement"/> marks <c>~X</c> with exactly known X, the operand of <c>&amp;=</c>.
/// </summary>
internal sealed class FlagValue
{
    public static readonly FlagValue Unknown = new(0, exact: false, Sources.Empty);

    public static readonly FlagValue Zero = new(0, exact: true, Sources.Empty);

    public FlagValue(ulong bits, bool exact, ImmutableDictionary<SourceKey, ulong> sources, VmaKey? baseVma = null, ulong baseKeep = 0, bool isComplement = false)
    {
        Bits = bits;
        Exact = exact;
        SourceMap = sources;
        BaseVma = baseVma;
        BaseKeep = baseVma is null ? 0 : baseKeep;
        IsComplement = isComplement;
    }

    public ulong Bits { get; }

    public bool Exact { get; }

    public ImmutableDictionary<SourceKey, ulong> SourceMap { get; }

    public VmaKey? BaseVma { get; }

    public ulong BaseKeep { get; }

    public bool IsComplement { get; }

    /// <summary>A constant from one source node.</summary>
    public static FlagValue Constant(ulong bits, SyntaxNode source) =>
        new(bits, exact: true, bits == 0 ? Sources.Empty : Sources.Empty.Add(new SourceKey(source, runtime: false), bits));

    /// <summary>The current flags of a VMA.</summary>
    public static FlagValue OfVma(VmaKey key) => new(0, exact: true, Sources.Empty, key, ulong.MaxValue);

    public static FlagValue Or(FlagValue a, FlagValue b)
    {
        if (a.IsComplement || b.IsComplement)
        {
            return Unknown;
        }

        var (baseVma, keep) = MergeBase(a, b);
        return new FlagValue(a.Bits | b.Bits, a.Exact && b.Exact, Sources.Union(a.SourceMap, b.SourceMap), baseVma, keep);
    }

    /// <summary><c>a &amp; b</c>: clears what a complement clears, keeps what an exact mask keeps; otherwise may keep everything.</summary>
    public static FlagValue And(FlagValue a, FlagValue b)
    {
        if (b.IsComplement && !a.IsComplement)
        {
            return a.ClearBits(b.Bits);
        }

        if (a.IsComplement && !b.IsComplement)
        {
            return b.ClearBits(a.Bits);
        }

        if (b.Exact && b.BaseVma is null && !b.IsComplement)
        {
            return a.IsComplement ? Unknown : a.KeepBits(b.Bits);
        }

        if (a.Exact && a.BaseVma is null && !a.IsComplement)
        {
            return b.IsComplement ? Unknown : b.KeepBits(a.Bits);
        }

        return a.IsComplement || b.IsComplement ? Unknown : new FlagValue(a.Bits & b.Bits, exact: false, Sources.Restrict(Sources.Union(a.SourceMap, b.SourceMap), a.Bits & b.Bits));
    }

    public FlagValue Complement() => Exact && BaseVma is null && !IsComplement
        ? new FlagValue(Bits, exact: true, Sources.Empty, isComplement: true)
        : Unknown;

    /// <summary>The join of two values that reach the same point (a conditional, a merge of paths).</summary>
    public static FlagValue Join(FlagValue a, FlagValue b)
    {
        if (ReferenceEquals(a, b))
        {
            return a;
        }

        if (a.IsComplement || b.IsComplement)
        {
            return a.IsComplement && b.IsComplement && a.Bits == b.Bits ? a : Unknown;
        }

        var (baseVma, keep) = MergeBase(a, b);
        var exact = a.Exact && b.Exact && a.Bits == b.Bits && Nullable.Equals(a.BaseVma, b.BaseVma);
        return new FlagValue(a.Bits | b.Bits, exact, Sources.Union(a.SourceMap, b.SourceMap), baseVma, keep);
    }

    /// <summary>The same value with every source attributed to <paramref name="node"/>.</summary>
    public FlagValue ReattributeTo(SyntaxNode node) =>
        new(Bits, Exact, Sources.Reattribute(SourceMap, node), BaseVma, BaseKeep, IsComplement);

    public bool SameAs(FlagValue other) =>
        ReferenceEquals(this, other)
        || (Bits == other.Bits && Exact == other.Exact && IsComplement == other.IsComplement && BaseKeep == other.BaseKeep
            && Nullable.Equals(BaseVma, other.BaseVma) && Sources.Equal(SourceMap, other.SourceMap));

    private FlagValue ClearBits(ulong bits) =>
        new(Bits & ~bits, Exact, Sources.Restrict(SourceMap, ~bits), BaseVma, BaseKeep & ~bits);

    private FlagValue KeepBits(ulong bits) =>
        new(Bits & bits, Exact, Sources.Restrict(SourceMap, bits), BaseVma, BaseKeep & bits);

    private static (VmaKey? BaseVma, ulong Keep) MergeBase(FlagValue a, FlagValue b)
    {
        if (a.BaseVma is null)
        {
            return (b.BaseVma, b.BaseKeep);
        }

        if (b.BaseVma is null || a.BaseVma.Value.Equals(b.BaseVma.Value))
        {
            return (a.BaseVma, a.BaseKeep | (b.BaseVma is null ? 0 : b.BaseKeep));
        }

        return (a.BaseVma, a.BaseKeep);
    }
}
