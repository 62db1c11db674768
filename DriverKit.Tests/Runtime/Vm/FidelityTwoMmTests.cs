using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>
/// Issue 20 (a held-out comparison with Debian's 6.1): mlock's populate error, populate of a special mapping under
/// mlockall(MCL_FUTURE), the proportional smaps "Locked:", mremap's order of unmapping and checking, the
/// VM_LOCKONFAULT mnemonic and the per-cpu mlock batch — each in the eras where the kernel behaves so.
/// </summary>
public sealed class FidelityTwoMmTests
{
    private const ulong P = Kernel.PageSize;

    private const string Debian61 = "6.1.0-56-amd64";

    /// <summary>A kernel, a /dev/test whose -&gt;mmap is <paramref name="mmap"/>, a process and an open fd of the device.</summary>
    private static (Kernel K, TestDevice Dev, Process U, int Fd) Device(string version, Func<Kernel, TestDevice, Func<VmArea, int>> mmap, bool strict = false)
    {
        var k = Boot(version, strict: strict);
        var dev = new TestDevice(k);
        dev.OnMmap = mmap(k, dev);
        var u = k.Spawn();
        return (k, dev, u, u.OpenOk("/dev/test"));
    }

    private static (Kernel K, TestDevice Dev, Process U, int Fd) FaultDevice(string version, bool strict = false) =>
        Device(version, (_, dev) => vma => { vma.Ops = dev.FaultOps(); return 0; }, strict);

    private static (Kernel K, TestDevice Dev, Process U, int Fd) RemapDevice(string version) =>
        Device(version, (k, dev) => vma => k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]), vma.Length, vma.PageProt));

    private static string SmapsOf(Process u, UserAddr a)
    {
        var smaps = Proc.Smaps(u);
        var start = smaps.IndexOf(Proc.MapsLine(u.Mm.VmaAt(a)!), StringComparison.Ordinal);
        var end = smaps.IndexOf("VmFlags:", start, StringComparison.Ordinal);
        return smaps[start..end];
    }

    // mm/mlock.c: do_mlock → __mm_populate → __mlock_posix_error_return (2.6.28+): the fault's -EFAULT becomes -ENOMEM;
    // before, get_user_pages' -EFAULT came back as it was. Either way the vma stays VM_LOCKED and charged.
    [Theory]
    [InlineData("2.6.27", Errno.EFAULT)]
    [InlineData("2.6.28", Errno.ENOMEM)]
    [InlineData(Debian61, Errno.ENOMEM)]
    public void MlockOfAMappingWhoseFaultFailsReportsThePosixErrnoAndStaysLocked(string version, int errno)
    {
        var (_, _, u, fd) = FaultDevice(version);
        var a = u.Map(2 * P, fd: fd, offset: 8 * P); // beyond the driver's 4 pages: every fault is SIGBUS

        Assert.Equal(errno, u.Mlock(a, 2 * P).Errno);
        Assert.Equal(VmFlags.Locked, u.Mm.VmaAt(a)!.Flags & VmFlags.Locked);
        Assert.Equal(2, u.Mm.LockedVm);
        Assert.Contains("VmLck:\t       8 kB", Proc.Status(u), StringComparison.Ordinal);
    }

    // mm/mmap.c: do_mmap takes *populate from mm->def_flags' VM_LOCKED before ->mmap; mmap_region then strips VM_LOCKED
    // from the VM_MIXEDMAP vma (VM_SPECIAL from 3.14) and __mm_populate skips only VM_IO|VM_PFNMAP: the pages are
    // touched (PG_referenced) though nothing is locked. 3.10's VM_SPECIAL lacks VM_MIXEDMAP, so the vma stays locked.
    [Theory]
    [InlineData("3.10", true)]
    [InlineData(Debian61, false)]
    public void MlockallFutureThenMmapOfAVmInsertPageMappingPopulatesIt(string version, bool staysLocked)
    {
        var (_, dev, u, fd) = Device(version, (k, dev) => vma => Enumerable.Range(0, 4).Select(i => k.VmInsertPage(vma, vma.Start + (ulong)i * P, dev.Pages[i])).FirstOrDefault(r => r != 0));
        Assert.True(u.MlockAll(MlockAllFlags.Future).IsOk);

        var a = u.Map(4 * P, fd: fd);

        Assert.All(dev.Pages, page => Assert.Equal(PageFlags.Referenced, page.Flags & PageFlags.Referenced));
        Assert.Equal(staysLocked, (u.Mm.VmaAt(a)!.Flags & VmFlags.Locked) != 0);
        Assert.Equal(staysLocked ? 4 : 0, u.Mm.LockedVm);
    }

    // The same, without mlockall: no VM_LOCKED, no MAP_POPULATE, no populate — vm_insert_page alone does not touch.
    [Fact]
    public void AVmInsertPageMappingIsNotTouchedWithoutALock()
    {
        var (_, dev, u, fd) = Device(Debian61, (k, dev) => vma => k.VmInsertPage(vma, vma.Start, dev.Pages[0]));
        u.Map(P, fd: fd);
        Assert.Equal(PageFlags.None, dev.Pages[0].Flags & PageFlags.Referenced);
    }

    // mm/mmap.c (3.9+): a VM_LOCKED that only ->mmap set is not the caller's, so do_mmap does not populate; 2.6.28 – 3.8
    // mmap_region re-read vm_flags and mlock_vma_pages_range made a special vma's pages present.
    [Theory]
    [InlineData("3.8", true)]
    [InlineData(Debian61, false)]
    public void ADriverSetLockOnASpecialVmaPopulatesOnlyBefore39(string version, bool touched)
    {
        var (_, dev, u, fd) = Device(version, (k, dev) => vma =>
        {
            vma.Flags |= VmFlags.DontExpand | VmFlags.Locked;
            return k.VmInsertPage(vma, vma.Start, dev.Pages[0]);
        });
        var a = u.Map(P, fd: fd);
        Assert.Equal(touched, (dev.Pages[0].Flags & PageFlags.Referenced) != 0);
        Assert.Equal(VmFlags.None, u.Mm.VmaAt(a)!.Flags & VmFlags.Locked);
    }

    // fs/proc/task_mmu.c: smaps_account — Locked: is the PSS of a VM_LOCKED vma (mss.pss_locked; before 4.14 mss.pss
    // of a locked vma): pages mapped twice count half.
    [Theory]
    [InlineData("2.6.32")]
    [InlineData(Debian61)]
    public void SmapsLockedOfPagesMappedTwiceIsTheProportionalSize(string version)
    {
        var (_, _, u, fd) = FaultDevice(version);
        var a = u.Map(2 * P, fd: fd);
        var b = u.Map(2 * P, fd: fd);
        u.ReadAll(b, 2);
        Assert.True(u.Mlock(a, 2 * P).IsOk);
        Assert.True(u.Mlock(b, P).IsOk); // b's second page is mapped twice, but its vma piece is not locked

        var first = SmapsOf(u, a);
        Assert.Contains("Rss:                   8 kB", first, StringComparison.Ordinal);
        Assert.Contains("Locked:                4 kB", first, StringComparison.Ordinal);
        Assert.Contains("Locked:                2 kB", SmapsOf(u, b), StringComparison.Ordinal);
        Assert.Contains("Locked:                0 kB", SmapsOf(u, b + P), StringComparison.Ordinal);
    }

    // A page whose only reference is its one mapping counts whole (smaps_account: page_count == 1).
    [Fact]
    public void SmapsLockedOfAnonymousPagesIsTheirSize()
    {
        var k = Boot(Debian61);
        var u = k.Spawn();
        var a = u.Map(3 * P, flags: MapFlags.Private);
        Assert.True(u.Mlock(a, 3 * P).IsOk);
        Assert.Contains("Locked:               12 kB", SmapsOf(u, a), StringComparison.Ordinal);
    }

    // mm/mremap.c: vma_to_resize — old_len 0 is refused with EINVAL only for a private mapping (from 4.14); a
    // remap_pfn_range mapping is shared, and growing VM_DONTEXPAND|VM_PFNMAP is EFAULT.
    [Theory]
    [InlineData("3.7")]
    [InlineData(Debian61)]
    public void MremapDuplicateOfARemapPfnRangeMappingIsEfault(string version)
    {
        var (_, _, u, fd) = RemapDevice(version);
        var a = u.Map(P, fd: fd);
        Assert.Equal(Errno.EFAULT, u.Mremap(a, 0, P, MremapFlags.MayMove).Errno);
        Assert.Single(u.Mm.VmAreas);
    }

    // dba58d3b8c50 (4.14): mremap(addr, 0, ...) of a private mapping is EINVAL (with a pr_warn_once); 4.13 made a fresh
    // private copy of the vma, unrelated to the original's pages.
    [Theory]
    [InlineData("4.13", true)]
    [InlineData(Debian61, false)]
    public void MremapDuplicateOfAPrivateMappingIsRefusedFrom414(string version, bool duplicated)
    {
        var k = Boot(version);
        var u = k.Spawn();
        var a = u.Map(P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 7).IsOk);

        var r = u.Mremap(a, 0, P, MremapFlags.MayMove);

        Assert.Equal(duplicated, r.IsOk);
        Assert.Equal(duplicated ? 2 : 1, u.Mm.VmAreas.Count);
        Assert.Equal(duplicated ? 0 : 1, k.Dmesg.Count(l => l.Contains("attempted to duplicate a private mapping", StringComparison.Ordinal)));
        if (duplicated)
        {
            Assert.True(u.ReadByte(r.Value, out var value).IsOk);
            Assert.Equal(0, value);
        }
    }

    // mm/mremap.c: mremap_to unmaps the target (do_munmap(new_addr)) before vma_to_resize refuses to grow a
    // VM_DONTEXPAND vma: the EFAULT leaves the target range empty (the same order in 2.6.20's do_mremap).
    [Theory]
    [InlineData("2.6.20")]
    [InlineData(Debian61)]
    public void MremapFixedGrowthOfADontExpandVmaUnmapsTheTargetFirst(string version)
    {
        var (_, _, u, fd) = RemapDevice(version);
        var a = u.Map(P, fd: fd);
        var target = u.Map(2 * P, flags: MapFlags.Private);

        Assert.Equal(Errno.EFAULT, u.Mremap(a, P, 2 * P, MremapFlags.MayMove | MremapFlags.Fixed, target).Errno);

        Assert.Null(u.Mm.VmaAt(target));
        Assert.Null(u.Mm.VmaAt(target + P));
        Assert.NotNull(u.Mm.VmaAt(a));
    }

    // mm/mremap.c: mremap_to shrinks first (do_munmap of the tail: split → ->open, then ->close), then move_vma
    // (copy_vma → ->open, unmap of the old range → ->close): two opens and two closes.
    [Theory]
    [InlineData("2.6.24")]
    [InlineData(Debian61)]
    public void MremapFixedShrinkMoveOpensAndClosesTwice(string version)
    {
        var (_, dev, u, fd) = FaultDevice(version);
        var a = u.Map(4 * P, fd: fd);
        var hole = u.Map(2 * P, flags: MapFlags.Private);
        Assert.True(u.Munmap(hole, 2 * P).IsOk);

        Assert.Equal(hole, u.Mremap(a, 4 * P, 2 * P, MremapFlags.MayMove | MremapFlags.Fixed, hole).Value);

        Assert.Equal(
            [$"open {a + 2 * P}-{a + 4 * P}", $"close {a + 2 * P}-{a + 4 * P}", $"open {hole}-{hole + 2 * P}", $"close {a}-{a + 2 * P}"],
            dev.VmEvents);
        Assert.Equal(2UL * P, u.Mm.VmaAt(hole)!.Length);
        Assert.Null(u.Mm.VmaAt(a));
    }

    // fs/proc/task_mmu.c: show_smap_vma_flags gained "lf" for VM_LOCKONFAULT in 6.2 (8614d6c5eda0); 4.4 – 6.1 print
    // the table's "??" fill in its place.
    [Theory]
    [InlineData("4.4", "??")]
    [InlineData(Debian61, "??")]
    [InlineData("6.2", "lf")]
    public void TheLockOnFaultMnemonicArrivedIn62(string version, string mnemonic)
    {
        var k = Boot(version);
        var u = k.Spawn();
        var a = u.Map(P, flags: MapFlags.Private);
        Assert.True(u.Mlock2OnFault(a, P).IsOk);
        Assert.Contains($"VmFlags: rd wr mr mw me lo {mnemonic} ac \n", Proc.Smaps(u), StringComparison.Ordinal);
    }

    // mm/mlock.c: mlock_folio (5.18+) — a driver page faulted into a VM_LOCKED vma waits in the per-cpu mlock batch with
    // a reference (driver + PTE + batch = 3) until lru_add_drain (here: munlock's mlock_fixup). 5.17's mlock_vma_page
    // took none. The fault is a user access of an mlock2(MLOCK_ONFAULT) range: populate would drain (below).
    [Theory]
    [InlineData("5.17", 2)]
    [InlineData(Debian61, 3)]
    public void AnMlockedFaultHoldsABatchReferenceUntilTheDrain(string version, int refcount)
    {
        var (k, dev, u, fd) = FaultDevice(version, strict: true);
        var a = u.Map(4 * P, fd: fd);

        Assert.True(u.Mlock2OnFault(a, 4 * P).IsOk);
        Assert.True(u.Touch(a).IsOk);
        Assert.True(u.Touch(a + P).IsOk);

        Assert.Equal([refcount, refcount, 1, 1], k.Refcounts(dev.Pages));
        Assert.Equal(PageFlags.Mlocked, dev.Pages[0].Flags & PageFlags.Mlocked);
        Assert.Equal(refcount == 3, k.Checker.Ledger(dev.Pages[0]).Contains("MlockBatch", StringComparison.Ordinal));
        Assert.Empty(k.Checker.CheckAll());
        Assert.True(u.Munlock(a, 4 * P).IsOk);
        Assert.Equal([2, 2, 1, 1], k.Refcounts(dev.Pages));
        Assert.Empty(k.Checker.CheckAll());
    }

    // mm/gup.c: populate_vma_page_range ends with lru_add_drain (5.18, when FOLL_MLOCK went), which empties the mlock
    // batch too: right after mlock(2) the driver pages are mlocked with driver + PTE references only (Debian 6.1
    // mlock_shared: refcount 2). Before 5.18 FOLL_MLOCK's mlock_vma_page took no batch reference either.
    [Theory]
    [InlineData("5.17")]
    [InlineData(Debian61)]
    public void MlockPopulateDrainsTheMlockBatch(string version)
    {
        var (k, dev, u, fd) = FaultDevice(version, strict: true);
        var a = u.Map(4 * P, fd: fd);

        Assert.True(u.Mlock(a, 4 * P).IsOk);

        Assert.Equal(Repeat(2, 4), k.Refcounts(dev.Pages));
        Assert.All(dev.Pages, page => Assert.Equal(PageFlags.Mlocked, page.Flags & (PageFlags.Mlocked | PageFlags.Unevictable)));
        Assert.DoesNotContain("MlockBatch", k.Checker.Ledger(dev.Pages[0]), StringComparison.Ordinal);
        Assert.Empty(k.Checker.CheckAll());
    }

    // mm/vmscan.c: folio_evictable / mm/mlock.c: __mlock_new_folio — an mlocked anonymous page reaches the LRU on the
    // unevictable list (PG_unevictable, 2.6.28+; 5.18+ when the mlock batch drains, here at the end of populate);
    // munlock (__munlock_folio) puts it back on an evictable list. 2.6.27 has neither flag.
    [Theory]
    [InlineData("2.6.27", false)]
    [InlineData("5.17", true)]
    [InlineData(Debian61, true)]
    public void MlockedAnonymousPagesAreUnevictableUntilMunlock(string version, bool unevictable)
    {
        var k = Boot(version, strict: true);
        var u = k.Spawn();
        var a = u.Map(4 * P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 1).IsOk);
        Assert.True(u.Mlock(a, 4 * P).IsOk);

        var locked = unevictable ? PageFlags.Mlocked | PageFlags.Unevictable | PageFlags.Lru : PageFlags.Lru;
        for (var i = 0UL; i < 4; i++)
        {
            var page = k.PfnToPage(Proc.Pagemap(u, a + (i * P)).Pfn);
            Assert.Equal(locked, page.Flags & (PageFlags.Mlocked | PageFlags.Unevictable | PageFlags.Lru));
        }

        Assert.True(u.Munlock(a, 4 * P).IsOk);
        var first = k.PfnToPage(Proc.Pagemap(u, a).Pfn);
        Assert.Equal(PageFlags.Lru, first.Flags & (PageFlags.Mlocked | PageFlags.Unevictable | PageFlags.Lru));
        Assert.True(u.Munmap(a, 4 * P).IsOk);
        Assert.Empty(k.Checker.CheckAll());
    }

    // mm/swap.c: folio_add_lru_vma → mlock_new_folio — a new anonymous page of a locked vma goes to the mlock batch
    // instead of lru_add; a full batch (PAGEVEC_SIZE) drains onto the LRU and drops the references.
    [Fact]
    public void ANewAnonymousPageOfALockedVmaWaitsInTheMlockBatch()
    {
        var k = Boot(Debian61, strict: true);
        var u = k.Spawn();
        var a = u.Map(15 * P, flags: MapFlags.Private);
        Assert.True(u.Mlock2OnFault(a, 15 * P).IsOk);
        Assert.True(u.WriteByte(a, 1).IsOk);
        var first = k.PfnToPage(Proc.Pagemap(u, a).Pfn);
        Assert.Equal(2, k.PageCount(first));
        Assert.Contains("MlockBatch", k.Checker.Ledger(first), StringComparison.Ordinal);
        Assert.DoesNotContain("LruBatch", k.Checker.Ledger(first), StringComparison.Ordinal);
        Assert.Equal(PageFlags.Mlocked, first.Flags & (PageFlags.Mlocked | PageFlags.Lru));
        for (var i = 1; i < 15; i++)
        {
            Assert.True(u.WriteByte(a + (ulong)i * P, 1).IsOk);
        }

        Assert.Equal(1, k.PageCount(first));
        Assert.Equal(PageFlags.Mlocked | PageFlags.Lru, first.Flags & (PageFlags.Mlocked | PageFlags.Lru));
        Assert.True(u.Munmap(a, 15 * P).IsOk);
        Assert.Empty(k.Checker.CheckAll());
    }
}
