namespace DriverKit.Analyzers.Engine;

/// <summary>
/// What one class of paths did to a VMA's flags since the start of the analyzed method: the bits it may have set
/// (<see cref="Set"/>, with who set them), and the bits it certainly cleared (<see cref="Cleared"/>, used for helper
/// summaries). A VMA's state is a small set of facts, so that a combination is reported only when one path can reach it.
/// </summary>
internal sealed class FlagFact : IEquatable<FlagFact>
{
    public static readonly FlagFact Empty = new(FlagOrigins.None, 0);

    public FlagFact(FlagOrigins set, ulong cleared)
    {
        Set = set;
        Cleared = cleared;
    }

    public FlagOrigins Set { get; }

    public ulong Mask => Set.Bits;

    public ulong Cleared { get; }

    public FlagFact Add(FlagOrigins bits)
    {
        if (bits.IsNone)
        {
            return this;
        }

        var set = FlagOrigins.Union(Set, bits);
        var cleared = Cleared & ~bits.Bits;
        return ReferenceEquals(set, Set) && cleared == Cleared ? this : new FlagFact(set, cleared);
    }

    public FlagFact Clear(ulong bits)
    {
        var set = Set.Restrict(~bits);
        var cleared = Cleared | bits;
        return ReferenceEquals(set, Set) && cleared == Cleared ? this : new FlagFact(set, cleared);
    }

    /// <summary>The union of facts, used when too many path classes would have to be kept apart.</summary>
    public static FlagFact Merge(FlagFact a, FlagFact b) =>
        new(FlagOrigins.Union(a.Set, b.Set), a.Cleared & b.Cleared);

    public bool Equals(FlagFact? other) =>
        other is not null && (ReferenceEquals(this, other) || (Cleared == other.Cleared && Set.Equals(other.Set)));

    public override bool Equals(object? obj) => Equals(obj as FlagFact);

    public override int GetHashCode() => unchecked(Set.GetHashCode() ^ (int)(Cleared * 31));
}
