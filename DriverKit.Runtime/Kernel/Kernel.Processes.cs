namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    private readonly Dictionary<int, MmStruct> mms = new();
    private readonly List<Process> processes = new();
    private int nextPid = 100;
    private int nextMmId = 1;

    /// <summary>The task list (for_each_process): every process created on this machine, running or exited.</summary>
    public IReadOnlyList<Process> Processes => processes;

    /// <summary>
    /// Starts a user process with an empty address space: no stack, text or heap of its own (so its VmRSS, VMA count
    /// and total_vm are the driver mappings' alone). <see cref="Spawn(string, ProgramImage)"/> starts one as exec leaves it.
    /// </summary>
    /// <param name="comm">Its command name, printed in kernel messages.</param>
    public Process Spawn(string comm = "a.out")
    {
        ArgumentException.ThrowIfNullOrEmpty(comm);
        return NewProcess(comm.Length > 15 ? comm[..15] : comm, null);
    }

    internal Process NewProcess(string comm, Process? parent)
    {
        var mm = new MmStruct(this, nextMmId++);
        mms[mm.Id] = mm;
        var p = new Process(this, nextPid++, comm, mm, parent);
        processes.Add(p);
        return p;
    }

    /// <summary>Forgets a task whose creation failed before it got its pid (copy_process error paths).</summary>
    internal void DiscardProcess(Process p)
    {
        processes.Remove(p);
        if (nextPid == p.Pid + 1)
        {
            nextPid--;
        }
    }

    /// <summary>The address space with id <paramref name="id"/>, if it still exists.</summary>
    internal MmStruct? MmById(int id) => mms.GetValueOrDefault(id);

    internal IEnumerable<MmStruct> AllMms => mms.Values;

    /// <summary>Page-fault entry from the MMU: process context, mmap lock for read; an oops outside a system call kills the task here.</summary>
    internal AccessResult PageFault(Process p, ulong addr, bool write)
    {
        using (EnterProcess(p, MmapLockMode.Read, UserFaultSite))
        {
            AccessResult result;
            try
            {
                result = HandleMmFault(p.Mm, addr, write);
            }
            catch (KernelBugException e) when (!p.InSyscall)
            {
                // A fault taken inside a system call (get_user, the core dump's header probe) oopses the call itself:
                // make_task_dead never returns to it, so the oops unwinds to the system call, which kills the task there.
                KillByOops(p, e.Report);
                return new AccessResult(Signal.SIGKILL, 0, new UserAddr(addr), e.Report);
            }

            if (result.Signal == Signal.SIGKILL)
            {
                Printk($"Out of memory: Killed process {p.Pid} ({p.Comm})");
                DoExit(p, 137);
            }

            AfterOperation();
            return result;
        }
    }

    /// <summary>An oops in process context kills the task (make_task_dead → do_exit); its mm is torn down.</summary>
    internal void KillByOops(Process p, Report report)
    {
        if (p.State != ProcessState.Running)
        {
            return;
        }

        p.KilledBy = report;
        using (EnterProcess(p, MmapLockMode.None))
        {
            try
            {
                DoExit(p, 139);
            }
            catch (KernelBugException)
            {
                // A ->close that oopsed while the task was torn down: DoExit finished without it.
            }
        }
    }

    /// <summary>Strict mode: the cheap invariants after every system call and fault.</summary>
    internal void AfterOperation()
    {
        if (Strict && ++operations % Math.Max(1, Config.FullScanInterval) == 0)
        {
            Checker.AfterOperation();
        }
    }

    private long operations;

    /// <summary>A user access to a frame through a PTE (strict mode): a special PTE to a freed or re-owned frame is a physical use-after-free (INV-06).</summary>
    internal void CheckUserAccess(MmStruct mm, ulong addr, ulong pfn)
    {
        if (!Strict || pfn >= (ulong)Mem.Count)
        {
            return;
        }

        var p = (int)pfn;
        var rec = Rmap.Find(Mem, p, mm.Id, addr);
        var stale = IsFreeFrame(p) || (rec >= 0 && Rmap.Generation(rec) != Mem.Generation[p]);
        if (stale && staleAccessReported.Add((mm.Id, addr, Mem.Generation[p])))
        {
            Record(new Report(ReportKind.Simulator, "INV-06",
                $"DKSIM INV-06: user access to pfn {p:x5} at {addr:x} by {mm.Owner}: the frame was freed{(IsFreeFrame(p) ? string.Empty : " and reused by " + Sites.OwnerName(Mem.OwnerOrNext[Mem.Head[p]]))} while this PTE still maps it (physical use-after-free)", Era)
            {
                Pfn = new Pfn(pfn),
                Vma = mm.Vmas.Containing(addr)?.ToString(),
                Process = mm.Owner?.ToString(),
                RuleId = "DK0018",
                Ledger = LedgerText(p),
            });
        }
    }

    private readonly HashSet<(int, ulong, uint)> staleAccessReported = new();

    /// <summary>A fault that never makes progress (VM_FAULT_NOPAGE without a PTE): the real task spins forever; the simulator stops it.</summary>
    internal AccessResult ReportLivelock(Process p, ulong addr)
    {
        var report = new Report(ReportKind.Simulator, "INV-12",
            $"DKSIM INV-12: {p} faults at {addr:x} forever: the fault handler returns without installing a PTE (VM_FAULT_NOPAGE without vmf_insert_*)", Era)
        {
            Vma = p.Mm.Vmas.Containing(addr)?.ToString(),
            Process = p.ToString(),
            RuleId = "DK0012",
        };
        Record(report);
        KillByOops(p, report);
        return new AccessResult(Signal.SIGKILL, 0, new UserAddr(addr), report);
    }
}
