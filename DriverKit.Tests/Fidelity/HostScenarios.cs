using DriverKit.Runtime;

namespace DriverKit.Tests.Fidelity;

/// <summary>
/// The C# mirror of fidelity/host/dkfid-host.c: user-visible mmap/mremap/mprotect/mlock/munmap/fork/COW semantics,
/// signals and errno values, without a driver. Test mappings are placed with MAP_FIXED in 64-page slots of a
/// PROT_NONE|MAP_NORESERVE arena, exactly as the host program does, so neighbours and merges are the same.
/// </summary>
internal sealed partial class HostScenarios
{
    private const ulong P = Kernel.PageSize;
    private const int MemlockPages = 16;
    private const int SlotPages = 64;
    private const int Slots = 64;

    /// <summary>MAP_SHARED_VALIDATE (include/uapi/linux/mman.h).</summary>
    private const MapFlags MapSharedValidate = (MapFlags)0x03;

    private static readonly int[] I4 = [0, 1, 2, 3];
    private static readonly int[] I8 = [0, 1, 2, 3, 4, 5, 6, 7];

    private readonly Kernel kernel;
    private readonly ObsLog log;
    private readonly Process proc;
    private ulong arena;
    private int slot;

    private HostScenarios(Kernel kernel, ObsLog log)
    {
        this.kernel = kernel;
        this.log = log;
        proc = OwnProgram.Exec(kernel, "dkfid-host");
        proc.SetMemlockLimit(MemlockPages * P);
        proc.CapIpcLock = false;
    }

    /// <summary>Boots a machine of <paramref name="version"/> and plays the host scenarios.</summary>
    public static ObsRun Run(string version)
    {
        var kernel = new Kernel(new KernelOptions { Version = version, MemoryBytes = 512UL << 20, SwapPages = 0 }); // the recording machines have no swap
        var log = new ObsLog(version, "host");
        var s = new HostScenarios(kernel, log);
        s.ScAnon();
        s.ScMremap();
        s.ScMprotect();
        s.ScMlock();
        s.ScForkCow();
        s.ScMunmap();
        s.ScSignals();
        s.ScMmapErrors();
        s.RunFidelityII();
        return log.Run;
    }

    /// <summary>smaps/pagemap snapshot of [addr, addr + npages).</summary>
    private void Snap(string step, ulong addr, int npages)
    {
        log.Int(step, "vmlck_kb", ProcView.StatusKb(proc, "VmLck"));
        if (addr == 0)
        {
            log.Bool(step, "mapped", false);
            return;
        }

        npages = Math.Min(npages, 64);
        var e = ProcView.SmapsLookup(proc, addr, addr, addr + (ulong)npages * P);
        log.Bool(step, "mapped", e.Found);
        log.Int(step, "maps_entries", e.Entries);
        log.Int(step, "range_rss_kb", e.RangeRssKb);
        if (e.Found)
        {
            log.Str(step, "perms", e.Perms);
            log.Str(step, "vmflags", e.VmFlags);
            log.Int(step, "size_kb", e.SizeKb);
            log.Int(step, "rss_kb", e.RssKb);
            log.Int(step, "locked_kb", e.LockedKb);
            log.Int(step, "anon_kb", e.AnonKb);
        }

        log.Bools(step, "pm_present", Enumerable.Range(0, npages).Select(i => ProcView.Pagemap(proc, addr + (ulong)i * P).Present));
    }

    private ulong NextSlot()
    {
        if (arena == 0)
        {
            var r = proc.Mmap(default, (ulong)Slots * SlotPages * P, Prot.None, MapFlags.Private | MapFlags.Anonymous | MapFlags.NoReserve);
            arena = r.IsOk ? r.Value.Value : throw new InvalidOperationException($"arena: {r}");
        }

        if (slot >= Slots)
        {
            throw new InvalidOperationException("out of arena slots");
        }

        return arena + (((ulong)slot++ * SlotPages) + 1) * P;
    }

    /// <summary>An address range that is certainly unmapped.</summary>
    private ulong HoleAddr()
    {
        var h = proc.Mmap(default, P, Prot.Read, MapFlags.Private | MapFlags.Anonymous).Value.Value;
        proc.Munmap(new UserAddr(h), P);
        return h;
    }

    /// <summary>mmap at the next arena slot (hint 0) or at hint.</summary>
    private ulong Xmap(string step, ulong hint, ulong len, Prot prot, MapFlags flags, int fd = -1, ulong off = 0)
    {
        if (hint == 0)
        {
            hint = NextSlot();
            flags |= MapFlags.Fixed;
        }

        var r = proc.Mmap(new UserAddr(hint), len, prot, flags, fd, off);
        log.Errno(step, r.IsOk ? 0 : r.Errno);
        return r.IsOk ? r.Value.Value : 0;
    }

    private void Res(string step, SysResult r) => log.Errno(step, r.IsOk ? 0 : r.Errno);

    private void TouchRead(string step, ulong a, int[] idx, int n)
    {
        var d = new long[n];
        string? first = null;
        for (var i = 0; i < n; i++)
        {
            d[i] = DkfidScenarios.ProbeRead(proc, a + (ulong)idx[i] * P, out var sig);
            if (d[i] < 0 && first is null)
            {
                first = sig;
            }
        }

        log.Ints(step, "data", d);
        log.Str(step, "signal", first);
    }

    private void TouchWrite(string step, ulong a, int[] idx, int n, int val)
    {
        string? first = null;
        for (var i = 0; i < n; i++)
        {
            if (DkfidScenarios.ProbeWrite(proc, a + (ulong)idx[i] * P, (byte)(val + i), out var sig) < 0 && first is null)
            {
                first = sig;
            }
        }

        log.Str(step, "signal", first);
    }

    private void Begin(string scn, string text) => log.Begin(scn, text);

    // ------------------------------------------------------------------------------------------------------------

    private void ScAnon()
    {
        Begin("anon_mmap", "4-page MAP_PRIVATE|MAP_ANONYMOUS RW mapping: mmap, read (zero page), write, MAP_SHARED anon, MAP_POPULATE");
        var a = Xmap("mmap", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        Snap("mmap", a, 4);
        TouchRead("read", a, I4, 4);
        Snap("read", a, 4);
        var pfn0 = ProcView.Pagemap(proc, a).Pfn;
        log.Bool("read", "same_pfn", pfn0 != 0 && pfn0 == ProcView.Pagemap(proc, a + 3 * P).Pfn);
        TouchWrite("write", a, I4, 4, 0x10);
        Snap("write", a, 4);
        Res("munmap", proc.Munmap(new UserAddr(a), 4 * P));
        Snap("munmap", 0, 0);

        a = Xmap("shared_mmap", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous);
        Snap("shared_mmap", a, 4);
        TouchWrite("shared_write", a, I4, 4, 0x10);
        Snap("shared_write", a, 4);
        proc.Munmap(new UserAddr(a), 4 * P);

        a = Xmap("populate_mmap", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Populate);
        Snap("populate_mmap", a, 4);
        proc.Munmap(new UserAddr(a), 4 * P);

        a = Xmap("ro_mmap", 0, 4 * P, Prot.Read, MapFlags.Private | MapFlags.Anonymous);
        Snap("ro_mmap", a, 4);
        proc.Munmap(new UserAddr(a), 4 * P);

        a = Xmap("none_mmap", 0, 4 * P, Prot.None, MapFlags.Private | MapFlags.Anonymous);
        Snap("none_mmap", a, 4);
        proc.Munmap(new UserAddr(a), 4 * P);
    }

    private void ScMremap()
    {
        Begin("mremap", "anonymous private RW: grow in place (free space after), grow blocked without MREMAP_MAYMOVE " +
            "(ENOMEM), grow with MREMAP_MAYMOVE (moves, data kept), shrink, bad arguments");

        // reserve 8 pages, free the upper 4 so that growth in place is possible
        var a = Xmap("mmap", 0, 8 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        proc.Munmap(new UserAddr(a + 4 * P), 4 * P);
        TouchWrite("mmap", a, I4, 4, 0x40);
        Snap("mmap", a, 4);
        var b = proc.Mremap(new UserAddr(a), 4 * P, 8 * P);
        log.Errno("grow_inplace", b.IsOk ? 0 : b.Errno);
        if (b.IsOk)
        {
            log.Bool("grow_inplace", "moved", b.Value.Value != a);
            a = b.Value.Value;
        }

        Snap("grow_inplace", a, 8);
        TouchRead("touch_grown", a, I8, 8);
        Snap("touch_grown", a, 8);

        // block the space after the mapping
        var blk = proc.Mmap(new UserAddr(a + 8 * P), P, Prot.Read, MapFlags.Private | MapFlags.Anonymous | MapFlags.FixedNoReplace);
        log.Errno("block", blk.IsOk ? 0 : blk.Errno);
        b = proc.Mremap(new UserAddr(a), 8 * P, 12 * P);
        log.Errno("grow_blocked", b.IsOk ? 0 : b.Errno);
        Snap("grow_blocked", a, 8);
        b = proc.Mremap(new UserAddr(a), 8 * P, 12 * P, MremapFlags.MayMove);
        log.Errno("grow_move", b.IsOk ? 0 : b.Errno);
        if (b.IsOk)
        {
            log.Bool("grow_move", "moved", b.Value.Value != a);
            Snap("grow_move", b.Value.Value, 12);
            log.Bool("grow_move", "old_mapped", false);
            var e = ProcView.SmapsLookup(proc, a, a, a + 8 * P);
            log.Int("grow_move", "old_maps_entries", e.Entries);
            a = b.Value.Value;
            TouchRead("touch_moved", a, I4, 4);
            Snap("touch_moved", a, 12);
        }

        b = proc.Mremap(new UserAddr(a), 12 * P, 2 * P);
        log.Errno("shrink", b.IsOk ? 0 : b.Errno);
        if (b.IsOk)
        {
            log.Bool("shrink", "moved", b.Value.Value != a);
        }

        Snap("shrink", a, 12);
        b = proc.Mremap(new UserAddr(a + 1), P, 2 * P, MremapFlags.MayMove);
        log.Errno("unaligned", b.IsOk ? 0 : b.Errno);
        b = proc.Mremap(new UserAddr(a), 0, P, MremapFlags.MayMove);
        log.Errno("dup_private", b.IsOk ? 0 : b.Errno);
        b = proc.Mremap(new UserAddr(a), 2 * P, 4 * P, MremapFlags.Fixed);
        log.Errno("fixed_without_maymove", b.IsOk ? 0 : b.Errno);
        b = proc.Mremap(new UserAddr(a), 2 * P, 0, MremapFlags.MayMove);
        log.Errno("zero_new_len", b.IsOk ? 0 : b.Errno);
        b = proc.Mremap(new UserAddr(HoleAddr()), P, 2 * P, MremapFlags.MayMove);
        log.Errno("unmapped", b.IsOk ? 0 : b.Errno);
        proc.Munmap(new UserAddr(a), 2 * P);
        if (blk.IsOk)
        {
            proc.Munmap(blk.Value, P);
        }

        // shared anonymous: old_len 0 duplicates the mapping
        a = Xmap("shared_mmap", 0, 2 * P, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous);
        TouchWrite("shared_mmap", a, I4, 1, 0x61);
        b = proc.Mremap(new UserAddr(a), 0, 2 * P, MremapFlags.MayMove);
        log.Errno("dup_shared", b.IsOk ? 0 : b.Errno);
        if (b.IsOk)
        {
            log.Bool("dup_shared", "moved", b.Value.Value != a);
            TouchRead("dup_shared", b.Value.Value, I4, 1);
            proc.Munmap(b.Value, 2 * P);
        }

        proc.Munmap(new UserAddr(a), 2 * P);
    }

    private void ScMprotect()
    {
        Begin("mprotect", "4-page anonymous private RW mapping (written): mprotect RO, write -> SIGSEGV; PROT_NONE, read -> SIGSEGV; " +
            "middle page only (split into 3 entries); bad arguments");
        var a = Xmap("mmap", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        var ua = new UserAddr(a);
        TouchWrite("mmap", a, I4, 4, 0x10);
        Snap("mmap", a, 4);
        Res("ro", proc.Mprotect(ua, 4 * P, Prot.Read));
        Snap("ro", a, 4);
        TouchWrite("write_ro", a, I4, 1, 0x20);
        TouchRead("read_ro", a, I4, 1);
        Res("none", proc.Mprotect(ua, 4 * P, Prot.None));
        Snap("none", a, 4);
        TouchRead("read_none", a, I4, 1);
        Res("rw", proc.Mprotect(ua, 4 * P, Prot.Read | Prot.Write));
        Snap("rw", a, 4);
        Res("mid_ro", proc.Mprotect(ua + P, P, Prot.Read));
        Snap("mid_ro", a, 4);
        TouchWrite("write_mid", a, [1], 1, 0x20);
        Res("mid_rw", proc.Mprotect(ua + P, P, Prot.Read | Prot.Write));
        Snap("mid_rw", a, 4);
        Res("unaligned", proc.Mprotect(ua + 1, P, Prot.Read));
        Res("bad_prot", proc.Mprotect(ua, P, (Prot)0x1000));
        Res("unmapped", proc.Mprotect(new UserAddr(HoleAddr()), P, Prot.Read));
        Res("exec", proc.Mprotect(ua, P, Prot.Read | Prot.Exec));
        Snap("exec", a, 4);
        proc.Munmap(ua, 4 * P);
    }

    private void ScMlock()
    {
        Begin("mlock", "RLIMIT_MEMLOCK 16 pages, no CAP_IPC_LOCK: mlock within / over the limit, munlock, MAP_LOCKED, " +
            "mlock2(MLOCK_ONFAULT), mlockall");
        log.Int("setup", "rlimit_memlock", (long)proc.MemlockLimit);
        log.Int("setup", "cap_ipc_lock", proc.CapIpcLock ? 1 : 0);
        var a = Xmap("mmap", 0, 24 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        var ua = new UserAddr(a);
        Snap("mmap", a, 24);
        Res("mlock8", proc.Mlock(ua, 8 * P));
        Snap("mlock8", a, 24);
        Res("mlock12_more", proc.Mlock(ua + 8 * P, 12 * P));
        Snap("mlock12_more", a, 24);
        Res("mlock8_again", proc.Mlock(ua, 8 * P));
        Snap("mlock8_again", a, 24);
        Res("mlock16", proc.Mlock(ua, 16 * P));
        Snap("mlock16", a, 24);
        Res("mlock17", proc.Mlock(ua, 17 * P));
        Snap("mlock17", a, 24);
        Res("munlock_mid", proc.Munlock(ua + 4 * P, 4 * P));
        Snap("munlock_mid", a, 24);
        Res("munlock", proc.Munlock(ua, 24 * P));
        Snap("munlock", a, 24);
        Res("mlock_unaligned", proc.Mlock(ua + 1, P));
        Snap("mlock_unaligned", a, 24);
        proc.Munlock(ua, 24 * P);
        Res("mlock_unmapped", proc.Mlock(new UserAddr(HoleAddr()), P));
        var b = proc.Mmap(default, 20 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Locked);
        log.Errno("map_locked_over", b.IsOk ? 0 : b.Errno);
        if (b.IsOk)
        {
            proc.Munmap(b.Value, 20 * P);
        }

        b = proc.Mmap(new UserAddr(NextSlot()), 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Locked | MapFlags.Fixed);
        log.Errno("map_locked", b.IsOk ? 0 : b.Errno);
        Snap("map_locked", b.IsOk ? b.Value.Value : 0, 4);
        if (b.IsOk)
        {
            proc.Munmap(b.Value, 4 * P);
        }

        Res("mlock2_onfault", proc.Mlock2OnFault(ua, 4 * P));
        Snap("mlock2_onfault", a, 24);
        TouchWrite("onfault_touch", a, I4, 2, 0x10);
        Snap("onfault_touch", a, 24);
        proc.Munlock(ua, 24 * P);
        Res("mlockall", proc.MlockAll(MlockAllFlags.Current));
        Snap("mlockall", a, 24);
        proc.MunlockAll();
        proc.Munmap(ua, 24 * P);
    }

    private void ScForkCow()
    {
        Begin("fork_cow", "page 0 of a private anon mapping holds 'P', of a shared anon mapping 'S'; fork; the child reads, " +
            "writes 'C' to both; the parent reads; then the parent writes 'Q' and the child reads again");
        var priv = Xmap("mmap", 0, P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        var shared = Xmap("mmap_shared", 0, P, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous);
        proc.WriteByte(new UserAddr(priv), (byte)'P');
        proc.WriteByte(new UserAddr(shared), (byte)'S');
        var f = proc.Fork();
        log.Errno("fork", f.IsOk ? 0 : f.Errno);
        if (!f.IsOk)
        {
            return;
        }

        var child = f.Value!;
        long Byte(Process p, ulong addr)
        {
            p.ReadByte(new UserAddr(addr), out var v);
            return v;
        }

        log.Int("child_read", "priv", Byte(child, priv));
        log.Int("child_read", "shared", Byte(child, shared));
        child.WriteByte(new UserAddr(priv), (byte)'C');
        child.WriteByte(new UserAddr(shared), (byte)'C');
        log.Int("child_write", "priv", Byte(child, priv));
        log.Int("child_write", "shared", Byte(child, shared));
        log.Int("parent_read", "priv", Byte(proc, priv));
        log.Int("parent_read", "shared", Byte(proc, shared));
        proc.WriteByte(new UserAddr(priv), (byte)'Q');
        proc.WriteByte(new UserAddr(shared), (byte)'Q');
        log.Int("parent_write", "priv", Byte(proc, priv));
        log.Int("parent_write", "shared", Byte(proc, shared));
        log.Int("child_reread", "priv", Byte(child, priv));
        log.Int("child_reread", "shared", Byte(child, shared));
        child.Exit(0);
        log.Int("child_exit", "child_status", child.KilledBy is null ? child.ExitCode : -1);
        log.Int("child_exit", "priv", Byte(proc, priv));
        log.Int("child_exit", "shared", Byte(proc, shared));
        proc.Munmap(new UserAddr(priv), P);
        proc.Munmap(new UserAddr(shared), P);
    }

    private void ScMunmap()
    {
        Begin("munmap_split", "4-page anonymous RW mapping: munmap the second page (two entries remain, hole faults " +
            "SEGV_MAPERR), bad arguments, unmap all");
        var a = Xmap("mmap", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        var ua = new UserAddr(a);
        TouchWrite("mmap", a, I4, 4, 0x10);
        Snap("mmap", a, 4);
        Res("hole", proc.Munmap(ua + P, P));
        Snap("hole", a, 4);
        TouchRead("touch", a, I4, 4);
        Res("unaligned", proc.Munmap(ua + 1, P));
        Res("zero_len", proc.Munmap(ua, 0));
        Res("unmapped_range", proc.Munmap(ua + P, P));
        Res("unmapped_far", proc.Munmap(new UserAddr(HoleAddr()), P));
        Res("all", proc.Munmap(ua, 4 * P));
        Snap("all", a, 4);
    }

    private void ScSignals()
    {
        Begin("signals", "SIGSEGV si_code for an unmapped address (MAPERR), a write to a read-only page and a read of a " +
            "PROT_NONE page (ACCERR); SIGBUS from a memfd mapping past EOF (ADRERR)");
        var a = Xmap("setup", 0, 3 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        var ua = new UserAddr(a);
        proc.Mprotect(ua + P, P, Prot.Read);
        proc.Mprotect(ua + 2 * P, P, Prot.None);
        proc.Munmap(ua, P);
        log.Str("unmapped_read", "signal", DkfidScenarios.ProbeRead(proc, a, out var sig) < 0 ? sig : null);
        log.Str("ro_write", "signal", DkfidScenarios.ProbeWrite(proc, a + P, 1, out sig) < 0 ? sig : null);
        log.Str("ro_read", "signal", DkfidScenarios.ProbeRead(proc, a + P, out sig) < 0 ? sig : null);
        log.Str("none_read", "signal", DkfidScenarios.ProbeRead(proc, a + 2 * P, out sig) < 0 ? sig : null);
        log.Str("null_read", "signal", DkfidScenarios.ProbeRead(proc, 8, out sig) < 0 ? sig : null);
        proc.Munmap(ua + P, 2 * P);

        // SIGBUS: memfd of 1 page mapped 4 pages
        var fdr = proc.MemfdCreate("dkfid");
        log.Errno("memfd", fdr.IsOk ? 0 : fdr.Errno);
        if (!fdr.IsOk)
        {
            return;
        }

        var fd = (int)fdr.Value;
        Res("ftruncate_1p", proc.Ftruncate(fd, P));
        var m = Xmap("memfd_mmap", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Shared, fd, 0);
        if (m == 0)
        {
            return;
        }

        Snap("memfd_mmap", m, 4);
        TouchRead("read_page0", m, [0], 1);
        TouchRead("read_page2", m, [2], 1);
        Res("ftruncate_4p", proc.Ftruncate(fd, 4 * P));
        TouchRead("read_page2_grown", m, [2], 1);
        Res("ftruncate_0", proc.Ftruncate(fd, 0));
        TouchRead("read_page0_truncated", m, [0], 1);
        TouchWrite("write_page0_truncated", m, [0], 1, 0x10);
        Snap("truncated", m, 4);
        proc.Munmap(new UserAddr(m), 4 * P);
        proc.Close(fd);
    }

    /// <summary>
    /// open("/proc/self/fd/N", O_RDONLY) of a memfd: a new open file of the same shmem inode with FMODE_READ only.
    /// The simulator has no procfs; the test builds that struct file with the runtime's own constructor.
    /// </summary>
    private int ReopenReadOnly(int fd)
    {
        var file = proc.Files[fd];
        return proc.InstallFd(new DriverKit.Runtime.OpenFile(file.Inode, FMode.Read, OpenFlags.ReadOnly));
    }

    private void ScMmapErrors()
    {
        Begin("mmap_errors", "errno of invalid mmap calls");
        SysResult<UserAddr> p;
        p = proc.Mmap(default, 0, Prot.Read, MapFlags.Private | MapFlags.Anonymous);
        log.Errno("zero_len", p.IsOk ? 0 : p.Errno);
        p = proc.Mmap(new UserAddr(0x10001000UL + 1), P, Prot.Read, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed);
        log.Errno("fixed_unaligned", p.IsOk ? 0 : p.Errno);
        p = proc.Mmap(new UserAddr(0x10001001UL), P, Prot.Read, MapFlags.Private | MapFlags.Anonymous);
        log.Errno("hint_unaligned", p.IsOk ? 0 : p.Errno);
        if (p.IsOk)
        {
            log.Bool("hint_unaligned", "at_hint", p.Value.Value == 0x10001001UL);
            proc.Munmap(p.Value, P);
        }

        p = proc.Mmap(default, P, Prot.Read, MapFlags.Anonymous);
        log.Errno("no_type", p.IsOk ? 0 : p.Errno);
        p = proc.Mmap(default, P, Prot.Read, MapSharedValidate | MapFlags.Anonymous | (MapFlags)0x40000000);
        log.Errno("validate_unknown", p.IsOk ? 0 : p.Errno);
        p = proc.Mmap(default, P, Prot.Read, MapFlags.Private, 12345);
        log.Errno("bad_fd", p.IsOk ? 0 : p.Errno);
        p = proc.Mmap(default, 1UL << 62, Prot.Read, MapFlags.Private | MapFlags.Anonymous | MapFlags.NoReserve);
        log.Errno("huge_len", p.IsOk ? 0 : p.Errno);
        var a = Xmap("base", 0, 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        p = proc.Mmap(new UserAddr(a + P), P, Prot.Read, MapFlags.Private | MapFlags.Anonymous | MapFlags.FixedNoReplace);
        log.Errno("noreplace_overlap", p.IsOk ? 0 : p.Errno);
        Snap("noreplace_overlap", a, 4);
        p = proc.Mmap(new UserAddr(a + P), P, Prot.Read, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed);
        log.Errno("fixed_overlap", p.IsOk ? 0 : p.Errno);
        Snap("fixed_overlap", a, 4);
        proc.Munmap(new UserAddr(a), 4 * P);
        var fdr = proc.MemfdCreate("dkfid-ro");
        if (!fdr.IsOk)
        {
            return;
        }

        var fd = (int)fdr.Value;
        proc.Ftruncate(fd, 4 * P);
        p = proc.Mmap(default, P, Prot.Read, MapFlags.Private, fd, 1);
        log.Errno("offset_unaligned", p.IsOk ? 0 : p.Errno);
        var rfd = ReopenReadOnly(fd);
        p = proc.Mmap(default, P, Prot.Read | Prot.Write, MapFlags.Shared, rfd);
        log.Errno("shared_write_rdonly_fd", p.IsOk ? 0 : p.Errno);
        p = proc.Mmap(default, P, Prot.Read | Prot.Write, MapFlags.Private, rfd);
        log.Errno("private_write_rdonly_fd", p.IsOk ? 0 : p.Errno);
        if (p.IsOk)
        {
            proc.Munmap(p.Value, P);
        }

        p = proc.Mmap(default, P, Prot.Read, MapFlags.Shared, rfd);
        log.Errno("shared_read_rdonly_fd", p.IsOk ? 0 : p.Errno);
        if (p.IsOk)
        {
            Snap("shared_read_rdonly_fd", p.Value.Value, 1);
            Res("mprotect_write_rdonly", proc.Mprotect(p.Value, P, Prot.Read | Prot.Write));
            proc.Munmap(p.Value, P);
        }

        proc.Close(rfd);
        proc.Close(fd);
    }
}
