namespace DriverKit.Runtime;

/// <summary>
/// A simulated kernel BUG: a BUG_ON/VM_BUG_ON the real kernel hits (the report is kernel-visible), or a misuse the
/// real kernel would turn into silent corruption, which the simulator refuses (the report is simulator-only).
/// The offending operation is stopped and the machine's state is unchanged by it. Syscalls and faults catch it
/// and return a typed oops outcome; it reaches the caller only when kernel functions are called directly.
/// </summary>
public sealed class KernelBugException : Exception
{
    internal KernelBugException(Report report, Exception? driverException = null)
        : base(report.Text, driverException)
    {
        Report = report;
    }

    /// <summary>The report describing the bug.</summary>
    public Report Report { get; }
}
