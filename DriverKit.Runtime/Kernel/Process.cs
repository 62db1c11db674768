namespace DriverKit.Runtime;

/// <summary>The life state of a simulated task.</summary>
public enum ProcessState
{
    /// <summary>Running: can make system calls and touch memory.</summary>
    Running,

    /// <summary>Exited (exit or killed); its address space is gone.</summary>
    Exited,
}

/// <summary>
/// A user process (task_struct + its mm): the system calls it makes and the memory accesses it performs through
/// the simulated MMU. Accesses fault like hardware and come back as <see cref="AccessResult"/>; system calls
/// return the kernel's errno values.
/// </summary>
public sealed partial class Process
{
    internal Process(Kernel kernel, int pid, string comm, MmStruct mm, Process? parent)
    {
        Kernel = kernel;
        Pid = pid;
        Comm = comm;
        Mm = mm;
        Parent = parent;
        InheritCoredumpFilter(parent);
        mm.Owner = this;
        liveTlb = mm.Tlb;
        frameData = kernel.Mem.Data;
        MemlockLimit = parent?.MemlockLimit ?? kernel.DefaultMemlockLimit;
        CapIpcLock = parent?.CapIpcLock ?? false;
    }

    /// <summary>The kernel the process runs on.</summary>
    public Kernel Kernel { get; }

    /// <summary>task-&gt;pid: the process id.</summary>
    public int Pid { get; }

    /// <summary>task-&gt;comm: the command name, printed in kernel messages.</summary>
    public string Comm { get; }

    /// <summary>task-&gt;mm: the address space.</summary>
    public MmStruct Mm { get; }

    /// <summary>task-&gt;real_parent: the parent, for forked children (null for a spawned process).</summary>
    public Process? Parent { get; }

    /// <summary>Running or exited.</summary>
    public ProcessState State
    {
        get => state;
        internal set
        {
            state = value;
            liveTlb = value == ProcessState.Running ? Mm.Tlb : null;
        }
    }

    /// <summary>task-&gt;exit_code: the exit status once exited.</summary>
    public int ExitCode { get; internal set; }

    /// <summary>The oops that killed the process, if one did.</summary>
    public Report? KilledBy { get; internal set; }

    /// <summary>RLIMIT_MEMLOCK (soft = hard) in bytes.</summary>
    public ulong MemlockLimit { get; private set; }

    /// <summary>CAP_IPC_LOCK: mlock limits do not apply.</summary>
    public bool CapIpcLock { get; set; }

    internal Dictionary<int, OpenFile> Files { get; } = new();

    private ProcessState state;

    /// <summary>
    /// The MMU's TLB-hit fast path holds the mm's TLB while the task runs (null once it has exited, so the fast path
    /// needs no state check of its own) and the machine's frame contents.
    /// </summary>
    private Tlb? liveTlb;
    private readonly byte[]?[] frameData;

    private int nextFd = 3;

    internal int InstallFd(OpenFile file)
    {
        var fd = nextFd++;
        Files[fd] = file;
        return fd;
    }

    /// <summary>setrlimit(RLIMIT_MEMLOCK, …).</summary>
    /// <param name="bytes">The new limit in bytes.</param>
    public SysResult SetMemlockLimit(ulong bytes)
    {
        if (State != ProcessState.Running)
        {
            return SysResult.Error(Errno.ESRCH);
        }

        MemlockLimit = bytes;
        return new SysResult(0);
    }

    /// <summary>"comm (pid N)".</summary>
    public override string ToString() => $"{Comm} (pid {Pid})";
}
