using DriverKit.Runtime;
using static DriverKit.Runtime.Errno;

namespace DriverKit.Samples.FrameGrabber;

/// <summary>How the capture driver exports its frame buffer (scenarios S4 and S6).</summary>
public enum FrameGrabberVariant
{
    /// <summary>S4-A: remap_pfn_range of plain allocator pages (silently empty before 2.6.15).</summary>
    Remap,

    /// <summary>S4-B: the bttv idiom — SetPageReserved on every page at allocation, ClearPageReserved before free.</summary>
    ReservedRemap,

    /// <summary>S4-C: SetPageReserved but no ClearPageReserved before free_pages.</summary>
    ReservedNoClear,

    /// <summary>The refcounted alternative: split_page + vm_insert_page (2.6.15 and later).</summary>
    InsertPage,

    /// <summary>S6: counts mappings in mmap/close (no .open) and frees the buffer when the count reaches zero.</summary>
    CountedCloseWithoutOpen,
}

/// <summary>
/// A bttv-style frame grabber: a 4-page capture buffer from __get_free_pages, filled by the "hardware" with 'A'+i
/// at offset 0 of page i, mapped to user space in mmap. <see cref="FreeBufferIoctl"/> lets user space ask the driver
/// to release the buffer early (S4-D: free while mapped).
/// </summary>
public sealed class FrameGrabberDriver
{
    /// <summary>ioctl: free the capture buffer now.</summary>
    public const uint FreeBufferIoctl = 0x4701;

    /// <summary>Order of the capture buffer: 2^2 = 4 pages.</summary>
    public const int BufferOrder = 2;

    private readonly Kernel kernel;
    private readonly FrameGrabberVariant variant;
    private KernelAddr buf;
    private int maps;

    /// <summary>Loads the driver: allocates the capture buffer and registers the device node (module init).</summary>
    /// <param name="kernel">The machine.</param>
    /// <param name="variant">Which historical mapping discipline to use.</param>
    /// <param name="path">The device node.</param>
    public FrameGrabberDriver(Kernel kernel, FrameGrabberVariant variant, string path = "/dev/video0")
    {
        this.kernel = kernel;
        this.variant = variant;
#pragma warning disable DK0018 // S6 demonstrates .close without .open: fork's copy never counts itself in
        VmOps = new VmOperations { Close = FgVmaClose };
#pragma warning restore DK0018
        Device = kernel.RegisterChrdev(path, new FileOperations
        {
            Owner = "framegrabber",
            Open = FgOpen,
            Release = FgRelease,
            Mmap = FgMmap,
            Ioctl = FgIoctl,
        });
    }

    /// <summary>The registered character device.</summary>
    public CharDevice Device { get; }

    private VmOperations VmOps { get; }

    /// <summary>The buffer's pages while it exists.</summary>
    public Page[] Pages { get; private set; } = [];

    /// <summary>Page 0, offset 1 as the driver read it back after the user's write (S4: 0x55 when shared, 0 when not).</summary>
    public byte ReadBack { get; private set; }

    private int Count => 1 << BufferOrder;

    private int FgOpen(Inode inode, DriverKit.Runtime.OpenFile filp)
    {
        if (!buf.IsNull)
        {
            return 0;
        }

        buf = kernel.GetFreePages(Gfp.Kernel | Gfp.Zero, BufferOrder);
        if (buf.IsNull)
        {
            return -ENOMEM;
        }

        var first = kernel.VirtToPage(buf);
        Pages = Enumerable.Range(0, Count).Select(i => first + i).ToArray();
        for (var i = 0; i < Count; i++)
        {
            kernel.WriteKernel(buf + (ulong)i * Kernel.PageSize, [(byte)('A' + i)]);
        }

        if (variant is FrameGrabberVariant.ReservedRemap or FrameGrabberVariant.ReservedNoClear)
        {
            for (var i = 0; i < Count; i++)
            {
#pragma warning disable DK0002 // demonstrates the pre-2.6.15 idiom: reserving allocator pages so remap_pfn_range maps them
                kernel.SetPageReserved(kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize));
#pragma warning restore DK0002
            }
        }

        if (variant == FrameGrabberVariant.InsertPage)
        {
            kernel.SplitPage(first, BufferOrder);
        }

        return 0;
    }

    private int FgRelease(Inode inode, DriverKit.Runtime.OpenFile filp)
    {
        if (variant != FrameGrabberVariant.CountedCloseWithoutOpen)
        {
            FreeBuffer();
        }

        return 0;
    }

    private long FgIoctl(DriverKit.Runtime.OpenFile filp, uint cmd, ulong arg)
    {
        if (cmd != FreeBufferIoctl)
        {
            return -ENOTTY;
        }

#pragma warning disable DK0018 // S4-D demonstrates the free while user space still maps the buffer
        FreeBuffer();
#pragma warning restore DK0018
        return 0;
    }

    private void FreeBuffer()
    {
        if (buf.IsNull)
        {
            return;
        }

        Span<byte> one = stackalloc byte[1];
        kernel.ReadKernel(buf + 1, one);
        ReadBack = one[0];
        switch (variant)
        {
            case FrameGrabberVariant.ReservedRemap:
                for (var i = 0; i < Count; i++)
                {
#pragma warning disable DK0002 // the matching clear of the pre-2.6.15 idiom
                    kernel.ClearPageReserved(kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize));
#pragma warning restore DK0002
                }

                break;
            case FrameGrabberVariant.InsertPage:
                for (var i = 0; i < Count; i++)
                {
                    kernel.FreePage(Pages[i]);
                }

                buf = default;
                Pages = [];
                return;
        }

#pragma warning disable DK0003 // ReservedNoClear demonstrates freeing pages that still carry PG_reserved
        kernel.FreePages(buf, BufferOrder);
#pragma warning restore DK0003
        buf = default;
        Pages = [];
    }

    private int FgMmap(DriverKit.Runtime.OpenFile filp, VmArea vma)
    {
        var size = vma.Length;
        if (size > (ulong)Count * Kernel.PageSize || buf.IsNull)
        {
            return -EINVAL;
        }

        if (variant == FrameGrabberVariant.InsertPage)
        {
            for (var i = 0UL; i < vma.Pages; i++)
            {
#pragma warning disable DK0015 // S5 insert-page-only: vm_insert_page sets no VM_DONTEXPAND, so mremap can grow the mapping
                var ret = kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, Pages[i]);
#pragma warning restore DK0015
                if (ret != 0)
                {
                    return ret;
                }
            }

            return 0;
        }

        if (variant == FrameGrabberVariant.CountedCloseWithoutOpen)
        {
            maps++;
            vma.Ops = VmOps;
        }

        return kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(buf).ToPfn(), size, vma.PageProt);
    }

    private void FgVmaClose(VmArea vma)
    {
        if (--maps == 0)
        {
            FreeBuffer();
        }
    }
}
