using DriverKit.Samples.Output;

namespace DriverKit.Tests.Samples;

/// <summary>--verbose: the step tables and report details, fitted to 100 columns without splitting a word.</summary>
[Collection(ScenarioRunsFixture.Collection)]
public sealed class SamplesVerboseTests(ScenarioRunsFixture runs, SamplesOutputFixture outputs) : IClassFixture<SamplesOutputFixture>
{
    [Fact]
    public void EveryLineFitsOneHundredColumns()
    {
        foreach (var output in new[] { outputs.Verbose, outputs.VerboseStrict, outputs.StyledVerbose })
        {
            Assert.All(output, line => Assert.True(line.Length <= ConsoleStyle.MaxWidth, $"{line.Length} columns: {line}"));
        }

        Assert.Contains(outputs.StyledVerbose, l => l.StartsWith('╭'));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EachCompiledRunHasATableOfItsStepsWithWholeWords(bool strict)
    {
        var tables = StepTable.Parse(strict ? outputs.VerboseStrict : outputs.Verbose);
        var compiled = (strict ? runs.Strict : runs.Faithful).InOrder.Where(r => r.Compiles).ToArray();
        Assert.Equal(compiled.Length, tables.Count);
        foreach (var (run, table) in compiled.Zip(tables))
        {
            var steps = run.Steps.ToArray();
            Assert.Equal(["#", "who", "what", "result"], table.Headers.Take(4));
            Assert.Equal(steps.Select(s => s.N.ToString(System.Globalization.CultureInfo.InvariantCulture)), table.Column("#"));

            // A word cut across two lines of a cell would come back as two words.
            Assert.Equal(steps.Select(s => SamplesOutputFixture.Normalize(s.Action)), table.Column("what"));
            foreach (var (step, result) in steps.Zip(table.Column("result")))
            {
                // An oops that a report prints in full is only named in the table; a compact table (rc/mc) puts the
                // step's reports under its result.
                var expected = SamplesOutputFixture.Normalize(step.Result);
                var named = step.Oops is not null && result.EndsWith("report below)", StringComparison.Ordinal);
                var withReports = table.Headers.Contains("rc/mc") && result.StartsWith(expected + " ", StringComparison.Ordinal);
                Assert.True(result == expected || named || withReports, $"{run} step {step.N}: {result}");
            }
        }
    }

    [Fact]
    public void ReportsLogAndNotesKeepTheirWordsWhole()
    {
        var text = SamplesOutputFixture.Normalize(string.Join('\n', outputs.VerboseStrict));
        foreach (var run in runs.Strict.InOrder)
        {
            // Reports alike (same kind, invariant and reason) are printed once, with a count.
            var lines = run.Reports
                .GroupBy(r => (r.GetProperty("kind").GetString(), r.GetProperty("invariant").GetString(), r.TryGetProperty("reason", out var reason) ? reason.GetString() : null))
                .SelectMany(g => g.First().GetProperty("text").GetString()!.Split('\n'))
                .Concat(run.Steps.SelectMany(s => s.Log))
                .Concat(run.Notes)
                .Append(run.Root.GetProperty("variantDescription").GetString()!)
                .Where(l => l.Trim().Length > 0);
            Assert.All(lines, line => Assert.Contains(SamplesOutputFixture.Normalize(line), text, StringComparison.Ordinal));
            if (!run.Compiles)
            {
                Assert.Contains(SamplesOutputFixture.Normalize("does not compile in this era: " + run.NotInEra), text, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void ShowsTheS1LeakAndEndsWithTheLegendAndSummary()
    {
        var text = SamplesOutputFixture.Normalize(string.Join('\n', outputs.Verbose));
        var leaked = runs.Faithful["S1/nopage@2.6.15-rc1"].Leaked.Select(p => p.ToString("x5", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains($"Linux 2.6.15-rc1 (era E1): 4 pages leaked", text, StringComparison.Ordinal);
        Assert.Contains($"4 frame(s) leaked (pfn {string.Join(' ', leaked)})", text, StringComparison.Ordinal);
        Assert.Contains("Legend", outputs.Verbose);
        Assert.Contains("Summary", outputs.Verbose);
        Assert.Contains("page_count and page_mapcount", text, StringComparison.Ordinal);
    }

    /// <summary>A step table of the plain output, its cells' lines joined back together.</summary>
    private sealed class StepTable(string[] headers, List<string[]> rows)
    {
        public string[] Headers => headers;

        public IEnumerable<string> Column(string header) => rows.Select(r => r[Array.IndexOf(headers, header)]);

        /// <summary>
        /// The tables of an ASCII output: a "+---+" border gives the column edges; a row starts where its "#" cell is
        /// not empty, and a cell's lines are joined with one space.
        /// </summary>
        public static List<StepTable> Parse(string[] lines)
        {
            var tables = new List<StepTable>();
            for (var i = 0; i + 1 < lines.Length; i++)
            {
                if (!lines[i].StartsWith("+-", StringComparison.Ordinal) || !lines[i + 1].StartsWith('|'))
                {
                    continue;
                }

                var edges = Enumerable.Range(0, lines[i].Length).Where(c => lines[i][c] == '+').ToArray();
                string[] Cells(string line) => edges.Zip(edges.Skip(1), (a, b) => line[(a + 1)..b].Trim()).ToArray();
                var headers = Cells(lines[i + 1]);
                var rows = new List<string[]>();
                for (i += 3; !lines[i].StartsWith('+'); i++)
                {
                    var cells = Cells(lines[i]);
                    if (cells[0].Length > 0)
                    {
                        rows.Add(cells);
                    }
                    else
                    {
                        rows[^1] = rows[^1].Zip(cells, (a, b) => b.Length == 0 ? a : $"{a} {b}").ToArray();
                    }
                }

                tables.Add(new StepTable(headers, rows));
            }

            return tables;
        }
    }
}
