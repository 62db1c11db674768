using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>
/// The madvise advice added from 2.6.16 on (mm/madvise.c), MREMAP_DONTUNMAP (mm/mremap.c) and the page lock of a
/// VM_FAULT_LOCKED -&gt;page_mkwrite (mm/memory.c: do_page_mkwrite), each at its era boundary.
/// </summary>
public sealed class MadviseLaterTests
{
    private const ulong P = Kernel.PageSize;
    private const string V61 = "6.1.0-56-amd64";

    private static UserAddr Written(Process u, int pages, MapFlags flags = MapFlags.Private)
    {
        var a = u.Map((ulong)pages * P, flags: flags);
        for (var i = 0; i < pages; i++)
        {
            Assert.True(u.WriteByte(a + (ulong)i * P, (byte)(0x10 + i)).IsOk);
        }

        return a;
    }

    private static byte ByteAt(Process u, UserAddr a)
    {
        Assert.True(u.ReadByte(a, out var value).IsOk);
        return value;
    }

    private static (Process U, UserAddr A, TestDevice Dev) DriverMapping(Kernel k, MapFlags flags, bool remap = false, Prot prot = Prot.Read | Prot.Write)
    {
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            if (remap)
            {
                return k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]), P, vma.PageProt);
            }

            vma.Ops = dev.FaultOps();
            return 0;
        };
        var u = k.Spawn();
        var a = u.Map(remap ? P : 4 * P, prot, flags, u.OpenOk("/dev/test"));
        return (u, a, dev);
    }

    // ---- the era: madvise_behavior_valid ------------------------------------------------------------------------

    [Theory]
    [InlineData(Advice.Remove, "2.6.15", "2.6.16")]
    [InlineData(Advice.Free, "4.4", "4.5")]
    [InlineData(Advice.Cold, "5.3", "5.4")]
    [InlineData(Advice.PageOut, "5.3", "5.4")]
    [InlineData(Advice.PopulateRead, "5.13", "5.14")]
    [InlineData(Advice.PopulateWrite, "5.13", "5.14")]
    [InlineData(Advice.DontNeedLocked, "5.17", "5.18")]
    public void AnAdviceTheKernelDoesNotKnowIsEinval(Advice advice, string without, string with)
    {
        foreach (var (version, known) in new[] { (without, false), (with, true) })
        {
            var k = Boot(version);
            var u = k.Spawn();
            var a = Written(u, 1, advice == Advice.Remove ? MapFlags.Shared : MapFlags.Private);
            var r = u.Madvise(a, P, advice);
            Assert.Equal(known ? 0 : Errno.EINVAL, r.Errno);
            Assert.True(u.Mm.VmaAt(a) is not null);
        }
    }

    // ---- MADV_FREE ------------------------------------------------------------------------------------------------

    [Fact]
    public void MadvFreeDropsCleanPagesAtReclaimAndKeepsRewrittenOnes()
    {
        var k = Boot(V61, strict: true);
        var u = k.Spawn();
        var kept = Written(u, 1);
        var a = Written(u, 2);
        Assert.Equal(0, u.Madvise(a, 2 * P, Advice.Free).Errno);
        Assert.Equal(PageFlags.None, k.PfnToPage(Proc.Pagemap(u, a).Pfn).Flags & PageFlags.Dirty);
        Assert.True(u.WriteByte(a + P, 0x77).IsOk);           // page 1 written again: re-dirtied
        k.Reclaim(100);
        k.Reclaim(100);
        Assert.False(Proc.Pagemap(u, a).Present);               // discarded, not swapped
        Assert.False(Proc.Pagemap(u, a).Swapped);
        Assert.True(Proc.Pagemap(u, a + P).Present || Proc.Pagemap(u, a + P).Swapped);
        Assert.Equal(0, ByteAt(u, a));                          // a lazily freed page reads zero-fill
        Assert.Equal(0x77, ByteAt(u, a + P));
        Assert.Equal(0x10, ByteAt(u, kept));                  // not advised: swapped at most, never discarded
        Assert.Empty(k.Checker.CheckAll());
    }

    [Fact]
    public void WithoutSwapOnlyLazyFreePagesAreReclaimed()
    {
        var k = new Kernel(new KernelOptions { Version = V61, SwapPages = 0 });
        var u = k.Spawn();
        var kept = Written(u, 2);
        var a = Written(u, 2);
        Assert.Equal(0, u.Madvise(a, 2 * P, Advice.Free).Errno);
        Assert.Equal(2, k.Reclaim(100) + k.Reclaim(100));
        Assert.True(Proc.Pagemap(u, kept).Present);
        Assert.True(Proc.Pagemap(u, kept + P).Present);
        Assert.False(Proc.Pagemap(u, a).Present);
    }

    [Fact]
    public void MadvFreeIsForPrivateAnonymousMemoryOnly()
    {
        var k = Boot(V61);
        var u = k.Spawn();
        var shared = Written(u, 1, MapFlags.Shared);
        Assert.Equal(Errno.EINVAL, u.Madvise(shared, P, Advice.Free).Errno);
        var locked = Written(u, 1);
        Assert.True(u.Mlock(locked, P).IsOk);
        Assert.Equal(Errno.EINVAL, u.Madvise(locked, P, Advice.Free).Errno);
        var (du, da, _) = DriverMapping(k, MapFlags.Private);
        Assert.Equal(Errno.EINVAL, du.Madvise(da, P, Advice.Free).Errno);
    }

    // ---- MADV_REMOVE ---------------------------------------------------------------------------------------------

    [Fact]
    public void MadvRemovePunchesAHoleInShmem()
    {
        var k = Boot(V61, strict: true);
        var u = k.Spawn();
        var a = Written(u, 4, MapFlags.Shared);
        Assert.Equal(0, u.Madvise(a + P, 2 * P, Advice.Remove).Errno);
        Assert.True(Proc.Pagemap(u, a).Present);
        Assert.False(Proc.Pagemap(u, a + P).Present);
        Assert.Equal(0, ByteAt(u, a + P));
        Assert.Equal(0x10, ByteAt(u, a));
        Assert.Equal(0x13, ByteAt(u, a + 3 * P));
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData(V61, new[] { 0, 1, 2, 3 })]
    [InlineData("6.9", new[] { 3, 2, 1, 0 })]
    public void MadvRemoveFreesThePagesAtOnceInTheBatchOrderReleasePagesGives(string version, int[] order)
    {
        // zap_page_range_single's lru_add_drain lets the truncation free every page at once; release_pages hands them
        // to the per-cpu list in reverse batch order until 6.9 (free_unref_folios: batch order), and the list is LIFO.
        var k = Boot(version, strict: true);
        var u = k.Spawn();
        var a = Written(u, 4, MapFlags.Shared);
        var before = Enumerable.Range(0, 4).Select(i => Proc.Pagemap(u, a + (ulong)i * P).Pfn).ToArray();
        Assert.Equal(0, u.Madvise(a, 4 * P, Advice.Remove).Errno);
        u.ReadAll(a, 4);
        var after = Enumerable.Range(0, 4).Select(i => Proc.Pagemap(u, a + (ulong)i * P).Pfn).ToArray();
        Assert.Equal(order.Select(i => before[i]), after);
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData("3.4", Errno.ENOSYS)]   // vmtruncate_range: no ->truncate_range
    [InlineData("3.5", Errno.ENODEV)]   // do_fallocate / vfs_fallocate: not a regular file
    public void MadvRemoveOfACharacterDevice(string version, int errno)
    {
        var k = Boot(version);
        var (u, a, dev) = DriverMapping(k, MapFlags.Shared);
        u.ReadAll(a, 4);
        Assert.Equal(errno, u.Madvise(a, 4 * P, Advice.Remove).Errno);
        Assert.True(Proc.Pagemap(u, a).Present);
        Assert.Equal(2, k.PageCount(dev.Pages[0]));
    }

    [Fact]
    public void MadvRemoveRefusals()
    {
        var k = Boot(V61);
        var u = k.Spawn();
        Assert.Equal(Errno.EINVAL, u.Madvise(Written(u, 1), P, Advice.Remove).Errno);                      // no file
        Assert.Equal(Errno.EACCES, u.Madvise(u.Map(P, Prot.Read, MapFlags.Shared), P, Advice.Remove).Errno); // not writable
        var locked = Written(u, 1, MapFlags.Shared);
        Assert.True(u.Mlock(locked, P).IsOk);
        Assert.Equal(Errno.EINVAL, u.Madvise(locked, P, Advice.Remove).Errno);
        Assert.True(Proc.Pagemap(u, locked).Present);
    }

    // ---- MADV_COLD / MADV_PAGEOUT ------------------------------------------------------------------------------

    [Fact]
    public void MadvColdDeactivatesAndPageoutSwapsOut()
    {
        var k = Boot(V61, strict: true);
        var u = k.Spawn();
        var a = Written(u, 2);
        k.Reclaim(0);
        var page = k.PfnToPage(Proc.Pagemap(u, a).Pfn);
        Assert.True(u.Touch(a).IsOk);
        Assert.Equal(0, u.Madvise(a, 2 * P, Advice.Cold).Errno);
        Assert.Equal(PageFlags.None, page.Flags & (PageFlags.Active | PageFlags.Referenced));
        Assert.Equal(0, u.Madvise(a, 2 * P, Advice.PageOut).Errno);
        Assert.True(Proc.Pagemap(u, a).Swapped);
        Assert.Equal(0x11, ByteAt(u, a + P));
        Assert.Empty(k.Checker.CheckAll());
    }

    [Fact]
    public void MadvPageoutWithoutSwapActivatesThePages()
    {
        var k = new Kernel(new KernelOptions { Version = V61, SwapPages = 0 });
        var u = k.Spawn();
        var a = Written(u, 2);
        Assert.Equal(0, u.Madvise(a, 2 * P, Advice.PageOut).Errno);
        var page = k.PfnToPage(Proc.Pagemap(u, a).Pfn);
        Assert.True(Proc.Pagemap(u, a).Present);
        Assert.Equal(PageFlags.Active, page.Flags & (PageFlags.Active | PageFlags.Lru)); // back through the add batch
    }

    [Fact]
    public void MadvColdRefusesLockedAndPfnmapVmas()
    {
        var k = Boot(V61);
        var u = k.Spawn();
        var locked = Written(u, 1);
        Assert.True(u.Mlock(locked, P).IsOk);
        Assert.Equal(Errno.EINVAL, u.Madvise(locked, P, Advice.Cold).Errno);
        var (du, da, _) = DriverMapping(k, MapFlags.Shared, remap: true);
        Assert.Equal(Errno.EINVAL, du.Madvise(da, P, Advice.PageOut).Errno);
    }

    // ---- MADV_POPULATE_READ / WRITE --------------------------------------------------------------------------------

    [Fact]
    public void MadvPopulateFaultsLikeGup()
    {
        var k = Boot(V61, strict: true);
        var (u, a, dev) = DriverMapping(k, MapFlags.Shared);
        Assert.Equal(0, u.Madvise(a, 4 * P, Advice.PopulateRead).Errno);
        Assert.Equal(Repeat(2, 4), k.Refcounts(dev.Pages));
        Assert.Equal(PageFlags.Referenced, dev.Pages[0].Flags & (PageFlags.Referenced | PageFlags.Dirty));
        Assert.Equal(0, u.Madvise(a, 4 * P, Advice.PopulateWrite).Errno);
        Assert.Equal(PageFlags.Dirty, dev.Pages[0].Flags & PageFlags.Dirty);   // FOLL_TOUCH|FOLL_WRITE on a clean PTE
        Assert.Empty(k.Checker.CheckAll());
    }

    [Fact]
    public void MadvPopulateWriteOfAPrivateMappingCopies()
    {
        var k = Boot(V61);
        var (u, a, dev) = DriverMapping(k, MapFlags.Private);
        Assert.Equal(0, u.Madvise(a, 4 * P, Advice.PopulateWrite).Errno);
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        Assert.NotEqual(k.PageToPfn(dev.Pages[0]), Proc.Pagemap(u, a).Pfn);
    }

    [Fact]
    public void MadvPopulateErrors()
    {
        var k = Boot(V61);
        var (u, a, _) = DriverMapping(k, MapFlags.Shared, remap: true);
        Assert.Equal(Errno.EINVAL, u.Madvise(a, P, Advice.PopulateRead).Errno);        // VM_IO|VM_PFNMAP
        var ro = u.Map(P, Prot.Read, MapFlags.Private);
        Assert.Equal(Errno.EINVAL, u.Madvise(ro, P, Advice.PopulateWrite).Errno);        // no VM_WRITE
        var hole = u.Map(2 * P, flags: MapFlags.Private);
        Assert.True(u.Munmap(hole + P, P).IsOk);
        Assert.Equal(Errno.ENOMEM, u.Madvise(hole, 2 * P, Advice.PopulateRead).Errno);   // populated up to the hole
        Assert.True(Proc.Pagemap(u, hole).Present);
        var dev = new TestDevice(k, pages: 4, path: "/dev/short");
        dev.OnMmap = vma =>
        {
            vma.Ops = dev.FaultOps();
            return 0;
        };
        var big = u.Map(5 * P, fd: u.OpenOk("/dev/short"));
        Assert.Equal(Errno.EFAULT, u.Madvise(big, 5 * P, Advice.PopulateRead).Errno);      // ->fault: VM_FAULT_SIGBUS at page 4
        Assert.True(Proc.Pagemap(u, big + 3 * P).Present);
    }

    // ---- MADV_DONTNEED_LOCKED ------------------------------------------------------------------------------------

    [Theory]
    [InlineData("5.17", false)]
    [InlineData("5.18", true)]
    public void MadvDontNeedLockedZapsMlockedPages(string version, bool zaps)
    {
        var k = Boot(version);
        var u = k.Spawn();
        var a = Written(u, 2);
        Assert.True(u.Mlock(a, 2 * P).IsOk);
        Assert.Equal(Errno.EINVAL, u.Madvise(a, 2 * P, Advice.DontNeed).Errno);
        Assert.Equal(zaps ? 0 : Errno.EINVAL, u.Madvise(a, 2 * P, Advice.DontNeedLocked).Errno);
        Assert.Equal(!zaps, Proc.Pagemap(u, a).Present);
        Assert.NotEqual(VmFlags.None, u.Mm.VmaAt(a)!.Flags & VmFlags.Locked);
        var (du, da, _) = DriverMapping(k, MapFlags.Shared, remap: true);
        Assert.Equal(Errno.EINVAL, du.Madvise(da, P, Advice.DontNeedLocked).Errno);  // VM_PFNMAP still refused
    }

    // ---- MREMAP_DONTUNMAP ----------------------------------------------------------------------------------------

    [Fact]
    public void DontUnmapMovesThePagesAndLeavesTheOldRangeEmpty()
    {
        var k = Boot(V61, strict: true);
        var u = k.Spawn();
        var a = Written(u, 4);
        var r = u.Mremap(a, 4 * P, 4 * P, MremapFlags.MayMove | MremapFlags.DontUnmap);
        Assert.True(r.IsOk, r.ToString());
        Assert.NotEqual(a, r.Value);
        Assert.Equal(0x12, ByteAt(u, r.Value + 2 * P));
        Assert.False(Proc.Pagemap(u, a).Present);
        Assert.NotNull(u.Mm.VmaAt(a));
        Assert.Equal(0, ByteAt(u, a + 2 * P));
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData(MremapFlags.DontUnmap, 4, 4)]                          // without MAYMOVE
    [InlineData(MremapFlags.MayMove | MremapFlags.DontUnmap, 4, 2)]    // a resize
    public void DontUnmapIsOnlyAMove(MremapFlags flags, int oldPages, int newPages)
    {
        var k = Boot(V61);
        var u = k.Spawn();
        var a = Written(u, 4);
        Assert.Equal(Errno.EINVAL, u.Mremap(a, (ulong)oldPages * P, (ulong)newPages * P, flags).Errno);
        Assert.Equal(0x13, ByteAt(u, a + 3 * P));
    }

    [Theory]
    [InlineData("5.6", false, false)]    // unknown flag
    [InlineData("5.7", false, true)]
    [InlineData("5.12", true, false)]    // private anonymous only
    [InlineData("5.13", true, true)]     // any vma but VM_DONTEXPAND|VM_PFNMAP
    public void DontUnmapEra(string version, bool driver, bool allowed)
    {
        var k = Boot(version);
        Process u;
        UserAddr a;
        if (driver)
        {
            (u, a, _) = DriverMapping(k, MapFlags.Shared);
        }
        else
        {
            u = k.Spawn();
            a = Written(u, 4);
        }

        var r = u.Mremap(a, 4 * P, 4 * P, MremapFlags.MayMove | MremapFlags.DontUnmap);
        Assert.Equal(allowed ? 0 : Errno.EINVAL, r.Errno);
        if (driver && allowed)
        {
            Assert.Equal((byte)'c', ByteAt(u, a + 2 * P));   // the old vma faults through ->fault again
        }
    }

    [Fact]
    public void DontUnmapRefusesPfnmap()
    {
        var (u, a, _) = DriverMapping(Boot(V61), MapFlags.Shared, remap: true);
        Assert.Equal(Errno.EINVAL, u.Mremap(a, P, P, MremapFlags.MayMove | MremapFlags.DontUnmap).Errno);
        Assert.Equal((byte)'a', ByteAt(u, a));
    }

    // ---- ->page_mkwrite returning VM_FAULT_LOCKED -----------------------------------------------------------------

    [Fact]
    public void APageMkwriteLockedPageIsUnlockedAfterTheFault()
    {
        var k = Boot(V61, strict: true);
        var dev = new TestDevice(k);
        var calls = 0;
        dev.OnMmap = vma =>
        {
            var fault = dev.FaultOps().Fault;
            vma.Ops = new VmOperations
            {
                Fault = fault,
                PageMkwrite = vmf =>
                {
                    calls++;
                    k.LockPage(vmf.Page);
                    return VmFaultResult.Locked;
                },
            };
            return 0;
        };
        var u = k.Spawn();
        var a = u.Map(4 * P, fd: u.OpenOk("/dev/test"));
        Assert.True(u.WriteByte(a, 1).IsOk);
        Assert.Equal(1, calls);
        Assert.False(k.PageLocked(dev.Pages[0]));
        k.LockPage(dev.Pages[0]);   // lockable again: no self-deadlock report
        k.UnlockPage(dev.Pages[0]);
    }
}
