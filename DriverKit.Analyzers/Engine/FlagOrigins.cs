using DriverKit.Runtime;
using Microsoft.CodeAnalysis;

namespace DriverKit.Analyzers.Engine;

/// <summary>Bits the analysis tracks besides the VmFlags values.</summary>
internal static class PseudoBits
{
    /// <summary>The VMA's vm_ops has a fault or nopage handler that hands out RAM pages.</summary>
    public const ulong RamFaultOps = 1UL << 62;

    /// <summary>The VMA's vm_ops has a fault, nopage or nopfn handler (whatever it hands out).</summary>
    public const ulong FaultOps = 1UL << 61;

    /// <summary>vm_insert_page or vm_map_pages inserted pages into the VMA.</summary>
    public const ulong InsertedPages = 1UL << 60;

    /// <summary>Only the real VmFlags bits.</summary>
    public const ulong FlagMask = ~(RamFaultOps | FaultOps | InsertedPages);
}

/// <summary>
/// The ordinals of the source nodes of one flag analysis: every constant, vm_ops assignment or helper call that sets a bit
/// gets a small number once, so that sets of sources are bitsets (<see cref="SourceSet"/>).
/// </summary>
internal sealed class SourceTable
{
    private readonly Dictionary<SyntaxNode, int> ordinals = new();
    private readonly List<SyntaxNode> nodes = new();
    private readonly List<FlagValue?> constants = new();

    public int Ordinal(SyntaxNode node)
    {
        if (!ordinals.TryGetValue(node, out var ordinal))
        {
            ordinal = nodes.Count;
            ordinals.Add(node, ordinal);
            nodes.Add(node);
        }

        return ordinal;
    }

    /// <summary>The value of a constant the driver wrote at <paramref name="node"/>, made once (a loop body is evaluated again and again).</summary>
    public FlagValue Constant(SyntaxNode node, ulong bits)
    {
        var ordinal = Ordinal(node);
        if (ordinal < constants.Count && constants[ordinal] is { } known && known.Bits == bits)
        {
            return known;
        }

        while (constants.Count <= ordinal)
        {
            constants.Add(null);
        }

        return constants[ordinal] = FlagValue.Constant(bits, ordinal);
    }

    /// <summary>The ordinal of a node that is a source, or -1.</summary>
    public int Find(SyntaxNode node) => ordinals.TryGetValue(node, out var ordinal) ? ordinal : -1;

    public SyntaxNode Node(int ordinal) => nodes[ordinal];
}

/// <summary>
/// Which bits are set and who set them: the driver's code (<see cref="Driver"/>) or runtime functions such as
/// remap_pfn_range (<see cref="Runtime"/>), and for the bits the rules report (<see cref="Attributed"/>) the driver's
/// source nodes. Immutable.
/// </summary>
internal sealed class FlagOrigins : IEquatable<FlagOrigins>
{
    /// <summary>The bits whose driver sources are kept: those the rules report at their source, and the vm_ops a rule names.</summary>
    public const ulong Attributed = LockedBit | LockOnFaultBit | ReservedBit | PseudoBits.RamFaultOps;

    private const ulong LockedBit = (ulong)VmFlags.Locked;
    private const ulong LockOnFaultBit = (ulong)VmFlags.LockOnFault;
    private const ulong ReservedBit = (ulong)VmFlags.Reserved;

    public static readonly FlagOrigins None = new(0, 0, SourceSet.Empty, SourceSet.Empty, SourceSet.Empty, SourceSet.Empty);

    // The driver's sources of each attributed bit.
    private readonly SourceSet locked;
    private readonly SourceSet lockOnFault;
    private readonly SourceSet reserved;
    private readonly SourceSet ops;

    private FlagOrigins(ulong driver, ulong runtime, SourceSet locked, SourceSet lockOnFault, SourceSet reserved, SourceSet ops)
    {
        Driver = driver;
        Runtime = runtime;
        this.locked = locked;
        this.lockOnFault = lockOnFault;
        this.reserved = reserved;
        this.ops = ops;
    }

    /// <summary>Bits the driver's own code set.</summary>
    public ulong Driver { get; }

    /// <summary>Bits runtime functions set.</summary>
    public ulong Runtime { get; }

    public ulong Bits => Driver | Runtime;

    public bool IsNone => Driver == 0 && Runtime == 0;

    /// <summary>Bits the driver set at the source with <paramref name="ordinal"/>.</summary>
    public static FlagOrigins FromDriver(ulong bits, int ordinal)
    {
        if (bits == 0)
        {
            return None;
        }

        var source = (bits & Attributed) == 0 ? SourceSet.Empty : SourceSet.Of(ordinal);
        return new FlagOrigins(
            bits,
            0,
            (bits & LockedBit) != 0 ? source : SourceSet.Empty,
            (bits & LockOnFaultBit) != 0 ? source : SourceSet.Empty,
            (bits & ReservedBit) != 0 ? source : SourceSet.Empty,
            (bits & PseudoBits.RamFaultOps) != 0 ? source : SourceSet.Empty);
    }

    /// <summary>Bits with no source: the operand of a complement, which only ever clears.</summary>
    public static FlagOrigins Plain(ulong bits) => bits == 0 ? None : new FlagOrigins(bits, 0, SourceSet.Empty, SourceSet.Empty, SourceSet.Empty, SourceSet.Empty);

    /// <summary>Bits a runtime function set.</summary>
    public static FlagOrigins FromRuntime(ulong bits) => bits == 0 ? None : new FlagOrigins(0, bits, SourceSet.Empty, SourceSet.Empty, SourceSet.Empty, SourceSet.Empty);

    public static FlagOrigins Union(FlagOrigins a, FlagOrigins b)
    {
        if (ReferenceEquals(a, b) || b.IsNone)
        {
            return a;
        }

        if (a.IsNone)
        {
            return b;
        }

        var locked = SourceSet.Union(a.locked, b.locked);
        var lockOnFault = SourceSet.Union(a.lockOnFault, b.lockOnFault);
        var reserved = SourceSet.Union(a.reserved, b.reserved);
        var ops = SourceSet.Union(a.ops, b.ops);
        var driver = a.Driver | b.Driver;
        var runtime = a.Runtime | b.Runtime;
        if (driver == a.Driver && runtime == a.Runtime && ReferenceEquals(locked, a.locked) && ReferenceEquals(lockOnFault, a.lockOnFault)
            && ReferenceEquals(reserved, a.reserved) && ReferenceEquals(ops, a.ops))
        {
            return a;
        }

        return new FlagOrigins(driver, runtime, locked, lockOnFault, reserved, ops);
    }

    /// <summary>Only the bits of <paramref name="keep"/>.</summary>
    public FlagOrigins Restrict(ulong keep) =>
        (Bits & ~keep) == 0
            ? this
            : new FlagOrigins(
                Driver & keep,
                Runtime & keep,
                (keep & LockedBit) != 0 ? locked : SourceSet.Empty,
                (keep & LockOnFaultBit) != 0 ? lockOnFault : SourceSet.Empty,
                (keep & ReservedBit) != 0 ? reserved : SourceSet.Empty,
                (keep & PseudoBits.RamFaultOps) != 0 ? ops : SourceSet.Empty);

    /// <summary>The same bits with every driver source attributed to the source with <paramref name="ordinal"/> (a helper call, a field read).</summary>
    public FlagOrigins ReattributeTo(int ordinal)
    {
        var source = SourceSet.Of(ordinal);
        return new FlagOrigins(
            Driver,
            Runtime,
            locked.IsEmpty ? SourceSet.Empty : source,
            lockOnFault.IsEmpty ? SourceSet.Empty : source,
            reserved.IsEmpty ? SourceSet.Empty : source,
            ops.IsEmpty ? SourceSet.Empty : source);
    }

    /// <summary>The driver's sources of the attributed bits among <paramref name="bits"/>, each with the bits it set.</summary>
    public IEnumerable<(int Ordinal, ulong Bits)> DriverSources(ulong bits)
    {
        var found = new Dictionary<int, ulong>();
        foreach (var (bit, set) in Sets())
        {
            if ((bit & bits) == 0)
            {
                continue;
            }

            foreach (var ordinal in set.Members())
            {
                found[ordinal] = found.TryGetValue(ordinal, out var known) ? known | bit : bit;
            }
        }

        return found.Select(pair => (pair.Key, pair.Value));
    }

    /// <summary>Whether the driver's source with <paramref name="ordinal"/> set the attributed <paramref name="bit"/>.</summary>
    public bool HasDriverSource(ulong bit, int ordinal) => Sets().Any(entry => entry.Bit == bit && entry.Set.Contains(ordinal));

    public bool Equals(FlagOrigins? other) =>
        ReferenceEquals(this, other)
        || (other is not null && Driver == other.Driver && Runtime == other.Runtime
            && locked.Count == other.locked.Count && lockOnFault.Count == other.lockOnFault.Count
            && reserved.Count == other.reserved.Count && ops.Count == other.ops.Count
            && locked.Equals(other.locked) && lockOnFault.Equals(other.lockOnFault) && reserved.Equals(other.reserved) && ops.Equals(other.ops));

    public override bool Equals(object? obj) => Equals(obj as FlagOrigins);

    public override int GetHashCode() =>
        unchecked((int)(Driver ^ (Driver >> 32) ^ (Runtime * 31)) + (locked.Count * 7) + (lockOnFault.Count * 11) + (reserved.Count * 13) + (ops.Count * 17));

    private IEnumerable<(ulong Bit, SourceSet Set)> Sets()
    {
        yield return (LockedBit, locked);
        yield return (LockOnFaultBit, lockOnFault);
        yield return (ReservedBit, reserved);
        yield return (PseudoBits.RamFaultOps, ops);
    }
}
