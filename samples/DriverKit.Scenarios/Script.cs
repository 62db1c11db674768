using DriverKit.Runtime;

namespace DriverKit.Scenarios;

/// <summary>
/// Plays one scenario run against a fresh machine and records it: each step's outcome, the counts of the driver's
/// pages, the free pool, the reports and kernel log lines the step produced, and the observations the scenario adds.
/// </summary>
public sealed class Script
{
    private readonly List<StepRecord> steps = new();
    private readonly List<Page> watched = new();
    private readonly Dictionary<string, object> observed = new();
    private readonly List<string> notes = new();
    private readonly List<MachineSnapshot> snapshots = new();
    private readonly Dictionary<int, string> roles = new();
    private readonly List<string> signals = new();
    private readonly Dictionary<Report, int> occurrencesSeen = new();
    private int dmesgSeen;

    internal Script(Kernel kernel)
    {
        Kernel = kernel;
        PoolBefore = kernel.FreePageCount;
        foreach (var r in kernel.Reports)
        {
            occurrencesSeen[r] = r.Occurrences;
        }

        dmesgSeen = kernel.Dmesg.Count;
    }

    /// <summary>The machine.</summary>
    public Kernel Kernel { get; }

    /// <summary>Free frames before the driver loaded.</summary>
    internal long PoolBefore { get; }

    internal IReadOnlyList<StepRecord> Steps => steps;

    internal IReadOnlyList<string> Notes => notes;

    internal IReadOnlyList<MachineSnapshot> Snapshots => snapshots;

    internal IReadOnlyList<string> Signals => signals;

    /// <summary>Starts a user process playing <paramref name="role"/> ("U", "V").</summary>
    /// <param name="role">Its role in the scenario.</param>
    /// <param name="comm">Its command name (kernel reports print it).</param>
    public Process Spawn(string role, string comm)
    {
        var p = Kernel.Spawn(comm);
        roles[p.Pid] = role;
        return p;
    }

    /// <summary>Records a fork of <paramref name="parent"/> and returns the child, or null when fork failed.</summary>
    /// <param name="parent">The forking process.</param>
    /// <param name="role">The child's role ("C").</param>
    /// <param name="action">What the step shows.</param>
    public Process? Fork(Process parent, string role, string action)
    {
        var r = parent.Fork();
        if (r.IsOk)
        {
            roles[r.Value!.Pid] = role;
        }

        Step("fork", RoleOf(parent), action, Outcome.Of(r, c => $"child pid {c.Pid}"));
        return r.IsOk ? r.Value : null;
    }

    /// <summary>Records <paramref name="p"/> opening a device; returns the fd, or null when open failed.</summary>
    /// <param name="p">The process.</param>
    /// <param name="path">The device node.</param>
    /// <param name="action">What the step shows (what the driver's open does).</param>
    /// <param name="pages">The driver's pages once open returned, to watch from this step on.</param>
    public int? Open(Process p, string path, string action, Func<IEnumerable<Page>>? pages = null)
    {
        var r = p.Open(path);
        if (pages is not null)
        {
            Watch(pages());
        }

        Step("open", RoleOf(p), action, r.IsOk ? new Outcome($"fd {r.Value}") : Outcome.Of(r));
        return r.IsOk ? (int)r.Value : null;
    }

    /// <summary>Adds the driver's pages whose refcount and mapcount every later step records.</summary>
    /// <param name="pages">The pages (kept even after the driver frees them).</param>
    public void Watch(IEnumerable<Page> pages)
    {
        foreach (var page in pages)
        {
            if (!watched.Contains(page))
            {
                watched.Add(page);
            }
        }
    }

    /// <summary>Adds an observation to the next recorded step.</summary>
    /// <param name="name">Its name ("VmLck kB").</param>
    /// <param name="value">A number or a string.</param>
    public void Observe(string name, object value) => observed[name] = value;

    /// <summary>Adds a sentence saying what the run shows.</summary>
    /// <param name="text">The sentence.</param>
    public void Note(string text) => notes.Add(text);

    /// <summary>Records a step with the machine state right after it.</summary>
    /// <param name="key">Stable key of the step.</param>
    /// <param name="actor">"U", "C", "V", "driver" or "kernel".</param>
    /// <param name="action">What was done.</param>
    /// <param name="outcome">What it returned.</param>
    public void Step(string key, string actor, string action, Outcome outcome)
    {
        var newReports = FoundSinceLastStep().Select(ToRecord).ToArray();
        var reportLines = newReports.Where(r => r.Kind == nameof(ReportKind.Kernel)).SelectMany(r => r.Text.Split('\n')).ToHashSet();
        var log = Kernel.Dmesg.Skip(dmesgSeen).Where(l => !reportLines.Contains(l)).ToArray();
        dmesgSeen = Kernel.Dmesg.Count;
        if (outcome.Signal is { } signal)
        {
            signals.Add($"{signal} to {actor} at step {steps.Count + 1}");
        }

        var pages = watched.Select(p => new PageCounts(p.Pfn.Value, Kernel.PageCount(p), Kernel.PageMapcount(p))).ToArray();
        steps.Add(new StepRecord(steps.Count + 1, key, actor, action, outcome, pages, Kernel.FreePageCount, new Dictionary<string, object>(observed), newReports, log));
        observed.Clear();
    }

    /// <summary>Takes a picture of physical frames and every live process's vmas.</summary>
    /// <param name="label">When ("mapped", "after fork").</param>
    public void Snapshot(string label) => snapshots.Add(Camera.Take(label, []));

    /// <summary>The role of a process in this run.</summary>
    /// <param name="p">The process.</param>
    public string RoleOf(Process p) => roles.TryGetValue(p.Pid, out var role) ? role : p.Comm;

    /// <summary>Ends the run: every process exits (leak accounting), the leaked frames are counted, a last picture is taken.</summary>
    /// <param name="notInEra">Why the driver did not compile, or null.</param>
    internal IReadOnlyList<ulong> Finish(string? notInEra)
    {
        if (notInEra is not null)
        {
            Step("not-in-era", "driver", "does not compile in this era: " + notInEra, new Outcome("does not compile"));
        }

        Kernel.Shutdown();
        Step("shutdown", "kernel", "every process exits; leak accounting", Outcome.Done);
        var leaked = Camera.Leaked();
        snapshots.Add(Camera.Take("end", leaked));
        return leaked;
    }

    private MachineCamera Camera => new(Kernel, watched.Select(p => p.Pfn.Value).ToHashSet(), RoleOf);

    /// <summary>Reports new since the last step, and earlier ones that found more pages or repeated since.</summary>
    private List<Report> FoundSinceLastStep()
    {
        var found = new List<Report>();
        foreach (var r in Kernel.Reports)
        {
            if (!occurrencesSeen.TryGetValue(r, out var seen) || seen != r.Occurrences)
            {
                found.Add(r);
                occurrencesSeen[r] = r.Occurrences;
            }
        }

        return found;
    }

    private static ReportRecord ToRecord(Report r)
        => new(r.Kind.ToString(), r.Invariant, r.Reason, r.RuleId, r.Pfn?.Value, r.Text, r.CallSite)
        {
            Pages = r.Pages.Select(p => p.Value).ToArray(),
            Process = r.Process,
            Ledger = r.Ledger,
            Help = r.HelpLink,
        };
}
