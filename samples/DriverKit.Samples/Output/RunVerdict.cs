using System.Globalization;
using DriverKit.Scenarios;

namespace DriverKit.Samples.Output;

/// <summary>How bad a run's outcome is, from clean to not compiling; a run is classed by its worst finding.</summary>
public enum VerdictClass
{
    /// <summary>Nothing leaked, crashed, was freed while mapped or was reported.</summary>
    Clean,

    /// <summary>The kernel or the checker reported something, or the simulator refused an operation.</summary>
    Reported,

    /// <summary>Frames nobody can free once every process exited.</summary>
    Leaking,

    /// <summary>A PTE still maps a frame that was freed.</summary>
    UseAfterFree,

    /// <summary>A kernel BUG, or a signal to a user process.</summary>
    Crashing,

    /// <summary>The driver variant does not exist in this kernel.</summary>
    NotCompiling,
}

/// <summary>One finding of a verdict: its words and how bad it is.</summary>
/// <param name="Text">"4 pages leaked", "SIGBUS".</param>
/// <param name="Class">Its class.</param>
public readonly record struct VerdictPart(string Text, VerdictClass Class);

/// <summary>What a run came to, worst finding first, derived from the run's recorded data only.</summary>
/// <param name="Parts">The findings, worst first; "clean" alone when there is none.</param>
public sealed record RunVerdict(IReadOnlyList<VerdictPart> Parts)
{
    /// <summary>The worst finding's class.</summary>
    public VerdictClass Class => Parts.Max(p => p.Class);

    /// <summary>The findings as one phrase ("4 pages leaked, 4 kernel reports (INV-05)").</summary>
    public string Text => string.Join(", ", Parts.Select(p => p.Text));

    /// <summary>
    /// The verdict of <paramref name="run"/>: does not compile; kernel BUG (a step oopsed); the signals user processes
    /// got; PTEs that still map freed frames in a snapshot; leaked frames; operations the simulator refused; kernel
    /// reports besides the BUG itself; DKSIM findings (strict mode).
    /// </summary>
    /// <param name="run">The run.</param>
    public static RunVerdict Of(ScenarioRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (!run.Compiles)
        {
            return new([new("does not compile here", VerdictClass.NotCompiling)]);
        }

        var parts = new List<VerdictPart>();
        var oopses = run.Steps.Where(s => s.Outcome.Oops is not null && !s.Outcome.Refused).Select(s => s.Outcome.Oops).ToHashSet();
        if (oopses.Count > 0)
        {
            parts.Add(new("BUG", VerdictClass.Crashing));
        }

        parts.AddRange(run.Steps.Select(s => s.Outcome.Signal).OfType<string>().Distinct().Select(s => new VerdictPart(s, VerdictClass.Crashing)));
        var stale = run.Snapshots
            .SelectMany(s => s.Processes)
            .SelectMany(p => p.Vmas.SelectMany(v => v.Mapped.Where(m => m.FreedWhileMapped).Select(m => (p.Pid, v.Start + (m.Index * Runtime.Kernel.PageSize)))))
            .Distinct()
            .Count();
        if (stale > 0)
        {
            parts.Add(new($"use-after-free ({Count(stale, "stale PTE")})", VerdictClass.UseAfterFree));
        }

        if (run.Totals.LeakedFrames.Count > 0)
        {
            parts.Add(new(Count(run.Totals.LeakedFrames.Count, "page") + " leaked", VerdictClass.Leaking));
        }

        if (run.Steps.Any(s => s.Outcome.Refused))
        {
            parts.Add(new("refused", VerdictClass.Reported));
        }

        var reports = run.Steps.SelectMany(s => s.Reports).Where(r => !oopses.Contains(r.Text.Split('\n')[0])).ToArray();
        Reports(parts, reports.Where(r => r.Kind == "Kernel").ToArray(), "kernel report");
        Reports(parts, reports.Where(r => r.Kind != "Kernel").ToArray(), "DKSIM finding");
        return new(parts.Count == 0 ? [new("clean", VerdictClass.Clean)] : parts);
    }

    private static void Reports(List<VerdictPart> parts, ReportRecord[] reports, string what)
    {
        if (reports.Length > 0)
        {
            var invariants = string.Join(", ", reports.Select(r => r.Invariant).Distinct().Order(StringComparer.Ordinal));
            parts.Add(new($"{Count(reports.Length, what)} ({invariants})", VerdictClass.Reported));
        }
    }

    private static string Count(int n, string what) => n.ToString(CultureInfo.InvariantCulture) + " " + what + (n == 1 ? string.Empty : "s");
}
