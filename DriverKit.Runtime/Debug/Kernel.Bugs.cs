namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// include/linux/mmdebug.h: VM_BUG_ON_PAGE. With DEBUG_VM the real kernel dumps the page and BUGs; without
    /// it the kernel goes on and corrupts, which the simulator refuses with a simulator-only report. Either way
    /// the operation stops here, before any state changed.
    /// </summary>
    internal KernelBugException VmBugOnPage(int pfn, string condition, string invariant, string? rule, string? site = null)
    {
        Report report;
        if (Config.DebugVm)
        {
            report = new Report(ReportKind.Kernel, invariant,
                $"page:{PagePointer(pfn)} refcount:{Mem.RefCount[Mem.CompoundHead(pfn)]} mapcount:{Mem.MapCount[pfn]} mapping:{MappingText(pfn)} index:0x{Mem.Index[pfn]:x} pfn:0x{pfn:x}\n" +
                $"page dumped because: VM_BUG_ON_PAGE({condition})\n" +
                $"kernel BUG at include/linux/mm.h! ({condition})\n" +
                $"invalid opcode: 0000 [#{++oopsCount}] PREEMPT SMP NOPTI",
                Era);
        }
        else
        {
            report = new Report(ReportKind.Simulator, invariant,
                $"DKSIM {invariant}: {condition} on pfn {pfn:x5} — the real kernel (no DEBUG_VM) would corrupt the page silently; operation refused",
                Era);
        }

        return Raise(report, pfn, rule, site);
    }

    /// <summary>A BUG_ON that fires in every configuration (e.g. vm_insert_page on a VM_PFNMAP vma, 3.7+).</summary>
    internal KernelBugException BugOn(string file, string function, string condition, string invariant, string? rule, Pfn? pfn = null, string? vma = null, string? site = null)
    {
        var report = new Report(ReportKind.Kernel, invariant,
            $"kernel BUG at {file}! ({function}: BUG_ON({condition}))\ninvalid opcode: 0000 [#{++oopsCount}] PREEMPT SMP NOPTI",
            Era)
        {
            Reason = $"BUG_ON({condition}) in {function}",
            Pfn = pfn,
            Vma = vma,
            Process = CurrentProcessText,
            CallSite = site,
            RuleId = RuleInContext(rule),
        };
        Record(report);
        return new KernelBugException(report);
    }

    private readonly HashSet<string> warnedOnce = new();

    /// <summary>
    /// include/asm-generic/bug.h: WARN_ON_ONCE — the first time a condition fires, a "WARNING:" with the function
    /// and a taint, and the kernel goes on; later hits are silent.
    /// </summary>
    internal void WarnOnce(string file, string function, string condition, string invariant, string? rule, int pfn, int site)
    {
        if (!warnedOnce.Add(function + "\0" + condition))
        {
            return;
        }

        var text = $"WARNING: CPU: 0 PID: {CurrentProcess?.Pid ?? 0} at {file} {function} ({condition})";
        Printk(text);
        Record(new Report(ReportKind.Kernel, invariant, text, Era)
        {
            Reason = $"WARN_ON_ONCE({condition}) in {function}",
            Pfn = pfn >= 0 ? new Pfn((ulong)pfn) : null,
            Process = CurrentProcessText,
            CallSite = Sites.Site(site),
            RuleId = rule,
            Ledger = pfn >= 0 ? LedgerText(pfn) : null,
        });
    }

    /// <summary>The rule a report names, or DKMM015 while a fault handler serves an offset past what -&gt;mmap accepted.</summary>
    private string? RuleInContext(string? rule) => handlerPastMmap ? "DK0015" : rule;

    /// <summary>A misuse the kernel would not notice at all; the simulator refuses it with a simulator-only report.</summary>
    internal KernelBugException Refuse(string invariant, string text, string? rule, int pfn = -1, string? site = null)
        => Raise(new Report(ReportKind.Simulator, invariant, $"DKSIM {invariant}: {text}", Era), pfn, rule, site);

    private KernelBugException Raise(Report bare, int pfn, string? rule, string? site)
    {
        var report = new Report(bare.Kind, bare.Invariant, bare.Text, bare.Era)
        {
            Pfn = pfn >= 0 ? new Pfn((ulong)pfn) : null,
            Process = CurrentProcessText,
            CallSite = site,
            RuleId = RuleInContext(rule),
            Ledger = pfn >= 0 && pfn < Mem.Count ? LedgerText(pfn) : null,
        };

        // The exception always carries the report; the report list follows the checker mode.
        Record(report);
        return new KernelBugException(report);
    }

    private int oopsCount;

    /// <summary>
    /// Any exception out of driver code (an out-of-bounds index, a NULL dereference, a throw of its own) — the kernel has
    /// no exceptions: it would oops. A simulated BUG is already an oops, and a missing symbol means the driver does not
    /// compile: those two pass through.
    /// </summary>
    internal static bool IsDriverCrash(Exception e) => e is not (KernelBugException or EraMismatchException);

    /// <summary>arch/x86/mm/fault.c: page_fault_oops — the driver dereferenced memory it does not have.</summary>
    internal KernelBugException DriverCrash(Exception e, string? vma)
    {
        var report = new Report(ReportKind.Kernel, "OOPS",
            $"BUG: unable to handle page fault in driver code ({e.GetType().Name}: {e.Message})\nOops: 0000 [#{++oopsCount}] PREEMPT SMP NOPTI",
            Era)
        {
            Reason = "driver crashed",
            Vma = vma,
            Process = CurrentProcessText,

            // An oops names a pattern only when it has one: a fault handler indexing past what ->mmap accepted (DKMM015).
            RuleId = RuleInContext(null),
        };
        Record(report);
        return new KernelBugException(report, e);
    }

    /// <summary>
    /// Driver code re-entered the kernel deeper than a kernel stack holds (a fault handler that faults on its own
    /// mapping through get_user_pages, …): the real kernel runs off its stack and dies; the simulator stops at
    /// <see cref="MaxDriverNesting"/> levels, before the host's stack does.
    /// </summary>
    internal KernelBugException KernelStackOverflow(int depth) => TaskDies(
        $"BUG: stack guard page was hit (driver code re-entered the kernel {depth} levels deep)\nkernel stack overflow (double-fault): 0000 [#{++oopsCount}] PREEMPT SMP NOPTI",
        "kernel stack overflow");

    /// <summary>
    /// kernel/locking/lockdep.c: print_deadlock_bug — a task takes its own mmap_lock again (a system call or a user access
    /// made from a driver callback that runs under it). The real task deadlocks for good; lockdep names both
    /// acquisitions. The simulator does not run the nested call: the task dies with the report.
    /// </summary>
    internal KernelBugException RecursiveMmapLock(Process p, string site, string holder) => TaskDies(
        "WARNING: possible recursive locking detected\n" +
        $"{p.Comm}/{p.Pid} is trying to acquire lock: &mm->mmap_lock at: {site}\n" +
        $"but task is already holding lock: &mm->mmap_lock at: {holder}\n" +
        $"INFO: task {p.Comm}:{p.Pid} blocked for more than 120 seconds.",
        "recursive mmap_lock: the task deadlocks");

    /// <summary>A kernel report that ends the current task (an OOPS with no page and no rule), recorded and raised.</summary>
    private KernelBugException TaskDies(string text, string reason)
    {
        var report = new Report(ReportKind.Kernel, "OOPS", text, Era)
        {
            Reason = reason,
            Process = CurrentProcessText,
        };
        Record(report);
        return new KernelBugException(report);
    }

    /// <summary>Refuses an object of another simulated machine: its page tables, files and frames are not this one's.</summary>
    internal void RequireMine(Kernel owner, string what, string paramName)
    {
        if (!ReferenceEquals(owner, this))
        {
            throw new ArgumentException($"{what} belongs to another simulated machine", paramName);
        }
    }

    internal string MappingText(int pfn) => Mem.Mapping[pfn] switch
    {
        0 => "0000000000000000",
        MemMap.AnonMapping => "anon",
        var m => $"address_space#{m}",
    };
}
