using System.Globalization;

namespace DriverKit.Runtime;

/// <summary>
/// A kernel virtual address in the linear map (what kmalloc and __get_free_pages return). Only linear-map
/// addresses convert to physical ones (virt_to_phys); a <see cref="VmallocAddr"/> does not.
/// </summary>
/// <param name="Value">The address (0 is NULL).</param>
public readonly record struct KernelAddr(ulong Value) : IComparable<KernelAddr>
{
    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    /// <param name="a">The start.</param>
    /// <param name="bytes">Bytes to advance.</param>
    public static KernelAddr operator +(KernelAddr a, ulong bytes) => new(checked(a.Value + bytes));

    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    /// <param name="a">The start.</param>
    /// <param name="bytes">Bytes to advance (not negative).</param>
    public static KernelAddr operator +(KernelAddr a, long bytes) => new(checked(a.Value + (ulong)bytes));

    /// <summary>The distance in bytes between two addresses.</summary>
    /// <param name="a">Later address.</param>
    /// <param name="b">Earlier address.</param>
    public static ulong operator -(KernelAddr a, KernelAddr b) => checked(a.Value - b.Value);

    /// <summary>Orders addresses.</summary>
    public static bool operator <(KernelAddr a, KernelAddr b) => a.Value < b.Value;

    /// <summary>Orders addresses.</summary>
    public static bool operator >(KernelAddr a, KernelAddr b) => a.Value > b.Value;

    /// <summary>True for the NULL address kmalloc and __get_free_pages return on failure.</summary>
    public bool IsNull => Value == 0;

    /// <inheritdoc />
    public int CompareTo(KernelAddr other) => Value.CompareTo(other.Value);

    /// <summary>The address in hex.</summary>
    public override string ToString() => "0x" + Value.ToString("x16", CultureInfo.InvariantCulture);
}

/// <summary>A kernel virtual address in the vmalloc area (what vmalloc returns): page-contiguous, physically scattered.</summary>
/// <param name="Value">The address (0 is NULL).</param>
public readonly record struct VmallocAddr(ulong Value) : IComparable<VmallocAddr>
{
    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    /// <param name="a">The start.</param>
    /// <param name="bytes">Bytes to advance.</param>
    public static VmallocAddr operator +(VmallocAddr a, ulong bytes) => new(checked(a.Value + bytes));

    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    /// <param name="a">The start.</param>
    /// <param name="bytes">Bytes to advance (not negative).</param>
    public static VmallocAddr operator +(VmallocAddr a, long bytes) => new(checked(a.Value + (ulong)bytes));

    /// <summary>The distance in bytes between two addresses.</summary>
    /// <param name="a">Later address.</param>
    /// <param name="b">Earlier address.</param>
    public static ulong operator -(VmallocAddr a, VmallocAddr b) => checked(a.Value - b.Value);

    /// <summary>True for the NULL address vmalloc returns on failure.</summary>
    public bool IsNull => Value == 0;

    /// <inheritdoc />
    public int CompareTo(VmallocAddr other) => Value.CompareTo(other.Value);

    /// <summary>The address in hex.</summary>
    public override string ToString() => "0x" + Value.ToString("x16", CultureInfo.InvariantCulture);
}

/// <summary>A user-space virtual address of one process (the kernel's <c>void __user *</c> / <c>unsigned long addr</c>).</summary>
/// <param name="Value">The address.</param>
public readonly record struct UserAddr(ulong Value) : IComparable<UserAddr>
{
    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    /// <param name="a">The start.</param>
    /// <param name="bytes">Bytes to advance.</param>
    public static UserAddr operator +(UserAddr a, ulong bytes) => new(checked(a.Value + bytes));

    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    /// <param name="a">The start.</param>
    /// <param name="bytes">Bytes to advance (not negative).</param>
    public static UserAddr operator +(UserAddr a, long bytes) => new(checked(a.Value + (ulong)bytes));

    /// <summary>The address <paramref name="bytes"/> before.</summary>
    /// <param name="a">The start.</param>
    /// <param name="bytes">Bytes to go back.</param>
    public static UserAddr operator -(UserAddr a, ulong bytes) => new(checked(a.Value - bytes));

    /// <summary>The distance in bytes between two addresses.</summary>
    /// <param name="a">Later address.</param>
    /// <param name="b">Earlier address.</param>
    public static ulong operator -(UserAddr a, UserAddr b) => checked(a.Value - b.Value);

    /// <summary>Orders addresses.</summary>
    public static bool operator <(UserAddr a, UserAddr b) => a.Value < b.Value;

    /// <summary>Orders addresses.</summary>
    public static bool operator >(UserAddr a, UserAddr b) => a.Value > b.Value;

    /// <summary>Orders addresses.</summary>
    public static bool operator <=(UserAddr a, UserAddr b) => a.Value <= b.Value;

    /// <summary>Orders addresses.</summary>
    public static bool operator >=(UserAddr a, UserAddr b) => a.Value >= b.Value;

    /// <summary>True when page aligned.</summary>
    public bool IsPageAligned => (Value & (Kernel.PageSize - 1)) == 0;

    /// <summary>The address rounded down to its page.</summary>
    public UserAddr PageDown => new(Value & ~(Kernel.PageSize - 1));

    /// <summary>The virtual page number.</summary>
    public ulong PageNumber => Value >> Kernel.PageShift;

    /// <inheritdoc />
    public int CompareTo(UserAddr other) => Value.CompareTo(other.Value);

    /// <summary>The address in hex (as in /proc/pid/maps).</summary>
    public override string ToString() => Value.ToString("x", CultureInfo.InvariantCulture);
}
