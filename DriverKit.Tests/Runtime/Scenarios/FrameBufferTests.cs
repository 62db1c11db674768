using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Scenarios;

/// <summary>
/// A small display driver in the shape of DRM's shmem and TTM helpers: offset 0 maps a shadow frame buffer of individual
/// pages, which ->mmap inserts in one batch (vm_insert_pages from 5.7, a vm_insert_page loop before); the offsets from
/// <see cref="VramPgoff"/> map the card's VRAM aperture page by page from ->fault, write-combined, with
/// vmf_insert_pfn_prot (4.5+; before it the memory type goes into vm_page_prot at ->mmap and vm_insert_pfn maps). The
/// buggy variant maps the shadow lazily from ->fault with vm_insert_pages on a vma ->mmap did not make VM_MIXEDMAP.
/// </summary>
internal sealed class FrameBufferDriver
{
    public const string Owner = "fbdrv";
    public const int ShadowPages = 4;
    public const ulong VramPgoff = 0x100;
    public const int VramPages = 8;

    public FrameBufferDriver(Kernel kernel, bool lazyShadow = false)
    {
        Kernel = kernel;
        Vram = new VramModel();

        // The BAR belongs to the module, as a PCI probe's pci_request_regions would make it.
        Aperture = kernel.RegisterMmioRegion("fb-vram", VramPages * Kernel.PageSize, Vram, file: Owner);
        Node = kernel.RegisterChrdev("/dev/fb0", new FileOperations
        {
            Owner = Owner,
            Open = (_, _) =>
            {
                if (Shadow.Length == 0)
                {
                    Shadow = Enumerable.Range(0, ShadowPages).Select(_ => kernel.AllocPage(Gfp.Kernel | Gfp.Zero)).ToArray();
                }

                return 0;
            },
            Mmap = (_, vma) => vma.Pgoff >= VramPgoff ? MmapVram(vma) : lazyShadow ? MmapShadowLazily(vma) : MmapShadow(vma),
        });
    }

    public Kernel Kernel { get; }

    public VramModel Vram { get; }

    public MmioRegion Aperture { get; }

    public CharDevice Node { get; }

    public Page[] Shadow { get; private set; } = [];

    /// <summary>What the card scans out of the shadow buffer: the first byte of each page.</summary>
    public byte ScanOut(int page)
    {
        var pixel = new byte[1];
        Kernel.ReadKernel(Kernel.PageAddress(Shadow[page]), pixel);
        return pixel[0];
    }

    private int MmapShadow(VmArea vma)
    {
        if (vma.Pgoff >= ShadowPages || vma.Pages > ShadowPages - vma.Pgoff)
        {
            return -Errno.EINVAL;
        }

        vma.Flags |= VmFlags.DontExpand;
        if (!Kernel.Policy.Exists("Kernel.VmInsertPages"))
        {
            for (var i = 0UL; i < vma.Pages; i++)
            {
                var ret = Kernel.VmInsertPage(vma, vma.Start + (i << Kernel.PageShift), Shadow[(int)(vma.Pgoff + i)]);
                if (ret < 0)
                {
                    return ret;
                }
            }

            return 0;
        }

        var num = vma.Pages;
        return Kernel.VmInsertPages(vma, vma.Start, Shadow[(int)vma.Pgoff..], ref num);
    }

    private int MmapShadowLazily(VmArea vma)
    {
        // The bug this variant shows: vm_insert_pages from ->fault on a vma without VM_MIXEDMAP (DKMM011).
        vma.Ops = new VmOperations
        {
            Fault = vmf =>
            {
                var num = 1UL;
                return Kernel.VmInsertPages(vmf.Vma, vmf.Address.PageDown, [Shadow[vmf.Pgoff]], ref num) == 0 ? VmFaultResult.NoPage : VmFaultResult.Sigbus;
            },
        };
        return 0;
    }

    private int MmapVram(VmArea vma)
    {
        var first = vma.Pgoff - VramPgoff;
        if (first >= VramPages || vma.Pages > VramPages - first || vma.IsCowMapping)
        {
            return -Errno.EINVAL;
        }

        vma.Flags |= VmFlags.IO | VmFlags.PfnMap | VmFlags.DontExpand | VmFlags.DontDump;
        var perPage = Kernel.Policy.Exists("Kernel.VmfInsertPfnProt");
        if (!perPage)
        {
            vma.PageProt = Kernel.PgprotWritecombine(vma.PageProt);
        }

        vma.Ops = new VmOperations
        {
            Fault = vmf =>
            {
                var pfn = new Pfn(Aperture.StartPfn.Value + vmf.Pgoff - VramPgoff);
                return perPage
                    ? Kernel.VmfInsertPfnProt(vmf.Vma, vmf.Address, pfn, Kernel.PgprotWritecombine(vmf.Vma.PageProt))
                    : Kernel.VmfInsertPfn(vmf.Vma, vmf.Address, pfn);
            },
        };
        return 0;
    }

    /// <summary>The card's memory behind the aperture.</summary>
    internal sealed class VramModel : MmioDevice
    {
        public byte[] Bytes { get; } = new byte[VramPages * Kernel.PageSize];

        public override byte Read(ulong offset) => Bytes[offset];

        public override void Write(ulong offset, byte value) => Bytes[offset] = value;
    }
}

public sealed class FrameBufferTests
{
    private const ulong P = Kernel.PageSize;

    [Theory]
    [InlineData("4.4")]
    [InlineData("4.19")]
    [InlineData("5.7")]
    [InlineData(E6)]
    [InlineData(E7)]
    public void Shadow_and_aperture_are_drawn_through_forked_and_torn_down_cleanly(string version)
    {
        var k = Boot(version, strict: true);
        var driver = new FrameBufferDriver(k);
        var u = k.Spawn("compositor");
        var fd = u.OpenOk("/dev/fb0");
        var shadow = u.Map(FrameBufferDriver.ShadowPages * P, fd: fd);
        var vram = u.Map(2 * P, fd: fd, offset: (FrameBufferDriver.VramPgoff + 2) * P);

        // Shadow: normal PTEs to the driver's pages, which the card scans out.
        for (var i = 0; i < FrameBufferDriver.ShadowPages; i++)
        {
            Assert.True(u.WriteByte(shadow + (ulong)i * P, (byte)(0x10 + i)).IsOk);
            Assert.Equal(0x10 + i, driver.ScanOut(i));
        }

        Assert.True(u.Mm.VmaAt(shadow)!.Flags.HasFlag(VmFlags.MixedMap));
        Assert.Equal(Repeat(2, FrameBufferDriver.ShadowPages), k.Refcounts(driver.Shadow));

        // Aperture: special, write-combined PTEs to VRAM pages 2 and 3.
        Assert.True(u.WriteByte(vram + P + 9, 0x77).IsOk);
        Assert.Equal(0x77, driver.Vram.Bytes[3 * P + 9]);
        Assert.Equal(CacheMode.WriteCombining, Pte.CacheOf(u.Mm.GetPte(vram.Value + P)));

        // fork copies the shadow's PTEs (VM_MIXEDMAP), and the child's aperture faults in again.
        var child = u.Fork().Unwrap();
        Assert.Equal(Repeat(3, FrameBufferDriver.ShadowPages), k.Refcounts(driver.Shadow));
        Assert.True(child.ReadByte(shadow + 2 * P, out var pixel).IsOk);
        Assert.Equal(0x12, pixel);
        Assert.True(child.ReadByte(vram + P + 9, out var texel).IsOk);
        Assert.Equal(0x77, texel);
        Assert.True(child.Exit().IsOk);

        Assert.True(u.Exit().IsOk);
        Assert.Equal(Repeat(1, FrameBufferDriver.ShadowPages), k.Refcounts(driver.Shadow));
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }

    [Theory]
    [InlineData("5.7")]
    [InlineData(E7)]
    public void Offsets_past_the_shadow_are_refused_before_anything_is_inserted(string version)
    {
        var k = Boot(version, strict: true);
        var driver = new FrameBufferDriver(k);
        var u = k.Spawn("compositor");
        var fd = u.OpenOk("/dev/fb0");
        Assert.Equal(Errno.EINVAL, u.Mmap(default, 2 * P, Prot.Read, MapFlags.Shared, fd, 3 * P).Errno);
        Assert.Equal(Errno.EINVAL, u.Mmap(default, P, Prot.Read | Prot.Write, MapFlags.Private, fd, FrameBufferDriver.VramPgoff * P).Errno);
        Assert.Equal(Repeat(1, FrameBufferDriver.ShadowPages), k.Refcounts(driver.Shadow));
        Assert.Empty(k.Reports);
    }

    [Theory]
    [InlineData("5.7", "down_read_trylock(&vma->vm_mm->mmap_sem)")]
    [InlineData(E7, "mmap_read_trylock(vma->vm_mm)")]
    public void Mapping_the_shadow_lazily_from_the_fault_handler_is_a_kernel_BUG(string version, string trylock)
    {
        var k = Boot(version, strict: true);
        var driver = new FrameBufferDriver(k, lazyShadow: true);
        var u = k.Spawn("compositor");
        var shadow = u.Map(FrameBufferDriver.ShadowPages * P, fd: u.OpenOk("/dev/fb0"));

        var r = u.WriteByte(shadow, 0x10);
        Assert.NotNull(r.Oops);
        Assert.Contains($"kernel BUG at mm/memory.c! (vm_insert_pages: BUG_ON({trylock}))", r.Oops.Text, StringComparison.Ordinal);
        Assert.Equal("DK0011", r.Oops.RuleId);
        Assert.Equal(Repeat(1, FrameBufferDriver.ShadowPages), k.Refcounts(driver.Shadow));
    }
}
