using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>The per-cpu lru_add batch, mark_page_accessed and get_user_pages_fast (found by the fidelity comparison with Linux 6.1).</summary>
public sealed class LruAndAccessTests
{
    private const ulong P = Kernel.PageSize;

    [Theory]
    [InlineData("2.6.20", 14)]
    [InlineData("6.1.0-56-amd64", 15)]
    public void AFreshAnonymousPageWaitsInTheAddBatchWithAReference(string version, int pagevec)
    {
        var k = Boot(version, strict: true);
        var u = k.Spawn();
        var a = u.Map((ulong)pagevec * P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 1).IsOk);
        var first = k.PfnToPage(Proc.Pagemap(u, a).Pfn);
        Assert.Equal(2, k.PageCount(first));                 // the PTE and the batch
        Assert.Equal(PageFlags.None, first.Flags & PageFlags.Lru);
        Assert.Contains("LruBatch", k.Checker.Ledger(first), StringComparison.Ordinal);
        for (var i = 1; i < pagevec; i++)
        {
            Assert.True(u.WriteByte(a + (ulong)i * P, 1).IsOk);
        }

        Assert.Equal(1, k.PageCount(first));                 // the batch filled up and drained
        Assert.Equal(PageFlags.Lru, first.Flags & PageFlags.Lru);
        Assert.Empty(k.Checker.CheckAll());
    }

    [Fact]
    public void MunmapDrainsTheBatchFirstSoThePagesAreFreedAtOnce()
    {
        var k = Boot(E6, strict: true);
        var u = k.Spawn();
        var free = k.VmStat().FreePages;
        var a = u.Map(2 * P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 1).IsOk);
        Assert.True(u.WriteByte(a + P, 1).IsOk);
        Assert.True(u.Munmap(a, 2 * P).IsOk);
        Assert.Equal(free, k.VmStat().FreePages);
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData("3.8", new[] { true, true, true })]      // a page off the LRU keeps PG_referenced
    [InlineData("3.12", new[] { true, false, true })]    // ... from 3.12 the second access clears it again
    public void GetUserPagesTouchesDriverPages(string version, bool[] referencedAfterEachGup)
    {
        var k = Boot(version);
        var dev = new TestDevice(k);
        dev.OnMmap = vma => k.VmInsertPage(vma, vma.Start, dev.Pages[0]);
        var u = k.Spawn();
        var a = u.Map(P, fd: u.OpenOk("/dev/test"));
        var got = new Page[1];
        foreach (var expected in referencedAfterEachGup)
        {
            Assert.Equal(1, k.GetUserPagesRemote(u.Mm, a, 1, FollFlags.None, got));
            k.PutPage(got[0]);
            Assert.Equal(expected, (dev.Pages[0].Flags & PageFlags.Referenced) != 0);
        }
    }

    [Fact]
    public void PinAndTheFastPathDoNotTouchButAYoungUnmapDoes()
    {
        var k = Boot(E6);
        var dev = new TestDevice(k);
        dev.OnMmap = vma => k.VmInsertPage(vma, vma.Start, dev.Pages[0]);
        var u = k.Spawn();
        var a = u.Map(P, fd: u.OpenOk("/dev/test"));
        u.ReadAll(a, 1);
        var got = new Page[1];
        long pinned = 0, fast = 0;
        dev.OnIoctl = (cmd, _) => cmd == 1 ? pinned = k.PinUserPages(a, 1, FollFlags.None, got) : fast = k.GetUserPagesFast(a, 1, FollFlags.None, got);
        var fd = u.OpenOk("/dev/test");
        Assert.True(u.Ioctl(fd, 1).IsOk);
        Assert.Equal(1, pinned);
        k.UnpinUserPages(got, 1);
        Assert.True(u.Ioctl(fd, 2).IsOk);
        Assert.Equal(1, fast);
        k.PutPage(got[0]);
        Assert.Equal(PageFlags.None, dev.Pages[0].Flags & PageFlags.Referenced);
        Assert.True(u.Munmap(a, P).IsOk);                  // zap_pte_range: a young file/driver PTE marks its page accessed
        Assert.Equal(PageFlags.Referenced, dev.Pages[0].Flags & PageFlags.Referenced);
    }

    [Fact]
    public void TheFastPathFallsBackToTheSlowPathForMissingPages()
    {
        var k = Boot(E6, strict: true);
        var u = k.Spawn();
        var a = u.Map(2 * P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 1).IsOk);               // page 0 present, page 1 not yet faulted
        var got = new Page[2];
        long n = 0;
        var dev = new TestDevice(k);
        dev.OnIoctl = (_, _) => n = k.GetUserPagesFast(a, 2, FollFlags.Write, got);
        Assert.True(u.Ioctl(u.OpenOk("/dev/test"), 0).IsOk);
        Assert.Equal(2, n);
        Assert.True(Proc.Pagemap(u, a + P).Present);
        Assert.Equal(3, k.PageCount(got[0]));   // PTE + batch + this reference
        k.PutPage(got[0]);
        k.PutPage(got[1]);
        Assert.Equal(-Errno.EINVAL, k.GetUserPagesFast(a, 0, FollFlags.None, got));
        Assert.Throws<EraMismatchException>(() => Boot("2.6.26").GetUserPagesFast(a, 1, FollFlags.None, got));
    }

    [Theory]
    [InlineData("5.7", false)]    // reuse_swap_page: the only mapping reuses the page, whatever else holds it
    [InlineData("5.10", true)]    // page_count != 1: a GUP reference forces a copy
    [InlineData("6.1.0-56-amd64", true)]   // not exclusive after fork: the refcount decides (GUP is not a pin)
    public void AfterForkAGupHeldPageIsCopiedOnTheParentsWriteFrom58(string version, bool copied)
    {
        var k = Boot(version);
        var u = k.Spawn();
        var a = u.Map(P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 1).IsOk);
        var page = k.PfnToPage(Proc.Pagemap(u, a).Pfn);
        var got = new Page[1];
        Assert.Equal(1, k.GetUserPagesRemote(u.Mm, a, 1, FollFlags.None, got));
        var child = u.Fork().Unwrap();
        Assert.True(child.Exit().IsOk);
        Assert.True(u.WriteByte(a, 2).IsOk);
        Assert.Equal(copied, Proc.Pagemap(u, a).Pfn != page.Pfn);
        k.PutPage(got[0]);
    }
}
