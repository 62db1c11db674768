namespace DriverKit.Runtime;

/// <summary>What the kernel is doing when it calls into a driver: decides the mmap lock mode and ledger attribution.</summary>
internal enum ContextKind
{
    None,
    Open,
    Release,
    Mmap,
    Ioctl,
    Fault,
    VmOpen,
    VmClose,
    Unload,
    Access,
    Read,
    Write,
    Poll,
}

/// <summary>The mode in which the current task holds its mm's mmap lock.</summary>
internal enum MmapLockMode
{
    None,
    Read,
    Write,
}

public sealed partial class Kernel
{
    private Frame current;

    /// <summary>The running context: <c>current</c>, the driver whose code runs, why, and the mmap lock held.</summary>
    internal struct Frame
    {
        internal Process? Process;
        internal int Owner;
        internal ContextKind Kind;
        internal MmapLockMode Lock;
        internal int Depth;
    }

    /// <summary>Where a user access takes the mmap lock (arch/x86/mm/fault.c).</summary>
    internal const string UserFaultSite = "do_user_addr_fault";

    /// <summary>How deep driver calls may nest (a handler calling into the kernel, which calls a handler, …).</summary>
    internal const int MaxDriverNesting = 32;

    /// <summary>Restores the previous context, and the mmap lock it took, when disposed.</summary>
    internal readonly struct ContextScope : IDisposable
    {
        private readonly Kernel kernel;
        private readonly Frame saved;
        private readonly MmStruct? locked;

        internal ContextScope(Kernel kernel, Frame saved, MmStruct? locked = null)
        {
            this.kernel = kernel;
            this.saved = saved;
            this.locked = locked;
        }

        public void Dispose()
        {
            kernel.current = saved;
            if (locked is not null)
            {
                locked.MmapLockHolder = null;
                locked.MmapLockMode = MmapLockMode.None;
            }
        }
    }

    /// <summary>The process on whose behalf the kernel runs (<c>current</c>), or null in kernel-thread context.</summary>
    internal Process? CurrentProcess => current.Process;

    /// <summary><c>current</c>: the task a system call or fault runs for, as drivers see it (null outside process context).</summary>
    public Process? Current => current.Process;

    internal ContextKind CurrentKind => current.Kind;

    internal MmapLockMode CurrentLock => current.Lock;

    internal string CurrentComm => current.Process?.Comm ?? "swapper/0";

    internal string? CurrentProcessText => current.Process is { } p ? $"{p.Comm} (pid {p.Pid})" : null;

    /// <summary>
    /// Enters process context (a syscall or fault of <paramref name="process"/>). With <paramref name="site"/>, the entry
    /// takes the process's mmap lock there (mmap_read_lock / mmap_write_lock): taking it again while it is held is the
    /// self-deadlock lockdep reports (<see cref="RecursiveMmapLock"/>).
    /// </summary>
    internal ContextScope EnterProcess(Process? process, MmapLockMode mmapLock, string? site = null)
    {
        var saved = current;
        MmStruct? locked = null;
        if (site is not null && process is not null && mmapLock != MmapLockMode.None)
        {
            if (process.Mm.MmapLockHolder is { } holder)
            {
                // The fault path tries the lock first (mmap_read_trylock): a user access under a read hold, as in a
                // fault handler's copy_from_user, gets it; anything else waits for itself.
                if (site != UserFaultSite || process.Mm.MmapLockMode != MmapLockMode.Read)
                {
                    throw RecursiveMmapLock(process, site, holder);
                }
            }
            else
            {
                locked = process.Mm;
                locked.MmapLockHolder = site;
                locked.MmapLockMode = mmapLock;
            }
        }

        current = new Frame { Process = process, Owner = saved.Owner, Kind = ContextKind.None, Lock = mmapLock, Depth = saved.Depth };
        return new ContextScope(this, saved, locked);
    }

    /// <summary>Enters driver code: allocations are owned by <paramref name="owner"/>.</summary>
    internal ContextScope EnterDriver(int owner, ContextKind kind, MmapLockMode? mmapLock = null)
    {
        var saved = current;
        if (saved.Depth >= MaxDriverNesting)
        {
            throw KernelStackOverflow(saved.Depth + 1);
        }

        current = new Frame { Process = saved.Process, Owner = owner, Kind = kind, Lock = mmapLock ?? saved.Lock, Depth = saved.Depth + 1 };
        return new ContextScope(this, saved);
    }

    /// <summary>Runs driver code in driver context; a crash inside it (out-of-bounds, NULL) becomes a kernel oops.</summary>
    internal T CallDriver<T>(int owner, ContextKind kind, MmapLockMode? mmapLock, Func<T> body, VmArea? vma = null)
    {
        using (EnterDriver(owner, kind, mmapLock))
        {
            try
            {
                return body();
            }
            catch (Exception e) when (IsDriverCrash(e))
            {
                throw DriverCrash(e, vma?.ToString());
            }
        }
    }

    /// <summary>Runs driver code returning nothing (see <see cref="CallDriver{T}"/>).</summary>
    internal void CallDriver(int owner, ContextKind kind, MmapLockMode? mmapLock, Action body, VmArea? vma = null)
        => CallDriver(owner, kind, mmapLock, () =>
        {
            body();
            return 0;
        }, vma);

    /// <summary>Changes the lock mode the current task holds (mmap_write_lock/mmap_read_lock from driver code).</summary>
    internal void SetLock(MmapLockMode mode) => current.Lock = mode;

    /// <summary>The owner of pages allocated now: the running driver, or the caller's source file outside driver code.</summary>
    internal int OwnerFor(string callerFile)
    {
        if (current.Owner != 0 || callerFile.Length == 0)
        {
            return current.Owner;
        }

        return Sites.Owner(Path.GetFileNameWithoutExtension(callerFile));
    }
}
