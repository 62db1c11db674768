using DriverKit.Samples;

namespace DriverKit.Tests.Samples;

/// <summary>The exit codes samples/README.md documents: 0 success; 1 nothing selected or the picture not written; 2 bad arguments.</summary>
public sealed class SamplesExitCodeTests
{
    private static readonly string[] OneRun = ["--scenario", "S3", "--era", "2.6.14"];

    [Fact]
    public void SuccessIsZero()
    {
        var r = SamplesCli.Run(OneRun);
        Assert.Equal(0, r.Exit);
        Assert.Empty(r.Err);
        Assert.Equal(0, SamplesCli.Run("--help").Exit);
    }

    [Fact]
    public void HelpStatesTheExitCodes()
    {
        var help = SamplesCli.Run("--help").Out.ReplaceLineEndings(" ");
        Assert.Contains("Exit codes: 0 success; 1 nothing selected, or the picture could not be written; 2 bad arguments.", System.Text.RegularExpressions.Regex.Replace(help, @"\s+", " "), StringComparison.Ordinal);
    }

    [Fact]
    public void NothingSelectedIsOne() => Assert.Equal(SamplesCommand.Failure, SamplesCli.Run("--scenario", "S3", "--era", "E2").Exit);

    [Fact]
    public void SvgPathThatIsADirectoryIsOne()
    {
        var r = SamplesCli.Run([.. OneRun, "--svg", Path.GetTempPath()]);
        Assert.Equal(SamplesCommand.Failure, r.Exit);
        Assert.Contains("cannot write the SVG", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void SvgInADirectoryWhereNoFileCanBeCreatedIsOne()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // /proc exists, but nobody, root included, can create a file in it: a write failure, not a bad argument.
        var r = SamplesCli.Run([.. OneRun, "--svg", "/proc/driverkit-samples.svg"]);
        Assert.Equal(SamplesCommand.Failure, r.Exit);
        Assert.Contains("cannot write the SVG to '/proc/driverkit-samples.svg'", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("does not exist", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserExecute, "")] // read-only directory
    [InlineData(UnixFileMode.None, "inner")] // an existing directory inside one this process may not search
    public void SvgInAnUnwritableExistingDirectoryIsAWriteFailureNotAUsageError(UnixFileMode mode, string inner)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var root = Directory.CreateTempSubdirectory("driverkit-samples-").FullName;
        var directory = Path.Combine(root, inner);
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(root, mode);
        try
        {
            var r = SamplesCli.Run([.. OneRun, "--svg", Path.Combine(directory, "runs.svg")]);

            // Root may write anywhere; anyone else gets the write failure after the run.
            Assert.Equal(Environment.IsPrivilegedProcess ? 0 : SamplesCommand.Failure, r.Exit);
            Assert.DoesNotContain("does not exist", r.Err, StringComparison.Ordinal);
        }
        finally
        {
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void SvgWhoseDirectoryIsMissingOrAFileIsTwoBeforeAnythingRuns()
    {
        var missing = SamplesCli.Run([.. OneRun, "--svg", Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "x.svg")]);
        Assert.Equal(SamplesCommand.UsageError, missing.Exit);
        Assert.Contains("does not exist", missing.Err, StringComparison.Ordinal);
        Assert.Empty(missing.Out);

        var file = Path.GetTempFileName();
        try
        {
            var notADirectory = SamplesCli.Run([.. OneRun, "--svg", Path.Combine(file, "x.svg")]);
            Assert.Equal(SamplesCommand.UsageError, notADirectory.Exit);
            Assert.Contains($"{file} is not a directory", notADirectory.Err, StringComparison.Ordinal);
            Assert.Empty(notADirectory.Out);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--colour")]
    [InlineData("--sample", "nvidia")]
    [InlineData("--era", "E9")]
    [InlineData("--scenario", "S9")]
    public void BadArgumentsAreTwo(params string[] args) => Assert.Equal(SamplesCommand.UsageError, SamplesCli.Run(args).Exit);
}
