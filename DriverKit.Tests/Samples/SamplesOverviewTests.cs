using System.Globalization;
using System.Text.RegularExpressions;
using DriverKit.Samples.Output;
using DriverKit.Scenarios;

namespace DriverKit.Tests.Samples;

/// <summary>The default output: one line per run whose verdict follows from the run's JSON data, a legend and a summary, all within 100 columns.</summary>
[Collection(ScenarioRunsFixture.Collection)]
public sealed partial class SamplesOverviewTests(ScenarioRunsFixture runs, SamplesOutputFixture outputs) : IClassFixture<SamplesOutputFixture>
{
    [Fact]
    public void EveryLineFitsOneHundredColumns()
    {
        foreach (var output in new[] { outputs.Default, outputs.DefaultStrict, outputs.StyledDefault })
        {
            Assert.All(output, line => Assert.True(line.Length <= ConsoleStyle.MaxWidth, $"{line.Length} columns: {line}"));
        }

        Assert.InRange(outputs.Default.Length, runs.Faithful.All.Count, 3 * runs.Faithful.All.Count); // a line per run, not a table
    }

    [Fact]
    public void EachRunHasExactlyOneLineWithItsKernelEraAndRules()
    {
        var lines = RunLines(outputs.Default);
        Assert.Equal(runs.Faithful.All.Count, lines.Length);
        foreach (var run in runs.Faithful.All)
        {
            var line = Assert.Single(lines, l => l.Id == Id(run) && l.Kernel == Kernel(run));
            Assert.Equal(run.Root.GetProperty("era").GetString(), line.Era);
            Assert.Equal(run.Rules.Length == 0 ? "none" : string.Join(' ', run.Rules), line.Rules);
        }
    }

    [Fact]
    public void VerdictsFollowFromTheRunData()
    {
        var lines = RunLines(outputs.Default).ToDictionary(l => (l.Id, l.Kernel));
        foreach (var run in runs.Faithful.All)
        {
            var verdict = lines[(Id(run), Kernel(run))].Verdict;
            if (!run.Compiles)
            {
                Assert.Equal("does not compile here", verdict);
                continue;
            }

            var steps = run.Steps.ToArray();
            var oopses = steps.Where(s => s.Oops is not null && !s.Result.StartsWith("refused:", StringComparison.Ordinal)).Select(s => s.Oops).ToHashSet();
            var kernelReports = run.Reports.Count(r => r.GetProperty("kind").GetString() == "Kernel" && !oopses.Contains(r.GetProperty("text").GetString()!.Split('\n')[0]));
            var signals = steps.Select(s => s.Signal).OfType<string>().Distinct().ToArray();
            Assert.Equal(oopses.Count > 0, verdict.Contains("BUG", StringComparison.Ordinal));
            Assert.All(signals, s => Assert.Contains(s, verdict, StringComparison.Ordinal));
            Assert.Equal(run.Leaked.Length > 0, verdict.Contains(" leaked", StringComparison.Ordinal));
            if (run.Leaked.Length > 0)
            {
                Assert.Contains($"{run.Leaked.Length} page{(run.Leaked.Length == 1 ? string.Empty : "s")} leaked", verdict, StringComparison.Ordinal);
            }

            Assert.Equal(kernelReports > 0, verdict.Contains($"{kernelReports} kernel report", StringComparison.Ordinal));
            Assert.DoesNotContain("DKSIM", verdict, StringComparison.Ordinal); // faithful checker
            if (verdict == "clean")
            {
                Assert.True(oopses.Count == 0 && signals.Length == 0 && run.Leaked.Length == 0 && !run.Reports.Any(), $"{run} is called clean");
            }
        }

        Assert.Equal("4 pages leaked", lines[("S1/nopage", "2.6.15-rc1")].Verdict);
        Assert.Equal(4, runs.Faithful["S1/nopage@2.6.15-rc1"].Leaked.Length);
        Assert.Equal("clean", lines[("S1/nopage", "2.6.14")].Verdict);
        Assert.Equal("SIGBUS", lines[("S5/insert-page-only", "7.0")].Verdict);
        Assert.StartsWith("BUG, SIGKILL", lines[("S5/expandable", "7.0")].Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void StrictVerdictsCountTheDksimFindings()
    {
        var lines = RunLines(outputs.DefaultStrict).ToDictionary(l => (l.Id, l.Kernel));
        var run = runs.Strict["S4/D@7.0"];
        var findings = run.Reports.Count(r => r.GetProperty("kind").GetString() == "Simulator");
        Assert.True(findings > 0);
        Assert.Contains($"{findings} DKSIM findings (INV-06, INV-07)", lines[("S4/D", "7.0")].Verdict, StringComparison.Ordinal);
    }

    [Fact]
    public void UseAfterFreeIsNamedWhereAPteOutlivesItsFrame()
    {
        var lines = RunLines(outputs.Default).ToDictionary(l => (l.Id, l.Kernel));
        Assert.StartsWith("use-after-free (4 stale PTEs)", lines[("S4/D", "7.0")].Verdict, StringComparison.Ordinal);
        Assert.StartsWith("use-after-free", lines[("S6/close-without-open", "3.7")].Verdict, StringComparison.Ordinal);
        Assert.Equal("clean", lines[("S4/insert-page", "7.0")].Verdict); // its PTEs hold references: the frames are not freed
    }

    [Fact]
    public void GroupsRunsUnderScenarioAndVariantHeadings()
    {
        var text = SamplesOutputFixture.Normalize(string.Join('\n', outputs.Default));
        foreach (var scenario in ScenarioCatalog.All)
        {
            Assert.Contains(SamplesOutputFixture.Normalize($"{scenario.Id} {scenario.Title}"), text, StringComparison.Ordinal);
            foreach (var variant in scenario.Variants)
            {
                Assert.Contains(SamplesOutputFixture.Normalize($"{variant.Key} ({variant.Sample ?? scenario.Sample}): {variant.Description}"), text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void EndsWithALegendAndASummaryThatAddsUp()
    {
        var lines = outputs.Default;
        var legend = Array.IndexOf(lines, "Legend");
        var summary = Array.IndexOf(lines, "Summary");
        Assert.True(legend > 0 && summary > legend, "Legend, then Summary");
        var legendText = SamplesOutputFixture.Normalize(string.Join('\n', lines[legend..summary]));
        foreach (var term in new[] { "clean", "BUG", "SIGBUS", "use-after-free", "n pages leaked", "refused", "n kernel reports", "n DKSIM findings", "does not compile here", "docs/rules/DKxxxx.md", "INV-xx", "docs/kernel-semantics.md §5", "--verbose" })
        {
            Assert.Contains(term, legendText, StringComparison.Ordinal);
        }

        var summaryText = SamplesOutputFixture.Normalize(string.Join('\n', lines[summary..]));
        var verdicts = RunLines(lines).Select(l => l.Verdict).ToArray();
        Assert.Contains($"{runs.Faithful.All.Count} runs, faithful checker:", summaryText, StringComparison.Ordinal);
        Assert.Contains($" {verdicts.Count(v => v == "clean")} clean,", summaryText, StringComparison.Ordinal);
        Assert.Contains($" {verdicts.Count(v => v == "does not compile here")} not compiling", summaryText, StringComparison.Ordinal);
        Assert.Contains($" {verdicts.Count(v => v.StartsWith("BUG", StringComparison.Ordinal) || v.StartsWith("SIG", StringComparison.Ordinal))} crashing,", summaryText, StringComparison.Ordinal);
        var counts = SummaryCount().Matches(summaryText).Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(runs.Faithful.All.Count, counts);
        foreach (var rule in runs.Faithful.All.SelectMany(r => r.Rules).Distinct())
        {
            Assert.Contains(rule + " (", summaryText, StringComparison.Ordinal);
        }
    }

    /// <summary>"S1/nopage", the run line's first column.</summary>
    private static string Id(RunJson run) => $"{run.Root.GetProperty("scenario").GetString()}/{run.Root.GetProperty("variant").GetString()}";

    /// <summary>"6.6 (check_pages)": the version and the machine options, as the line shows them.</summary>
    private static string Kernel(RunJson run)
    {
        var m = run.Root.GetProperty("machine");
        var config = new MachineConfig(m.GetProperty("strict").GetBoolean(), m.GetProperty("checkPages").GetBoolean(), m.GetProperty("debugVm").GetBoolean(), m.GetProperty("pteSpecial").GetBoolean(), m.GetProperty("whatIfVmReservedSpecial").GetBoolean());
        return run.Root.GetProperty("kernel").GetString() + config.Suffix;
    }

    /// <summary>The run lines of an output; a verdict too long for its column continues on the lines below, further indented.</summary>
    private static RunLine[] RunLines(string[] output)
    {
        var lines = new List<RunLine>();
        var continues = false;
        foreach (var line in output)
        {
            if (RunLinePattern().Match(line) is { Success: true } m)
            {
                lines.Add(new RunLine(m.Groups["id"].Value, m.Groups["kernel"].Value, m.Groups["era"].Value, m.Groups["verdict"].Value, m.Groups["rules"].Value));
                continues = true;
            }
            else if (continues && line.StartsWith(new string(' ', 8), StringComparison.Ordinal) && line.Trim().Length > 0)
            {
                lines[^1] = lines[^1] with { Verdict = lines[^1].Verdict + " " + line.Trim() };
            }
            else
            {
                continues = false;
            }
        }

        return lines.ToArray();
    }

    /// <summary>"    S1/nopage  2.6.15-rc1       E1  4 pages leaked  DK0004 DK0005 DK0015".</summary>
    [GeneratedRegex(@"^ {4}(?<id>S\w+/\S+)  +(?<kernel>\S+(?: \([^)]*\))?)  +(?<era>E\d)  +(?<verdict>\S.*?)  +(?<rules>none|DK\d{4}(?: DK\d{4})*)$")]
    private static partial Regex RunLinePattern();

    [GeneratedRegex(@" (\d+) (?:clean|reported|leaking|use-after-free|crashing|not compiling)")]
    private static partial Regex SummaryCount();

    private sealed record RunLine(string Id, string Kernel, string Era, string Verdict, string Rules);
}
