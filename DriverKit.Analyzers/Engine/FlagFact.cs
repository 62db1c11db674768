using System.Collections.Immutable;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// What one class of paths did to a VMA's flags since the start of the analyzed method: the bits it may have set
/// (<see cref="Mask"/>, with their <see cref="SourceMap"/>), and the bits it certainly cleared (<see cref="Cleared"/>,
/// used for helper summaries). A VMA's state is a small set of facts, so that a combination is reported only when one
/// path can reach it.
/// </summary>
internal sealed class FlagFact : IEquatable<FlagFact>
{
    public static readonly FlagFact Empty = new(0, 0, Sources.Empty);

    public FlagFact(ulong mask, ulong cleared, ImmutableDictionary<SourceKey, ulong> sources)
    {
        Mask = mask;
        Cleared = cleared;
        SourceMap = sources;
    }

    public ulong Mask { get; }

    public ulong Cleared { get; }

    public ImmutableDictionary<SourceKey, ulong> SourceMap { get; }

    public FlagFact Add(ulong bits, ImmutableDictionary<SourceKey, ulong> sources) =>
        bits == 0 ? this : new FlagFact(Mask | bits, Cleared & ~bits, Sources.Union(SourceMap, Sources.Restrict(sources, bits)));

    public FlagFact Clear(ulong bits) =>
        bits == 0 ? this : new FlagFact(Mask & ~bits, Cleared | bits, Sources.Restrict(SourceMap, ~bits));

    /// <summary>The union of facts, used when too many path classes would have to be kept apart.</summary>
    public static FlagFact Merge(FlagFact a, FlagFact b) =>
        new(a.Mask | b.Mask, a.Cleared & b.Cleared, Sources.Union(a.SourceMap, b.SourceMap));

    public bool Equals(FlagFact? other) =>
        other is not null && (ReferenceEquals(this, other)
            || (Mask == other.Mask && Cleared == other.Cleared && Sources.Equal(SourceMap, other.SourceMap)));

    public override bool Equals(object? obj) => Equals(obj as FlagFact);

    public override int GetHashCode() => unchecked((int)(Mask ^ (Mask >> 32) ^ (Cleared * 31)) ^ SourceMap.Count);
}
