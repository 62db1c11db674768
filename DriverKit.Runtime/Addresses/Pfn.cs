using System.Globalization;

namespace DriverKit.Runtime;

/// <summary>
/// A page frame number. Not interchangeable with <see cref="PhysAddr"/>: passing a physical address where a pfn is
/// expected (DKMM008) does not compile; convert explicitly with <see cref="PhysAddr.ToPfn"/>.
/// </summary>
/// <param name="Value">The frame number: the physical address &gt;&gt; PAGE_SHIFT (PHYS_PFN).</param>
public readonly record struct Pfn(ulong Value) : IComparable<Pfn>
{
    /// <summary>The pfn <paramref name="count"/> frames further on.</summary>
    /// <param name="pfn">The start.</param>
    /// <param name="count">Frames to advance.</param>
    public static Pfn operator +(Pfn pfn, ulong count) => new(checked(pfn.Value + count));

    /// <summary>The pfn <paramref name="count"/> frames further on (or back, when negative).</summary>
    /// <param name="pfn">The start.</param>
    /// <param name="count">Frames to advance.</param>
    public static Pfn operator +(Pfn pfn, long count) => new(checked((ulong)((long)pfn.Value + count)));

    /// <summary>The number of frames between two pfns (may be negative).</summary>
    /// <param name="a">Later pfn.</param>
    /// <param name="b">Earlier pfn.</param>
    public static long operator -(Pfn a, Pfn b) => (long)(a.Value - b.Value);

    /// <summary>Orders pfns.</summary>
    public static bool operator <(Pfn a, Pfn b) => a.Value < b.Value;

    /// <summary>Orders pfns.</summary>
    public static bool operator >(Pfn a, Pfn b) => a.Value > b.Value;

    /// <summary>Orders pfns.</summary>
    public static bool operator <=(Pfn a, Pfn b) => a.Value <= b.Value;

    /// <summary>Orders pfns.</summary>
    public static bool operator >=(Pfn a, Pfn b) => a.Value >= b.Value;

    /// <summary>The physical address of the frame's first byte (PFN_PHYS).</summary>
    public PhysAddr ToPhysAddr() => new(checked(Value << Kernel.PageShift));

    /// <inheritdoc />
    public int CompareTo(Pfn other) => Value.CompareTo(other.Value);

    /// <summary>The pfn in the kernel's <c>%05lx</c> form.</summary>
    public override string ToString() => Value.ToString("x5", CultureInfo.InvariantCulture);
}

/// <summary>phys_addr_t: a physical address. Arithmetic with byte offsets only; <see cref="ToPfn"/> drops the page offset.</summary>
/// <param name="Value">The address in bytes.</param>
public readonly record struct PhysAddr(ulong Value) : IComparable<PhysAddr>
{
    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    /// <param name="a">The start.</param>
    /// <param name="bytes">Bytes to advance.</param>
    public static PhysAddr operator +(PhysAddr a, ulong bytes) => new(checked(a.Value + bytes));

    /// <summary>The distance in bytes between two addresses.</summary>
    /// <param name="a">Later address.</param>
    /// <param name="b">Earlier address.</param>
    public static ulong operator -(PhysAddr a, PhysAddr b) => checked(a.Value - b.Value);

    /// <summary>Orders addresses.</summary>
    public static bool operator <(PhysAddr a, PhysAddr b) => a.Value < b.Value;

    /// <summary>Orders addresses.</summary>
    public static bool operator >(PhysAddr a, PhysAddr b) => a.Value > b.Value;

    /// <summary>Orders addresses.</summary>
    public static bool operator <=(PhysAddr a, PhysAddr b) => a.Value <= b.Value;

    /// <summary>Orders addresses.</summary>
    public static bool operator >=(PhysAddr a, PhysAddr b) => a.Value >= b.Value;

    /// <summary>The frame holding this address (PHYS_PFN / PFN_DOWN).</summary>
    public Pfn ToPfn() => new(Value >> Kernel.PageShift);

    /// <summary>The offset within the page (offset_in_page).</summary>
    public ulong PageOffset => Value & (Kernel.PageSize - 1);

    /// <inheritdoc />
    public int CompareTo(PhysAddr other) => Value.CompareTo(other.Value);

    /// <summary>The address in hex.</summary>
    public override string ToString() => "0x" + Value.ToString("x", CultureInfo.InvariantCulture);
}
