using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Mm;

/// <summary>kvmalloc/kvfree, vmalloc_32/vmalloc_32_user, vmap/vunmap, get_order and PAGE_ALIGN.</summary>
public sealed class KvmallocVmapTests
{
    [Theory]
    [InlineData("4.12")]
    [InlineData(E7)]
    public void Kvmalloc_uses_kmalloc_when_it_can_and_vmalloc_when_it_cannot(string version)
    {
        var k = Boot(version, strict: true);
        var free = k.FreePageCount;

        var small = k.Kvmalloc(100, Gfp.Kernel | Gfp.Zero);
        Assert.False(small.IsVmalloc);
        k.WriteKernel(small.ToKernelAddr(), [1, 2, 3]);

        var big = k.Kvmalloc(64UL << 20, Gfp.Kernel); // beyond KMALLOC_MAX_SIZE, and more than this machine's RAM
        Assert.True(big.IsNull);
        var large = k.Kvmalloc(5UL << 20, Gfp.Kernel); // beyond KMALLOC_MAX_SIZE (4 MiB): vmalloc
        Assert.True(large.IsVmalloc);
        k.WriteVmalloc(large.ToVmallocAddr() + (4UL << 20), [9]);
        Assert.Throws<InvalidOperationException>(() => large.ToKernelAddr());

        Assert.True(k.Kvmalloc(5UL << 20, Gfp.Atomic).IsNull); // no vmalloc fallback for non-GFP_KERNEL flags
        Assert.Equal(Kernel.ZeroSizePtr.Value, k.Kvmalloc(0, Gfp.Kernel).Value);

        k.Kvfree(small);
        k.Kvfree(large);
        k.Kvfree(default(KvAddr));
        k.Kvfree(new KvAddr(Kernel.ZeroSizePtr.Value));
        k.DrainAllPages();
        Assert.Equal(free, k.FreePageCount);
        Assert.Empty(k.Reports);
    }

    [Fact]
    public void Kvfree_frees_plain_kmalloc_and_vmalloc_memory_and_refuses_a_double_free()
    {
        var k = Boot(E7, strict: true);
        var km = k.Kmalloc(64, Gfp.Kernel);
        var vm = k.Vmalloc(3 * Kernel.PageSize);
        k.Kvfree(km);
        k.Kvfree(vm);
        Assert.Throws<KernelBugException>(() => k.Kvfree(vm));
        Assert.Throws<KernelBugException>(() => k.Kvfree(km));
        Assert.Throws<ArgumentException>(() => k.Kvfree(new KvAddr(0x1000)));
    }

    [Theory]
    [InlineData("4.11", true, true)]
    [InlineData("3.14", true, false)]
    [InlineData("3.15", true, true)]
    public void Kvmalloc_exists_from_4_12_and_kvfree_from_3_15(string version, bool kvmallocMissing, bool kvfreeExists)
    {
        var k = Boot(version);
        Assert.Equal(kvmallocMissing, Record.Exception(() => k.Kvmalloc(10, Gfp.Kernel)) is EraMismatchException);
        var e = Record.Exception(() => k.Kvfree(default(KvAddr)));
        Assert.Equal(kvfreeExists, e is null);
        Assert.Equal(!kvfreeExists, e is EraMismatchException);
    }

    [Theory]
    [InlineData("2.6.10", false)]
    [InlineData("2.6.17", false)]
    [InlineData("2.6.18", true)]
    [InlineData(E7, true)]
    public void Vmalloc_32_works_everywhere_and_vmalloc_32_user_from_2_6_18(string version, bool userExists)
    {
        var k = Boot(version, strict: true);
        var a = k.Vmalloc32(2 * Kernel.PageSize);
        Assert.False(a.IsNull);
        Assert.True(k.VmallocToPfn(a).Value < 1UL << 20);
        k.Vfree(a);
        if (userExists)
        {
            var u = k.Vmalloc32User(Kernel.PageSize);
            Assert.False(u.IsNull);
            k.Vfree(u);
        }
        else
        {
            Assert.Throws<EraMismatchException>(() => k.Vmalloc32User(Kernel.PageSize));
        }

        Assert.True(k.Vmalloc32(0).IsNull);
        Assert.True(k.Vmalloc32(ulong.MaxValue).IsNull);
        Assert.Empty(k.Reports);
    }

    [Fact]
    public void Vmalloc_32_user_memory_can_be_remapped_to_user_space()
    {
        var k = Boot(E7, strict: true);
        var buf = k.Vmalloc32User(2 * Kernel.PageSize);
        k.WriteVmalloc(buf + Kernel.PageSize, [0x33]);
        var dev = new Vm.TestDevice(k, pages: 0) { OnMmap = vma => k.RemapVmallocRange(vma, buf, 0) };
        var u = k.Spawn("user");
        var addr = u.Map(2 * Kernel.PageSize, fd: u.OpenOk("/dev/test"));
        Assert.True(u.ReadByte(addr + Kernel.PageSize, out var v).IsOk);
        Assert.Equal(0x33, v);
        Assert.NotNull(dev);
    }

    [Theory]
    [InlineData("2.6.10")]
    [InlineData(E7)]
    public void Vmap_maps_scattered_pages_contiguously_without_taking_references(string version)
    {
        var k = Boot(version, strict: true);
        var pages = new[] { k.AllocPage(Gfp.Kernel), k.AllocPage(Gfp.Kernel), k.AllocPage(Gfp.Kernel) };
        k.WriteKernel(k.PageAddress(pages[2]), [0x99]);

        var v = k.Vmap(pages, 3);
        Assert.False(v.IsNull);
        Assert.Equal(pages[1], k.VmallocToPage(v + Kernel.PageSize));
        var b = new byte[1];
        k.ReadVmalloc(v + 2 * Kernel.PageSize, b);
        Assert.Equal(0x99, b[0]);
        k.WriteVmalloc(v, [0x11]);
        var back = new byte[1];
        k.ReadKernel(k.PageAddress(pages[0]), back);
        Assert.Equal(0x11, back[0]);
        Assert.All(pages, p => Assert.Equal(1, k.PageCount(p)));

        k.Vunmap(v);
        Assert.All(pages, p => Assert.Equal(1, k.PageCount(p))); // the pages stay the caller's
        Assert.Throws<KernelBugException>(() => k.Vunmap(v));
        k.Vunmap(default);
        foreach (var p in pages)
        {
            k.FreePage(p);
        }

        Assert.DoesNotContain(k.Reports, r => r.Kind == ReportKind.Simulator);
    }

    [Fact]
    public void Vfree_of_a_vmap_area_unmaps_it_and_frees_no_page()
    {
        var k = Boot(E7, strict: true);
        var page = k.AllocPage(Gfp.Kernel);
        var v = k.Vmap([page], 1);
        k.Vfree(v);
        Assert.Equal(1, k.PageCount(page));
        k.FreePage(page);
        Assert.Empty(k.Reports);
    }

    [Fact]
    public void Vmap_refuses_bad_pages_and_counts_without_changing_anything()
    {
        var k = Boot(E7);
        var other = Boot(E7).AllocPage(Gfp.Kernel);
        var page = k.AllocPage(Gfp.Kernel);
        var freed = k.AllocPage(Gfp.Kernel);
        k.FreePage(freed);
        var free = k.FreePageCount;

        Assert.True(k.Vmap([page], 0).IsNull);
        Assert.True(k.Vmap([page], uint.MaxValue).IsNull);
        Assert.Throws<ArgumentOutOfRangeException>(() => k.Vmap([page], 2));
        Assert.Throws<ArgumentNullException>(() => k.Vmap(null!, 1));
        Assert.Throws<ArgumentException>(() => k.Vmap([page, default], 2));
        Assert.Throws<ArgumentException>(() => k.Vmap([other], 1));
        Assert.Throws<ArgumentException>(() => k.Vmap([page, freed], 2));
        Assert.Equal(free, k.FreePageCount);
        Assert.Throws<ArgumentException>(() => k.VmallocToPage(new VmallocAddr(0xffffc90000000000UL)));
    }

    [Theory]
    [InlineData(1UL, 0)]
    [InlineData(4096UL, 0)]
    [InlineData(4097UL, 1)]
    [InlineData(8192UL, 1)]
    [InlineData(8193UL, 2)]
    [InlineData(4UL << 20, 10)]
    [InlineData(0UL, 52)]
    [InlineData(ulong.MaxValue, 52)]
    public void Get_order_matches_the_kernel(ulong size, int order) => Assert.Equal(order, Kernel.GetOrder(size));

    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(1UL, 4096UL)]
    [InlineData(4096UL, 4096UL)]
    [InlineData(4097UL, 8192UL)]
    [InlineData(ulong.MaxValue, 0UL)] // ALIGN wraps
    public void Page_align_rounds_up_to_a_page(ulong len, ulong aligned) => Assert.Equal(aligned, Kernel.PageAlign(len));
}
