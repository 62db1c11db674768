using DriverKit.Runtime;
using static DriverKit.Runtime.Errno;

namespace DriverKit.Samples.Scullp;

/// <summary>How the scullp driver maps its pages (LDD3 ch. 15 and what came after).</summary>
public enum ScullpVariant
{
    /// <summary>LDD3 for 2.6.10: VM_RESERVED + -&gt;nopage + get_page (leaks in 2.6.15-rc1, S1).</summary>
    ReservedNoPage,

    /// <summary>The same after 2.6.23: VM_RESERVED + -&gt;fault + get_page (does not compile from 3.7).</summary>
    ReservedFault,

    /// <summary>The fix: VM_DONTEXPAND | VM_DONTDUMP, -&gt;fault with a bounds check and get_page.</summary>
    Modern,

    /// <summary>S5: -&gt;fault without a bounds check and no VM_DONTEXPAND, so mremap growth reaches past the buffer.</summary>
    Expandable,
}

/// <summary>
/// LDD3's scullp reduced to its mmap path: open allocates the device's pages, mmap installs vm_ops, the fault
/// handler hands out page pgoff with a reference ("automatically decremented at page unmap"), release frees.
/// </summary>
public sealed class ScullpDriver
{
    private readonly Kernel kernel;
    private readonly ScullpVariant variant;
    private readonly VmOperations vmOps;

    /// <summary>The device's pages, allocated at open.</summary>
    public Page[] Pages { get; private set; } = [];

    /// <summary>Open mappings, counted by vma open/close.</summary>
    public int Vmas { get; private set; }

    /// <summary>The registered device.</summary>
    public CharDevice Device { get; }

    /// <summary>Loads the driver and registers the device node; the pages are allocated at the first open.</summary>
    /// <param name="kernel">The machine.</param>
    /// <param name="variant">Which mmap discipline of LDD3's history to use.</param>
    /// <param name="pages">Size of the device's buffer in pages.</param>
    /// <param name="path">The device node.</param>
    public ScullpDriver(Kernel kernel, ScullpVariant variant, int pages = 4, string path = "/dev/scullp")
    {
        this.kernel = kernel;
        this.variant = variant;
        PageCount = pages;
        // Each variant is the driver of its own kernels, chosen at run time: the runtime refuses ->nopage after 2.6.25 and
        // ->fault before 2.6.23.
        vmOps = variant == ScullpVariant.ReservedNoPage
#pragma warning disable DK1001 // the LDD3 ->nopage driver of 2.6.15-rc1
            ? new VmOperations { Open = ScullpVmaOpen, Close = ScullpVmaClose, NoPage = ScullpVmaNoPage }
#pragma warning restore DK1001
#pragma warning disable DK1001 // the ->fault driver of 2.6.23 and later
            : new VmOperations { Open = ScullpVmaOpen, Close = ScullpVmaClose, Fault = ScullpVmaFault };
#pragma warning restore DK1001
        Device = kernel.RegisterChrdev(path, new FileOperations
        {
            Owner = "scullp",
            Open = ScullpOpen,
            Release = ScullpRelease,
            Mmap = ScullpMmap,
        });
    }

    /// <summary>Size of the device buffer in pages.</summary>
    public int PageCount { get; }

    private int ScullpOpen(Inode inode, DriverKit.Runtime.OpenFile filp)
    {
        if (Pages.Length == 0)
        {
            var pages = new Page[PageCount];
            for (var i = 0; i < pages.Length; i++)
            {
                pages[i] = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                if (pages[i].IsNull)
                {
                    return -ENOMEM;
                }
            }

            Pages = pages;
        }

        filp.PrivateData = this;
        return 0;
    }

    private int ScullpRelease(Inode inode, DriverKit.Runtime.OpenFile filp)
    {
        foreach (var page in Pages)
        {
            kernel.FreePage(page);
        }

        Pages = [];
        return 0;
    }

    private int ScullpMmap(DriverKit.Runtime.OpenFile filp, VmArea vma)
    {
#pragma warning disable DK0015 // S5 and LDD3's variants: only Modern sets VM_DONTEXPAND, so mremap can grow the others
        vma.Ops = vmOps;
#pragma warning restore DK0015
        switch (variant)
        {
            case ScullpVariant.ReservedNoPage:
            case ScullpVariant.ReservedFault:
#pragma warning disable DK0004, DK0005 // demonstrates the 2.6.15-rc1 leak: VM_RESERVED on a vma whose fault handler returns RAM pages
                vma.Flags |= VmFlags.Reserved;
#pragma warning restore DK0004, DK0005
                break;
            case ScullpVariant.Modern:
#pragma warning disable DK1001 // the driver of 3.4 and later, where VM_DONTDUMP exists
                kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);
#pragma warning restore DK1001
                break;
        }

        vma.PrivateData = filp.PrivateData;
        ScullpVmaOpen(vma);
        return 0;
    }

    private void ScullpVmaOpen(VmArea vma) => Vmas++;

    private void ScullpVmaClose(VmArea vma) => Vmas--;

    private Page ScullpVmaNoPage(VmArea vma, UserAddr address)
    {
        var offset = (address - vma.Start) / Kernel.PageSize + vma.Pgoff;
        if (offset >= (ulong)Pages.Length)
        {
            return default; // NOPAGE_SIGBUS
        }

        var page = Pages[offset];
        kernel.GetPage(page);
        return page;
    }

    private VmFaultResult ScullpVmaFault(VmFault vmf)
    {
        if (variant != ScullpVariant.Expandable && vmf.Pgoff >= (ulong)Pages.Length)
        {
            return VmFaultResult.Sigbus;
        }

        var page = Pages[vmf.Pgoff];
        kernel.GetPage(page);
        vmf.Page = page;
        return 0;
    }
}
