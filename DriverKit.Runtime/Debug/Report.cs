namespace DriverKit.Runtime;

/// <summary>Who would see a report: the real kernel, or only the simulator's shadow state.</summary>
public enum ReportKind
{
    /// <summary>The real kernel of the configured era prints this (with this text).</summary>
    Kernel,

    /// <summary>The real kernel is silent; the simulator's checker found it (text starts with "DKSIM").</summary>
    Simulator,
}

/// <summary>One finding of the debug-VM checker or one kernel diagnostic.</summary>
public sealed class Report
{
    internal Report(ReportKind kind, string invariant, string text, Era era)
    {
        Kind = kind;
        Invariant = invariant;
        Text = text;
        Era = era;
    }

    /// <summary>Kernel-visible or simulator-only.</summary>
    public ReportKind Kind { get; }

    /// <summary>The invariant of docs/kernel-semantics.md §5 (e.g. "INV-05"), or "OOPS" for a kernel BUG.</summary>
    public string Invariant { get; }

    /// <summary>The report text: the era's kernel text for kernel reports, "DKSIM …" for simulator reports.</summary>
    public string Text { get; }

    /// <summary>The era the machine simulates.</summary>
    public Era Era { get; }

    /// <summary>A short reason ("PAGE_FLAGS_CHECK_AT_FREE flag(s) set", "nonzero mapcount", …).</summary>
    public string? Reason { get; init; }

    /// <summary>The page frame concerned, if any.</summary>
    public Pfn? Pfn { get; init; }

    /// <summary>The vma concerned (start-end flags pgoff driver), if any.</summary>
    public string? Vma { get; init; }

    /// <summary>The process in whose context it happened (comm and pid).</summary>
    public string? Process { get; init; }

    /// <summary>The driver call site that set it up (e.g. "Open (Scullp.cs:42)").</summary>
    public string? CallSite { get; init; }

    /// <summary>The DriverKit analyzer rule that flags the code behind it (DKMM0nn = DK00nn).</summary>
    public string? RuleId { get; init; }

    /// <summary>The page's reference ledger at the time of the report: who holds its references.</summary>
    public string? Ledger { get; init; }

    /// <summary>All of the report on several lines: text, then the structured fields.</summary>
    public string Describe()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(Text);
        void Field(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                sb.Append('\n').Append("  ").Append(name).Append(": ").Append(value);
            }
        }

        Field("invariant", Invariant);
        Field("reason", Reason);
        Field("pfn", Pfn?.ToString());
        Field("vma", Vma);
        Field("process", Process);
        Field("call site", CallSite);
        Field("rule", RuleId);
        Field("ledger", Ledger);
        return sb.ToString();
    }

    /// <summary>The report text.</summary>
    public override string ToString() => Text;
}
