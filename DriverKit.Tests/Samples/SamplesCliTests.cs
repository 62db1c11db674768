using DriverKit.Runtime;
using DriverKit.Samples;
using DriverKit.Samples.Output;

namespace DriverKit.Tests.Samples;

/// <summary>The samples command line: help, argument errors, plain and coloured output, JSON Lines (exit codes: <see cref="SamplesExitCodeTests"/>).</summary>
public sealed class SamplesCliTests
{
    [Fact]
    public void HelpListsEveryOption()
    {
        var r = SamplesCli.Run("--help");
        Assert.Equal(0, r.Exit);
        foreach (var option in new[] { "--sample <name>", "--scenario <id>", "--era <E0..E7|version>", "--strict", "-v, --verbose", "--json", "--svg <file>", "scullp, spulocalstore, mmiowindow, framegrabber" })
        {
            Assert.Contains(option, r.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void UnknownSampleIsAUsageErrorThatListsTheSamples()
    {
        var r = SamplesCli.Run("--sample", "nvidia");
        Assert.Equal(SamplesCommand.UsageError, r.Exit);
        Assert.Contains("unknown sample 'nvidia'; the samples are: scullp, spulocalstore, mmiowindow, framegrabber.", r.Err, StringComparison.Ordinal);
        Assert.Empty(r.Out);
    }

    [Theory]
    [InlineData("2.6")]
    [InlineData("2.6.15-rcX")]
    [InlineData("8.1")]
    [InlineData("E9")]
    public void MalformedEraIsAUsageErrorWithKernelVersionsMessage(string era)
    {
        Assert.False(KernelVersion.TryParse(era, out _, out var message));
        var r = SamplesCli.Run("--era", era);
        Assert.Equal(SamplesCommand.UsageError, r.Exit);
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptySelectionFailsAndSaysWhy()
    {
        var r = SamplesCli.Run("--sample", "mmiowindow", "--era", "E2");
        Assert.Equal(SamplesCommand.Failure, r.Exit);
        Assert.Contains("--sample mmiowindow --era E2 selects no scenario run", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void PlainVerboseOutputShowsTheS1LeakTableWithoutEscapeCodes()
    {
        var r = SamplesCli.Run("--sample", "scullp", "--era", "2.6.15-rc1", "--verbose");
        Assert.Equal(0, r.Exit);
        Assert.DoesNotContain('\u001b', r.Out);
        Assert.Contains("| # | who ", r.Out, StringComparison.Ordinal);
        var text = SamplesOutputFixture.Normalize(r.Out);
        Assert.Contains("Linux 2.6.15-rc1 (era E1): 4 pages leaked", text, StringComparison.Ordinal);
        Assert.Contains("flagged by DK0004, DK0005", text, StringComparison.Ordinal);
        Assert.Contains("4 frame(s) leaked (pfn ", text, StringComparison.Ordinal);
        Assert.Contains("does not compile in this era: vm_operations_struct: ->fault does not exist in Linux 2.6.15-rc1", text, StringComparison.Ordinal);
        Assert.Contains("dmesg (step 7): program scullp-user is using MAP_PRIVATE, PROT_WRITE mmap of VM_RESERVED memory", text, StringComparison.Ordinal);
    }

    [Fact]
    public void PlainDefaultOutputIsOneLinePerRun()
    {
        var r = SamplesCli.Run("--sample", "scullp", "--era", "2.6.15-rc1");
        Assert.Equal(0, r.Exit);
        Assert.DoesNotContain("| # | who ", r.Out, StringComparison.Ordinal);
        Assert.Contains("    S1/nopage  2.6.15-rc1  E1  4 pages leaked         DK0004 DK0005 DK0015", r.Out, StringComparison.Ordinal);
        Assert.Contains("    S1/fault   2.6.15-rc1  E1  does not compile here  DK0004 DK0005 DK0015", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void TerminalOutputUsesColourAndBoxCharactersWhenTheTerminalHasThem()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = SamplesCommand.Run(["--scenario", "S4", "--era", "6.1.0-27-amd64", "--verbose"], output, error, new ConsoleStyle(Ansi: true, Color: true, Unicode: true, Width: 160));
        Assert.Equal(0, exit);
        Assert.Contains("\u001b[", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("╭", output.ToString(), StringComparison.Ordinal);
        var plain = System.Text.RegularExpressions.Regex.Replace(output.ToString(), @"\u001b\[[0-9;]*m", string.Empty);
        Assert.Contains("BUG: Bad page state in process capture  pfn:", plain, StringComparison.Ordinal);
        Assert.All(plain.Split('\n'), l => Assert.True(l.Length <= ConsoleStyle.MaxWidth, l));
    }

    [Fact]
    public void JsonPrintsOneObjectPerRun()
    {
        var r = SamplesCli.Run("--json", "--scenario", "S4", "--era", "6.1.0-27-amd64");
        Assert.Equal(0, r.Exit);
        var runs = new RunSet(r.Out);
        Assert.Equal(["A", "B", "C", "D", "insert-page"], runs.All.Select(x => x.Root.GetProperty("variant").GetString()));
        Assert.All(runs.All, x => Assert.Equal("E6", x.Root.GetProperty("era").GetString()));
    }
}
