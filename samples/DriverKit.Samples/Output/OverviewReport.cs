using DriverKit.Scenarios;

namespace DriverKit.Samples.Output;

/// <summary>
/// The default output: per scenario and variant a heading, then one line per run (scenario/variant, kernel, era,
/// verdict, DK rules), and at the end a legend and a summary. Every line fits <see cref="ConsoleStyle.MaxWidth"/>.
/// </summary>
public sealed class OverviewReport
{
    private const int RunIndent = 4;
    private const int Gap = 2;
    private const int TermWidth = 23;

    private readonly TerminalWriter writer;
    private readonly List<ScenarioRun> pending = new();
    private Scenario? scenario;

    /// <summary>Writes to <paramref name="output"/> in the given style, starting with a line that says how to read it.</summary>
    /// <param name="output">Where the report goes.</param>
    /// <param name="style">Escape codes, colour, box characters and width.</param>
    public OverviewReport(TextWriter output, ConsoleStyle style)
    {
        writer = new TerminalWriter(output, style);
        writer.Paragraph(0, 0, new Span("DriverKit samples", "bold"), new(": each scenario of docs/kernel-semantics.md §4 in the kernel eras where its outcome differs, one line per run; legend and summary at the end, --verbose for every step."));
    }

    /// <summary>Adds a run; the runs of a scenario are written together, aligned, once the next scenario starts.</summary>
    /// <param name="s">The scenario.</param>
    /// <param name="run">The run.</param>
    public void Write(Scenario s, ScenarioRun run)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(run);
        if (s != scenario)
        {
            Flush();
            scenario = s;
        }

        pending.Add(run);
    }

    /// <summary>Writes the last scenario, the legend and the summary.</summary>
    /// <param name="runs">Every run played.</param>
    public void Finish(IReadOnlyList<ScenarioRun> runs)
    {
        Flush();
        Legend(writer, verbose: false);
        Summary(writer, runs);
    }

    /// <summary>The legend: what the columns, verdict words, DKxxxx and INV-xx mean.</summary>
    internal static void Legend(TerminalWriter writer, bool verbose)
    {
        writer.Line();
        writer.Line("[bold]Legend[/]");
        if (!verbose)
        {
            Term(writer, "run", "scenario/variant; the headings above say what the scenario shows and what the variant's driver does");
        }

        Term(writer, "kernel, era", "the Linux version simulated, with machine options in parentheses (check_pages, DEBUG_VM, no pte_special, Ben's proposal), and its era E0 … E7 (docs/kernel-semantics.md §2)");
        Term(writer, "verdict", "what the run came to, worst first:");
        Term(writer, "  clean", "nothing leaked, crashed, was freed while mapped or was reported");
        Term(writer, "  BUG", "the kernel oopsed: a BUG_ON, or a bad page fault in driver code");
        Term(writer, "  SIGBUS, SIGKILL …", "a user process got this signal");
        Term(writer, "  use-after-free", "PTEs still map frames that were freed (stale PTEs): the process reads and writes whoever gets the frames next; the kernel says nothing");
        Term(writer, "  n pages leaked", "frames nobody can free any more once every process exited");
        Term(writer, "  refused", "the simulator refused an operation with which the real kernel would corrupt memory silently");
        Term(writer, "  n kernel reports", "messages the real kernel prints (Bad page state, bad rss-counter …), by invariant");
        Term(writer, "  n DKSIM findings", "what only the simulator's checker sees (--strict), by invariant");
        Term(writer, "  does not compile here", "the driver uses a flag, hook or function this kernel does not have");
        Term(writer, "DKxxxx", "DriverKit analyzer rules that flag the variant's driver code, documented in docs/rules/DKxxxx.md; \"none\": no rule fires, the code is correct");
        Term(writer, "INV-xx", "the checker's invariants, documented in docs/kernel-semantics.md §5");
        if (verbose)
        {
            Term(writer, "who", "U: the user process; C: its child; V: another process; driver; kernel");
            Term(writer, "rc, mc", "page_count and page_mapcount of each of the driver's pages after the step (rc/mc: mc under rc, and the reports under the result, in tables that need the room)");
            Term(writer, "pool Δ", "free frames after the step, compared with before the driver loaded");
        }
        else
        {
            Term(writer, "options", "--verbose: every step, the kernel's reports and log; --strict: DKSIM findings; --json: the data; --svg: a picture of frames and mappings (samples/README.md)");
        }
    }

    /// <summary>The summary: how many runs ended how, and which rules flag which variants.</summary>
    internal static void Summary(TerminalWriter writer, IReadOnlyList<ScenarioRun> runs)
    {
        var classes = runs.GroupBy(r => RunVerdict.Of(r).Class).ToDictionary(g => g.Key, g => g.Count());
        var counts = Enum.GetValues<VerdictClass>().Select(c => new Span($"{classes.GetValueOrDefault(c)} {Name(c)}", classes.ContainsKey(c) ? Colour(c) : null));
        var checker = runs.Any(r => r.Machine.Strict) ? "strict" : "faithful";
        writer.Line();
        writer.Line("[bold]Summary[/]");
        writer.Paragraph(2, 2, new[] { new Span($"{runs.Count} runs, {checker} checker: ") }
            .Concat(counts.SelectMany((c, i) => i == 0 ? [c] : new[] { new Span(", "), c }))
            .Append(new Span(" (each run counts once, under its worst verdict)")));
        var rules = runs
            .SelectMany(r => r.Rules.Select(rule => (Rule: rule, Variant: $"{r.Scenario}/{r.Variant}")))
            .Distinct()
            .GroupBy(x => x.Rule)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} ({string.Join(", ", g.Select(x => x.Variant))})");
        writer.Paragraph(2, 2, new Span("Rules that flag driver code: "), new Span(string.Join("; ", rules) is { Length: > 0 } list ? list : "none", "yellow"));
    }

    /// <summary>The spans of a verdict, each finding in its colour.</summary>
    internal static IEnumerable<Span> Spans(RunVerdict verdict) =>
        verdict.Parts.SelectMany((p, i) => i == 0 ? [new Span(p.Text, Colour(p.Class))] : new[] { new Span(", "), new Span(p.Text, Colour(p.Class)) });

    private static string Colour(VerdictClass c) => c switch
    {
        VerdictClass.Clean => "green",
        VerdictClass.Reported => "yellow",
        VerdictClass.NotCompiling => "grey",
        _ => "red",
    };

    private static string Name(VerdictClass c) => c switch
    {
        VerdictClass.UseAfterFree => "use-after-free",
        VerdictClass.NotCompiling => "not compiling",
        _ => c.ToString().ToLowerInvariant(),
    };

    private static void Term(TerminalWriter writer, string term, string meaning) =>
        writer.Paragraph(2, TermWidth + Gap, new Span(term.PadRight(TermWidth + Gap), "bold"), new Span(meaning));

    /// <summary>Writes the pending scenario: its heading, and per variant a heading and one aligned line per run.</summary>
    private void Flush()
    {
        if (scenario is null || pending.Count == 0)
        {
            return;
        }

        writer.Line();
        writer.Paragraph(0, 4, new Span(scenario.Id.PadRight(4), "bold"), new Span(scenario.Title, "bold"));
        var rows = pending.Select(r => new Row(r, $"{r.Scenario}/{r.Variant}", r.Kernel + r.Machine.Suffix, RunVerdict.Of(r), r.Rules.Count == 0 ? "none" : string.Join(' ', r.Rules))).ToArray();
        var id = rows.Max(r => r.Id.Length);
        var kernel = rows.Max(r => r.Kernel.Length);
        var era = rows.Max(r => r.Run.Era.Length);
        var rules = rows.Max(r => r.Rules.Length);
        var verdictAt = RunIndent + id + Gap + kernel + Gap + era + Gap;
        var verdict = Math.Clamp(rows.Max(r => r.Verdict.Text.Length), 1, Math.Max(1, writer.Width - verdictAt - Gap - rules));
        foreach (var variant in rows.GroupBy(r => r.Run.Variant))
        {
            var first = variant.First().Run;
            writer.Paragraph(2, 4, new Span($"{first.Variant} ({first.Sample})", "bold"), new Span(": " + first.VariantDescription));
            foreach (var row in variant)
            {
                var lines = new StyledText(Spans(row.Verdict)).Wrap(verdict, verdict);
                var rulesMarkup = Spectre.Console.Markup.Escape(row.Rules);
                for (var i = 0; i < lines.Count; i++)
                {
                    var lead = i == 0
                        ? new string(' ', RunIndent) + Spectre.Console.Markup.Escape($"{row.Id.PadRight(id + Gap)}{row.Kernel.PadRight(kernel + Gap)}{row.Run.Era.PadRight(era + Gap)}")
                        : new string(' ', verdictAt);
                    var tail = i == 0 ? new string(' ', verdict - lines[i].Length + Gap) + $"[{(row.Rules == "none" ? "green" : "yellow")}]{rulesMarkup}[/]" : string.Empty;
                    writer.Line(lead + lines[i].Markup + tail);
                }
            }
        }

        pending.Clear();
    }

    /// <summary>One run line before layout.</summary>
    private sealed record Row(ScenarioRun Run, string Id, string Kernel, RunVerdict Verdict, string Rules);
}
