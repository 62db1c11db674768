using DriverKit.Runtime;

namespace DriverKit.Samples.BrokenBuild;

/// <summary>
/// An MMIO register window mapped the way NVIDIA's driver did in 2004: VM_LOCKED | VM_IO on the vma. Andrew Morton's answer
/// ("VM_LOCKED|VM_IO doesn't seem to be a sane combination") is DK0001, and this project exists to show that rule failing
/// the build.
/// </summary>
public sealed class RegisterWindowDriver
{
    private readonly Kernel kernel;
    private readonly Pfn barPfn;

    /// <summary>Registers the device at <paramref name="path"/>; its registers live at <paramref name="barPfn"/>.</summary>
    public RegisterWindowDriver(Kernel kernel, Pfn barPfn, string path = "/dev/regs")
    {
        this.kernel = kernel;
        this.barPfn = barPfn;
        kernel.RegisterChrdev(path, new FileOperations { Owner = "regs", Mmap = RegsMmap });
    }

    private int RegsMmap(DriverKit.Runtime.OpenFile file, VmArea vma)
    {
        // The register window: uncached, never paged out.
        vma.Flags |= VmFlags.Locked | VmFlags.IO;
        vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
        if (vma.Pgoff != 0 || vma.Length > WindowSize)
        {
            return -Errno.EINVAL;
        }

        return kernel.IoRemapPfnRange(vma, vma.Start, barPfn, vma.Length, vma.PageProt);
    }

    /// <summary>The size of the register window: the most a process may map.</summary>
    public const ulong WindowSize = Kernel.PageSize;
}
