using DriverKit.Runtime;

namespace DriverKit.Tests.Fidelity;

/// <summary>
/// The C# mirror of fidelity/user/dkfid-test.c: plays the same scenarios, in the same order and with the same steps
/// and observation keys, against <see cref="DkfidDriver"/> on a simulated machine of the golden file's kernel
/// version, and records them as an <see cref="ObsRun"/>. Every scenario runs in one process ("dkfid-test", no
/// CAP_IPC_LOCK, RLIMIT_MEMLOCK 16 pages) that keeps a control fd open, as in the VM.
/// </summary>
internal sealed partial class DkfidScenarios
{
    private const ulong P = Kernel.PageSize;
    private const int MemlockPages = 16;

    /// <summary>The scenario ids in the order main() runs them.</summary>
    public static readonly string[] Order =
    [
        "vm_insert_page", "remap_pfn_range", "fault_get", "insert_pfn", "insert_mixed", "insert_page_private", "remap_private",
        "remap_private_fork", "fault_get_private", "insert_mixed_private", "fault_cycles", "locked_io", "insert_page_nosplit",
        "gup_anon", "close_no_open", "close_no_open_split", "remap_reserved_clear", "remap_reserved_noclear", "reserved_free",
        .. FidelityIIOrder,
        "fault_noget",
    ];

    private readonly Kernel kernel;
    private readonly DkfidDriver drv;
    private readonly ObsLog log;
    private readonly Process main;
    private readonly int ctl;
    private int dmesgPos;

    // struct cur C: the mapping under test.
    private int cFd = -1;
    private ulong cAddr;
    private ulong cLen;
    private int cNpages;
    private bool cDrv;

    private DkfidScenarios(Kernel kernel, ObsLog log)
    {
        this.kernel = kernel;
        this.log = log;

        // insmod dkfid.ko, then /init runs dkfid-test.
        drv = new DkfidDriver(kernel);
        main = OwnProgram.Exec(kernel, "dkfid-test");
        main.SetMemlockLimit(MemlockPages * P);
        main.CapIpcLock = false;
        ctl = DevOpen(main);

        // kmsg_open + drain: only what the scenarios print is recorded.
        dmesgPos = kernel.Dmesg.Count;
    }

    /// <summary>Boots a machine of <paramref name="version"/> (qemu -m 512M, Debian config: no DEBUG_VM) and plays the scenarios.</summary>
    /// <param name="version">The kernel version of the golden file.</param>
    /// <param name="only">A subset of scenario ids (like dkfid-test's arguments), or null for all.</param>
    public static ObsRun Run(string version, IReadOnlyCollection<string>? only = null)
    {
        var kernel = new Kernel(new KernelOptions { Version = version, MemoryBytes = 512UL << 20, SwapPages = 0 }); // the recording machines have no swap
        var log = new ObsLog(version, "qemu");
        var s = new DkfidScenarios(kernel, log);
        bool Want(string name) => only is null || only.Contains(name);

        if (Want("vm_insert_page"))
        {
            s.RunStd("vm_insert_page",
                "->mmap calls vm_insert_page() for each of 4 order-0 driver pages (split_page of an order-2 block); " +
                "vm_ops {.open,.close} counters only, no .fault; MAP_SHARED RW", DkfidMode.InsertPage, 0, 0);
        }

        if (Want("remap_pfn_range"))
        {
            s.RunStd("remap_pfn_range", "->mmap calls remap_pfn_range() over 4 contiguous order-0 driver pages; vm_ops {.open,.close}; MAP_SHARED RW",
                DkfidMode.Remap, 0, 0);
        }

        if (Want("fault_get"))
        {
            s.RunStd("fault_get",
                "->mmap installs vm_ops {.open,.close,.fault}; .fault does get_page(p); vmf->page = p; return 0; " +
                "no VM_DONTEXPAND; pgoff >= 4 -> VM_FAULT_SIGBUS; MAP_SHARED RW", DkfidMode.FaultGet, 0, 0);
        }

        if (Want("insert_pfn"))
        {
            s.RunStd("insert_pfn", "->mmap sets VM_PFNMAP|VM_IO; .fault calls vmf_insert_pfn(vma, addr, page_to_pfn(p)); MAP_SHARED RW",
                DkfidMode.InsertPfn, 0, 0);
        }

        if (Want("insert_mixed"))
        {
            s.RunStd("insert_mixed", "->mmap sets VM_MIXEDMAP; .fault calls vmf_insert_mixed(vma, addr, pfn_to_pfn_t(page_to_pfn(p))); MAP_SHARED RW",
                DkfidMode.InsertMixed, 0, 0);
        }

        if (Want("insert_page_private"))
        {
            s.RunPrivate("insert_page_private", "vm_insert_page driver mapped MAP_PRIVATE RW (O_RDWR fd): COW of driver pages", DkfidMode.InsertPage, 0, writeFirst: true);
        }

        if (Want("remap_private"))
        {
            s.RunPrivate("remap_private", "remap_pfn_range driver mapped MAP_PRIVATE RW: COW from special PTEs", DkfidMode.Remap, 0, writeFirst: true);
        }

        if (Want("remap_private_fork"))
        {
            s.RunPrivate("remap_private_fork",
                "remap_pfn_range driver mapped MAP_PRIVATE RW: fork BEFORE any COW write, then the child writes, then the parent writes",
                DkfidMode.Remap, 0, writeFirst: false);
        }

        if (Want("fault_get_private"))
        {
            s.RunPrivate("fault_get_private", "fault+get_page driver mapped MAP_PRIVATE RW: COW of driver pages", DkfidMode.FaultGet, 0, writeFirst: true);
        }

        if (Want("insert_mixed_private"))
        {
            s.RunPrivate("insert_mixed_private", "vmf_insert_mixed driver mapped MAP_PRIVATE RW: COW from special PTEs", DkfidMode.InsertMixed, 0, writeFirst: true);
        }

        if (Want("fault_cycles"))
        {
            s.RunFaultCycles();
        }

        if (Want("locked_io"))
        {
            s.RunLockedIo();
        }

        if (Want("insert_page_nosplit"))
        {
            s.RunInsertNosplit();
        }

        if (Want("gup_anon"))
        {
            s.RunGupAnon();
        }

        if (Want("close_no_open"))
        {
            s.RunCloseNoOpen();
        }

        if (Want("close_no_open_split"))
        {
            s.RunCloseNoOpenSplit();
        }

        if (Want("remap_reserved_clear"))
        {
            s.RunRemapReserved(clear: true);
        }

        if (Want("remap_reserved_noclear"))
        {
            s.RunRemapReserved(clear: false);
        }

        if (Want("reserved_free"))
        {
            s.RunReservedFree();
        }

        s.RunFidelityII(Want);

        // last: unbalanced refcounts (guarded by 8 extra driver references)
        if (Want("fault_noget"))
        {
            s.RunStd("fault_noget",
                ".fault sets vmf->page = p WITHOUT get_page (DKMM012); the driver holds 8 guard references per page on top " +
                "of its allocation reference so the pages never reach refcount 0; otherwise as fault_get", DkfidMode.FaultNoget, 0, 8);
        }

        return log.Run;
    }

    // ------------------------------------------------------------------------------------------------------------
    // snapshots

    private DkfidDriver.QueryResult? DrvQuery(Process p)
    {
        var q = new DkfidDriver.QueryResult();
        return drv.Call(p, ctl, DkfidDriver.IocQuery, q).IsOk ? q : null;
    }

    private void ObsPStates(string step, string prefix, DkfidPState[] s, int n, bool withKpage)
    {
        var rc = new long[n];
        var mc = new long[n];
        var pfn = new long[n];
        var kc = new long[n];
        var fl = new string[n];
        var kf = new string[n];
        for (var i = 0; i < n; i++)
        {
            rc[i] = s[i].Refcount;
            mc[i] = s[i].Mapcount;
            pfn[i] = (long)s[i].Pfn;
            fl[i] = ProcView.PflagsString(s[i].Flags);
            if (withKpage)
            {
                kc[i] = ProcView.KpageCount(kernel, s[i].Pfn);
                kf[i] = ProcView.KpageFlags(kernel, s[i].Pfn);
            }
        }

        log.Ints(step, prefix + "refcount", rc);
        log.Ints(step, prefix + "mapcount", mc);
        log.Strs(step, prefix + "pflags", fl);
        log.Ints(step, prefix + "pfn", pfn);
        if (withKpage)
        {
            log.Ints(step, prefix + "kpagecount", kc);
            log.Strs(step, prefix + "kpageflags", kf);
        }
    }

    private void SnapDrv(Process p, string step, bool withMkwrite = false)
    {
        var q = DrvQuery(p);
        if (q is null)
        {
            log.Str(step, "drv_query_errno", "EFAULT");
            return;
        }

        ObsPStates(step, string.Empty, q.P, q.NPages, withKpage: true);
        log.Int(step, "vm_open", q.VmOpen);
        log.Int(step, "vm_close", q.VmClose);
        log.Int(step, "faults", q.Faults);
        if (withMkwrite)
        {
            log.Int(step, "mkwrite", q.Mkwrite);
        }

        log.Int(step, "last_fault_pgoff", q.LastFaultPgoff);
        log.Int(step, "mmap_calls", q.MmapCalls);
        log.Int(step, "maps", q.Maps);
        log.Bool(step, "freed", q.Freed);
        if (q.Freed)
        {
            log.Ints(step, "rel_refcount", q.RelRefcount.Take(q.NPages).Select(x => (long)x));
        }
    }

    /// <summary>smaps + pagemap of [addr, addr + npages pages) of the calling process.</summary>
    private void SnapMap(Process p, string step, ulong addr, int npages, DkfidDriver.QueryResult? q)
    {
        npages = Math.Min(npages, 64);
        log.Int(step, "vmlck_kb", ProcView.StatusKb(p, "VmLck"));
        if (addr == 0)
        {
            log.Bool(step, "mapped", false);
            return;
        }

        var e = ProcView.SmapsLookup(p, addr, addr, addr + (ulong)npages * P);
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
            log.Int(step, "shared_kb", e.SharedKb);
            log.Int(step, "private_kb", e.PrivateKb);
        }

        var present = new bool[npages];
        var pfn = new long[npages];
        var isDrv = new bool[npages];
        var file = new bool[npages];
        var excl = new bool[npages];
        var kc = new long[npages];
        var kf = new string[npages];
        for (var i = 0; i < npages; i++)
        {
            var v = ProcView.Pagemap(p, addr + (ulong)i * P);
            present[i] = v.Present;
            file[i] = v.File;
            excl[i] = v.Exclusive;
            pfn[i] = v.Present ? (long)v.Pfn : 0;
            if (q is not null && v.Present)
            {
                for (var j = 0; j < q.NPages; j++)
                {
                    if (q.P[j].Pfn == (ulong)pfn[i])
                    {
                        isDrv[i] = true;
                    }
                }
            }

            if (v.Present)
            {
                kc[i] = ProcView.KpageCount(kernel, (ulong)pfn[i]);
                kf[i] = ProcView.KpageFlags(kernel, (ulong)pfn[i]);
            }
            else
            {
                kc[i] = -1;
                kf[i] = string.Empty;
            }
        }

        log.Bools(step, "pm_present", present);
        log.Ints(step, "pm_pfn", pfn);
        log.Bools(step, "pm_is_drv", isDrv);
        log.Bools(step, "pm_file", file);
        log.Bools(step, "pm_excl", excl);
        log.Ints(step, "pm_kpagecount", kc);
        log.Strs(step, "pm_kpageflags", kf);
    }

    private void ObsDmesg(string step)
    {
        var lines = new List<string>();
        for (; dmesgPos < kernel.Dmesg.Count; dmesgPos++)
        {
            var line = kernel.Dmesg[dmesgPos];
            // obs.h kmsg_drain: boot-time entropy messages and TCG timing noise are dropped
            if (!line.StartsWith("random: ", StringComparison.Ordinal) && !line.StartsWith("clocksource: ", StringComparison.Ordinal)
                && !line.StartsWith("hrtimer: ", StringComparison.Ordinal))
            {
                lines.Add(line);
            }
        }

        log.Strs(step, "dmesg", lines);
    }

    /// <summary>The full snapshot taken at the end of every step, in the process <paramref name="p"/> (parent or child).</summary>
    private void Snap(Process p, string step)
    {
        DkfidDriver.QueryResult? q = null;
        if (cDrv)
        {
            SnapDrv(p, step, obsMkwrite);
            q = DrvQuery(p);
        }

        SnapMap(p, step, cAddr, cNpages, q);
        ObsDmesg(step);
    }

    // ------------------------------------------------------------------------------------------------------------
    // step helpers

    /// <summary>probe_read: the byte, or -1 and the signal text ("SIGSEGV/SEGV_MAPERR").</summary>
    public static int ProbeRead(Process p, ulong addr, out string? sig)
    {
        var r = p.ReadByte(new UserAddr(addr), out var value);
        sig = r.IsOk ? null : SigText(r);
        return r.IsOk ? value : -1;
    }

    /// <summary>probe_write: 0, or -1 and the signal text.</summary>
    public static int ProbeWrite(Process p, ulong addr, byte value, out string? sig)
    {
        var r = p.WriteByte(new UserAddr(addr), value);
        sig = r.IsOk ? null : SigText(r);
        return r.IsOk ? 0 : -1;
    }

    /// <summary>obs.h signame(): "SIGSEGV/SEGV_ACCERR", "SIGBUS/BUS_ADRERR"; other signals as "SIG/&lt;code&gt;".</summary>
    public static string SigText(AccessResult r) => r.Signal is Signal.SIGSEGV or Signal.SIGBUS
        ? $"{r.Signal}/{SiCode.Name(r.Signal, r.SiCode)}"
        : $"SIG/{r.SiCode}";

    private void StepTouch(Process p, string step, ulong addr, int[] idx)
    {
        var data = new long[idx.Length];
        string? first = null;
        for (var i = 0; i < idx.Length; i++)
        {
            data[i] = ProbeRead(p, addr + (ulong)idx[i] * P, out var sig);
            if (data[i] < 0 && first is null)
            {
                first = sig;
            }
        }

        log.Ints(step, "data", data);
        log.Str(step, "signal", first);
    }

    private void StepTouchAll(Process p, string step) => StepTouch(p, step, cAddr, Enumerable.Range(0, Math.Min(cNpages, 64)).ToArray());

    /// <summary>Writes byte 1 of each page: value base + page index.</summary>
    private void StepWriteAll(Process p, string step, ulong addr, int npages, int @base)
    {
        string? first = null;
        for (var i = 0; i < npages; i++)
        {
            if (ProbeWrite(p, addr + (ulong)i * P + 1, (byte)(@base + i), out var sig) < 0 && first is null)
            {
                first = sig;
            }
        }

        log.Str(step, "signal", first);
    }

    private void ObsReadback(Process p, string step, int npages, int off)
    {
        var v = new List<long>();
        for (var i = 0; i < npages && i < DkfidDriver.MaxPages; i++)
        {
            var r = new DkfidDriver.ReadBArgs { Index = i, Offset = off };
            v.Add(!drv.Call(p, ctl, DkfidDriver.IocReadB, r).IsOk || r.Err != 0 ? -1 : r.Value);
        }

        log.Ints(step, off == 1 ? "drv_byte1" : "drv_byte2", v);
    }

    private void StepGup(Process p, string step, ulong addr, int npages, uint method)
    {
        var g = new DkfidDriver.GupArgs { Addr = new UserAddr(addr), NPages = npages, Method = method, Write = true };
        var r = drv.Call(p, ctl, DkfidDriver.IocGup, g);
        if (!r.IsOk)
        {
            log.Str(step, "ioctl_errno", ObsLog.ErrName(r.Errno));
            return;
        }

        log.Int(step, "gup_ret", g.Ret);
        log.Errno(step, g.Ret < 0 ? -g.Ret : 0);
        var n = Math.Max(g.Ret, 0);
        if (n > 0)
        {
            var q = cDrv ? DrvQuery(p) : null;
            ObsPStates(step, "held_", g.Held, n, withKpage: false);
            log.Ints(step, "after_refcount", g.After.Take(n).Select(a => (long)a.Refcount));
            var isDrv = new bool[n];
            for (var i = 0; i < n; i++)
            {
                if (q is not null)
                {
                    for (var j = 0; j < q.NPages; j++)
                    {
                        if (q.P[j].Pfn == g.Held[i].Pfn)
                        {
                            isDrv[i] = true;
                        }
                    }
                }
            }

            log.Bools(step, "held_is_drv", isDrv);
        }
    }

    private static int DevOpen(Process p)
    {
        var r = p.Open(DkfidDriver.DevicePath, OpenFlags.ReadWrite);
        if (!r.IsOk)
        {
            throw new InvalidOperationException($"open {DkfidDriver.DevicePath}: {r}");
        }

        return (int)r.Value;
    }

    private int DevSetup(string step, int fd, DkfidMode mode, uint vmflags, int npages, uint bufflags, uint guard)
    {
        var su = new DkfidDriver.SetupArgs { Mode = mode, VmFlags = vmflags, NPages = npages, BufFlags = bufflags, Guard = guard };
        var r = drv.Call(main, fd, DkfidDriver.IocSetup, su);
        log.Errno(step, r.IsOk ? 0 : r.Errno);
        return r.IsOk ? 0 : -1;
    }

    private int StepMmap(string step, int npages, Prot prot, MapFlags flags, ulong off)
    {
        var r = main.Mmap(default, (ulong)npages * P, prot, flags, cFd, off);
        if (!r.IsOk)
        {
            log.Errno(step, r.Errno);
            cAddr = 0;
            cLen = 0;
            cNpages = 0;
            return -1;
        }

        log.Errno(step, 0);
        cAddr = r.Value.Value;
        cLen = (ulong)npages * P;
        cNpages = npages;
        return 0;
    }

    private void StepSyscallErrno(string step, SysResult r) => log.Errno(step, r.IsOk ? 0 : r.Errno);

    private void Begin(string scn, string text)
    {
        log.Begin(scn, text);
        cFd = -1;
        cAddr = 0;
        cLen = 0;
        cNpages = 0;
        cDrv = false;
        gD = 0;
        gDn = 0;
    }

    /// <summary>fork; the child runs <paramref name="childFn"/> after the parent recorded step "fork", then _exit(0).</summary>
    private void DoFork(Action<Process> childFn)
    {
        var f = main.Fork();
        if (!f.IsOk)
        {
            log.Errno("fork", f.Errno);
            Snap(main, "fork");
            return;
        }

        var child = f.Value!;
        log.Errno("fork", 0);
        Snap(main, "fork");
        childFn(child);
        if (child.State == ProcessState.Running)
        {
            child.Exit(0);
        }

        if (child.KilledBy is null)
        {
            log.Int("child_exit", "child_status", child.ExitCode);
        }
        else
        {
            log.Str("child_exit", "child_status", "SIG/0");
        }

        Snap(main, "child_exit");
    }

    // ------------------------------------------------------------------------------------------------------------
    // the standard scenario: one mapping kind, every user operation

    private void StdChild(Process child, bool write)
    {
        Snap(child, "child_start");
        StepTouchAll(child, "child_touch");
        Snap(child, "child_touch");
        if (write)
        {
            StepWriteAll(child, "child_write", cAddr, cNpages, 0x30);
            Snap(child, "child_write");
        }
    }

    /// <summary>The common start of the driver scenarios: open the device, DKFID_SETUP, mmap all pages (each step snapped); false when one failed.</summary>
    private bool OpenSetupAndMap(string scn, string text, DkfidMode mode, uint vmflags, int npages, uint guard, MapFlags share)
    {
        Begin(scn, text);
        cDrv = true;
        cFd = DevOpen(main);
        if (DevSetup("setup", cFd, mode, vmflags, npages, 0, guard) != 0)
        {
            Snap(main, "setup");
            main.Close(cFd);
            return false;
        }

        Snap(main, "setup");
        if (StepMmap("mmap", npages, Prot.Read | Prot.Write, share, 0) < 0)
        {
            Snap(main, "mmap");
            main.Close(cFd);
            Snap(main, "close");
            return false;
        }

        Snap(main, "mmap");
        return true;
    }

    private void RunStd(string scn, string text, DkfidMode mode, uint vmflags, uint guard)
    {
        const int npages = 4;
        if (!OpenSetupAndMap(scn, text, mode, vmflags, npages, guard, MapFlags.Shared))
        {
            return;
        }

        StepTouchAll(main, "touch");
        Snap(main, "touch");
        StepWriteAll(main, "write", cAddr, cNpages, 0x10);
        ObsReadback(main, "write", npages, 1);
        Snap(main, "write");

        DoFork(child => StdChild(child, write: false));

        StepSyscallErrno("mprotect_ro", main.Mprotect(new UserAddr(cAddr), cLen, Prot.Read));
        Snap(main, "mprotect_ro");
        log.Str("write_ro", "signal", ProbeWrite(main, cAddr + 1, 0x77, out var sig) < 0 ? sig : null);
        Snap(main, "write_ro");
        StepSyscallErrno("mprotect_rw", main.Mprotect(new UserAddr(cAddr), cLen, Prot.Read | Prot.Write));
        Snap(main, "mprotect_rw");

        StepSyscallErrno("mlock", main.Mlock(new UserAddr(cAddr), cLen));
        Snap(main, "mlock");
        StepSyscallErrno("munlock", main.Munlock(new UserAddr(cAddr), cLen));
        Snap(main, "munlock");

        StepGup(main, "gup", cAddr, cNpages, DkfidDriver.GupGup);
        Snap(main, "gup");
        StepGup(main, "pin", cAddr, cNpages, DkfidDriver.GupPin);
        Snap(main, "pin");
        StepGup(main, "gup_fast", cAddr, cNpages, DkfidDriver.GupFast);
        Snap(main, "gup_fast");

        var na = main.Mremap(new UserAddr(cAddr), cLen, 2 * cLen, MremapFlags.MayMove);
        if (!na.IsOk)
        {
            log.Errno("mremap_grow", na.Errno);
            Snap(main, "mremap_grow");
        }
        else
        {
            log.Errno("mremap_grow", 0);
            log.Bool("mremap_grow", "moved", na.Value.Value != cAddr);
            cAddr = na.Value.Value;
            cLen *= 2;
            cNpages *= 2;
            Snap(main, "mremap_grow");
            StepTouch(main, "touch_moved", cAddr, [0, 1, 2, 3]);
            Snap(main, "touch_moved");
            StepTouch(main, "touch_tail", cAddr, [5]);
            Snap(main, "touch_tail");
        }

        StepSyscallErrno("munmap_mid", main.Munmap(new UserAddr(cAddr + P), P));
        Snap(main, "munmap_mid");
        StepSyscallErrno("munmap", main.Munmap(new UserAddr(cAddr), cLen));
        cAddr = 0;
        Snap(main, "munmap");
        StepSyscallErrno("close", main.Close(cFd));
        cFd = -1;
        Snap(main, "close");
    }

    /// <summary>MAP_PRIVATE variant: COW of driver pages (writeFirst: the parent writes pages 0-1 before the fork).</summary>
    private void RunPrivate(string scn, string text, DkfidMode mode, uint vmflags, bool writeFirst)
    {
        const int npages = 4;
        if (!OpenSetupAndMap(scn, text, mode, vmflags, npages, 0, MapFlags.Private))
        {
            return;
        }

        StepTouchAll(main, "touch");
        Snap(main, "touch");

        // write pages 0 and 1 only: 2 and 3 stay shared with the driver
        if (writeFirst)
        {
            StepWriteAll(main, "write", cAddr, 2, 0x10);
            ObsReadback(main, "write", npages, 1);
            Snap(main, "write");
        }

        DoFork(child => StdChild(child, write: true));
        ObsReadback(main, "child_exit", npages, 1);
        if (!writeFirst)
        {
            StepWriteAll(main, "write", cAddr, 2, 0x10);
            ObsReadback(main, "write", npages, 1);
            Snap(main, "write");
        }

        StepSyscallErrno("munmap", main.Munmap(new UserAddr(cAddr), cLen));
        cAddr = 0;
        Snap(main, "munmap");
        StepSyscallErrno("close", main.Close(cFd));
        cFd = -1;
        Snap(main, "close");
    }

    // ------------------------------------------------------------------------------------------------------------
    // S1: fault + get_page, three map/touch/unmap cycles

    private void RunFaultCycles()
    {
        Begin("fault_cycles",
            "S1 (E5+ form): ->fault with get_page, driver sets VM_DONTEXPAND|VM_DONTDUMP; three mmap/touch/munmap cycles, " +
            "mremap growth refused, then close frees the pages");
        cDrv = true;
        cFd = DevOpen(main);
        DevSetup("setup", cFd, DkfidMode.FaultGet, DkfidDriver.VmfDontExpand | DkfidDriver.VmfDontDump, 4, 0, 0);
        Snap(main, "setup");
        for (var k = 1; k <= 3; k++)
        {
            var st = $"c{k}_mmap";
            if (StepMmap(st, 4, Prot.Read | Prot.Write, MapFlags.Shared, 0) < 0)
            {
                Snap(main, st);
                break;
            }

            Snap(main, st);
            st = $"c{k}_touch";
            StepTouchAll(main, st);
            Snap(main, st);
            if (k == 3)
            {
                var na = main.Mremap(new UserAddr(cAddr), cLen, 2 * cLen, MremapFlags.MayMove);
                log.Errno("c3_mremap_grow", na.IsOk ? 0 : na.Errno);
                if (na.IsOk)
                {
                    cAddr = na.Value.Value;
                    cLen *= 2;
                    cNpages *= 2;
                }

                Snap(main, "c3_mremap_grow");
            }

            st = $"c{k}_munmap";
            StepSyscallErrno(st, main.Munmap(new UserAddr(cAddr), cLen));
            cAddr = 0;
            Snap(main, st);
        }

        StepSyscallErrno("close", main.Close(cFd));
        Snap(main, "close");
    }

    // ------------------------------------------------------------------------------------------------------------
    // S3: VM_LOCKED | VM_IO set by the driver

    private void RunLockedIo()
    {
        Begin("locked_io",
            "S3: driver ->mmap sets VM_LOCKED|VM_IO and remap_pfn_range()s 8 driver RAM pages (stand-in for an MMIO window); " +
            "RLIMIT_MEMLOCK 16 pages, no CAP_IPC_LOCK");
        log.Int("setup", "rlimit_memlock", (long)main.MemlockLimit);
        cDrv = true;
        cFd = DevOpen(main);
        DevSetup("setup", cFd, DkfidMode.Remap, DkfidDriver.VmfLocked | DkfidDriver.VmfIo, 8, 0, 0);
        Snap(main, "setup");
        if (StepMmap("mmap", 8, Prot.Read | Prot.Write, MapFlags.Shared, 0) < 0)
        {
            Snap(main, "mmap");
            main.Close(cFd);
            return;
        }

        Snap(main, "mmap");
        StepTouchAll(main, "touch");
        Snap(main, "touch");

        var am = main.Mmap(default, 12 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        log.Errno("anon_mmap", am.IsOk ? 0 : am.Errno);
        var anon = am.IsOk ? am.Value : default;
        Snap(main, "anon_mmap");
        StepSyscallErrno("mlock_anon", main.Mlock(anon, 12 * P));
        Snap(main, "mlock_anon");
        StepSyscallErrno("mlock_dev", main.Mlock(new UserAddr(cAddr), cLen));
        Snap(main, "mlock_dev");
        StepSyscallErrno("munlock_anon", main.Munlock(anon, 12 * P));
        Snap(main, "munlock_anon");
        StepSyscallErrno("mlock_dev2", main.Mlock(new UserAddr(cAddr), cLen));
        Snap(main, "mlock_dev2");
        StepSyscallErrno("mlock_anon2", main.Mlock(anon, 12 * P));
        Snap(main, "mlock_anon2");
        DoFork(child => Snap(child, "child_start"));
        StepSyscallErrno("munmap", main.Munmap(new UserAddr(cAddr), cLen));
        cAddr = 0;
        Snap(main, "munmap");
        StepSyscallErrno("munmap_anon", main.Munmap(anon, 12 * P));
        Snap(main, "munmap_anon");
        StepSyscallErrno("close", main.Close(cFd));
        Snap(main, "close");
    }

    // ------------------------------------------------------------------------------------------------------------
    // S4: PG_reserved

    private void RunReservedFree()
    {
        Begin("reserved_free",
            "S4/DKMM003: alloc_pages(GFP_KERNEL, order) (not compound), SetPageReserved on every page, " +
            "optionally ClearPageReserved, __free_pages(page, order), then inspect; orders 0, 1, 4");
        foreach (var order in new[] { 0, 1, 4 })
        {
            foreach (var clr in new[] { true, false })
            {
                var step = $"o{order}_{(clr ? "clear" : "noclear")}";
                var n = 1 << order;
                var r = new DkfidDriver.ResFreeArgs { Order = order, Clear = clr };
                var res = drv.Call(main, ctl, DkfidDriver.IocResFree, r);
                if (!res.IsOk)
                {
                    log.Errno(step, res.Errno);
                    ObsDmesg(step);
                    continue;
                }

                log.Errno(step, 0);
                log.Int(step, "order", order);
                log.Bool(step, "clear", clr);
                ObsPStates(step, "before_", r.Before, n, withKpage: false);
                ObsPStates(step, "after_", r.After, n, withKpage: false);
                log.Bools(step, "after_reserved", r.After.Take(n).Select(a => (a.Flags & DkfidDriver.PfReserved) != 0));
                log.Bools(step, "after_inbuddy", r.After.Take(n).Select(a => (a.Flags & DkfidDriver.PfInbuddy) != 0));
                log.Bool(step, "probe_reused", r.ProbeReused);
                log.Ints(step, "kpagecount", Enumerable.Range(0, n).Select(i => ProcView.KpageCount(kernel, r.Pfn + (ulong)i)));
                log.Strs(step, "kpageflags", Enumerable.Range(0, n).Select(i => ProcView.KpageFlags(kernel, r.Pfn + (ulong)i)));
                ObsDmesg(step);
            }
        }
    }

    private void RunRemapReserved(bool clear)
    {
        var scn = clear ? "remap_reserved_clear" : "remap_reserved_noclear";
        Begin(scn, clear
            ? "S4-B: order-2 non-compound buffer, SetPageReserved on all 4 pages, remap_pfn_range, ClearPageReserved before free_pages(buf, 2)"
            : "S4-C: order-2 non-compound buffer, SetPageReserved on all 4 pages, remap_pfn_range, free_pages(buf, 2) WITHOUT ClearPageReserved");
        cDrv = true;
        cFd = DevOpen(main);
        DevSetup("setup", cFd, DkfidMode.Remap, 0, 4, DkfidDriver.BufNoSplit | DkfidDriver.BufReserve | (clear ? DkfidDriver.BufClear : 0), 0);
        Snap(main, "setup");
        if (StepMmap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared, 0) < 0)
        {
            Snap(main, "mmap");
            main.Close(cFd);
            return;
        }

        Snap(main, "mmap");
        StepTouchAll(main, "touch");
        Snap(main, "touch");
        log.Str("write", "signal", ProbeWrite(main, cAddr + 1, 0x55, out var sig) < 0 ? sig : null);
        Snap(main, "write");
        StepSyscallErrno("munmap", main.Munmap(new UserAddr(cAddr), cLen));
        cAddr = 0;
        ObsReadback(main, "munmap", 1, 1);
        Snap(main, "munmap");
        StepSyscallErrno("close", main.Close(cFd));
        Snap(main, "close");
    }

    /// <summary>vm_insert_page on the tail pages of a non-compound order-2 block.</summary>
    private void RunInsertNosplit()
    {
        Begin("insert_page_nosplit", "DKMM010: vm_insert_page of the 4 pages of a non-compound order-2 allocation (tails have refcount 0)");
        cDrv = true;
        cFd = DevOpen(main);
        DevSetup("setup", cFd, DkfidMode.InsertPage, 0, 4, DkfidDriver.BufNoSplit, 0);
        Snap(main, "setup");
        if (StepMmap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared, 0) == 0)
        {
            Snap(main, "mmap");
            main.Munmap(new UserAddr(cAddr), cLen);
            cAddr = 0;
        }
        else
        {
            Snap(main, "mmap");
        }

        StepSyscallErrno("close", main.Close(cFd));
        Snap(main, "close");
    }

    // ------------------------------------------------------------------------------------------------------------
    // S6: .close without .open

    private void S6Child(Process child)
    {
        Snap(child, "child_start");
        StepTouchAll(child, "child_touch");
        Snap(child, "child_touch");
    }

    private void RunCloseNoOpen()
    {
        Begin("close_no_open",
            "S6/DKMM018-B: remap_pfn_range of 4 driver pages, vm_ops has .close but no .open; ->mmap maps++, .close maps-- and " +
            "frees the buffer when maps reaches 0; fork + child exit");
        cDrv = true;
        cFd = DevOpen(main);
        DevSetup("setup", cFd, DkfidMode.Remap, 0, 4, DkfidDriver.BufCloseOnly, 0);
        Snap(main, "setup");
        if (StepMmap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared, 0) < 0)
        {
            Snap(main, "mmap");
            main.Close(cFd);
            return;
        }

        Snap(main, "mmap");
        StepTouchAll(main, "touch");
        Snap(main, "touch");
        DoFork(S6Child);

        // the buffer may be freed now: the parent still maps it (reads only)
        StepTouchAll(main, "touch_after");
        Snap(main, "touch_after");
        StepSyscallErrno("munmap", main.Munmap(new UserAddr(cAddr), cLen));
        cAddr = 0;
        Snap(main, "munmap");
        StepSyscallErrno("close", main.Close(cFd));
        Snap(main, "close");
    }

    private void RunCloseNoOpenSplit()
    {
        Begin("close_no_open_split",
            "S6 variant: same driver; the user munmaps the middle page (vma split: the new piece gets no .open, " +
            "the unmapped piece gets .close)");
        cDrv = true;
        cFd = DevOpen(main);
        DevSetup("setup", cFd, DkfidMode.Remap, 0, 4, DkfidDriver.BufCloseOnly, 0);
        Snap(main, "setup");
        if (StepMmap("mmap", 4, Prot.Read | Prot.Write, MapFlags.Shared, 0) < 0)
        {
            Snap(main, "mmap");
            main.Close(cFd);
            return;
        }

        Snap(main, "mmap");
        StepSyscallErrno("munmap_mid", main.Munmap(new UserAddr(cAddr + P), P));
        Snap(main, "munmap_mid");
        StepTouch(main, "touch", cAddr, [0, 1, 2, 3]);
        Snap(main, "touch");
        StepSyscallErrno("munmap", main.Munmap(new UserAddr(cAddr), cLen));
        cAddr = 0;
        Snap(main, "munmap");
        StepSyscallErrno("close", main.Close(cFd));
        Snap(main, "close");
    }

    // ------------------------------------------------------------------------------------------------------------
    // GUP on anonymous memory

    private void AnonChild(Process child)
    {
        Snap(child, "child_start");
        StepWriteAll(child, "child_write", cAddr, cNpages, 0x30);
        Snap(child, "child_write");
    }

    private void RunGupAnon()
    {
        Begin("gup_anon", "get_user_pages / pin_user_pages / get_user_pages_fast on 4 pages of private anonymous memory (written first)");
        cDrv = false;
        var r = main.Mmap(default, 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        log.Errno("mmap", r.IsOk ? 0 : r.Errno);
        if (!r.IsOk)
        {
            return;
        }

        cAddr = r.Value.Value;
        cLen = 4 * P;
        cNpages = 4;
        Snap(main, "mmap");
        StepWriteAll(main, "write", cAddr, 4, 0x10);
        Snap(main, "write");
        StepGup(main, "gup", cAddr, 4, DkfidDriver.GupGup);
        Snap(main, "gup");
        StepGup(main, "pin", cAddr, 4, DkfidDriver.GupPin);
        Snap(main, "pin");
        StepGup(main, "gup_fast", cAddr, 4, DkfidDriver.GupFast);
        Snap(main, "gup_fast");
        DoFork(AnonChild);
        StepSyscallErrno("munmap", main.Munmap(new UserAddr(cAddr), cLen));
        cAddr = 0;
        Snap(main, "munmap");
    }
}
