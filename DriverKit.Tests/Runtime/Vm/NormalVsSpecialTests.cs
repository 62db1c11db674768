using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>
/// §1.1: which PTEs the era's vm_normal_page calls normal (refcounted, rmapped, counted in rss) and which special,
/// for each installing API, and what fork and munmap then do with them.
/// </summary>
public sealed class NormalVsSpecialTests
{
    private const ulong Size = 4 * Kernel.PageSize;

    private static (Kernel K, TestDevice Dev, Process U, UserAddr A) Mapped(string version, Func<Kernel, TestDevice, Func<VmArea, int>> mmap, MapFlags flags = MapFlags.Shared, bool pteSpecial = true, bool touch = true)
    {
        var k = Boot(version, strict: true, pteSpecial: pteSpecial);
        var dev = new TestDevice(k);
        dev.OnMmap = mmap(k, dev);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/test");
        var a = u.Map(Size, flags: flags, fd: fd);
        if (touch)
        {
            u.ReadAll(a, 4);
        }

        return (k, dev, u, a);
    }

    private static Func<Kernel, TestDevice, Func<VmArea, int>> Remap => (k, dev) => vma =>
    {
        for (var i = 0; i < 4; i++)
        {
            k.SetPageReserved(dev.Pages[i]); // so ≤ 2.6.14 maps them too
        }

        var first = k.PageToPfn(dev.Pages[0]);
        var contiguous = dev.Pages.Select((p, i) => k.PageToPfn(p).Value - first.Value == (ulong)i).All(x => x);
        Assert.True(contiguous);
        return k.RemapPfnRange(vma, vma.Start, first, vma.Length, vma.PageProt);
    };

    private static Func<Kernel, TestDevice, Func<VmArea, int>> Insert => (k, dev) => vma =>
    {
        for (var i = 0; i < 4; i++)
        {
            var ret = k.VmInsertPage(vma, vma.Start + (ulong)i * Kernel.PageSize, dev.Pages[i]);
            if (ret != 0)
            {
                return ret;
            }
        }

        return 0;
    };

    [Theory]
    [InlineData(E0)]
    [InlineData(E1)]
    [InlineData(E2)]
    [InlineData(E3)]
    [InlineData(E5)]
    [InlineData(E7)]
    public void RemapPfnRangeMakesSpecialPtesInEveryEra(string version)
    {
        var (k, dev, u, a) = Mapped(version, Remap);
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        Assert.Equal(Repeat(0, 4), k.Mapcounts(dev.Pages));
        Assert.Equal(0, u.Mm.RssFile);
        var vma = u.Mm.VmaAt(a)!;
        Assert.Equal(k.Policy.RemapPfnRangeFlags, vma.Flags & k.Policy.RemapPfnRangeFlags);
        Assert.True(u.ReadByte(a + Kernel.PageSize, out var b).IsOk);
        Assert.Equal((byte)'b', b);
        var child = u.Fork().Unwrap();
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        Assert.True(child.Exit().IsOk);
        Assert.True(u.Munmap(a, Size).IsOk);
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        Assert.DoesNotContain(k.Reports, r => r.Invariant is "INV-02" or "INV-04");
    }

    /// <summary>
    /// 2.6.15-rc4 and -rc5 have vm_insert_page but no VM_INSERTPAGE (rc6): the vma gets no mark, and fork, which copies only
    /// anonymous and marked vmas, leaves the inserted pages out of the child (the bug rc6 fixed).
    /// </summary>
    [Theory]
    [InlineData("2.6.15-rc4")]
    [InlineData("2.6.15-rc5")]
    public void BeforeVmInsertPageMarkedTheVmaForkLeftItsPagesOut(string version)
    {
        var (k, dev, u, a) = Mapped(version, Insert, touch: false);
        Assert.Equal(Repeat(2, 4), k.Refcounts(dev.Pages));
        Assert.False(u.Mm.VmaAt(a)!.Flags.HasFlag(VmFlags.InsertPage));
        var child = u.Fork().Unwrap();
        Assert.Equal(Repeat(2, 4), k.Refcounts(dev.Pages));
        Assert.Equal(0, child.Mm.RssFile);
        Assert.True(child.Exit().IsOk);
        Assert.True(u.Munmap(a, Size).IsOk);
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData(E3, VmFlags.InsertPage)]
    [InlineData(E4, VmFlags.InsertPage)]
    [InlineData(E5, VmFlags.MixedMap)]
    [InlineData(E7, VmFlags.MixedMap)]
    public void VmInsertPageMakesNormalPtesAndForkCopiesThem(string version, VmFlags marker)
    {
        var (k, dev, u, a) = Mapped(version, Insert, touch: false);
        Assert.Equal(Repeat(2, 4), k.Refcounts(dev.Pages));
        Assert.Equal(Repeat(1, 4), k.Mapcounts(dev.Pages));
        Assert.Equal(4, u.Mm.RssFile);
        Assert.True(u.Mm.VmaAt(a)!.Flags.HasFlag(marker));
        var child = u.Fork().Unwrap();
        Assert.Equal(Repeat(3, 4), k.Refcounts(dev.Pages));
        Assert.Equal(4, child.Mm.RssFile);
        Assert.True(child.Exit().IsOk);
        Assert.True(u.Munmap(a, Size).IsOk);
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData(E3Fault)]
    [InlineData(E4)]
    [InlineData(E7)]
    public void FaultPagesAreNormalAndForkLeavesThemToRefault(string version)
    {
        var (k, dev, u, a) = Mapped(version, (k, dev) => vma => { vma.Ops = dev.FaultOps(); return 0; });
        Assert.Equal(Repeat(2, 4), k.Refcounts(dev.Pages));
        Assert.Equal(Repeat(1, 4), k.Mapcounts(dev.Pages));
        var child = u.Fork().Unwrap();
        Assert.Equal(Repeat(2, 4), k.Refcounts(dev.Pages)); // not copied: shared, no anon_vma
        Assert.Equal(0, child.Mm.RssFile);
        child.ReadAll(a, 4);
        Assert.Equal(Repeat(3, 4), k.Refcounts(dev.Pages));
        Assert.True(child.Exit().IsOk);
        Assert.True(u.Munmap(a, Size).IsOk);
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData(true, 1, 0)]
    [InlineData(false, 2, 1)]
    public void VmfInsertMixedIsSpecialOnlyWithPteSpecial(bool pteSpecial, int rc, int mc)
    {
        var (k, dev, u, a) = Mapped(E7, (k, dev) => vma =>
        {
            vma.Flags |= VmFlags.MixedMap;
            vma.Ops = new VmOperations { Fault = vmf => k.VmfInsertMixed(vmf.Vma, vmf.Address, k.PageToPfn(dev.Pages[vmf.Pgoff])) };
            return 0;
        }, pteSpecial: pteSpecial);
        Assert.Equal(Repeat(rc, 4), k.Refcounts(dev.Pages));
        Assert.Equal(Repeat(mc, 4), k.Mapcounts(dev.Pages));
        Assert.True(u.Munmap(a, Size).IsOk);
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
    }

    [Theory]
    [InlineData(E3, true)]    // linear rule: pfn == vm_pgoff + index ⇒ special even in a COW mapping
    [InlineData(E4, false)]   // no pte_special: the same linear rule
    [InlineData(E7, true)]
    public void PrivateRemapIsSpecialAndCowCopiesFromIt(string version, bool pteSpecial)
    {
        var (k, dev, u, a) = Mapped(version, Remap, MapFlags.Private, pteSpecial);
        var vma = u.Mm.VmaAt(a)!;
        Assert.Equal(k.PageToPfn(dev.Pages[0]).Value, vma.Pgoff); // get_remap_pgoff: vm_pgoff := pfn for COW mappings
        Assert.True(u.WriteByte(a, (byte)'X').IsOk);                // wp_page_copy from a special PTE
        Assert.Equal(1, u.Mm.RssAnon);
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        var back = new byte[1];
        k.ReadKernel(k.PageAddress(dev.Pages[0]), back);
        Assert.Equal((byte)'a', back[0]); // the driver's page is untouched
        Assert.True(u.ReadByte(a, out var mine).IsOk);
        Assert.Equal((byte)'X', mine);
    }

    [Fact]
    public void PartialRemapOfACowMappingIsRefused()
    {
        var k = Boot(E7);
        var dev = new TestDevice(k);
        var ret = int.MaxValue;
        dev.OnMmap = vma => ret = k.RemapPfnRange(vma, vma.Start + Kernel.PageSize, k.PageToPfn(dev.Pages[0]), Kernel.PageSize, vma.PageProt);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/test");
        var r = u.Mmap(default, Size, Prot.Read, MapFlags.Private, fd);
        Assert.Equal(Errno.EINVAL, r.Errno);
        Assert.Equal(-Errno.EINVAL, ret);
        Assert.Empty(u.Mm.VmAreas);
    }

    [Fact]
    public void Era0RemapSkipsUnreservedRamAndTheUserGetsAnonymousPages()
    {
        var k = Boot(E0, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma => k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]), vma.Length, vma.PageProt);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/test");
        var a = u.Map(Size, fd: fd);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-11" && r.Text.Contains("silently skipped 4 RAM frame"));
        Assert.True(u.ReadByte(a, out var b).IsOk);
        Assert.Equal(0, b); // the zero page, not 'a'
        Assert.True(u.WriteByte(a, 1).IsOk);
        Assert.Equal(1, u.Mm.RssAnon); // a private anonymous page inside a MAP_SHARED device vma
    }
}
