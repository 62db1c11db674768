using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>Fork/COW, exit, madvise, mlock, reclaim and swap of ordinary user memory.</summary>
public sealed class ForkReclaimTests
{
    private const ulong P = Kernel.PageSize;

    [Theory]
    [InlineData(E0)]
    [InlineData(E3)]
    [InlineData(E7)]
    public void ForkIsolatesPrivateMemoryByCopyOnWrite(string version)
    {
        var k = Boot(version, strict: true);
        var parent = k.Spawn("parent");
        var a = parent.Map(2 * P, flags: MapFlags.Private);
        Assert.True(parent.WriteByte(a, 1).IsOk);
        Assert.True(parent.WriteByte(a + P, 2).IsOk);
        var child = parent.Fork().Unwrap();
        Assert.Equal(2, parent.Mm.RssAnon);
        Assert.Equal(2, child.Mm.RssAnon);
        Assert.True(child.WriteByte(a, 9).IsOk);            // COW in the child
        Assert.True(parent.ReadByte(a, out var pv).IsOk);
        Assert.Equal(1, pv);
        Assert.True(parent.WriteByte(a + P, 8).IsOk);       // COW in the parent
        Assert.True(child.ReadByte(a + P, out var cv).IsOk);
        Assert.Equal(2, cv);
        Assert.True(child.Exit().IsOk);
        Assert.True(parent.WriteByte(a, 5).IsOk);            // exclusive again: reused, no copy
        Assert.Equal(2, parent.Mm.RssAnon);
        Assert.True(parent.Exit().IsOk);
        Assert.Equal(k.InitialFree, k.FreePageCount);
        Assert.Empty(k.Checker.CheckAll());
    }

    [Fact]
    public void SharedAnonymousMemoryIsSharedAcrossFork()
    {
        var k = Boot(E7);
        var parent = k.Spawn();
        var a = parent.Map(P, flags: MapFlags.Shared);
        Assert.True(parent.WriteByte(a, 1).IsOk);
        var child = parent.Fork().Unwrap();
        Assert.True(child.WriteByte(a, 7).IsOk);
        Assert.True(parent.ReadByte(a, out var v).IsOk);
        Assert.Equal(7, v);
        Assert.Equal(1, parent.Mm.RssShmem);
    }

    [Fact]
    public void DontForkAndWipeOnForkShapeTheChild()
    {
        var k = Boot(E7);
        var parent = k.Spawn();
        var hole = parent.Map(P, flags: MapFlags.Private);
        var wiped = parent.Map(P, flags: MapFlags.Private);
        Assert.True(parent.WriteByte(hole, 1).IsOk);
        Assert.True(parent.WriteByte(wiped, 2).IsOk);
        Assert.True(parent.Madvise(hole, P, Advice.DontFork).IsOk);
        Assert.True(parent.Madvise(wiped, P, Advice.WipeOnFork).IsOk);
        var child = parent.Fork().Unwrap();
        Assert.Equal(SiCode.SEGV_MAPERR, child.Touch(hole).SiCode);
        Assert.True(child.ReadByte(wiped, out var v).IsOk);
        Assert.Equal(0, v);
        var old = Boot("4.13").Spawn(); // MADV_WIPEONFORK arrived in 4.14
        Assert.Equal(Errno.EINVAL, old.Madvise(old.Map(P, flags: MapFlags.Private), P, Advice.WipeOnFork).Errno);
    }

    [Fact]
    public void MadviseDontNeedDropsPagesAndTheNextTouchSeesZeros()
    {
        var k = Boot(E7);
        var u = k.Spawn();
        var a = u.Map(2 * P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 3).IsOk);
        var free = k.FreePageCount;
        Assert.True(u.Madvise(a, 2 * P, Advice.DontNeed).IsOk);
        Assert.Equal(free + 1, k.FreePageCount);
        Assert.True(u.ReadByte(a, out var v).IsOk);
        Assert.Equal(0, v);
    }

    [Fact]
    public void ReclaimSwapsAnonymousPagesOutAndFaultsThemBackWithTheirData()
    {
        var k = Boot(E7, strict: true);
        var u = k.Spawn();
        var a = u.Map(8 * P, flags: MapFlags.Private);
        for (var i = 0UL; i < 8; i++)
        {
            Assert.True(u.WriteByte(a + i * P, (byte)(i + 1)).IsOk);
        }

        // One scan gives every page a second chance (clears its accessed bit), then reclaims it.
        var reclaimed = k.Reclaim(100);
        Assert.Equal(8, reclaimed);
        Assert.Equal(0, u.Mm.RssAnon);
        Assert.Equal(8, u.Mm.SwapEntries);
        Assert.Contains("VmSwap:\t      32 kB", Proc.Status(u));
        for (var i = 0UL; i < 8; i++)
        {
            Assert.True(u.ReadByte(a + i * P, out var v).IsOk);
            Assert.Equal((byte)(i + 1), v);
        }

        Assert.Equal(0, u.Mm.SwapEntries);
        Assert.Equal(0, k.VmStat().SwapUsed);
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData(E0)]
    [InlineData(E7)]
    public void MlockedAndGupHeldPagesAreNotReclaimed(string version)
    {
        var k = Boot(version);
        var u = k.Spawn();
        var locked = u.Map(2 * P, flags: MapFlags.Private);
        var held = u.Map(P, flags: MapFlags.Private);
        Assert.True(u.Mlock(locked, 2 * P).IsOk);
        Assert.True(u.WriteByte(held, 1).IsOk);
        var pages = new Page[1];
        Assert.Equal(1, k.GetUserPagesRemote(u.Mm, held, 1, FollFlags.Write, pages));
        k.Reclaim(100);
        k.Reclaim(100);
        Assert.Equal(3, u.Mm.RssAnon);
        k.PutPage(pages[0]);
    }

    [Fact]
    public void SwapEntriesAreSharedAcrossForkAndFreedWhenTheLastGoes()
    {
        var k = Boot(E7);
        var u = k.Spawn();
        var a = u.Map(P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 42).IsOk);
        k.Reclaim(10);
        k.Reclaim(10);
        Assert.Equal(1, u.Mm.SwapEntries);
        var child = u.Fork().Unwrap();
        Assert.Equal(1, child.Mm.SwapEntries);
        Assert.True(child.ReadByte(a, out var v).IsOk);
        Assert.Equal(42, v);
        Assert.True(child.Exit().IsOk);
        Assert.Equal(1, k.VmStat().SwapUsed);
        Assert.True(u.Exit().IsOk);
        Assert.Equal(0, k.VmStat().SwapUsed);
        Assert.Equal(k.InitialFree, k.FreePageCount);
    }

    [Fact]
    public void ShmemPagesAreReclaimedThroughTheirPageCacheAndMemfdSigbusesPastEof()
    {
        var k = Boot(E7);
        var u = k.Spawn();
        var fd = (int)u.MemfdCreate("buf").Value;
        Assert.True(u.Ftruncate(fd, 2 * P).IsOk);
        var a = u.Map(4 * P, fd: fd);
        Assert.True(u.WriteByte(a + P, 5).IsOk);
        Assert.Equal(Signal.SIGBUS, u.Touch(a + 2 * P).Signal);
        k.Reclaim(10);
        k.Reclaim(10);
        Assert.Equal(0, u.Mm.RssShmem);
        Assert.True(u.ReadByte(a + P, out var v).IsOk);
        Assert.Equal(5, v);
        Assert.True(u.Ftruncate(fd, P).IsOk);
        Assert.Equal(Signal.SIGBUS, u.Touch(a + P).Signal);
        Assert.True(u.Exit().IsOk);
        Assert.Equal(k.InitialFree, k.FreePageCount);
    }

    [Fact]
    public void MlockAccountsLockedVmUnderTheLimit()
    {
        var k = Boot(E7);
        var u = k.Spawn();
        Assert.True(u.SetMemlockLimit(4 * P).IsOk);
        var a = u.Map(8 * P, flags: MapFlags.Private);
        Assert.Equal(Errno.ENOMEM, u.Mlock(a, 8 * P).Errno);
        Assert.True(u.Mlock(a + P, 3 * P).IsOk);
        Assert.Equal(3, u.Mm.LockedVm);
        Assert.Equal(3, u.Mm.VmAreas.Count); // mlock_fixup split the vma
        Assert.Equal(3, u.Mm.RssAnon);     // populated
        Assert.True(u.Munlock(a, 8 * P).IsOk);
        Assert.Equal(0, u.Mm.LockedVm);
        Assert.Single(u.Mm.VmAreas);          // merged back
        Assert.True(u.SetMemlockLimit(0).IsOk);
        Assert.Equal(Errno.EPERM, u.Mlock(a, P).Errno);
        Assert.True(u.SetMemlockLimit(P).IsOk);
        Assert.Equal(Errno.EAGAIN, u.Mmap(default, 2 * P, Prot.Read, MapFlags.Private | MapFlags.Anonymous | MapFlags.Locked).Errno);
    }

    [Theory]
    [InlineData("2.6.20", PageFlags.Uptodate, PageFlags.Uptodate)]
    [InlineData("2.6.28", PageFlags.Uptodate | PageFlags.SwapBacked, PageFlags.Uptodate | PageFlags.SwapBacked)]
    [InlineData("5.19", PageFlags.Uptodate | PageFlags.SwapBacked | PageFlags.AnonExclusive, PageFlags.Uptodate | PageFlags.SwapBacked)]
    [InlineData("6.1.0-56-amd64", PageFlags.Uptodate | PageFlags.SwapBacked | PageFlags.AnonExclusive, PageFlags.Uptodate | PageFlags.SwapBacked)]
    public void NewAnonymousPagesAreUptodateSwapbackedAndExclusiveUntilFork(string version, PageFlags afterFault, PageFlags afterFork)
    {
        const PageFlags Watched = PageFlags.Uptodate | PageFlags.SwapBacked | PageFlags.AnonExclusive;
        var k = Boot(version);
        var u = k.Spawn();
        var a = u.Map(P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 1).IsOk);
        var page = k.PfnToPage(Proc.Pagemap(u, a).Pfn);
        Assert.Equal(afterFault, page.Flags & Watched);
        var child = u.Fork().Unwrap();
        Assert.Equal(afterFork, page.Flags & Watched);
        Assert.True(child.WriteByte(a, 2).IsOk);   // the child's COW copy is exclusive again
        Assert.Equal(afterFault, k.PfnToPage(Proc.Pagemap(child, a).Pfn).Flags & Watched);
    }

    [Theory]
    [InlineData("6.1.0-56-amd64", true, 0UL, Errno.ENOMEM)]
    [InlineData("6.1.0-56-amd64", true, P, 0)]        // the COW'd page is not at vm_start: the memory type is still found
    [InlineData("6.1.0-56-amd64", false, 0UL, 0)]     // no PAT (not x86)
    [InlineData("5.15", true, 0UL, 0)]                // before the VM_PAT COW fix
    public void ForkOfAPatTrackedCowRemapFailsWhenItsFirstPageWasCopied(string version, bool pat, ulong written, int errno)
    {
        var k = new Kernel(new KernelOptions { Version = version, MemoryBytes = 32UL << 20, X86Pat = pat });
        var dev = new TestDevice(k);
        var closes = 0;
        dev.OnMmap = vma =>
        {
            vma.Ops = new VmOperations { Close = _ => closes++ };
            return k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]), vma.Length, vma.PageProt);
        };
        var u = k.Spawn();
        var a = u.Map(2 * P, flags: MapFlags.Private, fd: u.OpenOk("/dev/test"));
        Assert.True(u.WriteByte(a + written, 1).IsOk);
        var refs = k.Refcounts(dev.Pages.Take(2));
        var processes = k.Processes.Count;
        var r = u.Fork();
        Assert.Equal(errno, r.Errno);
        if (errno != 0)
        {
            Assert.Equal(1, closes);                            // the child's vma got ->open and, at teardown, ->close
            Assert.Equal(processes, k.Processes.Count);        // no child, no pid used
            Assert.Equal(refs, k.Refcounts(dev.Pages.Take(2)));
            Assert.Equal(u.Pid + 1, k.Spawn().Pid);
            Assert.Empty(k.Checker.CheckAll());
        }
    }
}
