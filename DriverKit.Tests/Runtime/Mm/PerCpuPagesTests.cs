using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Mm;

/// <summary>The per-cpu free lists (mm/page_alloc.c free_unref_page / rmqueue_pcplist), found by the fidelity comparison with Linux 6.1.</summary>
public sealed class PerCpuPagesTests
{
    [Theory]
    [InlineData("2.6.20", 0, true)]
    [InlineData("5.12", 1, false)]    // only order 0 is kept per cpu before 5.13
    [InlineData("5.13", 1, true)]
    [InlineData("5.13", 3, true)]
    [InlineData("5.13", 4, false)]    // above PAGE_ALLOC_COSTLY_ORDER
    public void AFreedSmallBlockIsParkedAndComesBackFirst(string version, int order, bool parked)
    {
        var k = Boot(version);
        var page = k.AllocPages(Gfp.Kernel, order);
        k.FreePages(page, order);
        Assert.Equal(parked, k.VmStat().PerCpuPages >= 1 << order);
        Assert.Equal(parked ? PageType.None : PageType.Buddy, page.Type);   // not PageBuddy while parked
        Assert.Equal(k.InitialFree, k.FreePageCount);                      // parked frames are free
        if (parked)
        {
            Assert.Equal(page.Pfn, k.AllocPages(Gfp.Kernel, order).Pfn);    // LIFO
        }
    }

    [Theory]
    [InlineData("2.6.23", true)]    // one list: an anonymous fault gets the driver's freed page
    [InlineData("2.6.24", false)]   // per migratetype: it does not
    [InlineData(E7, false)]
    public void MovableAllocationsDoNotTakeAnUnmovablePagesSlot(string version, bool reused)
    {
        var k = Boot(version);
        var page = k.AllocPage(Gfp.Kernel);
        k.FreePage(page);
        var u = k.Spawn();
        var a = u.Map(Kernel.PageSize, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 1).IsOk);
        Assert.Equal(reused, Proc.Pagemap(u, a).Pfn == page.Pfn);
    }

    [Fact]
    public void AboveTheHighMarkTheOldestBatchGoesToTheBuddyAllocator()
    {
        var k = Boot("6.1.0-56-amd64");
        var pages = Enumerable.Range(0, 2000).Select(_ => k.AllocPage(Gfp.Kernel)).ToList();
        foreach (var p in pages)
        {
            k.FreePage(p);
        }

        var stat = k.VmStat();
        Assert.InRange(stat.PerCpuPages, 1, 1999);
        Assert.True(k.IsFreeFrame(pages[0].Index) && !k.Pcp.Contains(pages[0].Index));   // the oldest went to the buddy allocator
        Assert.Equal(PageType.None, pages[^1].Type);                        // the newest is still parked
        Assert.Equal(k.InitialFree, k.FreePageCount);
        k.DrainAllPages();
        Assert.Equal(0, k.VmStat().PerCpuPages);
        Assert.Equal(k.InitialFree, k.VmStat().FreeBlocksPerOrder.Select((n, o) => (long)n << o).Sum());
    }

    [Fact]
    public void AParkedFrameIsStillFreeForTheChecker()
    {
        var k = Boot(E6, strict: true);
        var page = k.AllocPage(Gfp.Kernel);
        k.FreePage(page);
        Assert.True(k.IsFreeFrame(page.Index));
        Assert.Throws<KernelBugException>(() => k.FreePage(page));   // a double free is caught on the per-cpu list too
    }
}
