namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>The read holds driver code took with <see cref="MmapReadLock"/> and has not released yet, innermost last.</summary>
    private readonly List<(MmStruct Mm, MmapLockMode Before, Process? Task, bool Took)> driverReadHolds = new();

    /// <summary>
    /// include/linux/mmap_lock.h: mmap_read_lock (5.8; before it <c>down_read(&amp;mm-&gt;mmap_sem)</c>) — driver code (an
    /// ioctl walking or pinning a user range) takes <paramref name="mm"/>'s mmap lock for read. Taking it under the write
    /// hold of -&gt;mmap deadlocks (lockdep's report; the task dies); taking it again under a read hold (a fault handler, or
    /// twice) is lockdep's "possible recursive locking detected" warning, as a writer queued in between would deadlock it.
    /// </summary>
    /// <param name="mm">The address space.</param>
    /// <exception cref="EraMismatchException">Before 5.8.</exception>
    /// <exception cref="KernelBugException">The task already holds the lock for write.</exception>
    public void MmapReadLock(MmStruct mm)
    {
        CheckApi(nameof(MmapReadLock));
        ArgumentNullException.ThrowIfNull(mm);
        RequireMine(mm.Kernel, "the mm", nameof(mm));
        ForgetHoldsOfDeadTasks();
        var held = HeldByCurrent(mm);
        if (held == MmapLockMode.Write)
        {
            // kernel/locking/lockdep.c: print_deadlock_bug — down_read under the task's own down_write never returns.
            throw TaskDies(
                "WARNING: possible recursive locking detected\n" +
                $"{CurrentComm}/{CurrentPid} is trying to acquire lock: &mm->mmap_lock at: mmap_read_lock\n" +
                $"but task is already holding lock: &mm->mmap_lock at: {mm.MmapLockHolder ?? CurrentKind.ToString()}\n" +
                $"INFO: task {CurrentComm}:{CurrentPid} blocked for more than 120 seconds.",
                "mmap_read_lock under the task's own write hold: the task deadlocks");
        }

        if (held == MmapLockMode.Read)
        {
            // lockdep: an rwsem's readers are not recursive (check_deadlock allows read-after-read only for read == 2).
            LockdepWarning(
                "WARNING: possible recursive locking detected\n" +
                $"{CurrentComm}/{CurrentPid} is trying to acquire lock: &mm->mmap_lock at: mmap_read_lock\n" +
                "but task is already holding lock: &mm->mmap_lock (read)\n" +
                " Possible unsafe locking scenario:\n       CPU0\n       ----\n  lock(&mm->mmap_lock);\n  lock(&mm->mmap_lock);\n\n *** DEADLOCK ***",
                "mmap_read_lock taken twice: a writer queued in between deadlocks the task");
        }

        // A lock nobody holds is now the driver's: a system call of the task waits for it until it is released.
        var took = mm.MmapLockHolder is null;
        if (took)
        {
            mm.MmapLockHolder = "mmap_read_lock";
            mm.MmapLockMode = MmapLockMode.Read;
        }

        driverReadHolds.Add((mm, CurrentLock, CurrentProcess, took));
        if (ReferenceEquals(mm, CurrentProcess?.Mm))
        {
            SetLock(MmapLockMode.Read);
        }
    }

    /// <summary>
    /// include/linux/mmap_lock.h: mmap_read_unlock (5.8; <c>up_read(&amp;mm-&gt;mmap_sem)</c> before) — releases a hold taken
    /// with <see cref="MmapReadLock"/>. Without one it is lockdep's "bad unlock balance" warning and changes nothing.
    /// </summary>
    /// <param name="mm">The address space.</param>
    /// <exception cref="EraMismatchException">Before 5.8.</exception>
    public void MmapReadUnlock(MmStruct mm)
    {
        CheckApi(nameof(MmapReadUnlock));
        ArgumentNullException.ThrowIfNull(mm);
        RequireMine(mm.Kernel, "the mm", nameof(mm));
        ForgetHoldsOfDeadTasks();
        var i = driverReadHolds.FindLastIndex(hold => ReferenceEquals(hold.Mm, mm) && ReferenceEquals(hold.Task, CurrentProcess));
        if (i < 0)
        {
            // kernel/locking/lockdep.c: print_unlock_imbalance_bug.
            LockdepWarning(
                "WARNING: bad unlock balance detected!\n" +
                $"{CurrentComm}/{CurrentPid} is trying to release lock (&mm->mmap_lock) at: mmap_read_unlock\n" +
                "but there are no more locks to release!",
                "mmap_read_unlock without mmap_read_lock");
            return;
        }

        var hold = driverReadHolds[i];
        driverReadHolds.RemoveAt(i);
        if (hold.Took)
        {
            mm.MmapLockHolder = null;
            mm.MmapLockMode = MmapLockMode.None;
        }
        if (ReferenceEquals(mm, CurrentProcess?.Mm))
        {
            SetLock(hold.Before);
        }
    }

    /// <summary>
    /// kernel/entry/common.c: lockdep_sys_exit — a driver's ioctl returned to user space still holding an mmap read lock
    /// it took. The lock stays held (the task's next mmap or munmap waits for ever); lockdep says so at the return.
    /// </summary>
    internal void CheckMmapLocksReleased(Process p)
    {
        var leaked = driverReadHolds.Count(hold => ReferenceEquals(hold.Task, p));
        if (leaked == 0)
        {
            return;
        }

        LockdepWarning(
            "WARNING: lock held when returning to user space!\n" +
            $"{p.Comm}/{p.Pid} is leaving the kernel with locks still held!\n" +
            $"{leaked} lock{(leaked == 1 ? string.Empty : "s")} held by {p.Comm}/{p.Pid}:\n #0: &mm->mmap_lock, at: mmap_read_lock",
            "an ioctl returned with mmap_read_lock held", p);

        // The hold outlives the call: the task's own frame no longer says so, its mm does (its next mmap deadlocks).
    }

    /// <summary>The mode in which the current task holds <paramref name="mm"/>'s mmap lock.</summary>
    private MmapLockMode HeldByCurrent(MmStruct mm)
    {
        if (driverReadHolds.Exists(hold => ReferenceEquals(hold.Mm, mm) && ReferenceEquals(hold.Task, CurrentProcess)))
        {
            return MmapLockMode.Read;
        }

        return ReferenceEquals(mm, CurrentProcess?.Mm) ? CurrentLock : MmapLockMode.None;
    }

    /// <summary>A task that died (an oops, exit) releases nothing, but nobody can wait on its holds any more.</summary>
    private void ForgetHoldsOfDeadTasks()
    {
        foreach (var hold in driverReadHolds.Where(hold => hold.Task is { State: not ProcessState.Running } && hold.Took))
        {
            hold.Mm.MmapLockHolder = null;
            hold.Mm.MmapLockMode = MmapLockMode.None;
        }

        driverReadHolds.RemoveAll(hold => hold.Task is { State: not ProcessState.Running });
    }

    private int CurrentPid => CurrentProcess?.Pid ?? 0;

    /// <summary>A lockdep splat that does not stop the task: recorded as a kernel report.</summary>
    private void LockdepWarning(string text, string reason, Process? task = null) =>
        Record(new Report(ReportKind.Kernel, "OOPS", text, Era)
        {
            Reason = "lockdep: " + reason,
            Process = task is { } p ? $"{p.Comm} (pid {p.Pid})" : CurrentProcessText,
            RuleId = null,
        });
}
