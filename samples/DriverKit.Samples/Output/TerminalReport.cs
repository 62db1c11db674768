using System.Globalization;
using DriverKit.Scenarios;

namespace DriverKit.Samples.Output;

/// <summary>
/// The --verbose output: per scenario and era, the verdict, a table of steps, the totals, the reports and the
/// kernel log; a legend and a summary at the end. Every line fits <see cref="ConsoleStyle.MaxWidth"/>, table cells
/// included (they wrap at word boundaries).
/// </summary>
public sealed class TerminalReport
{
    private readonly TerminalWriter writer;
    private string? scenario;
    private string? variant;

    /// <summary>Writes to <paramref name="output"/> in the given style.</summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="style">Escape codes, colour, box characters and width.</param>
    public TerminalReport(TextWriter output, ConsoleStyle style) => writer = new TerminalWriter(output, style);

    /// <summary>Writes one run, preceded by its scenario's and variant's headings when they change.</summary>
    /// <param name="s">The scenario.</param>
    /// <param name="run">The run.</param>
    public void Write(Scenario s, ScenarioRun run)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(run);
        if (s.Id != scenario)
        {
            writer.Line();
            Heading(s);
            scenario = s.Id;
            variant = null;
        }

        if (run.Variant != variant)
        {
            var rules = run.Rules.Count == 0 ? new Span("no DK rule fires: correct driver code", "green") : new Span($"flagged by {string.Join(", ", run.Rules)}", "yellow");
            writer.Paragraph(0, 2, new Span($"{run.Sample} · variant {run.Variant}", "bold"), new Span($": {run.VariantDescription} · "), rules);
            variant = run.Variant;
        }

        writer.Paragraph(2, 4, new Span[] { new($"Linux {run.Kernel}", "bold"), new($" (era {run.Era}){run.Machine.Suffix}: ") }.Concat(OverviewReport.Spans(RunVerdict.Of(run))));
        if (!run.Compiles)
        {
            writer.Paragraph(4, 2, new Span("does not compile in this era:", "red"), new Span(" " + run.NotInEra));
            writer.Line();
            return;
        }

        var table = StepTable(run, compact: false);
        if (!table.FitsWithoutCuttingWords(writer.Width))
        {
            table = StepTable(run, compact: true);
        }

        foreach (var line in table.Render(writer.Width, writer.Unicode))
        {
            writer.Line(line);
        }

        WriteTotals(run);
        WriteReports(run);
        foreach (var note in run.Notes)
        {
            writer.Paragraph(4, 2, new Span("→ ", "bold"), new Span(note));
        }

        writer.Line();
    }

    /// <summary>Writes the legend and the summary.</summary>
    /// <param name="runs">Every run played.</param>
    public void Finish(IReadOnlyList<ScenarioRun> runs)
    {
        OverviewReport.Legend(writer, verbose: true);
        OverviewReport.Summary(writer, runs);
    }

    /// <summary>"── S1 title ────" across the width, or the title wrapped when it is too long for a rule.</summary>
    private void Heading(Scenario s)
    {
        var rule = writer.Unicode ? '─' : '-';
        var text = $"{rule}{rule} {s.Id} {s.Title} ";
        if (text.Length + 2 > writer.Width)
        {
            writer.Paragraph(0, 3, new Span($"{rule}{rule} {s.Id}", "bold"), new Span($" {s.Title}"));
            return;
        }

        writer.Line($"[bold]{rule}{rule} {s.Id}[/] {Spectre.Console.Markup.Escape(s.Title)} {new string(rule, writer.Width - text.Length)}");
    }

    /// <summary>
    /// The steps as a table. <paramref name="compact"/>, for when the columns' longest words do not fit side by side:
    /// mc goes under rc in one column, and the step's reports under its result.
    /// </summary>
    private static TextTable StepTable(ScenarioRun run, bool compact)
    {
        var table = new TextTable();
        table.AddColumn("#", right: true, noWrap: true);
        table.AddColumn("who", noWrap: true);
        table.AddColumn("what");
        table.AddColumn("result");
        table.AddColumn(compact ? "rc/mc" : "rc", noWrap: true);
        if (!compact)
        {
            table.AddColumn("mc", noWrap: true);
        }

        table.AddColumn("pool Δ", right: true, noWrap: true);
        table.AddColumn("observed");
        if (!compact)
        {
            table.AddColumn("reports");
        }

        foreach (var step in run.Steps)
        {
            var rc = string.Join(' ', step.Pages.Select(p => p.Rc));
            var mc = string.Join(' ', step.Pages.Select(p => p.Mc));
            var result = new Span(ResultText(step), Result(step.Outcome));
            var reports = ReportSummary(step.Reports).ToArray();
            StyledText[] outcome = compact
                ? [new StyledText(reports.Length == 0 ? [result] : [result, new Span("\n"), .. reports])]
                : [new StyledText(result)];
            StyledText[] counts = compact ? [Plain(rc + "\n" + mc)] : [Plain(rc), Plain(mc)];
            table.AddRow([
                Plain(step.N.ToString(CultureInfo.InvariantCulture)),
                Plain(step.Actor),
                Plain(step.Action),
                .. outcome,
                .. counts,
                Plain(Signed(step.FreePages - run.Totals.PoolBefore)),
                Plain(string.Join(", ", step.Observed.Select(kv => $"{kv.Key}: {Show(kv.Value)}"))),
                .. compact ? Array.Empty<StyledText>() : [new StyledText(reports)]]);
        }

        return table;
    }

    private void WriteTotals(ScenarioRun run)
    {
        var t = run.Totals;
        var leaked = t.LeakedFrames.Count == 0
            ? new Span("no frame leaked", "green")
            : new Span($"{t.LeakedFrames.Count} frame(s) leaked (pfn {string.Join(' ', t.LeakedFrames.Select(Pfn))})", "red bold");
        var signals = t.Signals.Count == 0 ? new Span("no signal") : new Span(string.Join("; ", t.Signals), "red");
        var sim = run.Machine.Strict ? $" · {t.SimulatorReports} DKSIM finding(s)" : string.Empty;
        writer.Paragraph(4, 2, new($"free pool {t.PoolBefore} → {t.PoolAfter} ({Signed(t.PoolDelta)}) · "), leaked, new($" · {t.KernelReports} kernel report(s){sim} · "), signals);
    }

    private void WriteReports(ScenarioRun run)
    {
        var groups = run.Steps
            .SelectMany(step => step.Reports.Select(r => (step.N, Report: r)))
            .GroupBy(x => (x.Report.Kind, x.Report.Invariant, x.Report.Reason));
        foreach (var group in groups)
        {
            var (n, first) = group.First();
            var colour = first.Kind == "Kernel" ? "red" : "yellow";
            var rule = first.Rule is null ? string.Empty : $" → {first.Rule}";
            var site = first.CallSite is null ? string.Empty : $" (set up at {first.CallSite})";
            writer.Paragraph(4, 2, new Span($"{first.Kind.ToLowerInvariant()} report {first.Invariant}{rule}", colour), new Span($" at step {n}{site}:"));
            foreach (var line in first.Text.Split('\n'))
            {
                writer.Paragraph(6, 2, new Span(line, colour));
            }

            var more = group.Skip(1).ToArray();
            if (more.Length > 0)
            {
                var pfns = string.Join(' ', more.Where(x => x.Report.Pfn is not null).Select(x => Pfn(x.Report.Pfn!.Value)));
                writer.Paragraph(6, 2, new Span($"… and {more.Length} more like it{(pfns.Length == 0 ? string.Empty : " (pfn " + pfns + ")")}"));
            }
        }

        foreach (var step in run.Steps.Where(s => s.Log.Count > 0))
        {
            foreach (var line in step.Log)
            {
                writer.Paragraph(4, 2, new Span($"dmesg (step {step.N}):", "grey"), new Span(" " + line));
            }
        }
    }

    private static StyledText Plain(string text) => new(new Span(text));

    /// <summary>The step's result; an oops that a report below prints in full is only named.</summary>
    private static string ResultText(StepRecord step)
    {
        var o = step.Outcome;
        if (o.Oops is null || !step.Reports.Any(r => r.Text.Split('\n')[0] == o.Oops))
        {
            return o.Text;
        }

        return o.Signal is { } signal ? $"{signal} (oops, report below)" : "oops (report below)";
    }

    private static string Result(Outcome o) => o.Oops is not null || o.Signal is not null ? "red" : o.Errno is not null ? "yellow" : "green";

    private static IEnumerable<Span> ReportSummary(IReadOnlyList<ReportRecord> reports) => reports
        .GroupBy(r => (r.Kind, r.Invariant))
        .SelectMany((g, i) =>
        {
            var kernel = g.Key.Kind == "Kernel";
            var count = g.Count() > 1 ? " ×" + g.Count().ToString(CultureInfo.InvariantCulture) : string.Empty;
            var span = new Span($"{(kernel ? "kernel" : "DKSIM")} {g.Key.Invariant}{count}", kernel ? "red" : "yellow");
            return i == 0 ? [span] : new[] { new Span(", "), span };
        });

    private static string Show(object value) => value switch
    {
        bool b => b ? "yes" : "no",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string Signed(long delta) => delta switch
    {
        0 => "±0",
        > 0 => "+" + delta.ToString(CultureInfo.InvariantCulture),
        _ => delta.ToString(CultureInfo.InvariantCulture),
    };

    private static string Pfn(ulong pfn) => pfn.ToString("x5", CultureInfo.InvariantCulture);
}
