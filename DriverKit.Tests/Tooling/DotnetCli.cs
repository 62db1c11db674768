using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace DriverKit.Tests.Tooling;

/// <summary>
/// Tests that run the dotnet CLI (build, format, pack, MSBuildWorkspace). They share the repository's obj folders and the
/// machine's two cores, so they run in one collection that is never parallel with others.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DotnetCliCollection
{
    public const string Name = "dotnet CLI";
}

/// <summary>The result of one dotnet command.</summary>
internal sealed partial record DotnetResult(string Command, int ExitCode, string Output)
{
    /// <summary>Distinct "error ID" / "warning ID" diagnostics MSBuild printed (each is printed again in the summary).</summary>
    public IReadOnlyList<(string Severity, string Id, string Line)> Diagnostics =>
        [.. Output.Split('\n')
            .Select(line => line.Trim())
            .Distinct()
            .Select(line => (Line: line, Match: DiagnosticLine().Match(line)))
            .Where(entry => entry.Match.Success)
            .Select(entry => (entry.Match.Groups["severity"].Value, entry.Match.Groups["id"].Value, entry.Line))];

    public string Describe() => $"`{Command}` exited with {ExitCode}:\n{Output}";

    [GeneratedRegex(@":\s(?<severity>error|warning)\s(?<id>[A-Z]+\d+):")]
    private static partial Regex DiagnosticLine();
}

/// <summary>Runs the dotnet CLI for the tests: isolated from build servers, with a timeout, killing the process tree on expiry.</summary>
internal static class DotnetCli
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(4);

    /// <summary>The configuration the tests were built in; shell-out builds reuse its outputs instead of building Debug.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    public static async Task<DotnetResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // No MSBuild nodes, MSBuild server or compiler server may outlive the command: they would hold the output pipes
        // (and the test host) open, and leak processes into the CI job.
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var command = "dotnet " + string.Join(' ', arguments);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{command}` did not finish within {DefaultTimeout}:\n{output}");
        }

        lock (output)
        {
            return new DotnetResult(command, process.ExitCode, output.ToString());
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append(line).Append('\n');
        }
    }
}

/// <summary>A temporary directory deleted when the test ends.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix)
    {
        Path = Directory.CreateTempSubdirectory("driverkit-" + prefix + "-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A build server that outlived its command may still hold a file; the OS cleans the temp folder.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Copies a directory tree without bin/ and obj/.</summary>
    public static void CopyTree(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, System.IO.Path.Combine(destination, System.IO.Path.GetFileName(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(source))
        {
            var name = System.IO.Path.GetFileName(directory);
            if (name is not ("bin" or "obj"))
            {
                CopyTree(directory, System.IO.Path.Combine(destination, name));
            }
        }
    }
}
