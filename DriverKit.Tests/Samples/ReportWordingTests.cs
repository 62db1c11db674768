using System.Text.Json;

namespace DriverKit.Tests.Samples;

/// <summary>
/// Every report every scenario produces, faithful and strict, is readable (docs/kernel-semantics.md §5.3): each line of
/// its text at most 200 characters with no link inside, a help link to its invariant's anchor, and one simulator report
/// per finding (no two reports of a step alike but for the pfn).
/// </summary>
[Collection(ScenarioRunsFixture.Collection)]
public sealed class ReportWordingTests(ScenarioRunsFixture runs)
{
    private const int MaxLine = 200;

    private IEnumerable<(RunJson Run, JsonElement Report)> AllReports
        => runs.Faithful.All.Concat(runs.Strict.All).SelectMany(run => run.Reports.Select(r => (run, r)));

    [Fact]
    public void The_scenarios_produce_reports_of_both_kinds_to_check()
    {
        Assert.Contains(AllReports, x => x.Report.GetProperty("kind").GetString() == "Kernel");
        Assert.Contains(AllReports, x => x.Report.GetProperty("kind").GetString() == "Simulator");
    }

    [Fact]
    public void Every_line_of_every_report_text_is_short_and_carries_no_link()
    {
        var tooLong = AllReports
            .SelectMany(x => x.Report.GetProperty("text").GetString()!.Split('\n').Select(line => (x.Run, line)))
            .Where(x => x.line.Length > MaxLine || x.line.Contains("docs/", StringComparison.Ordinal) || x.line.Contains("http", StringComparison.Ordinal))
            .Select(x => $"{x.Run.Key}: ({x.line.Length}) {x.line}")
            .Distinct()
            .ToArray();
        Assert.True(tooLong.Length == 0, string.Join("\n", tooLong));
    }

    [Fact]
    public void Every_report_links_the_anchor_of_its_invariant()
    {
        Assert.All(AllReports, x =>
        {
            var invariant = x.Report.GetProperty("invariant").GetString()!;
            Assert.EndsWith("docs/kernel-semantics.md#" + invariant.ToLowerInvariant(), x.Report.GetProperty("help").GetString(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public void A_step_has_one_simulator_report_per_finding()
    {
        var repeated = runs.Strict.All
            .SelectMany(run => run.Steps.Select(step => (run, step)))
            .SelectMany(x => x.step.Reports
                .Where(r => r.GetProperty("kind").GetString() == "Simulator")
                .GroupBy(r => Masked($"{r.GetProperty("invariant").GetString()} {r.GetProperty("text").GetString()} in {(r.TryGetProperty("process", out var p) ? p.GetString() : null)}"))
                .Where(g => g.Count() > 1)
                .Select(g => $"{x.run.Key} step {x.step.Key}: {g.Count()} × {g.Key}"))
            .ToArray();
        Assert.True(repeated.Length == 0, string.Join("\n", repeated));
    }

    [Fact]
    public void A_merged_report_lists_distinct_pages_starting_with_its_pfn()
    {
        var merged = AllReports.Where(x => x.Report.GetProperty("pages").GetArrayLength() > 1).ToArray();
        Assert.NotEmpty(merged);
        Assert.All(merged, x =>
        {
            var pages = x.Report.GetProperty("pages").EnumerateArray().Select(p => p.GetUInt64()).ToArray();
            Assert.Equal(pages.Length, pages.Distinct().Count());
            Assert.Equal(x.Report.GetProperty("pfn").GetUInt64(), pages[0]);
        });
    }

    private static string Masked(string text)
        => System.Text.RegularExpressions.Regex.Replace(text, @"(?<=\bpfn )[0-9a-f]{5,}\b|\b[0-9a-f]{8,16}\b", "#");
}
