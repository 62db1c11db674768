using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Mm;

/// <summary>Bad input to the page functions gives a clear error and leaves the allocator exactly as it was.</summary>
public sealed class BadInputTests
{
    private static Exception Unchanged(Kernel k, Action misuse, Type exception, string text)
    {
        var snapshot = k.Buddy.Snapshot();
        var free = k.FreePageCount;
        var e = Assert.Throws(exception, misuse);
        Assert.Contains(text, e.Message);
        Assert.Equal(snapshot, k.Buddy.Snapshot());
        Assert.Equal(free, k.FreePageCount);
        return e;
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(11)]
    public void OrderOutOfRange(int order)
    {
        var k = Boot(E7);
        Unchanged(k, () => k.AllocPages(Gfp.Kernel, order), typeof(ArgumentOutOfRangeException), "outside 0-10");
        var p = k.AllocPage(Gfp.Kernel);
        Unchanged(k, () => k.FreePages(p, order), typeof(ArgumentOutOfRangeException), "outside 0-10");
    }

    [Theory]
    [InlineData(false, ReportKind.Simulator)]
    [InlineData(true, ReportKind.Kernel)]
    public void FreeingAFreePage(bool debugVm, ReportKind kind)
    {
        var k = Boot(E7, debugVm: debugVm);
        var p = k.AllocPage(Gfp.Kernel);
        k.FreePage(p);
        var e = (KernelBugException)Unchanged(k, () => k.FreePage(p), typeof(KernelBugException), "already free");
        Assert.Equal(kind, e.Report.Kind);
        Assert.Equal("INV-01", e.Report.Invariant);
        Assert.Equal(kind == ReportKind.Kernel, k.Reports.Contains(e.Report)); // faithful mode lists kernel-visible reports only
    }

    [Fact]
    public void DoubleFreeOfAReusedPageIsAPutAtZeroForTheTail()
    {
        var k = Boot(E7);
        var head = k.AllocPages(Gfp.Kernel, 1);
        Unchanged(k, () => k.FreePage(head + 1), typeof(KernelBugException), "page_ref_count(page) == 0");
    }

    [Fact]
    public void PfnBeyondMemory()
    {
        var k = Boot(E7);
        Unchanged(k, () => k.PfnToPage(new Pfn((ulong)k.TotalRamPages)), typeof(ArgumentOutOfRangeException), "has no struct page");
        Assert.False(k.PfnValid(new Pfn((ulong)k.TotalRamPages)));
        Assert.True(k.PfnValid(new Pfn((ulong)k.TotalRamPages - 1)));
    }

    [Fact]
    public void PuttingAPageAtRefcountZero()
    {
        var k = Boot(E7, debugVm: true);
        var p = k.AllocPage(Gfp.Kernel);
        k.PutPage(p);
        Unchanged(k, () => k.PutPage(p), typeof(KernelBugException), "page_ref_count(page) == 0");
        Assert.Contains(k.Reports, r => r.Kind == ReportKind.Kernel && r.Text.Contains("VM_BUG_ON_PAGE(page_ref_count(page) == 0)"));
    }

    [Fact]
    public void SetPageReservedOnACompoundPage()
    {
        var k = Boot(E7);
        var p = k.AllocPages(Gfp.Kernel | Gfp.Comp, 1);
        Unchanged(k, () => k.SetPageReserved(p), typeof(KernelBugException), "PF_NO_COMPOUND");
        Assert.False(k.PageReserved(p));
    }

    [Fact]
    public void FreeingWithTheWrongOrder()
    {
        var k = Boot(E7);
        var p = k.AllocPages(Gfp.Kernel, 2);
        Unchanged(k, () => k.FreePages(p, 1), typeof(KernelBugException), "would free the wrong frames");
        Assert.Equal(1, k.PageCount(p));
    }

    [Fact]
    public void NullAndForeignPages()
    {
        var k = Boot(E7);
        var other = Boot(E7);
        var foreign = other.AllocPage(Gfp.Kernel);
        Unchanged(k, () => k.GetPage(default), typeof(ArgumentNullException), "NULL struct page");
        Unchanged(k, () => k.GetPage(foreign), typeof(ArgumentException), "another simulated machine");
    }

    [Fact]
    public void VirtToPhysOfANonLinearAddress()
    {
        var k = Boot(E7);
        Unchanged(k, () => k.VirtToPhys(new KernelAddr(0x1234)), typeof(ArgumentException), "not a linear-map address");
    }

    [Fact]
    public void KfreeOfAnInteriorPointerAndDoubleKfree()
    {
        var k = Boot(E7);
        var a = k.Kmalloc(64, Gfp.Kernel);
        Unchanged(k, () => k.Kfree(a + 8), typeof(KernelBugException), "not a live object");
        k.Kfree(a);
        Unchanged(k, () => k.Kfree(a), typeof(KernelBugException), "double free");
    }

    [Fact]
    public void VfreeOfSomethingElse()
    {
        var k = Boot(E7);
        var v = k.Vmalloc(3 * Kernel.PageSize);
        Unchanged(k, () => k.Vfree(v + Kernel.PageSize), typeof(KernelBugException), "Trying to vfree() nonexistent vm area");
        k.Vfree(v);
    }

    [Theory]
    [InlineData(4UL << 20)]
    [InlineData((64UL << 20) + 1)]
    [InlineData(128UL << 30)]
    public void MachineSizesOutsideTheSupportedRange(ulong bytes)
    {
        var e = Assert.Throws<ArgumentException>(() => new Kernel(new KernelOptions { MemoryBytes = bytes }));
        Assert.Contains("MemoryBytes", e.Message);
    }
}
