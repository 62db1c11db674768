namespace DriverKit.Tests.FixProof;

/// <summary>
/// Whole drivers that DK0007, DK0008, DK0010, DK0016 and DK0019 flag — tidy ones and ones written the way ports of C drivers
/// read (declarations at the top, cursors in <c>for</c> headers, helpers, goto error paths) — with the kernels in which the
/// bug shows on the runtime. <see cref="RulesIIFixProofTests"/> runs them through <see cref="FixProofHarness"/>.
/// </summary>
internal static class RulesIIExamples
{
    /// <summary>Every era boundary the rules care about.</summary>
    private static readonly string[] AllEras = ["2.6.14", "2.6.15-rc1", "2.6.20", "2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>From 2.6.15, where remap_pfn_range maps RAM without PG_reserved.</summary>
    private static readonly string[] Since2615 = ["2.6.15-rc1", "2.6.20", "2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>Where vm_insert_page and remap_vmalloc_range exist (2.6.15-rc4 and 2.6.18).</summary>
    private static readonly string[] WithInsertPage = ["2.6.20", "2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>A register file: the device side of an MMIO window.</summary>
    internal const string Registers = """

        public sealed class Registers : MmioDevice
        {
            private readonly byte[] cells = new byte[2 * Kernel.PageSize];

            public override byte Read(ulong offset) => cells[offset];

            public override void Write(ulong offset, byte value) => cells[offset] = value;
        }
        """;

    public static IEnumerable<FixProofExample> DK0007 =>
    [
        new("vmalloc ring remapped from its first pfn", """
            using DriverKit.Runtime;

            public static class RingModule
            {
                public const int MapPages = 4;
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
                private readonly VmallocAddr buffer;

                public Ring(Kernel kernel)
                {
                    this.kernel = kernel;
                    buffer = kernel.Vmalloc(RingModule.MapPages * Kernel.PageSize);
                }

                public int Mmap(OpenFile file, VmArea vma) =>
                    kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(buffer), vma.Length, vma.PageProt); // whole ring

                public void Free() => kernel.Vfree(buffer);
            }
            """, WithInsertPage),
        new("C port: buffer from a helper, size checked with a goto", """
            using DriverKit.Runtime;

            public static class LogModule
            {
                public const int MapPages = 3;
                private static LogBuf? log;

                public static void Init(Kernel kernel)
                {
                    log = new LogBuf(kernel);
                    kernel.RegisterChrdev("/dev/log", new FileOperations { Owner = "log", Mmap = log.Mmap });
                }

                public static void Exit(Kernel kernel) => log?.Free();
            }

            public sealed class LogBuf
            {
                private const ulong BufSize = LogModule.MapPages * Kernel.PageSize;
                private readonly Kernel kernel;
                private VmallocAddr buf;

                public LogBuf(Kernel kernel)
                {
                    this.kernel = kernel;
                    buf = AllocBuffer(kernel, BufSize);
                }

                private static VmallocAddr AllocBuffer(Kernel kernel, ulong size)
                {
                    VmallocAddr p;

                    p = kernel.Vmalloc(size);
                    return p;
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    int ret;

                    if (vma.Length > BufSize)
                        goto fail;
                    ret = kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(buf), vma.Length, vma.PageProt);
                    return ret;
                fail:
                    return -Errno.EINVAL;
                }

                public void Free() => kernel.Vfree(buf);
            }
            """, WithInsertPage),
    ];

    public static IEnumerable<FixProofExample> DK0008 =>
    [
        new("physical address round-tripped through ulong", """
            using DriverKit.Runtime;

            public static class ShmModule
            {
                private static Shm? shm;

                public static void Init(Kernel kernel)
                {
                    shm = new Shm(kernel);
                    kernel.RegisterChrdev("/dev/shm0", new FileOperations { Owner = "shm", Mmap = shm.Mmap });
                }

                public static void Exit(Kernel kernel) => shm?.Free();
            }

            public sealed class Shm
            {
                private readonly Kernel kernel;
                private readonly KernelAddr page;

                public Shm(Kernel kernel)
                {
                    this.kernel = kernel;
                    page = kernel.GetZeroedPage(Gfp.Kernel);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    var phys = kernel.VirtToPhys(page).Value;
                    return kernel.RemapPfnRange(vma, vma.Start, new Pfn(phys), vma.Length, vma.PageProt);
                }

                public void Free() => kernel.FreePage(page);
            }
            """, Since2615),
        new("C port: address kept in a field, declared at the top, offset added", """
            using DriverKit.Runtime;

            public static class FbModule
            {
                private static Fb? fb;

                public static void Init(Kernel kernel)
                {
                    fb = new Fb(kernel);
                    kernel.RegisterChrdev("/dev/fb9", new FileOperations { Owner = "fb", Mmap = fb.Mmap });
                }

                public static void Exit(Kernel kernel) => fb?.Free();
            }

            public sealed class Fb
            {
                private readonly Kernel kernel;
                private readonly KernelAddr screen;
                private readonly ulong screenBase;

                public Fb(Kernel kernel)
                {
                    this.kernel = kernel;
                    screen = kernel.GetZeroedPage(Gfp.Kernel);
                    screenBase = kernel.VirtToPhys(screen).Value;
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    ulong start;
                    ulong off;

                    off = 0;
                    start = kernel.VirtToPhys(screen).Value;
                    start = start + off;
                    return kernel.RemapPfnRange(vma, vma.Start, new Pfn(start), vma.Length, vma.PageProt);
                }

                public void Free() => kernel.FreePage(screen);
            }
            """, Since2615),
    ];

    /// <summary>DK0008's slab form, which has no mechanical fix: the bug is proven, the fix is the author's.</summary>
    public static IEnumerable<FixProofExample> DK0008Unfixable =>
    [
        new("kmalloc'd status block remapped", """
            using DriverKit.Runtime;

            public static class StatModule
            {
                private static Stat? stat;

                public static void Init(Kernel kernel)
                {
                    stat = new Stat(kernel);
                    kernel.RegisterChrdev("/dev/stat", new FileOperations { Owner = "stat", Mmap = stat.Mmap });
                }

                public static void Exit(Kernel kernel) => stat?.Free();
            }

            public sealed class Stat
            {
                private readonly Kernel kernel;
                private readonly KernelAddr block;

                public Stat(Kernel kernel)
                {
                    this.kernel = kernel;
                    block = kernel.Kzalloc(200, Gfp.Kernel);
                }

                public int Mmap(OpenFile file, VmArea vma) =>
                    kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(block).ToPfn(), Kernel.PageSize, vma.PageProt);

                public void Free() => kernel.Kfree(block);
            }
            """, Since2615),
    ];

    public static IEnumerable<FixProofExample> DK0010 =>
    [
        new("order-2 block inserted page by page", """
            using DriverKit.Runtime;

            public static class GrabModule
            {
                public const int MapPages = 4;
                private static Grab? grab;

                public static void Init(Kernel kernel)
                {
                    grab = new Grab(kernel);
                    kernel.RegisterChrdev("/dev/grab", new FileOperations { Owner = "grab", Mmap = grab.Mmap });
                }

                public static void Exit(Kernel kernel) => grab?.Free();
            }

            public sealed class Grab
            {
                private readonly Kernel kernel;
                private readonly Page block;

                public Grab(Kernel kernel)
                {
                    this.kernel = kernel;
                    block = kernel.AllocPages(Gfp.Kernel | Gfp.Zero, 2);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    for (ulong i = 0; i < vma.Pages; i++)
                    {
                        var ret = kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + i));
                        if (ret != 0)
                        {
                            return ret;
                        }
                    }

                    return 0;
                }

                public void Free() => kernel.FreePages(block, 2);
            }
            """, WithInsertPage),
        new("C port: pfn cursor in the for header, goto on error", """
            using DriverKit.Runtime;

            public static class CapModule
            {
                public const int MapPages = 2;
                private static Cap? cap;

                public static void Init(Kernel kernel)
                {
                    cap = new Cap(kernel);
                    kernel.RegisterChrdev("/dev/cap", new FileOperations { Owner = "cap", Mmap = cap.Mmap });
                }

                public static void Exit(Kernel kernel) => cap?.Free();
            }

            public sealed class Cap
            {
                private readonly Kernel kernel;
                private Page pages;
                private int order;

                public Cap(Kernel kernel)
                {
                    Gfp gfp;

                    this.kernel = kernel;
                    gfp = Gfp.Kernel;
                    order = 1;
                    pages = kernel.AllocPages(gfp, order);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    Pfn pfn;
                    ulong addr;
                    int i, ret;

                    ret = 0;
                    addr = vma.Start.Value;
                    for (i = 0, pfn = kernel.PageToPfn(pages); i < 1 << order; i++, pfn = pfn + 1UL)
                    {
                        ret = kernel.VmInsertPage(vma, new UserAddr(addr), kernel.PfnToPage(pfn));
                        if (ret != 0)
                            goto out_unmap;
                        addr += Kernel.PageSize;
                    }

                    return 0;
                out_unmap:
                    return ret;
                }

                public void Free() => kernel.FreePages(pages, order);
            }
            """, WithInsertPage),
    ];

    public static IEnumerable<FixProofExample> DK0010Ignored =>
    [
        new("two-page ring inserted into whatever vma user space asks for", """
            using DriverKit.Runtime;

            public static class PairModule
            {
                private static Pair? pair;

                public static void Init(Kernel kernel)
                {
                    pair = new Pair(kernel);
                    kernel.RegisterChrdev("/dev/pair", new FileOperations { Owner = "pair", Mmap = pair.Mmap });
                }

                public static void Exit(Kernel kernel) => pair?.Free();
            }

            public sealed class Pair
            {
                private readonly Kernel kernel;
                private readonly Page first;
                private readonly Page second;

                public Pair(Kernel kernel)
                {
                    this.kernel = kernel;
                    first = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                    second = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    kernel.VmInsertPage(vma, vma.Start, first);
                    // the second page goes right after the first
                    kernel.VmInsertPage(vma, vma.Start + Kernel.PageSize, second);
                    return 0;
                }

                public void Free()
                {
                    kernel.FreePage(first);
                    kernel.FreePage(second);
                }
            }
            """, WithInsertPage),
    ];

    /// <summary>DK0010's slab form: no mechanical fix.</summary>
    public static IEnumerable<FixProofExample> DK0010Unfixable =>
    [
        new("kmalloc'd page inserted", """
            using DriverKit.Runtime;

            public static class MsgModule
            {
                private static Msg? msg;

                public static void Init(Kernel kernel)
                {
                    msg = new Msg(kernel);
                    kernel.RegisterChrdev("/dev/msg", new FileOperations { Owner = "msg", Mmap = msg.Mmap });
                }

                public static void Exit(Kernel kernel) => msg?.Free();
            }

            public sealed class Msg
            {
                private readonly Kernel kernel;
                private readonly KernelAddr buf;

                public Msg(Kernel kernel)
                {
                    this.kernel = kernel;
                    buf = kernel.Kmalloc(512, Gfp.Kernel);
                }

                public int Mmap(OpenFile file, VmArea vma) => kernel.VmInsertPage(vma, vma.Start, kernel.VirtToPage(buf));

                public void Free() => kernel.Kfree(buf);
            }
            """, WithInsertPage),
    ];

    public static IEnumerable<FixProofExample> DK0016 =>
    [
        new("register window io-remapped with the default protection", """
            using DriverKit.Runtime;

            public static class NicModule
            {
                private static Nic? nic;

                public static void Init(Kernel kernel)
                {
                    nic = new Nic(kernel);
                    kernel.RegisterChrdev("/dev/nic", new FileOperations { Owner = "nic", Mmap = nic.Mmap });
                }
            }

            public sealed class Nic
            {
                private readonly Kernel kernel;
                private readonly MmioRegion bar;

                public Nic(Kernel kernel)
                {
                    this.kernel = kernel;
                    bar = kernel.RegisterMmioRegion("nic-bar0", Kernel.PageSize, new Registers());
                }

                public int Mmap(OpenFile file, VmArea vma) =>
                    kernel.IoRemapPfnRange(vma, vma.Start, bar.StartPfn, vma.Length, vma.PageProt);
            }
            """ + Registers, AllEras),
        new("C port: vm_iomap_memory of the window from a helper's resource", """
            using DriverKit.Runtime;

            public static class GpioModule
            {
                private static Gpio? gpio;

                public static void Init(Kernel kernel)
                {
                    gpio = new Gpio(kernel);
                    kernel.RegisterChrdev("/dev/gpio", new FileOperations { Owner = "gpio", Mmap = gpio.Mmap });
                }
            }

            public sealed class Gpio
            {
                private readonly Kernel kernel;
                private readonly MmioRegion res;

                public Gpio(Kernel kernel)
                {
                    this.kernel = kernel;
                    res = kernel.RegisterMmioRegion("gpio", Kernel.PageSize, new Registers());
                }

                private PhysAddr ResourceStart() => res.Start;

                public int Mmap(OpenFile file, VmArea vma)
                {
                    PhysAddr start;
                    int ret;

                    start = ResourceStart();
                    ret = kernel.VmIomapMemory(vma, start, res.Size);
                    return ret;
                }
            }
            """ + Registers, ["3.9", "6.6", "7.0"]),
    ];

    /// <summary>DK0016's RAM form: no mechanical fix.</summary>
    public static IEnumerable<FixProofExample> DK0016Unfixable =>
    [
        new("page of RAM exported uncached", """
            using DriverKit.Runtime;

            public static class UcModule
            {
                private static Uc? uc;

                public static void Init(Kernel kernel)
                {
                    uc = new Uc(kernel);
                    kernel.RegisterChrdev("/dev/uc", new FileOperations { Owner = "uc", Mmap = uc.Mmap });
                }

                public static void Exit(Kernel kernel) => uc?.Free();
            }

            public sealed class Uc
            {
                private readonly Kernel kernel;
                private readonly Page page;

                public Uc(Kernel kernel)
                {
                    this.kernel = kernel;
                    page = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma) =>
                    kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(page), Kernel.PageSize, Kernel.PgprotNoncached(vma.PageProt));

                public void Free() => kernel.FreePage(page);
            }
            """, Since2615),
    ];

    public static IEnumerable<FixProofExample> DK0019 =>
    [
        new("uncached registers through remap_pfn_range", """
            using DriverKit.Runtime;

            public static class UartModule
            {
                private static Uart? uart;

                public static void Init(Kernel kernel)
                {
                    uart = new Uart(kernel);
                    kernel.RegisterChrdev("/dev/uart", new FileOperations { Owner = "uart", Mmap = uart.Mmap });
                }
            }

            public sealed class Uart
            {
                private readonly Kernel kernel;
                private readonly MmioRegion regs;

                public Uart(Kernel kernel)
                {
                    this.kernel = kernel;
                    regs = kernel.RegisterMmioRegion("uart", Kernel.PageSize, new Registers());
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    return kernel.RemapPfnRange(vma, vma.Start, regs.StartPfn, vma.Length, vma.PageProt);
                }
            }
            """ + Registers, AllEras),
        new("C port: bar pfn computed with a shift and kept in a field", """
            using DriverKit.Runtime;

            public static class DspModule
            {
                private static Dsp? dsp;

                public static void Init(Kernel kernel)
                {
                    dsp = new Dsp(kernel);
                    kernel.RegisterChrdev("/dev/dsp9", new FileOperations { Owner = "dsp", Mmap = dsp.Mmap });
                }
            }

            public sealed class Dsp
            {
                private readonly Kernel kernel;
                private readonly MmioRegion bar;
                private Pfn barPfn;

                public Dsp(Kernel kernel)
                {
                    this.kernel = kernel;
                    bar = kernel.RegisterMmioRegion("dsp", Kernel.PageSize, new Registers());
                    barPfn = new Pfn(bar.Start.Value >> Kernel.PageShift);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    PgProt prot;

                    prot = Kernel.PgprotNoncached(vma.PageProt);
                    return kernel.RemapPfnRange(vma, vma.Start, barPfn, vma.Length, prot);
                }
            }
            """ + Registers, AllEras),
    ];

    /// <summary>DK0018's first form (issue 18 builds the rest): a Close handler with no Open.</summary>
    public static IEnumerable<FixProofExample> DK0018 =>
    [
        new("mapping count dropped in close, never taken for fork's copy", """
            using DriverKit.Runtime;

            public static class CountModule
            {
                private static Counted? dev;

                public static void Init(Kernel kernel)
                {
                    dev = new Counted(kernel);
                    kernel.RegisterChrdev("/dev/counted", new FileOperations { Owner = "counted", Mmap = dev.Mmap });
                }

                public static void Exit(Kernel kernel) => dev?.Free();
            }

            public sealed class Counted
            {
                private readonly Kernel kernel;
                private readonly Page page;
                private readonly VmOperations ops;
                private int maps;

                public Counted(Kernel kernel)
                {
                    this.kernel = kernel;
                    page = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                    ops = new VmOperations { Close = CountedClose };
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    maps++;
                    vma.Ops = ops;
                    return kernel.VmInsertPage(vma, vma.Start, page);
                }

                private void CountedClose(VmArea vma) => maps--;

                public void Free() => kernel.FreePage(page);
            }
            """, WithInsertPage),
        new("C port: pin taken in mmap, dropped in close, with a goto error path", """
            using DriverKit.Runtime;

            public static class PinModule
            {
                private static Pinned? dev;

                public static void Init(Kernel kernel)
                {
                    dev = new Pinned(kernel);
                    kernel.RegisterChrdev("/dev/pinned", new FileOperations { Owner = "pinned", Mmap = dev.Mmap });
                }

                public static void Exit(Kernel kernel) => dev?.Free();
            }

            public sealed class Pinned
            {
                private readonly Kernel kernel;
                private readonly Page page;
                private readonly VmOperations vmOps;

                public Pinned(Kernel kernel)
                {
                    this.kernel = kernel;
                    page = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                    vmOps = new VmOperations { Close = PinnedClose };
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    int ret;

                    ret = kernel.VmInsertPage(vma, vma.Start, page);
                    if (ret != 0)
                        goto fail;
                    kernel.GetPage(page);
                    vma.Ops = vmOps;
                    return 0;
                fail:
                    return ret;
                }

                private void PinnedClose(VmArea vma)
                {
                    kernel.PutPage(page);
                }

                public void Free() => kernel.FreePage(page);
            }
            """, WithInsertPage),
    ];
}
