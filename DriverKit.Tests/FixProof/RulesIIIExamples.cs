namespace DriverKit.Tests.FixProof;

/// <summary>
/// Whole drivers that the per-VMA rules flag (DK0009, DK0011, DK0012, DK0013, DK0015, DK0017, DK0020), among them C-port shapes (ops tables filled in one place
/// and handlers in another, helpers, goto error paths), with the kernels in which the bug shows on the runtime.
/// <see cref="RulesIIIFixProofTests"/> runs them through <see cref="FixProofHarness"/>.
/// </summary>
internal static class RulesIIIExamples
{
    /// <summary>Where ->fault exists and ->nopage is gone (2.6.26), on either side of 3.7 and of the 6.x flag helpers.</summary>
    private static readonly string[] WithFault = ["2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>Where ->nopage is the fault hook.</summary>
    private static readonly string[] WithNoPage = ["2.6.14", "2.6.20"];

    /// <summary>Where a VMA with inserted pages and no fault handler gets anonymous pages in a grown tail (SIGBUS from 4.2).</summary>
    private static readonly string[] AnonymousTail = ["2.6.20", "2.6.28", "3.7"];

    /// <summary>Where vm_insert_page BUG()s outside ->mmap without VM_MIXEDMAP (3.7), the fix's eras.</summary>
    private static readonly string[] InsertPageBugs = ["3.7", "6.6", "7.0"];

    /// <summary>Where vm_insert_page from a fault writes VM_INSERTPAGE unlocked (a race, no fix offered).</summary>
    private static readonly string[] InsertPageRaces = ["2.6.28", "3.6"];

    /// <summary>Where vm_insert_page and VM_PFNMAP coexist.</summary>
    private static readonly string[] WithInsertPage = ["2.6.20", "2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>DK0015: mappings mremap can grow, fixed with VM_DONTEXPAND (| VM_DONTDUMP).</summary>
    public static IEnumerable<FixProofExample> DK0015 =>
    [
        new("fault handler picks the page by vmf.Pgoff", """
            using DriverKit.Runtime;

            public static class PagesModule
            {
                public const int MapPages = 2;
                private static Pages? dev;

                public static void Init(Kernel kernel)
                {
                    dev = new Pages(kernel);
                    kernel.RegisterChrdev("/dev/pages", new FileOperations { Owner = "pages", Mmap = dev.Mmap });
                }

                public static void Exit(Kernel kernel) => dev?.Free();
            }

            public sealed class Pages
            {
                private readonly Kernel kernel;
                private readonly Page block;
                private readonly VmOperations ops;

                public Pages(Kernel kernel)
                {
                    this.kernel = kernel;
                    block = kernel.AllocPages(Gfp.Kernel | Gfp.Comp | Gfp.Zero, 1);
                    ops = new VmOperations { Fault = Fault };
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if (vma.Pgoff + vma.Pages > PagesModule.MapPages)
                        return -Errno.EINVAL;
                    vma.Ops = ops;
                    return 0;
                }

                private VmFaultResult Fault(VmFault vmf)
                {
                    var page = kernel.PfnToPage(kernel.PageToPfn(block) + vmf.Pgoff);
                    kernel.GetPage(page);
                    vmf.Page = page;
                    return VmFaultResult.None;
                }

                public void Free() => kernel.FreePages(block, 1);
            }
            """, WithFault) { Probe = ProofProbe.Grow },
        new("C port: ops table filled in the module, installed by a helper, goto error path", """
            using DriverKit.Runtime;

            public static class ScullModule
            {
                public const int MapPages = 2;
                internal static Scull? dev;
                internal static readonly VmOperations scull_vm_ops = new VmOperations { Fault = ScullVm.Fault };

                public static void Init(Kernel kernel)
                {
                    dev = new Scull(kernel);
                    kernel.RegisterChrdev("/dev/scull", new FileOperations { Owner = "scull", Mmap = dev.Mmap });
                }

                public static void Exit(Kernel kernel) => dev?.Free();
            }

            public static class ScullVm
            {
                public static VmFaultResult Fault(VmFault vmf)
                {
                    Page page;

                    page = ScullModule.dev!.PageAt(vmf.Pgoff);
                    ScullModule.dev.Kernel.GetPage(page);
                    vmf.Page = page;
                    return VmFaultResult.None;
                }
            }

            public sealed class Scull
            {
                private readonly Page block;

                public Scull(Kernel kernel)
                {
                    Kernel = kernel;
                    block = kernel.AllocPages(Gfp.Kernel | Gfp.Comp | Gfp.Zero, 1);
                }

                public Kernel Kernel { get; }

                public Page PageAt(ulong index) => Kernel.PfnToPage(Kernel.PageToPfn(block) + index);

                public int Mmap(OpenFile file, VmArea vma)
                {
                    int ret;

                    if (vma.Pgoff + vma.Pages > ScullModule.MapPages)
                        goto out_inval;
                    ScullSetup(vma);
                    ret = 0;
                    return ret;
                out_inval:
                    ret = -Errno.EINVAL;
                    return ret;
                }

                private static void ScullSetup(VmArea vma)
                {
                    vma.Ops = ScullModule.scull_vm_ops;
                    vma.PrivateData = ScullModule.dev;
                }

                public void Free() => Kernel.FreePages(block, 1);
            }
            """, WithFault) { Probe = ProofProbe.Grow },
        new("nopage handler picks the page by the fault's offset", """
            using DriverKit.Runtime;

            public static class OldModule
            {
                public const int MapPages = 2;
                private static Old? dev;

                public static void Init(Kernel kernel)
                {
                    dev = new Old(kernel);
                    kernel.RegisterChrdev("/dev/old", new FileOperations { Owner = "old", Mmap = dev.Mmap });
                }

                public static void Exit(Kernel kernel) => dev?.Free();
            }

            public sealed class Old
            {
                private readonly Kernel kernel;
                private readonly Page block;

                public Old(Kernel kernel)
                {
                    this.kernel = kernel;
                    block = kernel.AllocPages(Gfp.Kernel | Gfp.Comp | Gfp.Zero, 1);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if (vma.Pgoff + vma.Pages > OldModule.MapPages)
                        return -Errno.EINVAL;
                    vma.Ops = new VmOperations { NoPage = NoPage };
                    return 0;
                }

                private Page NoPage(VmArea vma, UserAddr address)
                {
                    var offset = (address - vma.Start) / Kernel.PageSize + vma.Pgoff;
                    var page = kernel.PfnToPage(kernel.PageToPfn(block) + offset);
                    kernel.GetPage(page);
                    return page;
                }

                public void Free() => kernel.FreePages(block, 1);
            }
            """, WithNoPage) { Probe = ProofProbe.Grow },
        new("pages inserted in ->mmap, no fault handler", """
            using DriverKit.Runtime;

            public static class RingModule
            {
                public const int MapPages = 2;
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
                private readonly Page[] pages = new Page[RingModule.MapPages];

                public Ring(Kernel kernel)
                {
                    this.kernel = kernel;
                    for (var i = 0; i < pages.Length; i++)
                        pages[i] = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if (vma.Pgoff != 0 || vma.Pages > (ulong)pages.Length)
                        return -Errno.EINVAL;
                    for (var i = 0UL; i < vma.Pages; i++)
                    {
                        var ret = kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, pages[i]);
                        if (ret != 0)
                            return ret;
                    }

                    return 0;
                }

                public void Free()
                {
                    foreach (var page in pages)
                        kernel.FreePage(page);
                }
            }
            """, AnonymousTail) { Probe = ProofProbe.Grow },
    ];

    /// <summary>The fault handler of DK0011's examples, in the <c>Dev</c> class: it inserts the page itself.</summary>
    private const string InsertingDriver = """
        using DriverKit.Runtime;

        public static class DevModule
        {
            public const int MapPages = 2;
            private static Dev? dev;

            public static void Init(Kernel kernel)
            {
                dev = new Dev(kernel);
                kernel.RegisterChrdev("/dev/dev", new FileOperations { Owner = "dev", Mmap = dev.Mmap });
            }

            public static void Exit(Kernel kernel) => dev?.Free();
        }

        public sealed class Dev
        {
            private readonly Kernel kernel;
            private readonly Page[] pages = new Page[DevModule.MapPages];
            private readonly VmOperations ops;

            public Dev(Kernel kernel)
            {
                this.kernel = kernel;
                for (var i = 0; i < pages.Length; i++)
                    pages[i] = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                ops = new VmOperations { Fault = Fault };
            }

            public int Mmap(OpenFile file, VmArea vma)
            {
                if (vma.Pgoff != 0 || vma.Pages > (ulong)pages.Length)
                    return -Errno.EINVAL;
                vma.Flags |= VmFlags.DontExpand;
                vma.Ops = ops;
                return 0;
            }

        """;

    /// <summary>The fault handler of the simplest DK0011 example: it inserts the page itself.</summary>
    private const string InsertingFault = """
            private VmFaultResult Fault(VmFault vmf)
            {
                if (vmf.Pgoff >= (ulong)pages.Length)
                    return VmFaultResult.Sigbus;
                var ret = kernel.VmInsertPage(vmf.Vma, vmf.Address, pages[vmf.Pgoff]);
                return ret == 0 || ret == -Errno.EBUSY ? VmFaultResult.NoPage : VmFaultResult.Sigbus;
            }

            public void Free()
            {
                foreach (var page in pages)
                    kernel.FreePage(page);
            }
        }
        """;

    /// <summary>DK0011: vm_insert_page from a fault handler on a VMA without VM_MIXEDMAP; fixed in ->mmap from 3.7.</summary>
    public static IEnumerable<FixProofExample> DK0011 =>
    [
        new("fault handler inserts the page itself", InsertingDriver + InsertingFault, InsertPageBugs),
        new("C port: a helper inserts for the fault handler", InsertingDriver + """
                private VmFaultResult Fault(VmFault vmf)
                {
                    VmArea vma;
                    int err;

                    vma = vmf.Vma;
                    if (vmf.Pgoff >= (ulong)pages.Length)
                        goto out_sigbus;
                    err = InsertOne(vma, vmf.Address, vmf.Pgoff);
                    if (err != 0 && err != -Errno.EBUSY)
                        goto out_sigbus;
                    return VmFaultResult.NoPage;
                out_sigbus:
                    return VmFaultResult.Sigbus;
                }

                private int InsertOne(VmArea vma, UserAddr address, ulong index) => kernel.VmInsertPage(vma, address, pages[index]);

                public void Free()
                {
                    foreach (var page in pages)
                        kernel.FreePage(page);
                }
            }
            """, InsertPageBugs),
    ];

    /// <summary>DK0011 where vm_insert_page only races (before 3.7): the runtime reports the unlocked flag write; no fix is offered.</summary>
    public static IEnumerable<FixProofExample> DK0011Racing =>
    [
        new("fault handler inserts the page itself, before 3.7", InsertingDriver + InsertingFault, InsertPageRaces),
    ];

    /// <summary>DK0009: a refcounted page inserted into a VMA remap_pfn_range made VM_PFNMAP; no mechanical fix.</summary>
    public static IEnumerable<FixProofExample> DK0009 =>
    [
        new("registers remapped, then a ring page inserted into the same VMA", """
            using DriverKit.Runtime;

            public static class MixModule
            {
                public const int MapPages = 2;
                private static Mix? mix;

                public static void Init(Kernel kernel)
                {
                    mix = new Mix(kernel);
                    kernel.RegisterChrdev("/dev/mix", new FileOperations { Owner = "mix", Mmap = mix.Mmap });
                }

                public static void Exit(Kernel kernel) => mix?.Free();
            }

            public sealed class Mix
            {
                private readonly Kernel kernel;
                private readonly Page regs;
                private readonly Page ring;

                public Mix(Kernel kernel)
                {
                    this.kernel = kernel;
                    regs = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                    ring = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    int ret;

                    if (vma.Pgoff != 0 || vma.Pages != 2 || (vma.Flags & VmFlags.Shared) == 0)
                        return -Errno.EINVAL;
                    ret = kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(regs), Kernel.PageSize, vma.PageProt);
                    if (ret != 0)
                        goto out_ret;
                    ret = kernel.VmInsertPage(vma, vma.Start + Kernel.PageSize, ring);
                out_ret:
                    return ret;
                }

                public void Free()
                {
                    kernel.FreePage(regs);
                    kernel.FreePage(ring);
                }
            }
            """, WithInsertPage),
    ];

    /// <summary>DK0012: fault paths that hand out the driver's pages without a reference, fixed with GetPage.</summary>
    public static IEnumerable<FixProofExample> DK0012 =>
    [
        new("fault handler hands out the table's page", """
            using DriverKit.Runtime;

            public static class TableModule
            {
                public const int MapPages = 2;
                private static Table? table;

                public static void Init(Kernel kernel)
                {
                    table = new Table(kernel);
                    kernel.RegisterChrdev("/dev/table", new FileOperations { Owner = "table", Mmap = table.Mmap });
                }

                public static void Exit(Kernel kernel) => table?.Free();
            }

            public sealed class Table
            {
                private readonly Kernel kernel;
                private readonly Page[] pages = new Page[TableModule.MapPages];

                public Table(Kernel kernel)
                {
                    this.kernel = kernel;
                    for (var i = 0; i < pages.Length; i++)
                        pages[i] = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    vma.Flags |= VmFlags.DontExpand;
                    vma.Ops = new VmOperations { Fault = Fault };
                    return 0;
                }

                private VmFaultResult Fault(VmFault vmf)
                {
                    if (vmf.Pgoff >= (ulong)pages.Length)
                        return VmFaultResult.Sigbus;
                    vmf.Page = pages[vmf.Pgoff];
                    return VmFaultResult.None;
                }

                public void Free()
                {
                    foreach (var page in pages)
                        kernel.FreePage(page);
                }
            }
            """, WithFault),
        new("C port: a helper given the fault fills it, goto error path", """
            using DriverKit.Runtime;

            public static class FillModule
            {
                public const int MapPages = 2;
                internal static Fill? dev;

                public static void Init(Kernel kernel)
                {
                    dev = new Fill(kernel);
                    kernel.RegisterChrdev("/dev/fill", new FileOperations { Owner = "fill", Mmap = dev.Mmap });
                }

                public static void Exit(Kernel kernel) => dev?.Free();
            }

            public sealed class Fill
            {
                private readonly Kernel kernel;
                private readonly Page[] pages = new Page[FillModule.MapPages];

                public Fill(Kernel kernel)
                {
                    this.kernel = kernel;
                    for (var i = 0; i < pages.Length; i++)
                        pages[i] = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    vma.Flags |= VmFlags.DontExpand;
                    vma.Ops = new VmOperations { Fault = FillFault };
                    return 0;
                }

                private VmFaultResult FillFault(VmFault vmf)
                {
                    int err;

                    err = FillOne(vmf);
                    if (err != 0)
                        goto out_sigbus;
                    return VmFaultResult.None;
                out_sigbus:
                    return VmFaultResult.Sigbus;
                }

                private int FillOne(VmFault vmf)
                {
                    Page page;

                    if (vmf.Pgoff >= (ulong)pages.Length)
                        return -Errno.EFAULT;
                    page = pages[vmf.Pgoff];
                    vmf.Page = page;
                    return 0;
                }

                public void Free()
                {
                    foreach (var page in pages)
                        kernel.FreePage(page);
                }
            }
            """, WithFault),
        new("nopage handler returns the page", """
            using DriverKit.Runtime;

            public static class NopModule
            {
                public const int MapPages = 2;
                private static Nop? nop;

                public static void Init(Kernel kernel)
                {
                    nop = new Nop(kernel);
                    kernel.RegisterChrdev("/dev/nop", new FileOperations { Owner = "nop", Mmap = nop.Mmap });
                }

                public static void Exit(Kernel kernel) => nop?.Free();
            }

            public sealed class Nop
            {
                private readonly Kernel kernel;
                private readonly Page[] pages = new Page[NopModule.MapPages];

                public Nop(Kernel kernel)
                {
                    this.kernel = kernel;
                    for (var i = 0; i < pages.Length; i++)
                        pages[i] = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    vma.Ops = new VmOperations { NoPage = NoPage };
                    return 0;
                }

                private Page NoPage(VmArea vma, UserAddr address)
                {
                    var offset = (address - vma.Start) / Kernel.PageSize + vma.Pgoff;
                    if (offset >= (ulong)pages.Length)
                        return default;
                    return pages[offset];
                }

                public void Free()
                {
                    foreach (var page in pages)
                        kernel.FreePage(page);
                }
            }
            """, WithNoPage),
    ];

    /// <summary>Where remap_pfn_range of a COW VMA must cover all of it (2.6.15-rc3).</summary>
    private static readonly string[] WithLinearRule = ["2.6.20", "2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>DK0020: pfn mappings that private mappings reach, fixed by refusing them in ->mmap.</summary>
    public static IEnumerable<FixProofExample> DK0020 =>
    [
        new("fault-based pfn map without a shared-mapping check", """
            using DriverKit.Runtime;

            public static class PfnModule
            {
                public const int MapPages = 2;
                private static Pfns? dev;

                public static void Init(Kernel kernel)
                {
                    dev = new Pfns(kernel);
                    kernel.RegisterChrdev("/dev/pfns", new FileOperations { Owner = "pfns", Mmap = dev.Mmap });
                }

                public static void Exit(Kernel kernel) => dev?.Free();
            }

            public sealed class Pfns
            {
                private readonly Kernel kernel;
                private readonly Page[] pages = new Page[PfnModule.MapPages];
                private readonly VmOperations ops;

                public Pfns(Kernel kernel)
                {
                    this.kernel = kernel;
                    for (var i = 0; i < pages.Length; i++)
                        pages[i] = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                    ops = new VmOperations { Fault = Fault };
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if (vma.Pgoff != 0 || vma.Pages > (ulong)pages.Length)
                        return -Errno.EINVAL;
                    vma.Flags |= VmFlags.PfnMap | VmFlags.IO | VmFlags.DontExpand;
                    vma.Ops = ops;
                    return 0;
                }

                private VmFaultResult Fault(VmFault vmf)
                {
                    if (vmf.Pgoff >= (ulong)pages.Length)
                        return VmFaultResult.Sigbus;
                    return kernel.VmfInsertPfn(vmf.Vma, vmf.Address, kernel.PageToPfn(pages[vmf.Pgoff]));
                }

                public void Free()
                {
                    foreach (var page in pages)
                        kernel.FreePage(page);
                }
            }
            """, WithFault) { Probe = ProofProbe.Private },
        new("C port: registers and ring remapped as two parts of the VMA", """
            using DriverKit.Runtime;

            public static class TwoModule
            {
                public const int MapPages = 2;
                private static Two? two;

                public static void Init(Kernel kernel)
                {
                    two = new Two(kernel);
                    kernel.RegisterChrdev("/dev/two", new FileOperations { Owner = "two", Mmap = two.Mmap });
                }

                public static void Exit(Kernel kernel) => two?.Free();
            }

            public sealed class Two
            {
                private readonly Kernel kernel;
                private readonly Page regs;
                private readonly Page ring;

                public Two(Kernel kernel)
                {
                    this.kernel = kernel;
                    regs = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                    ring = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    int ret;
                    UserAddr addr;

                    if (vma.Pgoff != 0 || vma.Pages != 2)
                        return -Errno.EINVAL;
                    addr = vma.Start;
                    ret = kernel.RemapPfnRange(vma, addr, kernel.PageToPfn(regs), Kernel.PageSize, vma.PageProt);
                    if (ret != 0)
                        goto out_ret;
                    addr += Kernel.PageSize;
                    ret = kernel.RemapPfnRange(vma, addr, kernel.PageToPfn(ring), Kernel.PageSize, vma.PageProt);
                out_ret:
                    return ret;
                }

                public void Free()
                {
                    kernel.FreePage(regs);
                    kernel.FreePage(ring);
                }
            }
            """, WithLinearRule) { Probe = ProofProbe.Private },
    ];

    /// <summary>DK0017: device windows served by a fault handler without VM_IO, fixed with VM_IO | VM_DONTDUMP in ->mmap.</summary>
    public static IEnumerable<FixProofExample> DK0017 =>
    [
        new("mixed map of registers filled by the fault handler", """
            using DriverKit.Runtime;

            public static class RegsModule
            {
                public const int MapPages = 2;
                private static Regs? regs;

                public static void Init(Kernel kernel)
                {
                    regs = new Regs(kernel);
                    kernel.RegisterChrdev("/dev/regs", new FileOperations { Owner = "regs", Mmap = regs.Mmap });
                }
            }

            public sealed class Regs
            {
                private readonly Kernel kernel;
                private readonly MmioRegion window;
                private readonly VmOperations ops;

                public Regs(Kernel kernel)
                {
                    this.kernel = kernel;
                    window = kernel.RegisterMmioRegion("regs", RegsModule.MapPages * Kernel.PageSize, new Registers());
                    ops = new VmOperations { Fault = Fault };
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if (vma.Pgoff + vma.Pages > RegsModule.MapPages)
                        return -Errno.EINVAL;
                    vma.Flags |= VmFlags.MixedMap | VmFlags.DontExpand;
                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    vma.Ops = ops;
                    return 0;
                }

                private VmFaultResult Fault(VmFault vmf)
                {
                    if (vmf.Pgoff >= RegsModule.MapPages)
                        return VmFaultResult.Sigbus;
                    return kernel.VmfInsertMixed(vmf.Vma, vmf.Address, window.StartPfn + vmf.Pgoff);
                }
            }
            """ + RulesIIExamples.Registers, WithFault) { Probe = ProofProbe.CoreDump },
    ];

    /// <summary>DK0013: pages handed out without a reference on a VM_IO or VM_RESERVED VMA, fixed with GetPage.</summary>
    public static IEnumerable<FixProofExample> DK0013 =>
    [
        new("VM_IO hoped to make the fault's page special", """
            using DriverKit.Runtime;

            public static class StoreModule
            {
                public const int MapPages = 2;
                private static Store? store;

                public static void Init(Kernel kernel)
                {
                    store = new Store(kernel);
                    kernel.RegisterChrdev("/dev/store", new FileOperations { Owner = "store", Mmap = store.Mmap });
                }

                public static void Exit(Kernel kernel) => store?.Free();
            }

            public sealed class Store
            {
                private readonly Kernel kernel;
                private readonly Page[] backing = new Page[StoreModule.MapPages];

                public Store(Kernel kernel)
                {
                    this.kernel = kernel;
                    for (var i = 0; i < backing.Length; i++)
                        backing[i] = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    // "the VM must not touch these pages"
                    vma.Flags |= VmFlags.IO | VmFlags.DontExpand;
                    vma.Ops = new VmOperations { Fault = Fault };
                    return 0;
                }

                private VmFaultResult Fault(VmFault vmf)
                {
                    if (vmf.Pgoff >= (ulong)backing.Length)
                        return VmFaultResult.Sigbus;
                    vmf.Page = backing[vmf.Pgoff];
                    return VmFaultResult.None;
                }

                public void Free()
                {
                    foreach (var page in backing)
                        kernel.FreePage(page);
                }
            }
            """, WithFault),
        new("VM_RESERVED and nopage, as spufs shipped it without get_page", """
            using DriverKit.Runtime;

            public static class SpeModule
            {
                public const int MapPages = 1;
                private static Spe? spe;

                public static void Init(Kernel kernel)
                {
                    spe = new Spe(kernel);
                    kernel.RegisterChrdev("/dev/spe", new FileOperations { Owner = "spe", Mmap = spe.Mmap });
                }

                public static void Exit(Kernel kernel) => spe?.Free();
            }

            public sealed class Spe
            {
                private readonly Kernel kernel;
                private readonly Page localStore;

                public Spe(Kernel kernel)
                {
                    this.kernel = kernel;
                    localStore = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    vma.Flags |= VmFlags.Reserved;
                    vma.Ops = new VmOperations { NoPage = NoPage };
                    return 0;
                }

                private Page NoPage(VmArea vma, UserAddr address) => localStore;

                public void Free() => kernel.FreePage(localStore);
            }
            """, "2.6.20"),
    ];

    /// <summary>
    /// DK0013's flip form: an ioctl switches the VMA to VM_PFNMAP while its pages are mapped; no mechanical fix. It shows where
    /// vm_normal_page classifies PTEs by the vma's flags (before pte_special, 2.6.26, on x86).
    /// </summary>
    public static IEnumerable<FixProofExample> DK0013Flip =>
    [
        new("ioctl sets VM_PFNMAP on a mapped VMA", """
            using DriverKit.Runtime;

            public static class FlipModule
            {
                public const int MapPages = 1;
                private static Flip? flip;

                public static void Init(Kernel kernel)
                {
                    flip = new Flip(kernel);
                    kernel.RegisterChrdev("/dev/flip", new FileOperations { Owner = "flip", Mmap = flip.Mmap, Ioctl = flip.Ioctl });
                }

                public static void Exit(Kernel kernel) => flip?.Free();
            }

            public sealed class Flip
            {
                private readonly Kernel kernel;
                private readonly Page page;
                private VmArea? mapped;

                public Flip(Kernel kernel)
                {
                    this.kernel = kernel;
                    page = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if ((vma.Flags & VmFlags.Shared) == 0)
                        return -Errno.EINVAL;
                    vma.Flags |= VmFlags.DontExpand;
                    mapped = vma;
                    return kernel.VmInsertPage(vma, vma.Start, page);
                }

                public long Ioctl(OpenFile file, uint cmd, ulong arg)
                {
                    if (mapped is null)
                        return -Errno.EINVAL;
                    mapped.Flags |= VmFlags.PfnMap;
                    return 0;
                }

                public void Free() => kernel.FreePage(page);
            }
            """, "2.6.20", "2.6.25") { Probe = ProofProbe.IoctlWhileMapped, IoctlCommand = 1 },
    ];
}
