namespace DriverKit.Runtime;

public sealed partial class Process
{
    private uint coredumpFilter;

    /// <summary>
    /// /proc/&lt;pid&gt;/coredump_filter (2.6.23 and later): bit 0 anonymous private, 1 anonymous shared, 2 mapped
    /// private, 3 mapped shared, 4 ELF headers (2.6.24), 5–6 hugetlb (2.6.28), 7–8 DAX (4.4). Bits the era does not
    /// know are dropped as the kernel's write handler does; a fork child inherits the value (mm-&gt;flags).
    /// </summary>
    /// <exception cref="EraMismatchException">The configured kernel has no coredump_filter (before 2.6.23).</exception>
    /// <exception cref="InvalidOperationException">The process has exited: its /proc directory is gone.</exception>
    public uint CoredumpFilter
    {
        get => coredumpFilter;
        set
        {
            if (State != ProcessState.Running)
            {
                throw new InvalidOperationException($"{this} has exited; /proc/{Pid}/coredump_filter is gone.");
            }

            if (Kernel.Policy.MissingApi("Process." + nameof(CoredumpFilter)) is { } missing)
            {
                throw new EraMismatchException(missing + ".", "DK1001");
            }

            coredumpFilter = value & Kernel.Policy.CoredumpFilterMask;
        }
    }

    internal void InheritCoredumpFilter(Process? parent) => coredumpFilter = parent?.coredumpFilter ?? Kernel.Policy.DefaultCoredumpFilter;

    /// <summary>
    /// Writes the process's ELF core as do_coredump would on a fatal signal with a core action (the process keeps
    /// running; kill it with <see cref="Exit"/>). The dump faults pages in and so may call driver fault handlers.
    /// </summary>
    public SysResult<CoreDump> DumpCore() => Call(MmapLockMode.Read, () => SysResult<CoreDump>.Ok(Kernel.DoCoredump(this)));
}
