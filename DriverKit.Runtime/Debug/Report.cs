namespace DriverKit.Runtime;

/// <summary>Who would see a report: the real kernel, or only the simulator's shadow state.</summary>
public enum ReportKind
{
    /// <summary>The real kernel of the configured era prints this (with this text).</summary>
    Kernel,

    /// <summary>The real kernel is silent; the simulator's checker found it (text starts with "DKSIM").</summary>
    Simulator,
}

/// <summary>
/// One finding of the debug-VM checker or one kernel diagnostic. Kernel reports are one per message, as the kernel prints
/// them; a simulator report stands for every page of one object (a block freed while mapped, a vma's zap, a driver's
/// buffer) that broke the same invariant the same way: <see cref="Pages"/> lists them.
/// </summary>
public sealed class Report
{
    private List<Pfn>? pages;
    internal Report(ReportKind kind, string invariant, string text, Era era)
    {
        Kind = kind;
        Invariant = invariant;
        Text = text;
        Era = era;
    }

    /// <summary>Kernel-visible or simulator-only.</summary>
    public ReportKind Kind { get; }

    /// <summary>The invariant of docs/kernel-semantics.md §5 (e.g. "INV-05"), or "OOPS" for a driver's oops.</summary>
    public string Invariant { get; }

    /// <summary>The report text: the era's kernel text for kernel reports, "DKSIM …" for simulator reports.</summary>
    public string Text { get; }

    /// <summary>The era the machine simulates.</summary>
    public Era Era { get; }

    /// <summary>A short reason ("PAGE_FLAGS_CHECK_AT_FREE flag(s) set", "nonzero mapcount", …).</summary>
    public string? Reason { get; internal init; }

    /// <summary>The page frame concerned, if any.</summary>
    public Pfn? Pfn { get; internal init; }

    /// <summary>The vma concerned (start-end flags pgoff driver), if any.</summary>
    public string? Vma { get; internal init; }

    /// <summary>The process in whose context it happened (comm and pid).</summary>
    public string? Process { get; internal init; }

    /// <summary>The driver call site that set it up (e.g. "Open (Scullp.cs:42)").</summary>
    public string? CallSite { get; internal init; }

    /// <summary>The DriverKit analyzer rule that flags the code behind it (DKMM0nn = DK00nn).</summary>
    public string? RuleId { get; internal init; }

    /// <summary>The page's reference ledger at the time of the report: who holds its references.</summary>
    public string? Ledger { get; internal init; }

    /// <summary>The pages this report covers, <see cref="Pfn"/> first; empty when the report is not about pages.</summary>
    public IReadOnlyList<Pfn> Pages => pages ?? (Pfn is { } pfn ? [pfn] : []);

    /// <summary>How many times the checker found this (once per page and per repetition).</summary>
    public int Occurrences { get; private set; } = 1;

    /// <summary>Where the invariant is explained: docs/kernel-semantics.md in the repository, at the invariant's anchor.</summary>
    public string HelpLink => ReportLinks.ForInvariant(Invariant);

    /// <summary>The page of <see cref="RuleId"/> in docs/rules/, when the report names a rule.</summary>
    public string? RuleHelpLink => RuleId is null ? null : ReportLinks.ForRule(RuleId);

    /// <summary>What makes two simulator reports the same finding: invariant, text with pfns and addresses masked, vma, process, site, rule.</summary>
    internal string MergeKey => string.Join("\u0001", Invariant, ReportLinks.MaskNumbers(Text), Vma, Process, CallSite, RuleId);

    /// <summary>Sets the pages of a report about several at once (a leak).</summary>
    internal void Cover(IEnumerable<int> pfns) => pages = pfns.Select(p => new Pfn((ulong)p)).ToList();

    /// <summary>Counts <paramref name="again"/>, a repetition of this finding, and the page it names.</summary>
    internal void Absorb(Report again)
    {
        Occurrences++;
        if (again.Pfn is not { } pfn || Pfn is not { } first)
        {
            return;
        }

        pages ??= [first];
        if (!pages.Contains(pfn))
        {
            pages.Add(pfn);
        }
    }

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
        Field("pages", Pages.Count > 1 ? $"{Pages.Count} (pfn {string.Join(" ", Pages.Take(8))}{(Pages.Count > 8 ? " …" : string.Empty)})" : null);
        Field("seen", Occurrences > 1 ? $"{Occurrences} times" : null);
        Field("vma", Vma);
        Field("process", Process);
        Field("call site", CallSite);
        Field("rule", RuleId);
        Field("ledger", Ledger);
        Field("help", HelpLink);
        Field("rule help", RuleHelpLink);
        return sb.ToString();
    }

    /// <summary>The report text.</summary>
    public override string ToString() => Text;
}
