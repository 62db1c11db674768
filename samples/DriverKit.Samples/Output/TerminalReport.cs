using System.Globalization;
using DriverKit.Scenarios;
using Spectre.Console;

namespace DriverKit.Samples.Output;

/// <summary>The human-readable output: per scenario and era, a table of steps, the totals, the reports and the rules.</summary>
public sealed class TerminalReport
{
    private readonly IAnsiConsole console;
    private readonly bool unicode;
    private string? scenario;
    private string? variant;

    /// <summary>Writes to <paramref name="output"/> in the given style.</summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="style">Escape codes, colour, box characters and width.</param>
    public TerminalReport(TextWriter output, ConsoleStyle style)
    {
        ArgumentNullException.ThrowIfNull(style);
        console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = style.Ansi ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = style.Color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        if (style.Width is { } width)
        {
            console.Profile.Width = width;
        }

        console.Profile.Capabilities.Unicode = style.Unicode;
        unicode = style.Unicode;
    }

    /// <summary>Writes one run, preceded by its scenario's and variant's headings when they change.</summary>
    /// <param name="s">The scenario.</param>
    /// <param name="run">The run.</param>
    public void Write(Scenario s, ScenarioRun run)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(run);
        if (s.Id != scenario)
        {
            console.WriteLine();
            console.Write(new Rule($"[bold]{s.Id}[/] {Markup.Escape(s.Title)}") { Border = unicode ? BoxBorder.Square : BoxBorder.Ascii }.LeftJustified());
            scenario = s.Id;
            variant = null;
        }

        if (run.Variant != variant)
        {
            var rules = run.Rules.Count == 0 ? "[green]no DK rule fires: correct driver code[/]" : $"[yellow]flagged by {string.Join(", ", run.Rules)}[/]";
            console.MarkupLine($"[bold]{run.Sample} · variant {Markup.Escape(run.Variant)}[/]: {Markup.Escape(run.VariantDescription)} · {rules}");
            variant = run.Variant;
        }

        console.MarkupLine($"  [bold]Linux {Markup.Escape(run.Kernel)}[/] (era {run.Era}){Markup.Escape(run.Machine.Suffix)}");
        if (!run.Compiles)
        {
            console.MarkupLine($"    [red]does not compile in this era:[/] {Markup.Escape(run.NotInEra!)}");
            console.WriteLine();
            return;
        }

        console.Write(StepTable(run));
        WriteTotals(run);
        WriteReports(run);
        foreach (var note in run.Notes)
        {
            console.MarkupLine($"    [bold]→[/] {Markup.Escape(note)}");
        }

        console.WriteLine();
    }

    private Table StepTable(ScenarioRun run)
    {
        var table = new Table().Border(unicode ? TableBorder.Rounded : TableBorder.Ascii).BorderColor(Color.Grey);
        table.AddColumn(new TableColumn("#").RightAligned());
        table.AddColumn("who");
        table.AddColumn("what");
        table.AddColumn("result");
        table.AddColumn("rc");
        table.AddColumn("mc");
        table.AddColumn(new TableColumn("pool Δ").RightAligned());
        table.AddColumn("observed");
        table.AddColumn("reports");
        foreach (var step in run.Steps)
        {
            table.AddRow(
                new Text(step.N.ToString(CultureInfo.InvariantCulture)),
                new Text(step.Actor),
                new Text(step.Action),
                new Markup(Result(step.Outcome)),
                new Text(string.Join(' ', step.Pages.Select(p => p.Rc))),
                new Text(string.Join(' ', step.Pages.Select(p => p.Mc))),
                new Text(Signed(step.FreePages - run.Totals.PoolBefore)),
                new Text(string.Join(", ", step.Observed.Select(kv => $"{kv.Key}={Show(kv.Value)}"))),
                new Markup(ReportSummary(step.Reports)));
        }

        return table;
    }

    private void WriteTotals(ScenarioRun run)
    {
        var t = run.Totals;
        var leaked = t.LeakedFrames.Count == 0
            ? "[green]no frame leaked[/]"
            : $"[red bold]{t.LeakedFrames.Count} frame(s) leaked[/] (pfn {string.Join(' ', t.LeakedFrames.Select(Pfn))})";
        var signals = t.Signals.Count == 0 ? "no signal" : "[red]" + Markup.Escape(string.Join("; ", t.Signals)) + "[/]";
        var sim = run.Machine.Strict ? $" · {t.SimulatorReports} DKSIM finding(s)" : string.Empty;
        console.MarkupLine($"    free pool {t.PoolBefore} → {t.PoolAfter} ({Signed(t.PoolDelta)}) · {leaked} · {t.KernelReports} kernel report(s){sim} · {signals}");
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
            console.MarkupLine($"    [{colour}]{first.Kind.ToLowerInvariant()} report {Markup.Escape(first.Invariant)}{Markup.Escape(rule)}[/] at step {n}{(first.CallSite is null ? string.Empty : " (set up at " + Markup.Escape(first.CallSite) + ")")}:");
            foreach (var line in first.Text.Split('\n'))
            {
                console.MarkupLine($"      [{colour}]{Markup.Escape(line)}[/]");
            }

            var more = group.Skip(1).ToArray();
            if (more.Length > 0)
            {
                var pfns = string.Join(' ', more.Where(x => x.Report.Pfn is not null).Select(x => Pfn(x.Report.Pfn!.Value)));
                console.MarkupLine($"      … and {more.Length} more like it{(pfns.Length == 0 ? string.Empty : " (pfn " + pfns + ")")}");
            }
        }

        foreach (var step in run.Steps.Where(s => s.Log.Count > 0))
        {
            foreach (var line in step.Log)
            {
                console.MarkupLine($"    [grey]dmesg (step {step.N}):[/] {Markup.Escape(line)}");
            }
        }
    }

    private static string Result(Outcome o)
    {
        var colour = o.Oops is not null || o.Signal is not null ? "red" : o.Errno is not null ? "yellow" : "green";
        return $"[{colour}]{Markup.Escape(o.Text)}[/]";
    }

    private static string ReportSummary(IReadOnlyList<ReportRecord> reports) => string.Join(", ", reports
        .GroupBy(r => (r.Kind, r.Invariant))
        .Select(g => $"[{(g.Key.Kind == "Kernel" ? "red" : "yellow")}]{(g.Key.Kind == "Kernel" ? "kernel" : "DKSIM")} {Markup.Escape(g.Key.Invariant)}{(g.Count() > 1 ? " ×" + g.Count().ToString(CultureInfo.InvariantCulture) : string.Empty)}[/]"));

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
