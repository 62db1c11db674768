using DriverKit.Samples;
using DriverKit.Samples.Output;

namespace DriverKit.Tests.Samples;

/// <summary>What one in-process run of the samples CLI printed and returned.</summary>
public sealed record CliResult(int Exit, string Out, string Err);

/// <summary>Runs the samples CLI in this process, capturing its output (plain style: what a redirected stdout gets).</summary>
public static class SamplesCli
{
    public static CliResult Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = SamplesCommand.Run(args, output, error, ConsoleStyle.Plain);
        return new CliResult(exit, output.ToString(), error.ToString());
    }
}
