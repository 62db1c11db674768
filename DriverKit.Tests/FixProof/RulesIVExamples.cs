namespace DriverKit.Tests.FixProof;

/// <summary>
/// Whole drivers that DK0014 and DK0018's free-while-mapped form flag, tidy ones and C-port shapes, with the kernels in which the
/// bug shows on the runtime when user space probes the device (<see cref="ProofProbe"/>). <see cref="RulesIVFixProofTests"/>
/// runs them through <see cref="FixProofHarness"/>.
/// </summary>
internal static class RulesIVExamples
{
    /// <summary>The eras on either side of every boundary the rules cross (the VM_MAYWRITE fix's spelling changes at 6.x).</summary>
    private static readonly string[] Eras = ["2.6.14", "2.6.20", "2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>Where vm_iomap_memory exists (3.9), which the window fix maps with.</summary>
    private static readonly string[] WithIomapMemory = ["3.9", "6.6", "7.0"];

    /// <summary>From 2.6.15, where remap_pfn_range maps RAM without PG_reserved (2.6.14 skips it: nothing is mapped to free).</summary>
    private static readonly string[] Since2615 = ["2.6.15-rc1", "2.6.20", "2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>Where vm_insert_page exists.</summary>
    private static readonly string[] WithInsertPage = ["2.6.20", "2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>Where vmf_insert_pfn and VM_PFNMAP fault handlers exist (->fault from 2.6.26).</summary>
    private static readonly string[] WithFaultPfn = ["2.6.28", "3.7", "6.6", "7.0"];

    /// <summary>DK0014 on device windows, fixed with VmIomapMemory.</summary>
    public static IEnumerable<FixProofExample> DK0014 =>
    [
        new("register window remapped at the user's offset and length", """
            using DriverKit.Runtime;

            public static class WinModule
            {
                public const int MapPages = 2;
                private static Win? win;

                public static void Init(Kernel kernel)
                {
                    win = new Win(kernel);
                    kernel.RegisterChrdev("/dev/win", new FileOperations { Owner = "win", Mmap = win.Mmap });
                }
            }

            public sealed class Win
            {
                private readonly Kernel kernel;
                private readonly MmioRegion regs;

                public Win(Kernel kernel)
                {
                    this.kernel = kernel;
                    regs = kernel.RegisterMmioRegion("win", WinModule.MapPages * Kernel.PageSize, new Registers());
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    return kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn + vma.Pgoff, vma.Length, vma.PageProt);
                }
            }
            """ + RulesIIExamples.Registers, WithIomapMemory) { Probe = ProofProbe.Bounds },
        new("C port: size declared at the top, goto error path", """
            using DriverKit.Runtime;

            public static class BarModule
            {
                public const int MapPages = 2;
                private static Bar? bar;

                public static void Init(Kernel kernel)
                {
                    bar = new Bar(kernel);
                    kernel.RegisterChrdev("/dev/bar0", new FileOperations { Owner = "bar", Mmap = bar.Mmap });
                }
            }

            public sealed class Bar
            {
                private readonly Kernel kernel;
                private readonly MmioRegion window;

                public Bar(Kernel kernel)
                {
                    this.kernel = kernel;
                    window = kernel.RegisterMmioRegion("bar0", BarModule.MapPages * Kernel.PageSize, new Registers());
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    int ret;

                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    ret = kernel.IoRemapPfnRange(vma, vma.Start, window.StartPfn + vma.Pgoff, vma.End - vma.Start, vma.PageProt);
                    if (ret != 0)
                        goto out_err;
                    return 0;
                out_err:
                    return ret;
                }
            }
            """ + RulesIIExamples.Registers, WithIomapMemory) { Probe = ProofProbe.Bounds },
    ];

    /// <summary>DK0014 on RAM and in fault handlers: the bug shows and no mechanical fix is offered (the bound is the driver's to state).</summary>
    public static IEnumerable<FixProofExample> DK0014Unfixable =>
    [
        new("RAM block remapped at the user's offset", """
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
                private readonly Page block;

                public Ring(Kernel kernel)
                {
                    this.kernel = kernel;
                    block = kernel.AllocPages(Gfp.Kernel | Gfp.Comp | Gfp.Zero, 1);
                }

                public int Mmap(OpenFile file, VmArea vma) =>
                    kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + vma.Pgoff, vma.Length, vma.PageProt);

                public void Free() => kernel.FreePages(block, 1);
            }
            """, Eras) { Probe = ProofProbe.Bounds },
        new("C port: insert loop bounded by the vma's size", """
            using DriverKit.Runtime;

            public static class GrabModule
            {
                public const int MapPages = 2;
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
                private readonly Page frames;

                public Grab(Kernel kernel)
                {
                    this.kernel = kernel;
                    frames = kernel.AllocPages(Gfp.Kernel | Gfp.Comp | Gfp.Zero, 1);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    ulong i;
                    int ret = 0;

                    for (i = 0; i < vma.Pages; i++)
                    {
                        ret = kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(frames) + i));
                        if (ret != 0)
                            goto out_err;
                    }

                    return 0;
                out_err:
                    return ret;
                }

                public void Free() => kernel.FreePages(frames, 1);
            }
            """, WithInsertPage) { Probe = ProofProbe.Bounds },
        new("pfn fault handler picks by the fault's offset", """
            using DriverKit.Runtime;

            public static class FbModule
            {
                public const int MapPages = 2;
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
                private readonly Page screen;
                private readonly VmOperations ops;

                public Fb(Kernel kernel)
                {
                    this.kernel = kernel;
                    screen = kernel.AllocPages(Gfp.Kernel | Gfp.Comp | Gfp.Zero, 1);
                    ops = new VmOperations { Fault = FbFault };
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if ((vma.Flags & VmFlags.Shared) == 0)
                        return -Errno.EINVAL;
                    vma.Flags |= VmFlags.IO | VmFlags.PfnMap | VmFlags.DontExpand;
                    vma.Ops = ops;
                    return 0;
                }

                private VmFaultResult FbFault(VmFault vmf) =>
                    kernel.VmfInsertPfn(vmf.Vma, vmf.Address, kernel.PageToPfn(screen) + vmf.Pgoff);

                public void Free() => kernel.FreePages(screen, 1);
            }
            """, WithFaultPfn) { Probe = ProofProbe.Bounds },
    ];

    /// <summary>DK0014's VM_MAYWRITE form, fixed by clearing VM_MAYWRITE after the VM_WRITE test.</summary>
    public static IEnumerable<FixProofExample> DK0014MayWrite =>
    [
        new("read-only firmware page refuses VM_WRITE", """
            using DriverKit.Runtime;

            public static class RomModule
            {
                private static Rom? rom;

                public static void Init(Kernel kernel)
                {
                    rom = new Rom(kernel);
                    kernel.RegisterChrdev("/dev/rom", new FileOperations { Owner = "rom", Mmap = rom.Mmap });
                }

                public static void Exit(Kernel kernel) => rom?.Free();
            }

            public sealed class Rom
            {
                private readonly Kernel kernel;
                private readonly Page image;

                public Rom(Kernel kernel)
                {
                    this.kernel = kernel;
                    image = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if ((vma.Flags & VmFlags.Write) != 0)
                        return -Errno.EPERM;
                    if (vma.Pgoff != 0 || vma.Length != Kernel.PageSize)
                        return -Errno.EINVAL;
                    return kernel.VmInsertPage(vma, vma.Start, image);
                }

                public void Free() => kernel.FreePage(image);
            }
            """, WithInsertPage) { Probe = ProofProbe.Bounds },
        new("C port: VM_WRITE test jumps to an error label", """
            using DriverKit.Runtime;

            public static class OtpModule
            {
                private static Otp? otp;

                public static void Init(Kernel kernel)
                {
                    otp = new Otp(kernel);
                    kernel.RegisterChrdev("/dev/otp", new FileOperations { Owner = "otp", Mmap = otp.Mmap });
                }

                public static void Exit(Kernel kernel) => otp?.Free();
            }

            public sealed class Otp
            {
                private readonly Kernel kernel;
                private readonly Page fuses;

                public Otp(Kernel kernel)
                {
                    this.kernel = kernel;
                    fuses = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    int ret;

                    ret = -Errno.EACCES;
                    if (vma.Flags.HasFlag(VmFlags.Write))
                        goto out_err;
                    ret = -Errno.EINVAL;
                    if (vma.Pgoff != 0 || vma.Pages != 1)
                        goto out_err;
                    ret = kernel.VmInsertPage(vma, vma.Start, fuses);
                out_err:
                    return ret;
                }

                public void Free() => kernel.FreePage(fuses);
            }
            """, WithInsertPage) { Probe = ProofProbe.Bounds },
    ];

    /// <summary>DK0018's free-while-mapped form: the physical use-after-free shows, and no mechanical fix is offered.</summary>
    public static IEnumerable<FixProofExample> DK0018Freed =>
    [
        new("ioctl frees the remapped buffer", """
            using DriverKit.Runtime;

            public static class BufModule
            {
                public const uint FreeBuf = 0x4201;
                private static Buf? dev;

                public static void Init(Kernel kernel)
                {
                    dev = new Buf(kernel);
                    kernel.RegisterChrdev("/dev/buf", new FileOperations { Owner = "buf", Mmap = dev.Mmap, Ioctl = dev.Ioctl });
                }

                public static void Exit(Kernel kernel) => dev?.Free();
            }

            public sealed class Buf
            {
                private readonly Kernel kernel;
                private Page page;

                public Buf(Kernel kernel)
                {
                    this.kernel = kernel;
                    page = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if (page.IsNull || vma.Pgoff != 0 || vma.Length != Kernel.PageSize)
                        return -Errno.EINVAL;
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(page), Kernel.PageSize, vma.PageProt);
                }

                public long Ioctl(OpenFile file, uint cmd, ulong arg)
                {
                    if (cmd != BufModule.FreeBuf)
                        return -Errno.ENOTTY;
                    Free();
                    return 0;
                }

                public void Free()
                {
                    if (page.IsNull)
                        return;
                    kernel.FreePage(page);
                    page = default;
                }
            }
            """, Since2615) { Probe = ProofProbe.IoctlWhileMapped, IoctlCommand = 0x4201 },
        new("C port: switch in the ioctl, free in a helper", """
            using DriverKit.Runtime;

            public static class DmaBufModule
            {
                public const int MapPages = 2;
                public const uint Reset = 7;
                private static DmaBuf? dev;

                public static void Init(Kernel kernel)
                {
                    dev = new DmaBuf(kernel);
                    kernel.RegisterChrdev("/dev/dmabuf", new FileOperations { Owner = "dmabuf", Mmap = dev.Mmap, Ioctl = dev.Ioctl, Release = dev.Release });
                }
            }

            public sealed class DmaBuf
            {
                private readonly Kernel kernel;
                private KernelAddr vaddr;

                public DmaBuf(Kernel kernel)
                {
                    this.kernel = kernel;
                    vaddr = kernel.GetFreePages(Gfp.Kernel | Gfp.Zero, 1);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    int ret;

                    ret = -Errno.EINVAL;
                    if (vaddr.IsNull || vma.Pgoff != 0 || vma.Pages > DmaBufModule.MapPages)
                        goto out_err;
                    ret = kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(vaddr).ToPfn(), vma.Length, vma.PageProt);
                out_err:
                    return ret;
                }

                public long Ioctl(OpenFile file, uint cmd, ulong arg)
                {
                    long ret = 0;

                    switch (cmd)
                    {
                        case DmaBufModule.Reset:
                            FreeBuffer();
                            vaddr = kernel.GetFreePages(Gfp.Kernel | Gfp.Zero, 1);
                            break;
                        default:
                            ret = -Errno.ENOTTY;
                            break;
                    }

                    return ret;
                }

                public int Release(Inode inode, OpenFile file)
                {
                    FreeBuffer();
                    return 0;
                }

                private void FreeBuffer()
                {
                    KernelAddr p;

                    p = vaddr;
                    if (p.IsNull)
                        return;
                    vaddr = default;
                    kernel.FreePages(p, 1);
                }
            }
            """, Since2615) { Probe = ProofProbe.IoctlWhileMapped, IoctlCommand = 7 },
        new("one VMA's close frees the buffer the others map", """
            using DriverKit.Runtime;

            public static class ShareModule
            {
                private static Share? dev;

                public static void Init(Kernel kernel)
                {
                    dev = new Share(kernel);
                    kernel.RegisterChrdev("/dev/share", new FileOperations { Owner = "share", Mmap = dev.Mmap });
                }

                public static void Exit(Kernel kernel) => dev?.Free();
            }

            public sealed class Share
            {
                private readonly Kernel kernel;
                private readonly VmOperations ops;
                private Page page;
                private int users;

                public Share(Kernel kernel)
                {
                    this.kernel = kernel;
                    page = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                    ops = new VmOperations { Open = vma => users++, Close = ShareClose };
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if (page.IsNull || vma.Pgoff != 0 || vma.Length != Kernel.PageSize)
                        return -Errno.EINVAL;
                    users++;
                    vma.Ops = ops;
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(page), Kernel.PageSize, vma.PageProt);
                }

                private void ShareClose(VmArea vma)
                {
                    users--;
                    Free();
                }

                public void Free()
                {
                    if (page.IsNull)
                        return;
                    kernel.FreePage(page);
                    page = default;
                }
            }
            """, Since2615),
    ];
}
