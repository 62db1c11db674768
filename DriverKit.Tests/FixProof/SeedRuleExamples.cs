namespace DriverKit.Tests.FixProof;

/// <summary>
/// Whole drivers that DK0001–DK0006 flag, written the way ports of C drivers read, each with the kernels in which the rule's
/// bug shows on the runtime. The fix-proof tests run them (and the drivers of the rules' docs pages) through
/// <see cref="FixProofHarness"/>.
/// </summary>
internal static class SeedRuleExamples
{
    /// <summary>Every era boundary the seed rules care about.</summary>
    private static readonly string[] AllEras = ["2.6.14", "2.6.15-rc1", "2.6.20", "2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>From 2.6.15, where remap_pfn_range no longer needs PG_reserved.</summary>
    private static readonly string[] Since2615 = ["2.6.15-rc1", "2.6.20", "2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>From 3.7, where VM_RESERVED no longer exists.</summary>
    private static readonly string[] Since37 = ["3.7", "6.6", "7.0"];

    public static IEnumerable<FixProofExample> DK0001 =>
    [
        new("register window, VM_LOCKED | VM_IO", """
            using DriverKit.Runtime;

            public static class RegsModule
            {
                private static Regs? regs;

                public static void Init(Kernel kernel)
                {
                    regs = new Regs(kernel);
                    kernel.RegisterChrdev("/dev/regs", new FileOperations { Owner = "regs", Mmap = regs.Mmap, Release = regs.Release });
                }

                public static void Exit(Kernel kernel) => regs?.Free();
            }

            public sealed class Regs
            {
                private readonly Kernel kernel;
                private readonly KernelAddr window;

                public Regs(Kernel kernel)
                {
                    this.kernel = kernel;
                    window = kernel.GetZeroedPage(Gfp.Kernel);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    vma.Flags |= VmFlags.Locked | VmFlags.IO;    /* keep the registers resident */
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(window).ToPfn(), vma.Length, vma.PageProt);
                }

                public int Release(Inode inode, OpenFile file) => 0;

                public void Free() => kernel.FreePages(window, 0);
            }
            """, AllEras),
        new("flags built in a local declared at the top, locked on one branch, cleared on the other", """
            using DriverKit.Runtime;

            public static class CamModule
            {
                private static Cam? cam;

                public static void Init(Kernel kernel)
                {
                    cam = new Cam(kernel, pin: true);
                    kernel.RegisterChrdev("/dev/cam", new FileOperations { Owner = "cam", Mmap = cam.Mmap });
                }

                public static void Exit(Kernel kernel) => cam?.Free();
            }

            public sealed class Cam
            {
                private readonly Kernel kernel;
                private readonly bool pin;
                private readonly KernelAddr frame;

                public Cam(Kernel kernel, bool pin)
                {
                    this.kernel = kernel;
                    this.pin = pin;
                    frame = kernel.GetZeroedPage(Gfp.Kernel);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    VmFlags flags;
                    int ret;

                    flags = VmFlags.DontExpand;
                    if (pin)
                        vma.Flags |= VmFlags.Locked;
                    else
                        vma.Flags &= ~VmFlags.Locked;
                    vma.Flags |= flags;
                    ret = kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(frame).ToPfn(), vma.Length, vma.PageProt);
                    return ret;
                }

                public void Free() => kernel.FreePages(frame, 0);
            }
            """, AllEras),
        new("a helper sets the flags", """
            using DriverKit.Runtime;

            public static class RingModule
            {
                private static Ring? ring;

                public static void Init(Kernel kernel)
                {
                    ring = new Ring(kernel);
                    kernel.RegisterChrdev("/dev/ring", new FileOperations { Owner = "ring", Mmap = ring.Mmap });
                }

                public static void Exit(Kernel kernel) => ring?.Free();
            }

            public sealed class Ring
            {
                private readonly Kernel kernel;
                private readonly KernelAddr buffer;

                public Ring(Kernel kernel)
                {
                    this.kernel = kernel;
                    buffer = kernel.GetZeroedPage(Gfp.Kernel);
                }

                private static void SetupVma(VmArea vma)
                {
                    vma.Flags |= VmFlags.DontExpand | VmFlags.LockOnFault;
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    SetupVma(vma);
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(buffer).ToPfn(), vma.Length, vma.PageProt);
                }

                public void Free() => kernel.FreePages(buffer, 0);
            }
            """, ["4.4", "6.6", "7.0"]),
    ];

    /// <summary>The frame grabber the DK0002 and DK0003 examples share: reserve in open, remap in mmap, free in release.</summary>
    private static string Grabber(string open, string release, string members = "") => $$"""
        using DriverKit.Runtime;

        public static class GrabberModule
        {
            public const int MapPages = 2;

            public static void Init(Kernel kernel)
            {
                var grabber = new Grabber(kernel);
                kernel.RegisterChrdev("/dev/grabber", new FileOperations { Owner = "grabber", Open = grabber.Open, Mmap = grabber.Mmap, Release = grabber.Release });
            }
        }

        public sealed class Grabber
        {
            private const int Order = 1;
            private readonly Kernel kernel;
            private KernelAddr buf;

            public Grabber(Kernel kernel) => this.kernel = kernel;

            public int Open(Inode inode, OpenFile file)
            {
                Page page;
                int i;

                buf = kernel.GetFreePages(Gfp.Kernel, Order);
        {{open}}
                return 0;
            }

            public int Mmap(OpenFile file, VmArea vma) =>
                kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(buf).ToPfn(), vma.Length, vma.PageProt);

            public int Release(Inode inode, OpenFile file)
            {
                Page page;
                int i;

        {{release}}
                return 0;
            }
        {{members}}
        }
        """;

    private const string ReserveWithCursor = """
                page = kernel.VirtToPage(buf);
                for (i = 0; i < 1 << Order; i++)
                {
                    kernel.SetPageReserved(page);
                    page += 1;
                }
        """;

    public static IEnumerable<FixProofExample> DK0002 =>
    [
        new("cursor declared at the top; the clear loop in release uses its own cursor", Grabber(ReserveWithCursor, """
                    page = kernel.VirtToPage(buf);
                    for (i = 0; i < 1 << Order; i++)
                    {
                        kernel.ClearPageReserved(page);
                        page = page + 1;
                    }

                    kernel.FreePages(buf, Order);
            """), Since2615),
        new("the clear lives in a helper that takes the page", Grabber("""
                    for (i = 0; i < 1 << Order; i++)
                        kernel.SetPageReserved(kernel.VirtToPage(buf) + i);
            """, """
                    page = kernel.VirtToPage(buf);
                    Unreserve(page, 1 << Order);
                    kernel.FreePages(buf, Order);
            """, """
                private void Unreserve(Page first, int count)
                {
                    for (var n = 0; n < count; n++)
                    {
                        kernel.ClearPageReserved(first + n);
                    }
                }
            """), Since2615),
    ];

    public static IEnumerable<FixProofExample> DK0003 =>
    [
        new("cursor declared at the top, no clear before the free", Grabber(ReserveWithCursor, """
                    kernel.FreePages(buf, Order);
            """), AllEras),
        new("kmalloc'd buffer reserved through a local of open, freed in release", """
            using DriverKit.Runtime;

            public static class LogModule
            {
                public static void Init(Kernel kernel)
                {
                    var log = new Log(kernel);
                    kernel.RegisterChrdev("/dev/log", new FileOperations { Owner = "log", Open = log.Open, Mmap = log.Mmap, Release = log.Release });
                }
            }

            public sealed class Log
            {
                private readonly Kernel kernel;
                private KernelAddr area;

                public Log(Kernel kernel) => this.kernel = kernel;

                public int Open(Inode inode, OpenFile file)
                {
                    area = kernel.Kzalloc(Kernel.PageSize, Gfp.Kernel);
                    var first = kernel.VirtToPage(area);
                    kernel.SetPageReserved(first);
                    return 0;
                }

                public int Mmap(OpenFile file, VmArea vma) =>
                    kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(area).ToPfn(), vma.Length, vma.PageProt);

                public int Release(Inode inode, OpenFile file)
                {
                    kernel.Kfree(area);
                    return 0;
                }
            }
            """, AllEras),
        new("goto error path frees while the reservation is held", """
            using DriverKit.Runtime;

            public static class DmaBufModule
            {
                /* user space maps two pages: more than the driver allows, so ->mmap takes its error path */
                public const int MapPages = 2;

                public static void Init(Kernel kernel)
                {
                    var dev = new DmaBuf(kernel);
                    kernel.RegisterChrdev("/dev/dmabuf", new FileOperations { Owner = "dmabuf", Mmap = dev.Mmap, Release = dev.Release });
                }
            }

            public sealed class DmaBuf
            {
                private readonly Kernel kernel;
                private KernelAddr mapped;

                public DmaBuf(Kernel kernel) => this.kernel = kernel;

                public int Mmap(OpenFile file, VmArea vma)
                {
                    KernelAddr buf;
                    Page page;
                    int ret;

                    buf = kernel.GetFreePages(Gfp.Kernel, 0);
                    page = kernel.VirtToPage(buf);
                    kernel.SetPageReserved(page);
                    if (vma.Length > Kernel.PageSize)
                    {
                        ret = -Errno.EINVAL;
                        goto out_free;
                    }

                    ret = kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(page), Kernel.PageSize, vma.PageProt);
                    if (ret != 0)
                        goto out_free;
                    mapped = buf;
                    return 0;

                out_free:
                    kernel.FreePages(buf, 0);
                    return ret;
                }

                public int Release(Inode inode, OpenFile file)
                {
                    if (!mapped.IsNull)
                    {
                        kernel.ClearPageReserved(kernel.VirtToPage(mapped));
                        kernel.FreePages(mapped, 0);
                    }

                    return 0;
                }
            }
            """, AllEras),
    ];

    public static IEnumerable<FixProofExample> DK0004 =>
    [
        new("scullp: VM_RESERVED with a nopage handler that takes a reference", """
            using DriverKit.Runtime;

            public static class ScullModule
            {
                private static Scull? scull;

                public static void Init(Kernel kernel)
                {
                    scull = new Scull(kernel);
                    kernel.RegisterChrdev("/dev/scullp", new FileOperations { Owner = "scullp", Mmap = scull.Mmap, Release = scull.Release });
                }

                public static void Exit(Kernel kernel) => scull?.Free();
            }

            public sealed class Scull
            {
                private readonly Kernel kernel;
                private readonly Page page;

                public Scull(Kernel kernel)
                {
                    this.kernel = kernel;
                    page = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    vma.Flags |= VmFlags.Reserved;
                    vma.Ops = new VmOperations { NoPage = NoPage };
                    return 0;
                }

                private Page NoPage(VmArea vma, UserAddr address)
                {
                    kernel.GetPage(page);
                    return page;
                }

                public int Release(Inode inode, OpenFile file) => 0;

                public void Free() => kernel.FreePage(page);
            }
            """, ["2.6.15-rc1", "2.6.15-rc2"]),
    ];

    public static IEnumerable<FixProofExample> DK0005 =>
    [
        new("VM_RESERVED in mmap", """
            using DriverKit.Runtime;

            public static class OldModule
            {
                private static Old? old;

                public static void Init(Kernel kernel)
                {
                    old = new Old(kernel);
                    kernel.RegisterChrdev("/dev/old", new FileOperations { Owner = "old", Mmap = old.Mmap });
                }

                public static void Exit(Kernel kernel) => old?.Free();
            }

            public sealed class Old
            {
                private readonly Kernel kernel;
                private readonly KernelAddr buf;

                public Old(Kernel kernel)
                {
                    this.kernel = kernel;
                    buf = kernel.GetZeroedPage(Gfp.Kernel);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    vma.Flags |= VmFlags.IO | VmFlags.Reserved;
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(buf).ToPfn(), vma.Length, vma.PageProt);
                }

                public void Free() => kernel.FreePages(buf, 0);
            }
            """, Since37),
    ];

    /// <summary>A driver page handed out by -&gt;fault, "pinned" with a page-lock bit; released by a teardown helper.</summary>
    public static IEnumerable<FixProofExample> DK0006 =>
    [
        new("SetPageLocked as a pin, UnlockPage in the teardown helper", """
            using DriverKit.Runtime;

            public static class ShareModule
            {
                public static void Init(Kernel kernel)
                {
                    var share = new Share(kernel);
                    kernel.RegisterChrdev("/dev/share", new FileOperations { Owner = "share", Open = share.Open, Mmap = share.Mmap, Release = share.Release });
                }
            }

            public sealed class Share
            {
                private readonly Kernel kernel;
                private Page page;

                public Share(Kernel kernel) => this.kernel = kernel;

                public int Open(Inode inode, OpenFile file)
                {
                    page = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                    kernel.SetPageLocked(page);          /* keep it while user space has it */
                    return 0;
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    vma.Flags |= VmFlags.MixedMap;
                    return kernel.VmInsertPage(vma, vma.Start, page);
                }

                private void Teardown(Page p)
                {
                    kernel.UnlockPage(p);
                    kernel.FreePage(p);
                }

                public int Release(Inode inode, OpenFile file)
                {
                    Teardown(page);
                    return 0;
                }
            }
            """, ["2.6.28", "3.7", "6.6", "7.0"]),
    ];
}
