using StackTrace = System.Diagnostics.StackTrace;
using System.Reflection;
using System.Runtime.ExceptionServices;
using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>The classes of bad input of issue 21.</summary>
public enum BadInput
{
    /// <summary>null, default(T), NULL pages and addresses.</summary>
    Null,

    /// <summary>Addresses, offsets and sizes off a page boundary.</summary>
    Unaligned,

    /// <summary>Zero lengths, sizes and counts.</summary>
    Zero,

    /// <summary>Lengths, sizes, counts and delays far beyond the machine.</summary>
    Huge,

    /// <summary>Values whose sum or page-rounding wraps around 2^64 (or 2^31).</summary>
    Wrapping,

    /// <summary>Pfns, fds, orders, flag bits and enum values outside their range.</summary>
    OutOfRange,

    /// <summary>Objects used after they were freed, unmapped or unregistered.</summary>
    Freed,

    /// <summary>Second frees, puts, unlocks and unpins.</summary>
    DoubleFree,

    /// <summary>Closed file descriptors.</summary>
    Closed,

    /// <summary>Calls on (or about) an exited process.</summary>
    Exited,

    /// <summary>Flags, hooks and functions the configured era does not have.</summary>
    EraMissing,

    /// <summary>Objects of another simulated machine.</summary>
    Foreign,

    /// <summary>Driver callbacks that call back into the kernel.</summary>
    Reentrant,

    /// <summary>Driver callbacks that throw.</summary>
    Throwing,
}

/// <summary>
/// One bad-input case, run in every era: <see cref="Arrange"/> prepares state (replayed in the reference machine of
/// an oops), <see cref="Hook"/> configures the driver's misbehaviour, <see cref="Call"/> makes the bad call.
/// </summary>
/// <param name="Api">The API under test ("Process.Mmap", "Kernel.FreePages(Page)").</param>
/// <param name="Input">The class of bad input.</param>
/// <param name="Variant">What exactly is bad.</param>
/// <param name="Call">The call; its return value is classified.</param>
internal sealed record BadCase(string Api, BadInput Input, string Variant, Func<RobustFixture, object?> Call)
{
    /// <summary>State preparation before the "before" snapshot (a first free before a double free …).</summary>
    public Action<RobustFixture>? Arrange { get; init; }

    /// <summary>Driver hooks set after the snapshot; cleared for the reference machine.</summary>
    public Action<RobustFixture>? Hook { get; init; }

    /// <summary>The task an oops outcome kills (the caller of a system call); null for kernel functions.</summary>
    public Func<RobustFixture, Process?> Victim { get; init; } = f => f.P;

    /// <summary>
    /// Why an error outcome may change state here (the real kernel does too), with the kernel source that says so;
    /// null for the default: an error leaves the machine as it was.
    /// </summary>
    public string? KernelChangesStateToo { get; init; }

    /// <summary>
    /// With <see cref="KernelChangesStateToo"/>: the only differences it excuses (null: all). Anything else an error
    /// changed is still reported.
    /// </summary>
    public Func<string, bool>? AllowedChange { get; init; }

    /// <summary>
    /// The catalog rule when the case is a driver bug the kernel cannot refuse (the checker's subject, not a robustness
    /// failure): the chaos test does not borrow it, since its INV-02 finding would be the harness's own.
    /// </summary>
    public string? DriverBug { get; init; }

    /// <summary>The input is invalid beyond doubt and must be refused (an error or a defined exception), not accepted.</summary>
    public bool MustRefuse { get; init; }

    /// <summary>"Api [Input] Variant".</summary>
    public override string ToString() => $"{Api} [{Input}] {Variant}";
}

/// <summary>What went wrong in a case.</summary>
public enum Problem
{
    /// <summary>An exception of an undocumented type, or thrown by code other than the runtime's (BCL internals, driver code that escaped).</summary>
    Undefined,

    /// <summary>The call did not return within the watchdog's time.</summary>
    Hang,

    /// <summary>A defined error whose machine state differs from before the call.</summary>
    StateChangedOnError,

    /// <summary>An oops outcome whose machine differs from one where the killed task simply exited.</summary>
    OopsStateDiffers,

    /// <summary>The checker's full scan threw afterwards.</summary>
    CheckerCrash,

    /// <summary>A structural inconsistency afterwards (PTE outside any vma, vma accounting, a dead task holding state, negative counts).</summary>
    Inconsistent,

    /// <summary>An input that must be refused was accepted.</summary>
    AcceptedInvalid,
}

/// <summary>The outcome of one case in one era.</summary>
/// <param name="Case">The case.</param>
/// <param name="Version">The kernel version.</param>
/// <param name="Outcome">"ok", "-EINVAL", "SIGSEGV/…", "oops: …", "KernelBugException: …", "NullReferenceException at …".</param>
/// <param name="Problems">What is wrong, with details; empty for a robust outcome.</param>
internal sealed record CaseResult(BadCase Case, string Version, string Outcome, IReadOnlyList<(Problem Problem, string Detail)> Problems)
{
    public bool Failed => Problems.Count > 0;

    public override string ToString() =>
        $"{Case} @{Version}: {Outcome}" + string.Concat(Problems.Select(p => $"\n      {p.Problem}: {p.Detail}"));
}

/// <summary>Runs cases against fresh fixtures under a watchdog and classifies the outcomes (issue 21).</summary>
internal static class CaseRunner
{
    /// <summary>The eras every case runs in.</summary>
    public static readonly string[] Versions = ["2.6.14", "2.6.15-rc1", "2.6.20", "3.7", "6.1", "7.0"];

    /// <summary>How long one case (fixture, call, snapshots, checks) may take before it counts as hung.</summary>
    public static TimeSpan Watchdog { get; set; } = TimeSpan.FromSeconds(5);

    private static readonly Assembly RuntimeAssembly = typeof(Kernel).Assembly;

    internal enum Kind
    {
        Success,
        Error,
        Refused,
        Oops,
        Undefined,
    }

    /// <summary>Runs <paramref name="c"/> in <paramref name="version"/>.</summary>
    public static CaseResult Run(BadCase c, string version)
    {
        CaseResult? result = null;
        RobustFixture? fixture = null;
        var phase = "building the fixture";
        var hungIn = phase;
        var finished = Guard(() =>
        {
            fixture = new RobustFixture(version);
            result = RunOn(fixture, c, version, p => phase = p);
        }, () =>
        {
            hungIn = phase;
            fixture?.Poison();
        });
        return finished
            ? result!
            : new CaseResult(c, version, "hang", [(Problem.Hang, $"no return within {Watchdog.TotalSeconds:0} s while {hungIn}")]);
    }

    private static CaseResult RunOn(RobustFixture f, BadCase c, string version, Action<string> phase)
    {
        var problems = new List<(Problem, string)>();
        phase("arranging");
        c.Arrange?.Invoke(f);
        var before = f.Snapshot();
        c.Hook?.Invoke(f);
        phase("making the call");
        var (kind, outcome) = Classify(() => c.Call(f));
        f.Driver.ClearHooks();
        phase("checking the machine after the call");
        MachineState after;
        try
        {
            after = f.Snapshot();
        }
        catch (Exception e)
        {
            return new CaseResult(c, version, outcome, [(Problem.Inconsistent, "the machine cannot be read after the call: " + Describe(e))]);
        }

        if (kind == Kind.Undefined)
        {
            problems.Add((Problem.Undefined, outcome));
        }

        if (kind is Kind.Error or Kind.Refused)
        {
            var diff = before.Diff(after).Where(d => c.KernelChangesStateToo is null || (c.AllowedChange is { } allowed && !allowed(d))).ToList();
            if (diff.Count > 0)
            {
                problems.Add((Problem.StateChangedOnError, MachineState.Describe(diff)));
            }
        }

        if (kind == Kind.Oops)
        {
            // The crashed driver's own bookkeeping is its business (the real kernel skips the rest of a crashed callback too).
            phase("building the reference machine of the oops");
            var diff = OopsReference(c, version).Diff(after)
                .Where(d => !d.StartsWith("driver ", StringComparison.Ordinal) && (c.KernelChangesStateToo is null || c.AllowedChange is not { } allowed || !allowed(d)))
                .ToList();
            if (diff.Count > 0)
            {
                problems.Add((Problem.OopsStateDiffers, "vs. the task exiting instead: " + MachineState.Describe(diff)));
            }
        }

        if (kind == Kind.Success && c.MustRefuse)
        {
            problems.Add((Problem.AcceptedInvalid, $"returned {outcome}"));
        }

        phase("running the checker");
        try
        {
            f.K.Checker.CheckAll();
        }
        catch (Exception e)
        {
            problems.Add((Problem.CheckerCrash, Describe(e)));
        }

        var broken = Structure.Check(f.K);
        if (broken.Count > 0)
        {
            problems.Add((Problem.Inconsistent, string.Join("; ", broken.Take(4)) + (broken.Count > 4 ? $"; … ({broken.Count})" : string.Empty)));
        }

        return new CaseResult(c, version, outcome, problems);
    }

    /// <summary>The machine an oops should leave: the same fixture and arrangement, and the killed task exits instead of calling.</summary>
    private static MachineState OopsReference(BadCase c, string version)
    {
        var g = new RobustFixture(version);
        c.Arrange?.Invoke(g);
        if (c.Victim(g) is { State: ProcessState.Running } victim)
        {
            victim.Exit(139);
        }

        return g.Snapshot();
    }

    /// <summary>Makes the call and sorts its outcome into success, error, refusal (a defined exception), oops or undefined.</summary>
    internal static (Kind Kind, string Outcome) Classify(Func<object?> call)
    {
        object? value;
        try
        {
            value = call();
        }
        catch (Exception e)
        {
            return (IsDefined(e) ? Kind.Refused : Kind.Undefined, Describe(e));
        }

        switch (value)
        {
            case null:
                return (Kind.Success, "ok");
            case SysResult r:
                return (r.Oops is not null ? Kind.Oops : r.Value < 0 ? Kind.Error : Kind.Success, r.ToString());
            case AccessResult a:
                // SIGKILL (an oops, or the OOM killer) ends the task: judged like an oops, against a plain exit.
                return (a.Oops is not null || a.Signal == Signal.SIGKILL ? Kind.Oops : a.IsOk ? Kind.Success : Kind.Error, a.Oops is not null ? "oops: " + a.Oops.Text.Split('\n')[0] : a.ToString());
            case VmFaultResult v:
                return ((v & (VmFaultResult.Oom | VmFaultResult.Sigbus | VmFaultResult.Sigsegv | VmFaultResult.HwPoison)) != 0 ? Kind.Error : Kind.Success, "VM_FAULT " + v);
            case int i:
                return (i < 0 ? Kind.Error : Kind.Success, i < 0 ? "-" + Errno.Name(-i) : i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            case long l:
                return (l < 0 ? Kind.Error : Kind.Success, l < 0 ? "-" + Errno.Name((int)-l) : l.ToString(System.Globalization.CultureInfo.InvariantCulture));
            case Page p:
                return (p.IsNull ? Kind.Error : Kind.Success, p.ToString());
            case KernelAddr a:
                return (a.IsNull ? Kind.Error : Kind.Success, a.ToString());
            case VmallocAddr a:
                return (a.IsNull ? Kind.Error : Kind.Success, a.ToString());
            case KvAddr a:
                return (a.Value == 0 ? Kind.Error : Kind.Success, a.ToString());
            case IoMem a:
                return (a.Value == 0 ? Kind.Error : Kind.Success, a.ToString());
        }

        var type = value.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(SysResult<>))
        {
            var oops = type.GetProperty(nameof(SysResult<int>.Oops))!.GetValue(value);
            var errno = (int)type.GetProperty(nameof(SysResult<int>.Errno))!.GetValue(value)!;
            return (oops is not null ? Kind.Oops : errno != 0 ? Kind.Error : Kind.Success, value.ToString() ?? "?");
        }

        return (Kind.Success, Shorten(value.ToString() ?? type.Name));
    }

    /// <summary>
    /// The exception types the runtime documents, when thrown by the runtime's own code. Only the runtime can construct a
    /// <see cref="KernelBugException"/> or an <see cref="EraMismatchException"/>; for the others the throwing frame decides,
    /// and since the JIT may inline a small runtime method (and its throw) into the caller, a throw attributed to this
    /// harness counts as the runtime's unless it is one of the harness drivers' own (their messages start "driver").
    /// </summary>
    internal static bool IsDefined(Exception e)
    {
        if (e is KernelBugException or EraMismatchException)
        {
            return true;
        }

        if (e is not (ArgumentException or InvalidOperationException or FormatException))
        {
            return false;
        }

        var thrower = ThrowingType(e)?.Assembly;
        return thrower == RuntimeAssembly || (thrower == typeof(CaseRunner).Assembly && !e.Message.StartsWith("driver", StringComparison.Ordinal));
    }

    /// <summary>
    /// The type whose code threw: the innermost frame, skipping the BCL's throw helpers on exception types
    /// (ArgumentNullException.ThrowIfNull and friends, which the runtime calls to throw its own documented errors).
    /// Internal BCL helpers (System.ThrowHelper for Dictionary's "key" argument) are not skipped.
    /// </summary>
    internal static Type? ThrowingType(Exception e)
    {
        foreach (var frame in new StackTrace(e, false).GetFrames())
        {
            var type = frame.GetMethod()?.DeclaringType;
            if (type is not null && typeof(Exception).IsAssignableFrom(type) && type.Assembly == typeof(object).Assembly)
            {
                continue;
            }

            return type;
        }

        return e.TargetSite?.DeclaringType;
    }

    /// <summary>"Type at Runtime.Frame (thrown in Frame): message".</summary>
    internal static string Describe(Exception e)
    {
        var top = TopRuntimeFrame(e);
        var thrower = ThrowingType(e);
        var where = top is null ? "outside the runtime" : $"at {top}";
        var by = thrower is null || thrower.Assembly == RuntimeAssembly ? string.Empty : $" (thrown by {Name(thrower)})";
        return $"{e.GetType().Name} {where}{by}: {Shorten(e.Message)}";
    }

    /// <summary>The innermost runtime method on the stack ("Kernel.Memset"), compiler-generated closures named by their declaring type.</summary>
    internal static string? TopRuntimeFrame(Exception e)
    {
        foreach (var frame in new StackTrace(e, false).GetFrames())
        {
            if (frame.GetMethod() is { DeclaringType: { } type } method && type.Assembly == RuntimeAssembly)
            {
                return $"{Name(type)}.{Clean(method.Name)}";
            }
        }

        return null;
    }

    private static string Name(Type t)
    {
        while (t.DeclaringType is not null && t.Name.Contains('<'))
        {
            t = t.DeclaringType;
        }

        return t.DeclaringType is null ? t.Name : $"{Name(t.DeclaringType)}.{t.Name}";
    }

    private static string Clean(string method)
    {
        var open = method.IndexOf('<');
        var close = method.IndexOf('>');
        return open >= 0 && close > open ? method[(open + 1)..close] : method;
    }

    private static string Shorten(string s)
    {
        s = s.Split('\n')[0];
        return s.Length > 160 ? s[..160] + "…" : s;
    }

    /// <summary>Runs <paramref name="body"/> on its own thread; false when it did not finish within <see cref="Watchdog"/>.</summary>
    /// <remarks>
    /// .NET cannot abort a thread: a hung case keeps its (background) thread until the test process ends.
    /// <paramref name="poison"/> gets one chance to break the loop (it empties the DMA queue a RunUntilIdle spins on).
    /// </remarks>
    internal static bool Guard(Action body, Action poison)
    {
        ExceptionDispatchInfo? crash = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                crash = ExceptionDispatchInfo.Capture(e);
            }
        }, 16 << 20)
        {
            IsBackground = true,
            Name = "robustness case",
        };
        thread.Start();
        if (thread.Join(Watchdog))
        {
            crash?.Throw(); // a harness failure (the fixture, a snapshot): not a finding about the call
            return true;
        }

        try
        {
            poison();
        }
        catch (Exception)
        {
            // best effort: the machine is in an unknown state
        }

        thread.Priority = ThreadPriority.Lowest;
        return false;
    }
}
