using DriverKit.Runtime;
using static DriverKit.Runtime.Errno;

namespace DriverKit.Samples.MmioWindow;

/// <summary>How the register window is mapped (scenario S3).</summary>
public enum MmioVariant
{
    /// <summary>The 2004 NVIDIA shape: VM_LOCKED | VM_IO set in mmap, then remap_pfn_range with the default (cacheable) protection.</summary>
    LockedIo,

    /// <summary>The fix: no VM_LOCKED, pgprot_noncached, io_remap_pfn_range of the validated range (vm_iomap_memory).</summary>
    IoRemapNoncached,
}

/// <summary>A device with 8 pages of registers; reading a register counts as a side effect.</summary>
public sealed class RegisterFile : MmioDevice
{
    private readonly byte[] registers;

    /// <summary>A register file of <paramref name="size"/> bytes, all zero.</summary>
    /// <param name="size">Bytes of registers.</param>
    public RegisterFile(ulong size) => registers = new byte[size];

    /// <summary>Register reads seen by the device.</summary>
    public long Reads { get; private set; }

    /// <inheritdoc />
    public override byte Read(ulong offset)
    {
        Reads++;
        return registers[offset];
    }

    /// <inheritdoc />
    public override void Write(ulong offset, byte value) => registers[offset] = value;
}

/// <summary>An NVIDIA-style register window mapped to user space.</summary>
public sealed class MmioWindowDriver
{
    /// <summary>Pages of registers.</summary>
    public const int WindowPages = 8;

    private readonly Kernel kernel;
    private readonly MmioVariant variant;

    /// <summary>Loads the driver: registers the card's register window (MMIO, no struct page) and the device node.</summary>
    /// <param name="kernel">The machine.</param>
    /// <param name="variant">With or without the VM_LOCKED | VM_IO bug.</param>
    /// <param name="path">The device node.</param>
    public MmioWindowDriver(Kernel kernel, MmioVariant variant, string path = "/dev/nvidia0")
    {
        this.kernel = kernel;
        this.variant = variant;
        Registers = new RegisterFile(WindowPages * Kernel.PageSize);
        Window = kernel.RegisterMmioRegion("nvidia-bar0", WindowPages * Kernel.PageSize, Registers);
        Device = kernel.RegisterChrdev(path, new FileOperations { Owner = "nvidia", Mmap = NvMmap });
    }

    /// <summary>The device side of the window: what register reads and writes reach.</summary>
    public RegisterFile Registers { get; }

    /// <summary>The MMIO window in the physical address space.</summary>
    public MmioRegion Window { get; }

    /// <summary>The registered character device.</summary>
    public CharDevice Device { get; }

    private int NvMmap(DriverKit.Runtime.OpenFile filp, VmArea vma)
    {
        if (variant == MmioVariant.IoRemapNoncached && kernel.Version >= KernelVersion.Of(3, 9))
        {
            vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
            return kernel.VmIomapMemory(vma, Window.Start, Window.Size);
        }

        if (vma.Pages + vma.Pgoff > WindowPages)
        {
            return -EINVAL;
        }

        if (variant == MmioVariant.IoRemapNoncached)
        {
            // Before 3.9 there is no vm_iomap_memory: the range checked above, io_remap_pfn_range does the rest.
            vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
            return kernel.IoRemapPfnRange(vma, vma.Start, Window.StartPfn + vma.Pgoff, vma.Length, vma.PageProt);
        }

#pragma warning disable DK0001 // demonstrates akpm's "VM_LOCKED|VM_IO doesn't seem to be a sane combination"
        vma.Flags |= VmFlags.Locked | VmFlags.IO;
#pragma warning restore DK0001
#pragma warning disable DK0016, DK0019 // the 2004 driver: registers mapped with remap_pfn_range and the default, cacheable protection
        return kernel.RemapPfnRange(vma, vma.Start, Window.StartPfn + vma.Pgoff, vma.Length, vma.PageProt);
#pragma warning restore DK0016, DK0019
    }
}
