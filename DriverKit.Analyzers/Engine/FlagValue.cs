namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The abstract value of a VmFlags expression: the bits it may contain (<see cref="Exact"/> when they are exactly known),
/// who set them (<see cref="Set"/>), and optionally the current flags of a VMA it was computed from (<c>vma.Flags | X</c>).
/// <see cref="IsComplement"/> marks <c>~X</c> with exactly known X, the operand of <c>&amp;=</c>.
/// </summary>
internal sealed class FlagValue
{
    public static readonly FlagValue Unknown = new(FlagOrigins.None, exact: false);

    public static readonly FlagValue Zero = new(FlagOrigins.None, exact: true);

    public FlagValue(FlagOrigins set, bool exact, VmaKey? baseVma = null, ulong baseKeep = 0, bool isComplement = false)
    {
        Set = set;
        Exact = exact;
        BaseVma = baseVma;
        BaseKeep = baseVma is null ? 0 : baseKeep;
        IsComplement = isComplement;
    }

    public FlagOrigins Set { get; }

    public ulong Bits => Set.Bits;

    public bool Exact { get; }

    public VmaKey? BaseVma { get; }

    public ulong BaseKeep { get; }

    public bool IsComplement { get; }

    /// <summary>A constant the driver wrote at the source with <paramref name="ordinal"/>.</summary>
    public static FlagValue Constant(ulong bits, int ordinal) => new(FlagOrigins.FromDriver(bits, ordinal), exact: true);

    /// <summary>The current flags of a VMA.</summary>
    public static FlagValue OfVma(VmaKey key) => new(FlagOrigins.None, exact: true, key, ulong.MaxValue);

    public static FlagValue Or(FlagValue a, FlagValue b)
    {
        if (a.IsComplement || b.IsComplement)
        {
            return Unknown;
        }

        var (baseVma, keep) = MergeBase(a, b);
        return new FlagValue(FlagOrigins.Union(a.Set, b.Set), a.Exact && b.Exact, baseVma, keep);
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

        return a.IsComplement || b.IsComplement
            ? Unknown
            : new FlagValue(FlagOrigins.Union(a.Set, b.Set).Restrict(a.Bits & b.Bits), exact: false);
    }

    public FlagValue Complement() => Exact && BaseVma is null && !IsComplement
        ? new FlagValue(FlagOrigins.Plain(Bits), exact: true, isComplement: true)
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
        return new FlagValue(FlagOrigins.Union(a.Set, b.Set), exact, baseVma, keep);
    }

    /// <summary>The same value with every source attributed to the source with <paramref name="ordinal"/>.</summary>
    public FlagValue ReattributeTo(int ordinal) => new(Set.ReattributeTo(ordinal), Exact, BaseVma, BaseKeep, IsComplement);

    public bool SameAs(FlagValue other) =>
        ReferenceEquals(this, other)
        || (Exact == other.Exact && IsComplement == other.IsComplement && BaseKeep == other.BaseKeep
            && Nullable.Equals(BaseVma, other.BaseVma) && Set.Equals(other.Set));

    private FlagValue ClearBits(ulong bits) => new(Set.Restrict(~bits), Exact, BaseVma, BaseKeep & ~bits);

    private FlagValue KeepBits(ulong bits) => new(Set.Restrict(bits), Exact, BaseVma, BaseKeep & bits);

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
