using DriverKit.Runtime;

namespace DriverKit.Tests.Fidelity;

/// <summary>
/// The C# mirror of the issue-20 part of fidelity/host/dkfid-host.c: what the host can observe without a module —
/// mlockall(MCL_FUTURE), MREMAP_DONTUNMAP, the remaining madvise advice, madvise over two vmas, /proc/self/mem with
/// FOLL_FORCE, smaps Locked of a memfd mapped twice, and the process's own mappings. Advice and mremap flags the
/// runtime has no member for are passed as their raw values (see <see cref="DkfidScenarios"/>).
/// </summary>
internal sealed partial class HostScenarios
{
    private void RunFidelityII()
    {
        ScMlockallFuture();
        ScMremapDontUnmap();
        ScMadvFree();
        ScMadvRemove();
        ScMadvColdPageout();
        ScMadvPopulate();
        ScMadvDontNeedLocked();
        ScMadviseSpan();
        ScProcmem();
        ScSharedTwice();
        ScOwnMappings();
    }

    /// <summary>anon4: 4 written anonymous pages in a slot (steps "mmap", "write").</summary>
    private ulong Anon4(bool shared)
    {
        var a = Xmap("mmap", 0, 4 * P, Prot.Read | Prot.Write, (shared ? MapFlags.Shared : MapFlags.Private) | MapFlags.Anonymous);
        Snap("mmap", a, 4);
        if (a != 0)
        {
            TouchWrite("write", a, I4, 4, 0x10);
            Snap("write", a, 4);
        }

        return a;
    }

    private void Madv(string step, ulong a, ulong len, Advice advice, int npages)
    {
        Res(step, proc.Madvise(new UserAddr(a), len, advice));
        Snap(step, a, npages);
    }

    /// <summary>touch_back: read back the 4 pages at a ("touch"), then unmap them.</summary>
    private void TouchBack(ulong a)
    {
        TouchRead("touch", a, I4, 4);
        Snap("touch", a, 4);
        proc.Munmap(new UserAddr(a), 4 * P);
    }

    /// <summary>madv_other: a second 4-page anonymous mapping in a slot, one advice on it, unmap.</summary>
    private void MadvOther(string mapStep, MapFlags flags, string step, Advice advice)
    {
        var a = Xmap(mapStep, 0, 4 * P, Prot.Read | Prot.Write, flags | MapFlags.Anonymous);
        if (a != 0)
        {
            Madv(step, a, 4 * P, advice, 4);
            proc.Munmap(new UserAddr(a), 4 * P);
        }
    }

    private void Procmem(string step, ulong addr, bool write, byte val, ulong @base)
    {
        RawMm.ObsProcmem(log, proc, step, addr, write, val);
        Snap(step, @base, 4);
    }

    private void ScMlockallFuture()
    {
        log.Begin("mlockall_future", "mlockall(MCL_FUTURE), then a 4-page private anonymous mmap (VM_LOCKED, populated), munlockall");
        Res("mlockall_future", proc.MlockAll(MlockAllFlags.Future));
        var a = Xmap("mmap", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        Snap("mmap", a, 4);
        Res("munlockall", proc.MunlockAll());
        Snap("munlockall", a, 4);
        if (a != 0)
        {
            proc.Munmap(new UserAddr(a), 4 * P);
        }
    }

    private void ScMremapDontUnmap()
    {
        log.Begin("mremap_dontunmap", "4 written private anonymous pages; mremap(16K, 16K, MAYMOVE|DONTUNMAP): pages move, the old range stays and reads zero");
        var a = Anon4(shared: false);
        if (a == 0)
        {
            return;
        }

        var b = proc.Mremap(new UserAddr(a), 4 * P, 4 * P, MremapFlags.MayMove | RawMm.MremapDontUnmap);
        log.Errno("dontunmap", b.IsOk ? 0 : b.Errno);
        Snap("dontunmap", a, 4);
        if (b.IsOk)
        {
            Snap("new", b.Value.Value, 4);
            TouchRead("touch_new", b.Value.Value, I4, 4);
            proc.Munmap(b.Value, 4 * P);
        }

        TouchRead("touch_old", a, I4, 4);
        Snap("touch_old", a, 4);
        proc.Munmap(new UserAddr(a), 4 * P);
    }

    private void ScMadvFree()
    {
        log.Begin("madv_free", "4 written private anonymous pages: MADV_FREE, page 0 written again; MADV_FREE on shared anonymous memory (EINVAL)");
        var a = Anon4(shared: false);
        if (a == 0)
        {
            return;
        }

        Madv("free", a, 4 * P, RawMm.MadvFree, 4);
        TouchWrite("rewrite", a, I4, 1, 0x20);
        Snap("rewrite", a, 4);
        TouchRead("touch", a, I4, 4);
        proc.Munmap(new UserAddr(a), 4 * P);
        MadvOther("shared_mmap", MapFlags.Shared, "free_shared", RawMm.MadvFree);
    }

    private void ScMadvRemove()
    {
        log.Begin("madv_remove", "MADV_REMOVE: on 4 written shmem pages (MAP_SHARED|MAP_ANONYMOUS: punched, reads zero) and on private anonymous memory (EINVAL)");
        var a = Anon4(shared: true);
        if (a == 0)
        {
            return;
        }

        Madv("remove", a, 4 * P, RawMm.MadvRemove, 4);
        TouchBack(a);
        MadvOther("private_mmap", MapFlags.Private, "remove_private", RawMm.MadvRemove);
    }

    private void ScMadvColdPageout()
    {
        log.Begin("madv_cold_pageout", "4 written private anonymous pages: MADV_COLD, MADV_PAGEOUT (no swap configured: the pages stay), read back");
        var a = Anon4(shared: false);
        if (a == 0)
        {
            return;
        }

        Madv("cold", a, 4 * P, RawMm.MadvCold, 4);
        Madv("pageout", a, 4 * P, RawMm.MadvPageout, 4);
        TouchBack(a);
    }

    private void ScMadvPopulate()
    {
        log.Begin("madv_populate", "4 untouched private anonymous pages: MADV_POPULATE_READ (zero page: present, Rss 0), MADV_POPULATE_WRITE (anonymous pages); on PROT_READ: POPULATE_WRITE fails");
        var a = Xmap("mmap", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        Snap("mmap", a, 4);
        if (a == 0)
        {
            return;
        }

        Madv("populate_read", a, 4 * P, RawMm.MadvPopulateRead, 4);
        Madv("populate_write", a, 4 * P, RawMm.MadvPopulateWrite, 4);
        Res("mprotect_ro", proc.Mprotect(new UserAddr(a), 4 * P, Prot.Read));
        Madv("populate_write_ro", a, 4 * P, RawMm.MadvPopulateWrite, 4);
        proc.Munmap(new UserAddr(a), 4 * P);
    }

    private void ScMadvDontNeedLocked()
    {
        log.Begin("madv_dontneed_locked", "4 written private anonymous pages, mlock: MADV_DONTNEED (EINVAL), MADV_DONTNEED_LOCKED (zapped, VM_LOCKED stays), read (zero-fill, mlocked again)");
        var a = Anon4(shared: false);
        if (a == 0)
        {
            return;
        }

        Res("mlock", proc.Mlock(new UserAddr(a), 4 * P));
        Snap("mlock", a, 4);
        Madv("dontneed", a, 4 * P, Advice.DontNeed, 4);
        Madv("dontneed_locked", a, 4 * P, RawMm.MadvDontNeedLocked, 4);
        TouchBack(a);
    }

    private void ScMadviseSpan()
    {
        log.Begin("madvise_span", "[2 written anonymous pages | 2 mlocked anonymous pages]: MADV_DONTNEED over both zaps the first vma, then fails on the VM_LOCKED one (EINVAL)");
        var a = Anon4(shared: false);
        if (a == 0)
        {
            return;
        }

        Res("mlock_tail", proc.Mlock(new UserAddr(a + (2 * P)), 2 * P));
        Snap("mlock_tail", a, 4);
        Madv("dontneed", a, 4 * P, Advice.DontNeed, 4);
        TouchBack(a);
    }

    private void ScProcmem()
    {
        log.Begin("procmem", "/proc/self/mem (FOLL_FORCE): read of a PROT_NONE anonymous page, write into a PROT_READ private page, " +
            "write into a PROT_READ MAP_SHARED memfd mapping of an O_RDWR fd (EIO)");
        var a = Anon4(shared: false);
        if (a == 0)
        {
            return;
        }

        Res("mprotect_none", proc.Mprotect(new UserAddr(a), 4 * P, Prot.None));
        Snap("mprotect_none", a, 4);
        Procmem("read_none", a, write: false, 0, a);
        Res("mprotect_ro", proc.Mprotect(new UserAddr(a), 4 * P, Prot.Read));
        Procmem("write_ro", a + (2 * P), write: true, 0x66, a);
        TouchBack(a);
        var fdr = proc.MemfdCreate("dkfid");
        if (!fdr.IsOk)
        {
            return;
        }

        var fd = (int)fdr.Value;
        if (!proc.Ftruncate(fd, 4 * P).IsOk)
        {
            return;
        }

        a = Xmap("memfd_mmap", 0, 4 * P, Prot.Read, MapFlags.Shared, fd, 0);
        if (a != 0)
        {
            Snap("memfd_mmap", a, 4);
            Procmem("write_shared_ro", a + P, write: true, 0x66, a);
            Procmem("read_shared_ro", a + P, write: false, 0, a);
            proc.Munmap(new UserAddr(a), 4 * P);
        }

        proc.Close(fd);
    }

    private void ScSharedTwice()
    {
        log.Begin("shared_twice", "a 4-page memfd mapped twice MAP_SHARED, both read (mapcount 2); mlock of the first: smaps Locked is proportional");
        var fdr = proc.MemfdCreate("dkfid");
        if (!fdr.IsOk)
        {
            return;
        }

        var fd = (int)fdr.Value;
        if (!proc.Ftruncate(fd, 4 * P).IsOk)
        {
            return;
        }

        var a = Xmap("mmap", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Shared, fd, 0);
        var b = Xmap("mmap2", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Shared, fd, 0);
        if (a == 0 || b == 0)
        {
            return;
        }

        TouchWrite("write", a, I4, 4, 0x10);
        for (var i = 0; i < 4; i++)
        {
            DkfidScenarios.ProbeRead(proc, b + ((ulong)i * P), out _);
        }

        Snap("write", a, 4);
        Res("mlock", proc.Mlock(new UserAddr(a), 4 * P));
        Snap("mlock", a, 4);
        Res("munmap2", proc.Munmap(new UserAddr(b), 4 * P));
        Snap("munmap2", a, 4);
        proc.Munlock(new UserAddr(a), 4 * P);
        proc.Munmap(new UserAddr(a), 4 * P);
        proc.Close(fd);
    }

    private void ScOwnMappings()
    {
        log.Begin("own_mappings", "the process's own mappings: [stack], [heap] (malloc'd), program text: smaps perms and VmFlags; VmRSS; " +
            "mlockall(MCL_CURRENT) with RLIMIT_MEMLOCK 16 pages (ENOMEM)");

        // &local, sbrk(0) - 1, &sc_own_mappings.
        OwnProgram.Obs(log, proc, "maps", "stack_", proc.Mm.StartStack.Value);
        OwnProgram.Obs(log, proc, "maps", "heap_", proc.Mm.Brk.Value - 1);
        OwnProgram.Obs(log, proc, "maps", "text_", proc.Mm.StartCode.Value);

        log.Bool("maps", "vmrss_pos", ProcView.StatusKb(proc, "VmRSS") > 0);
        Res("mlockall_current", proc.MlockAll(MlockAllFlags.Current));
        Snap("mlockall_current", 0, 0);
        proc.MunlockAll();
    }
}
