using System.Text.Json.Serialization;
using DriverKit.Runtime;

namespace DriverKit.Scenarios;

/// <summary>The result of one step: a value, an errno, a signal, or a kernel oops.</summary>
/// <param name="Text">"0", "-EACCES", "SIGBUS/BUS_ADRERR at …", "oops: …".</param>
/// <param name="Errno">The errno name ("EACCES"), when the call failed.</param>
/// <param name="Signal">The signal delivered ("SIGBUS"), when there was one.</param>
/// <param name="Oops">The first line of the kernel BUG the step hit, when it hit one.</param>
public sealed record Outcome(string Text, string? Errno = null, string? Signal = null, string? Oops = null)
{
    /// <summary>A step that completed without a result worth showing.</summary>
    public static readonly Outcome Done = new("ok");

    /// <summary>The simulator refused the operation (a DKSIM report): the real kernel would corrupt memory silently.</summary>
    [JsonIgnore]
    public bool Refused { get; init; }

    /// <summary>The outcome of a system call returning an integer.</summary>
    /// <param name="r">The result.</param>
    public static Outcome Of(SysResult r)
        => r.Oops is { } oops ? OfOops(oops) : new(r.ToString(), r.Errno == 0 ? null : Runtime.Errno.Name(r.Errno));

    /// <summary>The outcome of a system call returning a value; <paramref name="show"/> formats it.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="r">The result.</param>
    /// <param name="show">How to show the value on success.</param>
    public static Outcome Of<T>(SysResult<T> r, Func<T, string> show)
        => r.Oops is { } oops ? OfOops(oops) : r.IsOk ? new(show(r.Value!)) : new(r.ToString(), Runtime.Errno.Name(r.Errno));

    /// <summary>The outcome of a user memory access.</summary>
    /// <param name="r">The access result.</param>
    public static Outcome Of(AccessResult r)
    {
        if (r.IsOk)
        {
            return Done;
        }

        var oops = r.Oops is null ? null : FirstLine(r.Oops.Text);
        var text = oops is null ? r.ToString() : $"{r.Signal} (oops: {oops})";
        return new(text, Signal: r.Signal.ToString(), Oops: oops);
    }

    /// <summary>A kernel BUG hit by a direct driver call (no process context to kill).</summary>
    /// <param name="e">The exception the simulator raised.</param>
    public static Outcome Of(KernelBugException e) => OfOops(e.Report);

    /// <summary>A kernel BUG ("oops: …"), or an operation the simulator refused because the real kernel would corrupt memory silently ("refused: DKSIM …").</summary>
    private static Outcome OfOops(Report oops)
    {
        var line = FirstLine(oops.Text);
        var refused = oops.Kind != ReportKind.Kernel;
        return new((refused ? "refused: " : "oops: ") + line, Oops: line) { Refused = refused };
    }

    private static string FirstLine(string text) => text.Split('\n')[0];
}
