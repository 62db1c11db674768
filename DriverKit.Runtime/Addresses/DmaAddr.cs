using System.Globalization;

namespace DriverKit.Runtime;

/// <summary>
/// include/linux/types.h: dma_addr_t — an address as the device sees it (a bus address). On the simulated x86 without
/// an IOMMU it equals the physical address (kernel/dma/direct.h: phys_to_dma), but it is its own type: a driver hands
/// it to the device, never to the CPU.
/// </summary>
/// <param name="Value">The bus address.</param>
public readonly record struct DmaAddr(ulong Value) : IComparable<DmaAddr>
{
    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    /// <param name="a">The start.</param>
    /// <param name="bytes">Bytes to advance.</param>
    public static DmaAddr operator +(DmaAddr a, ulong bytes) => new(checked(a.Value + bytes));

    /// <summary>True for the 0 a failed allocation leaves in the handle.</summary>
    public bool IsNull => Value == 0;

    /// <inheritdoc />
    public int CompareTo(DmaAddr other) => Value.CompareTo(other.Value);

    /// <summary>The address in the <c>%pad</c> form.</summary>
    public override string ToString() => "0x" + Value.ToString("x16", CultureInfo.InvariantCulture);
}

/// <summary>
/// A <c>void __iomem *</c>: a kernel virtual address <see cref="Kernel.Ioremap"/> returned for device memory. The CPU
/// reaches the device through it only with the MMIO accessors (<see cref="Kernel.Readl"/>, <see cref="Kernel.Writel"/>,
/// …); it is not a linear-map address (virt_to_phys refuses it) and not RAM.
/// </summary>
/// <param name="Value">The kernel virtual address of the mapping.</param>
public readonly record struct IoMem(ulong Value) : IComparable<IoMem>
{
    /// <summary>The address <paramref name="bytes"/> further on.</summary>
    /// <param name="a">The start.</param>
    /// <param name="bytes">Bytes to advance.</param>
    public static IoMem operator +(IoMem a, ulong bytes) => new(checked(a.Value + bytes));

    /// <summary>True for the NULL a failed ioremap returns.</summary>
    public bool IsNull => Value == 0;

    /// <inheritdoc />
    public int CompareTo(IoMem other) => Value.CompareTo(other.Value);

    /// <summary>The address in hex.</summary>
    public override string ToString() => "0x" + Value.ToString("x16", CultureInfo.InvariantCulture);
}

/// <summary>
/// What kvmalloc returns: a kernel address that is either a kmalloc (linear-map) address or a vmalloc address — the
/// kernel tells them apart with is_vmalloc_addr. Convert with <see cref="ToKernelAddr"/> or <see cref="ToVmallocAddr"/>.
/// </summary>
/// <param name="Value">The kernel virtual address (linear-map or vmalloc).</param>
public readonly record struct KvAddr(ulong Value)
{
    /// <summary>True for the NULL a failed kvmalloc returns.</summary>
    public bool IsNull => Value == 0;

    /// <summary>include/linux/mm.h: is_vmalloc_addr — true when the memory came from the vmalloc fallback.</summary>
    public bool IsVmalloc => Value >= VmallocArea.Base;

    /// <summary>The kmalloc address (for <see cref="Kernel.ReadKernel"/> and <see cref="Kernel.WriteKernel"/>).</summary>
    /// <exception cref="InvalidOperationException">The memory is vmalloc memory.</exception>
    public KernelAddr ToKernelAddr() => IsVmalloc ? throw new InvalidOperationException($"{this} is a vmalloc address (is_vmalloc_addr)") : new KernelAddr(Value);

    /// <summary>The vmalloc address (for <see cref="Kernel.ReadVmalloc"/> and <see cref="Kernel.WriteVmalloc"/>).</summary>
    /// <exception cref="InvalidOperationException">The memory is kmalloc memory (or NULL).</exception>
    public VmallocAddr ToVmallocAddr() => IsVmalloc ? new VmallocAddr(Value) : throw new InvalidOperationException($"{this} is not a vmalloc address (is_vmalloc_addr)");

    /// <summary>The address in hex.</summary>
    public override string ToString() => "0x" + Value.ToString("x16", CultureInfo.InvariantCulture);
}
