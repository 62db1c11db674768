using System.Text.RegularExpressions;
using DriverKit.Samples;
using DriverKit.Samples.Output;

namespace DriverKit.Tests.Samples;

/// <summary>The text outputs of every run, played once for the output tests: default and --verbose, plain and styled.</summary>
public sealed class SamplesOutputFixture
{
    public SamplesOutputFixture()
    {
        Default = Lines(SamplesCli.Run());
        DefaultStrict = Lines(SamplesCli.Run("--strict"));
        Verbose = Lines(SamplesCli.Run("--verbose"));
        VerboseStrict = Lines(SamplesCli.Run("--verbose", "--strict"));
        var terminal = new ConsoleStyle(Ansi: true, Color: true, Unicode: true, Width: 160);
        StyledDefault = Lines(Styled(terminal));
        StyledVerbose = Lines(Styled(terminal, "--verbose", "--strict"));
    }

    /// <summary>Plain default output (faithful checker).</summary>
    public string[] Default { get; }

    public string[] DefaultStrict { get; }

    public string[] Verbose { get; }

    public string[] VerboseStrict { get; }

    /// <summary>Default output for a 160-column colour terminal, escape codes removed.</summary>
    public string[] StyledDefault { get; }

    /// <summary>--verbose --strict for a 160-column colour terminal, escape codes removed.</summary>
    public string[] StyledVerbose { get; }

    /// <summary>Whitespace runs (line breaks and indentation included) collapsed to one space.</summary>
    public static string Normalize(string text) => Regex.Replace(text, @"\s+", " ").Trim();

    private static string[] Lines(CliResult r)
    {
        Assert.True(r.Exit == 0, r.Err);
        return r.Out.TrimEnd('\n').Split('\n');
    }

    private static CliResult Styled(ConsoleStyle style, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = SamplesCommand.Run(args, output, error, style);
        Assert.Contains("\u001b[", output.ToString(), StringComparison.Ordinal);
        return new CliResult(exit, Regex.Replace(output.ToString(), @"\u001b\[[0-9;]*m", string.Empty), error.ToString());
    }
}
