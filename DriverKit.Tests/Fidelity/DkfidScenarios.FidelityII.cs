using DriverKit.Runtime;

namespace DriverKit.Tests.Fidelity;

/// <summary>
/// The C# mirror of the issue-20 part of fidelity/user/dkfid-test.c (run_fidelity2): pre-faulting (MAP_POPULATE,
/// mlock, mlockall), munlock at unmap, smaps of pages mapped twice, mremap (old_len 0, FIXED grow/shrink, MAYMOVE,
/// DONTUNMAP), madvise over several vmas and the remaining advice, FOLL_FORCE through /proc/self/mem, write faults on
/// shared driver pages, write-notify, and the process's own mappings. What the runtime cannot express yet (MADV_FREE …
/// MADV_DONTNEED_LOCKED, MREMAP_DONTUNMAP) is passed as the raw value the C program passes; the runtime refuses it and
/// the difference is listed in <see cref="FidelityTests.KnownDifferences"/>.
/// </summary>
internal sealed partial class DkfidScenarios
{
    /// <summary>The issue-20 scenario ids, in run_fidelity2's order (a property: <see cref="Order"/>, in the other part, is initialised from it).</summary>
    public static string[] FidelityIIOrder =>
    [
        "populate_private", "populate_shared", "mlock_private", "mlock_shared", "mlockall_fault_shared", "mlockall_fault_private",
        "mlockall_insert_page", "mlock_fault_fail", "mlock_onfault", "shared_twice", "mremap_dup_fault", "mremap_dup_remap",
        "mremap_dup_remap_private", "mremap_grow_move", "mremap_fixed_grow", "mremap_fixed_shrink", "mremap_dontunmap_drv",
        "mremap_dontunmap_anon", "madvise_span_dontneed", "madvise_span_dofork", "madv_free_anon", "madv_free_drv",
        "madv_remove_shmem", "madv_remove_drv", "madv_cold_pageout_anon", "madv_cold_pageout_drv", "madv_populate_shared",
        "madv_populate_private", "madv_populate_remap", "madv_dontneed_locked_anon", "madv_dontneed_locked_drv", "procmem_anon",
        "procmem_read_none_drv", "procmem_write_private_ro", "procmem_write_shared_ro", "shared_write_dirty", "write_notify",
        "write_notify_private", "own_mappings",
    ];

    private static readonly int[] J01 = [0, 1];
    private static readonly int[] J23 = [2, 3];
    private static readonly int[] J0 = [0];

    // g_d / g_dn: the second mapping under observation (d_* keys); g_obs_mkwrite.
    private ulong gD;
    private int gDn;
    private bool obsMkwrite;

    private void RunFidelityII(Func<string, bool> want)
    {
        var runs = new (string Name, Action Run)[]
        {
            ("populate_private", () => RunPopulate("populate_private", shared: false)),
            ("populate_shared", () => RunPopulate("populate_shared", shared: true)),
            ("mlock_private", () => RunMlockDrv("mlock_private", shared: false)),
            ("mlock_shared", () => RunMlockDrv("mlock_shared", shared: true)),
            ("mlockall_fault_shared", () => RunMlockall("mlockall_fault_shared",
                "mlockall(MCL_FUTURE), then mmap(MAP_SHARED RW) of a ->fault (get_page) driver: VM_LOCKED from def_flags, populated at mmap (read faults)",
                DkfidMode.FaultGet, shared: true)),
            ("mlockall_fault_private", () => RunMlockall("mlockall_fault_private",
                "mlockall(MCL_FUTURE), then mmap(MAP_PRIVATE RW) of a ->fault (get_page) driver: populated with write faults (COW copies, mlocked)",
                DkfidMode.FaultGet, shared: false)),
            ("mlockall_insert_page", () => RunMlockall("mlockall_insert_page",
                "mlockall(MCL_FUTURE), then mmap(MAP_SHARED RW) of a vm_insert_page driver: VM_MIXEDMAP strips VM_LOCKED, but do_mmap already decided to populate (__mm_populate skips only VM_IO|VM_PFNMAP)",
                DkfidMode.InsertPage, shared: true)),
            ("mlock_fault_fail", RunMlockFaultFail),
            ("mlock_onfault", RunMlockOnfault),
            ("shared_twice", RunSharedTwice),
            ("mremap_dup_fault", () => RunMremapDup("mremap_dup_fault",
                "->fault with get_page (no VM_DONTEXPAND), MAP_SHARED 4 pages (read); mremap(addr, 0, 16K, MAYMOVE) duplicates the mapping (->open); the copy faults the same driver pages",
                DkfidMode.FaultGet, shared: true)),
            ("mremap_dup_remap", () => RunMremapDup("mremap_dup_remap",
                "remap_pfn_range, MAP_SHARED; mremap(addr, 0, 16K, MAYMOVE): old_len 0 is growth of a VM_DONTEXPAND|VM_PFNMAP vma (EFAULT)",
                DkfidMode.Remap, shared: true)),
            ("mremap_dup_remap_private", () => RunMremapDup("mremap_dup_remap_private",
                "remap_pfn_range, MAP_PRIVATE; mremap(addr, 0, 16K, MAYMOVE): old_len 0 of a private mapping (EINVAL)",
                DkfidMode.Remap, shared: false)),
            ("mremap_grow_move", RunMremapGrowMove),
            ("mremap_fixed_grow", RunMremapFixedGrow),
            ("mremap_fixed_shrink", RunMremapFixedShrink),
            ("mremap_dontunmap_drv", () => RunMremapDontUnmap("mremap_dontunmap_drv", drv: true)),
            ("mremap_dontunmap_anon", () => RunMremapDontUnmap("mremap_dontunmap_anon", drv: false)),
            ("madvise_span_dontneed", RunMadviseSpanDontNeed),
            ("madvise_span_dofork", RunMadviseSpanDoFork),
            ("madv_free_anon", RunMadvFree),
            ("madv_free_drv", () => RunMadvDrv("madv_free_drv", "->fault with get_page, MAP_PRIVATE RW 4 pages (read): MADV_FREE on a non-anonymous vma (EINVAL)",
                DkfidMode.FaultGet, false, RawMm.MadvFree, "free", 0, null)),
            ("madv_remove_shmem", () => RunMadvAnon("madv_remove_shmem", "4 written pages of MAP_SHARED|MAP_ANONYMOUS (shmem); MADV_REMOVE punches them out; reads see zero",
                true, RawMm.MadvRemove, "remove", 0, null)),
            ("madv_remove_drv", () => RunMadvDrv("madv_remove_drv", "->fault with get_page, MAP_SHARED RW 4 pages (read): MADV_REMOVE on a character device (vfs_fallocate refuses)",
                DkfidMode.FaultGet, true, RawMm.MadvRemove, "remove", 0, null)),
            ("madv_cold_pageout_anon", () => RunMadvAnon("madv_cold_pageout_anon", "4 written private anonymous pages; MADV_COLD (deactivate), MADV_PAGEOUT (reclaim: no swap in the VM)",
                false, RawMm.MadvCold, "cold", RawMm.MadvPageout, "pageout")),
            ("madv_cold_pageout_drv", () => RunMadvDrv("madv_cold_pageout_drv", "->fault with get_page, MAP_SHARED RW 4 pages (read); MADV_COLD, MADV_PAGEOUT (driver pages are not on an LRU)",
                DkfidMode.FaultGet, true, RawMm.MadvCold, "cold", RawMm.MadvPageout, "pageout")),
            ("madv_populate_shared", () => RunMadvDrv("madv_populate_shared",
                "->fault with get_page, MAP_SHARED RW 4 pages, untouched; MADV_POPULATE_READ, then MADV_POPULATE_WRITE (write faults: dirty)",
                DkfidMode.FaultGet, true, RawMm.MadvPopulateRead, "populate_read", RawMm.MadvPopulateWrite, "populate_write")),
            ("madv_populate_private", () => RunMadvDrv("madv_populate_private",
                "->fault with get_page, MAP_PRIVATE RW 4 pages, untouched; MADV_POPULATE_READ (driver pages), then MADV_POPULATE_WRITE (COW copies)",
                DkfidMode.FaultGet, false, RawMm.MadvPopulateRead, "populate_read", RawMm.MadvPopulateWrite, "populate_write")),
            ("madv_populate_remap", () => RunMadvDrv("madv_populate_remap",
                "remap_pfn_range, MAP_SHARED RW 4 pages; MADV_POPULATE_READ and MADV_POPULATE_WRITE on a VM_PFNMAP|VM_IO vma",
                DkfidMode.Remap, true, RawMm.MadvPopulateRead, "populate_read", RawMm.MadvPopulateWrite, "populate_write")),
            ("madv_dontneed_locked_anon", () => RunDontNeedLocked(drv: false)),
            ("madv_dontneed_locked_drv", () => RunDontNeedLocked(drv: true)),
            ("procmem_anon", RunProcmemAnon),
            ("procmem_read_none_drv", () => RunProcmemDrv("procmem_read_none_drv",
                "->fault with get_page, MAP_SHARED PROT_NONE 4 pages; pread of /proc/self/mem at page 1 (FOLL_FORCE read of a VM_MAYREAD vma faults the driver page)",
                Prot.None, shared: true, write: false)),
            ("procmem_write_private_ro", () => RunProcmemDrv("procmem_write_private_ro",
                "->fault with get_page, MAP_PRIVATE PROT_READ 4 pages; pwrite of /proc/self/mem at page 1 (FOLL_WRITE|FOLL_FORCE on a COW mapping: anonymous copy, driver page unchanged)",
                Prot.Read, shared: false, write: true)),
            ("procmem_write_shared_ro", () => RunProcmemDrv("procmem_write_shared_ro",
                "->fault with get_page, MAP_SHARED PROT_READ 4 pages (fd O_RDWR); pwrite of /proc/self/mem at page 1 (FOLL_FORCE write of a shared read-only vma: EFAULT -> EIO)",
                Prot.Read, shared: true, write: true)),
            ("shared_write_dirty", RunSharedWriteDirty),
            ("write_notify", () => RunWriteNotify("write_notify", shared: true)),
            ("write_notify_private", () => RunWriteNotify("write_notify_private", shared: false)),
            ("own_mappings", RunOwnMappings),
        };
        foreach (var (name, run) in runs)
        {
            if (want(name))
            {
                run();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // step helpers

    private void SysStep(string step, SysResult r)
    {
        StepSyscallErrno(step, r);
        Snap(main, step);
    }

    private void TouchStep(string step)
    {
        StepTouchAll(main, step);
        Snap(main, step);
    }

    private void TouchIdxStep(string step, int[] idx)
    {
        StepTouch(main, step, cAddr, idx);
        Snap(main, step);
    }

    /// <summary>Writes byte 1 of the pages idx[] (value base + index).</summary>
    private void WriteIdxStep(string step, int[] idx, int @base)
    {
        string? first = null;
        foreach (var i in idx)
        {
            if (ProbeWrite(main, cAddr + ((ulong)i * P) + 1, (byte)(@base + i), out var sig) < 0 && first is null)
            {
                first = sig;
            }
        }

        log.Str(step, "signal", first);
        Snap(main, step);
    }

    private void WriteStep(string step, int @base)
    {
        StepWriteAll(main, step, cAddr, cNpages, @base);
        Snap(main, step);
    }

    private bool DrvBegin(string scn, string text, DkfidMode mode, uint vmflags, int npages, uint bufflags)
    {
        Begin(scn, text);
        cDrv = true;
        cFd = DevOpen(main);
        if (DevSetup("setup", cFd, mode, vmflags, npages, bufflags, 0) != 0)
        {
            Snap(main, "setup");
            main.Close(cFd);
            return false;
        }

        Snap(main, "setup");
        return true;
    }

    private bool DrvMap(string step, int npages, Prot prot, MapFlags flags)
    {
        if (StepMmap(step, npages, prot, flags, 0) < 0)
        {
            Snap(main, step);
            main.Close(cFd);
            cFd = -1;
            Snap(main, "close");
            return false;
        }

        Snap(main, step);
        return true;
    }

    private void DrvEnd()
    {
        if (cAddr != 0)
        {
            StepSyscallErrno("munmap", main.Munmap(new UserAddr(cAddr), cLen));
            cAddr = 0;
            Snap(main, "munmap");
        }

        if (cFd >= 0)
        {
            StepSyscallErrno("close", main.Close(cFd));
            cFd = -1;
            Snap(main, "close");
        }
    }

    private void AnonEnd()
    {
        StepSyscallErrno("munmap", main.Munmap(new UserAddr(cAddr), cLen));
        cAddr = 0;
        Snap(main, "munmap");
    }

    private bool AnonBegin(string scn, string text, int npages, bool shared, bool write)
    {
        Begin(scn, text);
        var r = main.Mmap(default, (ulong)npages * P, Prot.Read | Prot.Write, (shared ? MapFlags.Shared : MapFlags.Private) | MapFlags.Anonymous);
        log.Errno("mmap", r.IsOk ? 0 : r.Errno);
        if (!r.IsOk)
        {
            return false;
        }

        cAddr = r.Value.Value;
        cLen = (ulong)npages * P;
        cNpages = npages;
        Snap(main, "mmap");
        if (write)
        {
            WriteStep("write", 0x10);
        }

        return true;
    }

    /// <summary>/proc/self/mem: one byte read or written at addr (FOLL_FORCE).</summary>
    private void ProcmemStep(string step, ulong addr, bool write, byte val)
    {
        RawMm.ObsProcmem(log, main, step, addr, write, val);
        Snap(main, step);
    }

    private void MadvStep(string step, ulong addr, ulong len, Advice advice) => SysStep(step, main.Madvise(new UserAddr(addr), len, advice));

    /// <summary>snap_d: a few keys of the second mapping's smaps entry and pagemap.</summary>
    private void SnapD(string step)
    {
        if (gD == 0)
        {
            return;
        }

        var q = cDrv ? DrvQuery(main) : null;
        var e = ProcView.SmapsLookup(main, gD, gD, gD + ((ulong)gDn * P));
        log.Bool(step, "d_mapped", e.Found);
        if (e.Found)
        {
            log.Str(step, "d_vmflags", e.VmFlags);
            log.Int(step, "d_rss_kb", e.RssKb);
            log.Int(step, "d_locked_kb", e.LockedKb);
        }

        var n = Math.Min(gDn, 16);
        var present = new bool[n];
        var isDrv = new bool[n];
        for (var i = 0; i < n; i++)
        {
            var v = ProcView.Pagemap(main, gD + ((ulong)i * P));
            present[i] = v.Present;
            isDrv[i] = q is not null && v.Present && q.P.Take(q.NPages).Any(s => s.Pfn == v.Pfn);
        }

        log.Bools(step, "d_pm_present", present);
        log.Bools(step, "d_pm_is_drv", isDrv);
    }

    private void Snap2(string step)
    {
        SnapD(step);
        Snap(main, step);
    }

    private void SysStep2(string step, SysResult r)
    {
        StepSyscallErrno(step, r);
        Snap2(step);
    }

    // ------------------------------------------------------------------------------------------------------------
    // pre-faulting

    private void RunPopulate(string scn, bool shared)
    {
        if (!DrvBegin(scn, shared
                ? "->fault with get_page; mmap(MAP_SHARED|MAP_POPULATE, RW): populate_vma_page_range read-faults a shared mapping (no FOLL_WRITE), then the user writes"
                : "->fault with get_page; mmap(MAP_PRIVATE|MAP_POPULATE, RW): populate_vma_page_range write-faults a private writable mapping, so every page is COW-copied at mmap",
                DkfidMode.FaultGet, 0, 4, 0)
            || !DrvMap("mmap", 4, Prot.Read | Prot.Write, (shared ? MapFlags.Shared : MapFlags.Private) | MapFlags.Populate))
        {
            return;
        }

        TouchStep("touch");
        WriteStep("write", 0x10);
        ObsReadback(main, "write", 4, 1);
        DrvEnd();
    }

    private void RunMlockDrv(string scn, bool shared)
    {
        if (!DrvBegin(scn, shared
                ? "->fault with get_page, MAP_SHARED RW, not touched; mlock faults the pages in (read) and mlocks them; munmap of the VM_LOCKED vma munlocks them"
                : "->fault with get_page, MAP_PRIVATE RW, not touched; mlock pre-faults with a write fault (COW copies, mlocked); munlock; munmap",
                DkfidMode.FaultGet, 0, 4, 0)
            || !DrvMap("mmap", 4, Prot.Read | Prot.Write, shared ? MapFlags.Shared : MapFlags.Private))
        {
            return;
        }

        SysStep("mlock", main.Mlock(new UserAddr(cAddr), cLen));
        if (!shared)
        {
            SysStep("munlock", main.Munlock(new UserAddr(cAddr), cLen));
        }

        DrvEnd();
    }

    private void RunMlockall(string scn, string text, DkfidMode mode, bool shared)
    {
        if (!DrvBegin(scn, text, mode, 0, 4, 0))
        {
            return;
        }

        SysStep("mlockall_future", main.MlockAll(MlockAllFlags.Future));
        if (StepMmap("mmap", 4, Prot.Read | Prot.Write, shared ? MapFlags.Shared : MapFlags.Private, 0) < 0)
        {
            Snap(main, "mmap");
            main.MunlockAll();
            DrvEnd();
            return;
        }

        Snap(main, "mmap");
        SysStep("munlockall", main.MunlockAll());
        DrvEnd();
    }

    private void RunMlockFaultFail()
    {
        if (!DrvBegin("mlock_fault_fail",
                "->fault returns VM_FAULT_SIGBUS for every page; MAP_SHARED RW; mlock: __mm_populate gets -EFAULT, __mlock_posix_error_return makes it ENOMEM, VM_LOCKED stays",
                DkfidMode.FaultGet, 0, 4, DkfidDriver.BufFaultFail)
            || !DrvMap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared))
        {
            return;
        }

        SysStep("mlock", main.Mlock(new UserAddr(cAddr), cLen));
        TouchIdxStep("touch", J0);
        SysStep("munlock", main.Munlock(new UserAddr(cAddr), cLen));
        DrvEnd();
    }

    private void RunMlockOnfault()
    {
        if (!DrvBegin("mlock_onfault",
                "->fault with get_page, MAP_SHARED RW; mlock2(MLOCK_ONFAULT) (VM_LOCKED|VM_LOCKONFAULT: no populate; smaps mnemonic), then pages 0-1 are read and mlocked at fault",
                DkfidMode.FaultGet, 0, 4, 0)
            || !DrvMap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared))
        {
            return;
        }

        SysStep("mlock2_onfault", main.Mlock2OnFault(new UserAddr(cAddr), cLen));
        TouchIdxStep("touch", J01);
        SysStep("munlock", main.Munlock(new UserAddr(cAddr), cLen));
        DrvEnd();
    }

    // ------------------------------------------------------------------------------------------------------------
    // smaps of pages mapped twice

    private void RunSharedTwice()
    {
        if (!DrvBegin("shared_twice",
                "->fault with get_page; the 4 pages mapped twice (two MAP_SHARED mmaps of the fd, both read): mapcount 2; mlock of the first: smaps Locked is proportional (Pss), not Rss",
                DkfidMode.FaultGet, 0, 4, 0)
            || !DrvMap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared))
        {
            return;
        }

        var d = main.Mmap(default, 4 * P, Prot.Read | Prot.Write, MapFlags.Shared, cFd, 0);
        log.Errno("mmap2", d.IsOk ? 0 : d.Errno);
        gD = d.IsOk ? d.Value.Value : 0;
        gDn = 4;
        Snap2("mmap2");
        StepTouchAll(main, "touch");
        for (var i = 0; gD != 0 && i < 4; i++)
        {
            ProbeRead(main, gD + ((ulong)i * P), out _);
        }

        Snap2("touch");
        SysStep2("mlock", main.Mlock(new UserAddr(cAddr), cLen));
        if (gD != 0)
        {
            StepSyscallErrno("munmap2", main.Munmap(new UserAddr(gD), 4 * P));
            gD = 0;
            Snap(main, "munmap2");
        }

        DrvEnd();
    }

    // ------------------------------------------------------------------------------------------------------------
    // mremap

    private void RunMremapDup(string scn, string text, DkfidMode mode, bool shared)
    {
        if (!DrvBegin(scn, text, mode, 0, 4, 0) || !DrvMap("mmap", 4, Prot.Read | Prot.Write, shared ? MapFlags.Shared : MapFlags.Private))
        {
            return;
        }

        TouchStep("touch");
        var na = main.Mremap(new UserAddr(cAddr), 0, cLen, MremapFlags.MayMove);
        log.Errno("dup", na.IsOk ? 0 : na.Errno);
        if (na.IsOk)
        {
            gD = na.Value.Value;
            gDn = cNpages;
        }

        Snap2("dup");
        if (gD != 0)
        {
            log.Ints("touch_dup", "data", Enumerable.Range(0, 4).Select(i => (long)ProbeRead(main, gD + ((ulong)i * P), out _)));
            Snap2("touch_dup");
            StepSyscallErrno("munmap_dup", main.Munmap(new UserAddr(gD), 4 * P));
            gD = 0;
            Snap(main, "munmap_dup");
        }

        DrvEnd();
    }

    /// <summary>make_target: an anonymous target of n pages, byte 0 of each = 'T'.</summary>
    private ulong MakeTarget(string step, int n)
    {
        var t = main.Mmap(default, (ulong)n * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        log.Errno(step, t.IsOk ? 0 : t.Errno);
        if (!t.IsOk)
        {
            return 0;
        }

        for (var i = 0; i < n; i++)
        {
            main.WriteByte(t.Value + ((ulong)i * P), (byte)'T');
        }

        gD = t.Value.Value;
        gDn = n;
        Snap2(step);
        return gD;
    }

    private void RunMremapFixedGrow()
    {
        if (!DrvBegin("mremap_fixed_grow",
                "->fault with get_page, driver sets VM_DONTEXPAND; MAP_SHARED 4 pages; mremap(addr, 16K, 32K, MAYMOVE|FIXED, target) onto an 8-page anonymous target: mremap_to unmaps the target before vma_to_resize refuses the growth (EFAULT)",
                DkfidMode.FaultGet, DkfidDriver.VmfDontExpand, 4, 0)
            || !DrvMap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared))
        {
            return;
        }

        TouchStep("touch");
        var t = MakeTarget("target", 8);
        var na = main.Mremap(new UserAddr(cAddr), cLen, 2 * cLen, MremapFlags.MayMove | MremapFlags.Fixed, new UserAddr(t));
        log.Errno("mremap", na.IsOk ? 0 : na.Errno);
        if (na.IsOk)
        {
            cAddr = na.Value.Value;
            cLen *= 2;
            cNpages *= 2;
            gD = 0;
        }

        Snap2("mremap");
        if (gD != 0)
        {
            log.Ints("touch_target", "data", [ProbeRead(main, gD, out _)]);
            Snap2("touch_target");
            main.Munmap(new UserAddr(gD), 8 * P);
            gD = 0;
        }

        DrvEnd();
    }

    private void RunMremapFixedShrink()
    {
        if (!DrvBegin("mremap_fixed_shrink",
                "->fault with get_page, MAP_SHARED 4 pages (read); mremap(addr, 16K, 8K, MAYMOVE|FIXED, target) onto a 2-page anonymous target: the tail is split off and unmapped, then the head moved (->open/->close of each step)",
                DkfidMode.FaultGet, 0, 4, 0)
            || !DrvMap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared))
        {
            return;
        }

        TouchStep("touch");
        var t = MakeTarget("target", 2);
        var na = main.Mremap(new UserAddr(cAddr), cLen, 2 * P, MremapFlags.MayMove | MremapFlags.Fixed, new UserAddr(t));
        log.Errno("mremap", na.IsOk ? 0 : na.Errno);
        if (na.IsOk)
        {
            log.Bool("mremap", "at_target", na.Value.Value == t);
            cAddr = na.Value.Value;
            cLen = 2 * P;
            cNpages = 2;
            gD = 0;
        }

        Snap2("mremap");
        TouchStep("touch_moved");
        DrvEnd();
    }

    private void RunMremapGrowMove()
    {
        if (!DrvBegin("mremap_grow_move",
                "->fault with get_page, 8-page buffer, MAP_SHARED of the first 4 pages (read), an anonymous page placed right after; mremap(16K -> 32K, MAYMOVE) must move: copy_vma (->open), unmap of the old (->close); pages 4..7 fault at the new place",
                DkfidMode.FaultGet, 0, 8, 0)
            || !DrvMap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared))
        {
            return;
        }

        TouchStep("touch");
        var blk = main.Mmap(new UserAddr(cAddr + cLen), P, Prot.Read, MapFlags.Private | MapFlags.Anonymous | MapFlags.FixedNoReplace);
        log.Errno("block", blk.IsOk ? 0 : blk.Errno);
        Snap(main, "block");
        var na = main.Mremap(new UserAddr(cAddr), cLen, 2 * cLen, MremapFlags.MayMove);
        log.Errno("mremap_grow", na.IsOk ? 0 : na.Errno);
        if (na.IsOk)
        {
            log.Bool("mremap_grow", "moved", na.Value.Value != cAddr);
            cAddr = na.Value.Value;
            cLen *= 2;
            cNpages *= 2;
        }

        Snap(main, "mremap_grow");
        TouchStep("touch_grown");
        if (blk.IsOk)
        {
            main.Munmap(blk.Value, P);
        }

        DrvEnd();
    }

    private void RunMremapDontUnmap(string scn, bool drv)
    {
        if (drv)
        {
            if (!DrvBegin(scn,
                    "->fault with get_page, MAP_SHARED 4 pages (read); mremap(addr, 16K, 16K, MAYMOVE|DONTUNMAP): the pages move to the new vma (->open), the old vma stays mapped but empty and faults again through the driver",
                    DkfidMode.FaultGet, 0, 4, 0)
                || !DrvMap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared))
            {
                return;
            }

            TouchStep("touch");
        }
        else if (!AnonBegin(scn,
                     "4 written pages of private anonymous memory; mremap(addr, 16K, 16K, MAYMOVE|DONTUNMAP): the pages move, the old range stays mapped and reads zero-fill",
                     4, shared: false, write: true))
        {
            return;
        }

        var na = main.Mremap(new UserAddr(cAddr), cLen, cLen, MremapFlags.MayMove | RawMm.MremapDontUnmap);
        log.Errno("dontunmap", na.IsOk ? 0 : na.Errno);
        if (na.IsOk)
        {
            gD = na.Value.Value;
            gDn = cNpages;
        }

        Snap2("dontunmap");
        if (gD != 0)
        {
            log.Ints("touch_new", "data", Enumerable.Range(0, 4).Select(i => (long)ProbeRead(main, gD + ((ulong)i * P) + (drv ? 0UL : 1UL), out _)));
            Snap2("touch_new");
        }

        TouchStep("touch_old");
        if (gD != 0)
        {
            StepSyscallErrno("munmap_new", main.Munmap(new UserAddr(gD), cLen));
            gD = 0;
            Snap(main, "munmap_new");
        }

        if (drv)
        {
            DrvEnd();
        }
        else
        {
            AnonEnd();
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // madvise

    /// <summary>span_begin: 2 written anonymous pages followed by a 2-page remap_pfn_range mapping (MAP_FIXED at +8K).</summary>
    private bool SpanBegin(string scn, string text)
    {
        Begin(scn, text);
        cDrv = true;
        cFd = DevOpen(main);
        if (DevSetup("setup", cFd, DkfidMode.Remap, 0, 2, 0, 0) != 0)
        {
            Snap(main, "setup");
            main.Close(cFd);
            return false;
        }

        Snap(main, "setup");
        var p = main.Mmap(default, 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        if (!p.IsOk)
        {
            log.Errno("mmap", p.Errno);
            return false;
        }

        var d = main.Mmap(p.Value + (2 * P), 2 * P, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Fixed, cFd, 0);
        log.Errno("mmap", d.IsOk ? 0 : d.Errno);
        cAddr = p.Value.Value;
        cLen = 4 * P;
        cNpages = 4;
        gD = d.IsOk ? d.Value.Value : 0;
        gDn = 2;
        WriteIdxStep("mmap", J01, 0x10);
        return true;
    }

    private void SpanEnd()
    {
        gD = 0;
        DrvEnd();
    }

    private void RunMadviseSpanDontNeed()
    {
        if (!SpanBegin("madvise_span_dontneed",
                "[2 anonymous pages | 2-page remap_pfn_range]; MADV_DONTNEED over the 4 pages: madvise_walk_vmas zaps the anonymous vma, then fails on the VM_PFNMAP one (EINVAL)"))
        {
            return;
        }

        SysStep2("dontneed", main.Madvise(new UserAddr(cAddr), cLen, Advice.DontNeed));
        TouchIdxStep("touch", J01);
        SpanEnd();
    }

    private void RunMadviseSpanDoFork()
    {
        if (!SpanBegin("madvise_span_dofork",
                "[2 anonymous pages | 2-page remap_pfn_range (VM_IO)]; MADV_DONTFORK over both (allowed), then MADV_DOFORK: cleared on the anonymous vma, EINVAL at the VM_IO one"))
        {
            return;
        }

        SysStep2("dontfork", main.Madvise(new UserAddr(cAddr), cLen, Advice.DontFork));
        SysStep2("dofork", main.Madvise(new UserAddr(cAddr), cLen, Advice.DoFork));
        SpanEnd();
    }

    private void RunMadvAnon(string scn, string text, bool shared, Advice a1, string s1, Advice a2, string? s2)
    {
        if (!AnonBegin(scn, text, 4, shared, write: true))
        {
            return;
        }

        MadvStep(s1, cAddr, cLen, a1);
        if (s2 is not null)
        {
            MadvStep(s2, cAddr, cLen, a2);
        }

        TouchStep("touch");
        AnonEnd();
    }

    private void RunMadvDrv(string scn, string text, DkfidMode mode, bool shared, Advice a1, string s1, Advice a2, string? s2)
    {
        if (!DrvBegin(scn, text, mode, 0, 4, 0) || !DrvMap("mmap", 4, Prot.Read | Prot.Write, shared ? MapFlags.Shared : MapFlags.Private))
        {
            return;
        }

        if (a1 != RawMm.MadvPopulateRead)
        {
            TouchStep("touch");
        }

        MadvStep(s1, cAddr, cLen, a1);
        if (s2 is not null)
        {
            MadvStep(s2, cAddr, cLen, a2);
        }

        DrvEnd();
    }

    private void RunMadvFree()
    {
        if (!AnonBegin("madv_free_anon",
                "4 written private anonymous pages; MADV_FREE (lazy free: clean, not swap-backed), then page 0 is written again (re-dirtied, stays)",
                4, shared: false, write: true))
        {
            return;
        }

        MadvStep("free", cAddr, cLen, RawMm.MadvFree);
        WriteIdxStep("rewrite", J0, 0x20);
        TouchStep("touch");
        AnonEnd();
    }

    private void RunDontNeedLocked(bool drv)
    {
        if (drv)
        {
            if (!DrvBegin("madv_dontneed_locked_drv",
                    "->fault with get_page, MAP_SHARED 4 pages, mlock; MADV_DONTNEED (EINVAL on VM_LOCKED), MADV_DONTNEED_LOCKED zaps the mlocked pages",
                    DkfidMode.FaultGet, 0, 4, 0)
                || !DrvMap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared))
            {
                return;
            }
        }
        else if (!AnonBegin("madv_dontneed_locked_anon",
                     "4 written private anonymous pages, mlock; MADV_DONTNEED (EINVAL on VM_LOCKED), MADV_DONTNEED_LOCKED zaps them (the range stays VM_LOCKED)",
                     4, shared: false, write: true))
        {
            return;
        }

        SysStep("mlock", main.Mlock(new UserAddr(cAddr), cLen));
        MadvStep("dontneed", cAddr, cLen, Advice.DontNeed);
        MadvStep("dontneed_locked", cAddr, cLen, RawMm.MadvDontNeedLocked);
        TouchIdxStep("touch", J01);
        if (drv)
        {
            DrvEnd();
        }
        else
        {
            AnonEnd();
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // GUP with FOLL_FORCE through /proc/self/mem

    private void RunProcmemAnon()
    {
        if (!AnonBegin("procmem_anon",
                "/proc/self/mem on 4 written private anonymous pages: read of a PROT_NONE page (FOLL_FORCE, VM_MAYREAD), write into the PROT_READ mapping (FOLL_FORCE on a COW mapping)",
                4, shared: false, write: true))
        {
            return;
        }

        SysStep("mprotect_none", main.Mprotect(new UserAddr(cAddr), cLen, Prot.None));
        ProcmemStep("read_none", cAddr + 1, write: false, 0);
        SysStep("mprotect_ro", main.Mprotect(new UserAddr(cAddr), cLen, Prot.Read));
        ProcmemStep("write_ro", cAddr + (2 * P) + 1, write: true, 0x66);
        TouchStep("touch");
        AnonEnd();
    }

    private void RunProcmemDrv(string scn, string text, Prot prot, bool shared, bool write)
    {
        if (!DrvBegin(scn, text, DkfidMode.FaultGet, 0, 4, 0) || !DrvMap("mmap", 4, prot, shared ? MapFlags.Shared : MapFlags.Private))
        {
            return;
        }

        var step = write ? "procmem_write" : "procmem_read";
        ProcmemStep(step, cAddr + P + 1, write, 0x66);
        ObsReadback(main, step, 4, 1);
        if (prot != Prot.None)
        {
            TouchStep("touch");
        }

        DrvEnd();
    }

    // ------------------------------------------------------------------------------------------------------------
    // write faults on shared driver pages, write-notify

    private void RunSharedWriteDirty()
    {
        if (!DrvBegin("shared_write_dirty",
                "->fault with get_page, MAP_SHARED RW: pages 0-1 read first, pages 2-3 written first (do_shared_fault dirties them), then pages 0-1 written (no fault: PTE already writable), munmap",
                DkfidMode.FaultGet, 0, 4, 0)
            || !DrvMap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared))
        {
            return;
        }

        TouchIdxStep("read01", J01);
        WriteIdxStep("write23", J23, 0x10);
        WriteIdxStep("write01", J01, 0x10);
        DrvEnd();
    }

    private void RunWriteNotify(string scn, bool shared)
    {
        if (!DrvBegin(scn, shared
                ? "->fault with get_page and ->page_mkwrite (counts, lock_page, VM_FAULT_LOCKED), MAP_SHARED RW: write-protected PTEs (vma_wants_writenotify); read all, write page 0 (page_mkwrite), write page 0 again, write page 3 never read (fault + page_mkwrite), mprotect RO/RW, write page 0"
                : "->fault with get_page and ->page_mkwrite, MAP_PRIVATE RW: no write-notify on a COW mapping; read all, write page 0 (COW copy, no page_mkwrite)",
                DkfidMode.FaultMkwrite, 0, 4, 0))
        {
            return;
        }

        obsMkwrite = true;
        if (!DrvMap("mmap", 4, Prot.Read | Prot.Write, shared ? MapFlags.Shared : MapFlags.Private))
        {
            obsMkwrite = false;
            return;
        }

        if (shared)
        {
            TouchIdxStep("read012", [0, 1, 2]);
            WriteIdxStep("write0", J0, 0x10);
            WriteIdxStep("write0_again", J0, 0x20);
            WriteIdxStep("write3", [3], 0x10);
            SysStep("mprotect_ro", main.Mprotect(new UserAddr(cAddr), cLen, Prot.Read));
            SysStep("mprotect_rw", main.Mprotect(new UserAddr(cAddr), cLen, Prot.Read | Prot.Write));
            WriteIdxStep("write0_after", J0, 0x30);
        }
        else
        {
            TouchStep("touch");
            WriteIdxStep("write0", J0, 0x10);
        }

        DrvEnd();
        obsMkwrite = false;
    }

    // ------------------------------------------------------------------------------------------------------------
    // the process's own mappings

    private void RunOwnMappings()
    {
        Begin("own_mappings",
            "the process's own mappings: [stack], [heap] and program text (smaps perms, VmFlags), VmRSS; mlockall(MCL_CURRENT) " +
            "with RLIMIT_MEMLOCK 16 pages and no CAP_IPC_LOCK (total_vm is larger: ENOMEM)");

        // &local, sbrk(0) - 1, &run_own_mappings.
        OwnProgram.Obs(log, main, "maps", "stack_", main.Mm.StartStack.Value);
        OwnProgram.Obs(log, main, "maps", "heap_", main.Mm.Brk.Value - 1);
        OwnProgram.Obs(log, main, "maps", "text_", main.Mm.StartCode.Value);

        log.Bool("maps", "vmrss_pos", ProcView.StatusKb(main, "VmRSS") > 0);
        Snap(main, "maps");
        SysStep("mlockall_current", main.MlockAll(MlockAllFlags.Current));
        SysStep("munlockall", main.MunlockAll());
    }
}

/// <summary>
/// What the two issue-20 mirrors share: include/uapi/asm-generic/mman-common.h and linux/mman.h values the runtime has
/// no enum member for (passed raw, as the C programs pass them), and obs.h's procmem_rw/obs_procmem.
/// </summary>
internal static class RawMm
{
    public const Advice MadvFree = (Advice)8;
    public const Advice MadvRemove = (Advice)9;
    public const Advice MadvCold = (Advice)20;
    public const Advice MadvPageout = (Advice)21;
    public const Advice MadvPopulateRead = (Advice)22;
    public const Advice MadvPopulateWrite = (Advice)23;
    public const Advice MadvDontNeedLocked = (Advice)24;
    public const MremapFlags MremapDontUnmap = (MremapFlags)4;

    /// <summary>procmem_rw + obs_procmem: one byte of /proc/self/mem read or written (FOLL_FORCE); errno, nbytes, value.</summary>
    public static void ObsProcmem(ObsLog log, Process p, string step, ulong addr, bool write, byte val)
    {
        Span<byte> b = [val];
        var r = write ? p.WriteProcMem(p.Pid, new UserAddr(addr), b) : p.ReadProcMem(p.Pid, new UserAddr(addr), b);
        log.Errno(step, r.IsOk ? 0 : r.Errno);
        log.Int(step, "nbytes", r.IsOk ? r.Value : 0);
        if (!write)
        {
            log.Int(step, "value", r.IsOk && r.Value == 1 ? b[0] : -1);
        }
    }
}
