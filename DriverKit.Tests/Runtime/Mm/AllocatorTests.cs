using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Mm;

public sealed class AllocatorTests
{
    [Fact]
    public void BootReservesPageZeroTheIsaHoleAndTheKernelImage()
    {
        var k = Boot(E7, memory: 16UL << 20);
        Assert.True(k.PageReserved(k.PfnToPage(new Pfn(0))));
        Assert.True(k.PageReserved(k.PfnToPage(new Pfn(0xA0))));
        Assert.True(k.PageReserved(k.PfnToPage(new Pfn(0xFF))));
        Assert.True(k.PageReserved(k.PfnToPage(new Pfn(0x100)))); // kernel image starts at 1 MiB
        Assert.False(k.PageReserved(k.PfnToPage(new Pfn(0x9F))));
        var imageEnd = 0x100 + (2 << 20) / 4096;
        Assert.False(k.PageReserved(k.PfnToPage(new Pfn((ulong)imageEnd))));
        Assert.Equal(k.TotalRamPages - 1 - 0x60 - 512, k.FreePageCount);
    }

    [Fact]
    public void NoFrameIsHandedOutTwiceAndFreeingEverythingRestoresTheExactFreeState()
    {
        var k = Boot(E7, memory: 16UL << 20);
        var initial = k.Buddy.Snapshot();
        var rng = new Random(7);
        var live = new List<(Page Page, int Order)>();
        var owned = new HashSet<ulong>();
        for (var i = 0; i < 2000; i++)
        {
            if (live.Count > 0 && rng.Next(3) == 0)
            {
                var idx = rng.Next(live.Count);
                var (p, o) = live[idx];
                live.RemoveAt(idx);
                for (var j = 0; j < 1 << o; j++)
                {
                    Assert.True(owned.Remove((p + j).Pfn.Value));
                }

                k.FreePages(p, o);
                continue;
            }

            var order = rng.Next(5);
            var page = k.AllocPages(Gfp.Kernel, order);
            if (page.IsNull)
            {
                continue;
            }

            for (var j = 0; j < 1 << order; j++)
            {
                Assert.True(owned.Add((page + j).Pfn.Value), "frame handed out twice");
            }

            live.Add((page, order));
        }

        foreach (var (p, o) in live)
        {
            k.FreePages(p, o);
        }

        k.DrainAllPages();
        Assert.Equal(initial, k.Buddy.Snapshot());
        Assert.Equal(k.InitialFree, k.FreePageCount);
    }

    [Fact]
    public void AllocationFailsWithNullWhenMemoryIsExhaustedAndSaysSo()
    {
        var k = Boot(E7, memory: 8UL << 20);
        var pages = new List<Page>();
        while (true)
        {
            var p = k.AllocPages(Gfp.Kernel, 4);
            if (p.IsNull)
            {
                break;
            }

            pages.Add(p);
        }

        Assert.Contains(k.Dmesg, l => l.Contains("page allocation failure: order:4"));
        Assert.True(k.AllocPages(Gfp.Kernel | Gfp.NoWarn, 10).IsNull);
    }

    [Fact]
    public void NonCompoundTailsHaveRefcountZeroUntilSplit()
    {
        var k = Boot(E7);
        var head = k.AllocPages(Gfp.Kernel, 2);
        Assert.Equal([1, 0, 0, 0], k.Refcounts(Enumerable.Range(0, 4).Select(i => head + i)));
        Assert.Throws<KernelBugException>(() => k.GetPage(head + 1));
        Assert.Equal(0, k.PageCount(head + 1));

        k.SplitPage(head, 2);
        Assert.Equal([1, 1, 1, 1], k.Refcounts(Enumerable.Range(0, 4).Select(i => head + i)));
        var before = k.FreePageCount;
        for (var i = 3; i >= 0; i--)
        {
            k.FreePage(head + i);
        }

        Assert.Equal(before + 4, k.FreePageCount);
    }

    [Fact]
    public void CompoundPagesCountOnTheHeadAndRefuseSplitAndReserved()
    {
        var k = Boot(E7, debugVm: true);
        var head = k.AllocPages(Gfp.Kernel | Gfp.Comp, 2);
        Assert.True(head.IsCompound);
        Assert.True((head + 3).IsTail);
        k.GetPage(head + 3);
        Assert.Equal(2, k.PageCount(head));
        Assert.Equal(2, k.PageCount(head + 3));
        k.PutPage(head + 3);
        Assert.Throws<KernelBugException>(() => k.SplitPage(head, 2));
        var e = Assert.Throws<KernelBugException>(() => k.SetPageReserved(head + 1));
        Assert.Contains("PF_NO_COMPOUND", e.Message);
        Assert.False(k.PageReserved(head + 1));
        var before = k.FreePageCount;
        k.PutPage(head);
        Assert.Equal(before + 4, k.FreePageCount);
    }

    [Fact]
    public void GetFreePagesReturnsALinearMapAddressThatRoundTrips()
    {
        var k = Boot(E7);
        var addr = k.GetFreePages(Gfp.Kernel | Gfp.Zero, 1);
        var page = k.VirtToPage(addr);
        Assert.Equal(addr, k.PageAddress(page));
        Assert.Equal(k.VirtToPhys(addr), page.Pfn.ToPhysAddr());
        Assert.Equal(addr, k.PhysToVirt(k.VirtToPhys(addr)));
        k.WriteKernel(addr + 4095, [1, 2]);
        var back = new byte[2];
        k.ReadKernel(addr + 4095, back);
        Assert.Equal(new byte[] { 1, 2 }, back);
        k.FreePages(addr, 1);
    }

    [Fact]
    public void ZeroedAllocationsAreZeroAndContentsSurviveAFreeOtherwise()
    {
        var k = Boot(E7);
        var a = k.GetFreePages(Gfp.Kernel, 0);
        k.WriteKernel(a, [0xAB]);
        k.FreePages(a, 0);
        var again = k.GetFreePages(Gfp.Kernel, 0);
        Assert.Equal(a, again); // LIFO: the hot page comes back
        var b = new byte[1];
        k.ReadKernel(again, b);
        Assert.Equal(0xAB, b[0]);
        k.FreePages(again, 0);
        var zeroed = k.GetZeroedPage(Gfp.Kernel);
        k.ReadKernel(zeroed, b);
        Assert.Equal(0, b[0]);
    }

    [Fact]
    public void VmStatCountsAllocationsFreesAndBuddyBlocks()
    {
        var k = Boot(E7);
        var before = k.VmStat();
        var p = k.AllocPages(Gfp.Kernel, 3);
        var mid = k.VmStat();
        Assert.Equal(before.FreePages - 8, mid.FreePages);
        Assert.Equal(before.PagesAllocated + 8, mid.PagesAllocated);
        k.FreePages(p, 3);
        var after = k.VmStat();
        Assert.Equal(before.FreePages, after.FreePages);
        Assert.Equal(before.PagesFreed + 8, after.PagesFreed);
        Assert.Equal(after.FreePages - after.PerCpuPages, after.FreeBlocksPerOrder.Select((n, o) => (long)n << o).Sum());
        Assert.True(after.PerCpuPages > 0);   // 7.0 keeps order-3 blocks per cpu
        k.DrainAllPages();
        var drained = k.VmStat();
        Assert.Equal(0, drained.PerCpuPages);
        Assert.Equal(before.FreePages, drained.FreePages);
        Assert.Equal(before.FreeBlocksPerOrder, drained.FreeBlocksPerOrder);
    }

    [Fact]
    public void PageTypesSummaryCoversEveryFrame()
    {
        var k = Boot(E7);
        var p = k.AllocPages(Gfp.Kernel, 0);
        var summary = k.PageTypesSummary();
        Assert.Equal(k.TotalRamPages, summary.Values.Sum());
        Assert.Equal(1, summary[FrameState.DriverOwned]);
        Assert.Equal(k.FreePageCount, summary[FrameState.Free]);
        k.FreePage(p);
    }
}
