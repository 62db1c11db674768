namespace DriverKit.Runtime;

/// <summary>The outcome of a system call returning an integer: a value ≥ 0, a negative errno, or a kernel oops.</summary>
public readonly struct SysResult
{
    internal SysResult(long value, Report? oops = null)
    {
        Value = value;
        Oops = oops;
    }

    /// <summary>The return value; negative values are -errno.</summary>
    public long Value { get; }

    /// <summary>The kernel BUG the call hit (the calling process was killed), or null.</summary>
    public Report? Oops { get; }

    /// <summary>True when the call succeeded.</summary>
    public bool IsOk => Value >= 0 && Oops is null;

    /// <summary>The positive error number, or 0.</summary>
    public int Errno => Value < 0 ? (int)-Value : 0;

    internal static SysResult Error(int errno) => new(-errno);

    internal static SysResult FromOops(Report oops) => new(-Runtime.Errno.EFAULT, oops);

    /// <summary>"0", "-EINVAL" or "oops: …".</summary>
    public override string ToString() => Oops is not null ? "oops: " + Oops.Text.Split('\n')[0] : Value < 0 ? "-" + Runtime.Errno.Name(Errno) : Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The outcome of a system call returning a value of type <typeparamref name="T"/> (an address, a new process).</summary>
/// <typeparam name="T">The success value.</typeparam>
public readonly struct SysResult<T>
{
    internal SysResult(T? value, int errno, Report? oops)
    {
        Value = value;
        Errno = errno;
        Oops = oops;
    }

    /// <summary>The value on success.</summary>
    public T? Value { get; }

    /// <summary>The positive error number, or 0 on success.</summary>
    public int Errno { get; }

    /// <summary>The kernel BUG the call hit (the calling process was killed), or null.</summary>
    public Report? Oops { get; }

    /// <summary>True when the call succeeded.</summary>
    public bool IsOk => Errno == 0 && Oops is null;

    /// <summary>The value, or an exception naming the error.</summary>
    public T Unwrap() => IsOk ? Value! : throw new InvalidOperationException($"system call failed: {this}");

    internal static SysResult<T> Ok(T value) => new(value, 0, null);

    internal static SysResult<T> Error(int errno) => new(default, errno, null);

    internal static SysResult<T> FromOops(Report oops) => new(default, Runtime.Errno.EFAULT, oops);

    /// <summary>The value, "-EINVAL" or "oops: …".</summary>
    public override string ToString() => Oops is not null ? "oops: " + Oops.Text.Split('\n')[0] : Errno != 0 ? "-" + Runtime.Errno.Name(Errno) : Value?.ToString() ?? "null";
}

/// <summary>Signals the simulated MMU delivers.</summary>
public enum Signal
{
    /// <summary>No signal.</summary>
    None = 0,

    /// <summary>SIGBUS (7).</summary>
    SIGBUS = 7,

    /// <summary>SIGKILL (9): the OOM killer or a kernel oops in this task.</summary>
    SIGKILL = 9,

    /// <summary>SIGSEGV (11).</summary>
    SIGSEGV = 11,
}

/// <summary>si_code values of SIGSEGV and SIGBUS.</summary>
public static class SiCode
{
    /// <summary>SEGV_MAPERR: no vma at the address.</summary>
    public const int SEGV_MAPERR = 1;

    /// <summary>SEGV_ACCERR: the vma does not allow the access.</summary>
    public const int SEGV_ACCERR = 2;

    /// <summary>BUS_ADRALN.</summary>
    public const int BUS_ADRALN = 1;

    /// <summary>BUS_ADRERR: nonexistent physical address (fault handler returned VM_FAULT_SIGBUS).</summary>
    public const int BUS_ADRERR = 2;

    /// <summary>BUS_OBJERR.</summary>
    public const int BUS_OBJERR = 3;

    /// <summary>"SEGV_MAPERR", "BUS_ADRERR", … for a signal and code.</summary>
    /// <param name="signal">The signal.</param>
    /// <param name="code">The si_code.</param>
    public static string Name(Signal signal, int code) => (signal, code) switch
    {
        (Signal.SIGSEGV, SEGV_MAPERR) => "SEGV_MAPERR",
        (Signal.SIGSEGV, SEGV_ACCERR) => "SEGV_ACCERR",
        (Signal.SIGBUS, BUS_ADRALN) => "BUS_ADRALN",
        (Signal.SIGBUS, BUS_ADRERR) => "BUS_ADRERR",
        (Signal.SIGBUS, BUS_OBJERR) => "BUS_OBJERR",
        _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>The outcome of a user memory access through the MMU: completed, or the signal the fault delivered (struct kernel_siginfo).</summary>
/// <param name="Signal">si_signo: the signal delivered, or <see cref="Signal.None"/>.</param>
/// <param name="SiCode">si_code (<see cref="Runtime.SiCode"/>), or 0.</param>
/// <param name="Address">si_addr: the faulting address.</param>
/// <param name="Oops">The kernel BUG the access hit (the process was killed), or null.</param>
public readonly record struct AccessResult(Signal Signal, int SiCode, UserAddr Address, Report? Oops)
{
    /// <summary>The access completed.</summary>
    public static readonly AccessResult Ok = new(Signal.None, 0, default, null);

    /// <summary>True when the access completed without a signal.</summary>
    public bool IsOk => Signal == Signal.None;

    /// <summary>"ok", "SIGSEGV/SEGV_MAPERR at 7f…", "SIGBUS/BUS_ADRERR at …".</summary>
    public override string ToString() => IsOk ? "ok" : $"{Signal}/{Runtime.SiCode.Name(Signal, SiCode)} at {Address}";
}
