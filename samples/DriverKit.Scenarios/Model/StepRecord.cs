namespace DriverKit.Scenarios;

/// <summary>One step of a scenario and the machine state right after it.</summary>
/// <param name="N">Step number, from 1.</param>
/// <param name="Key">Stable key of the step ("touch", "munmap", "close"), the same in every era.</param>
/// <param name="Actor">Who acted: "U" (the user process), "C" (its child), "V" (another process), "driver", "kernel".</param>
/// <param name="Action">What was done, and what the driver did in response.</param>
/// <param name="Outcome">Return value, errno, signal or oops.</param>
/// <param name="Pages">Refcount and mapcount of each of the driver's pages.</param>
/// <param name="FreePages">Free frames in the allocator.</param>
/// <param name="Observed">Other observables of this step (VmLck, bytes read, RSS …).</param>
/// <param name="Reports">Reports raised during the step.</param>
/// <param name="Log">Kernel log lines printed during the step that are not part of a report.</param>
public sealed record StepRecord(
    int N,
    string Key,
    string Actor,
    string Action,
    Outcome Outcome,
    IReadOnlyList<PageCounts> Pages,
    long FreePages,
    IReadOnlyDictionary<string, object> Observed,
    IReadOnlyList<ReportRecord> Reports,
    IReadOnlyList<string> Log);

/// <summary>page_count and page_mapcount of one frame.</summary>
/// <param name="Pfn">The frame.</param>
/// <param name="Rc">page_count (refcount).</param>
/// <param name="Mc">Number of PTE mappings accounted in _mapcount (kernel _mapcount + 1).</param>
public readonly record struct PageCounts(ulong Pfn, int Rc, int Mc);

/// <summary>A report of the kernel (its own text) or of the simulator's checker (DKSIM).</summary>
/// <param name="Kind">"Kernel" or "Simulator".</param>
/// <param name="Invariant">Checker invariant ("INV-05") or "OOPS".</param>
/// <param name="Reason">Short reason, when there is one.</param>
/// <param name="Rule">The DK rule that flags the code behind it.</param>
/// <param name="Pfn">The frame concerned.</param>
/// <param name="Text">The report text (the era's kernel text for kernel reports).</param>
/// <param name="CallSite">The driver call site that set it up.</param>
public sealed record ReportRecord(string Kind, string Invariant, string? Reason, string? Rule, ulong? Pfn, string Text, string? CallSite)
{
    /// <summary>Every page the report covers (the first is <see cref="Pfn"/>).</summary>
    public IReadOnlyList<ulong> Pages { get; init; } = [];

    /// <summary>The process in whose context it happened, when known.</summary>
    public string? Process { get; init; }

    /// <summary>The reference ledger of the first pages, when the report has one.</summary>
    public string? Ledger { get; init; }

    /// <summary>Where the invariant is explained (docs/kernel-semantics.md, at its anchor).</summary>
    public string Help { get; init; } = string.Empty;
}
