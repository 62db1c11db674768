using System.Text.RegularExpressions;
using DriverKit.Tests.Tooling;

namespace DriverKit.Tests.Package;

/// <summary>
/// Plays a document's steps (<see cref="DocStep"/>) in order in a workspace of its own under the feed's root
/// (<c>README/</c>, <c>docs-first-driver/</c>): the feed sits at <c>../driverkit/feed</c> from there, as the walkthrough lays it out.
/// A document that writes no nuget.config of its own gets one that adds the feed.
/// </summary>
internal sealed class DocumentRun(PackedFeed feed, MarkedDocument document)
{
    private const string ProgramName = "Demo";

    private readonly string workspace = Path.Combine(feed.Root, Path.ChangeExtension(document.Path, null).Replace('/', '-'));
    private (string Directory, string Source, string? Version)? program;
    private int programs;
    private DotnetResult? last;

    public async Task RunAsync()
    {
        Directory.CreateDirectory(workspace);
        if (!document.Steps.Any(step => step is { Kind: "file", Argument: "nuget.config" }))
        {
            feed.WriteNuGetConfig(workspace);
        }

        foreach (var step in document.Steps)
        {
            switch (step.Kind)
            {
                case "build":
                    await NewProgramAsync(step);
                    break;
                case "same program":
                    await SameProgramAsync(step);
                    break;
                case "file":
                    var file = Path.Combine(workspace, Required(step.Argument, step));
                    Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                    await File.WriteAllTextAsync(file, feed.WithPackedVersion(step.Block!, Where(step)));
                    break;
                case "contains":
                    Contains(step);
                    break;
                case "run":
                    await RunCommandsAsync(step);
                    break;
                case "output":
                    Assert.True(last is not null, $"{Where(step)}: no step before it printed anything");
                    MatchOutput(step.Block!, last.Output, Where(step));
                    break;
                case "pack":
                    Assert.Contains("dotnet pack DriverKit", step.Block, StringComparison.Ordinal);
                    break;
            }
        }
    }

    /// <summary>A console project as <c>dotnet new console</c> makes it, with the package, the block as Program.cs.</summary>
    private async Task NewProgramAsync(DocStep step)
    {
        Assert.True(step.Argument == "console", $"{Where(step)}: only console programs are built");
        var directory = Path.Combine(workspace, $"Program{++programs}");
        var created = await DotnetCli.RunAsync(workspace, feed.Environment, "new", "console", "-o", directory, "-n", ProgramName, "--no-restore", "--no-update-check");
        Assert.True(created.ExitCode == 0, created.Describe());
        var project = Path.Combine(directory, ProgramName + ".csproj");
        var text = await File.ReadAllTextAsync(project);
        await File.WriteAllTextAsync(project, text.Replace(
            "</Project>", $"  <ItemGroup>\n    <PackageReference Include=\"DriverKit\" Version=\"{feed.Version}\" />\n  </ItemGroup>\n</Project>", StringComparison.Ordinal));
        program = (directory, step.Block!, step.Single("version"));
        await BuildAndRunAsync(step, step.Block!, step.Single("version"), restore: true);
    }

    /// <summary>The last program with another kernel version (the literal and the build setting) or without some lines.</summary>
    private async Task SameProgramAsync(DocStep step)
    {
        Assert.True(program is not null, $"{Where(step)}: no program before it");
        var (_, source, version) = program.Value;
        if (step.Single("version") is { } other)
        {
            Assert.True(version is not null && source.Contains($"\"{version}\"", StringComparison.Ordinal),
                $"{Where(step)}: the program has no \"{version}\" literal to replace");
            source = source.Replace($"\"{version}\"", $"\"{other}\"", StringComparison.Ordinal);
            version = other;
        }

        if (step.Single("drop-line") is { } drop)
        {
            var lines = source.Split('\n');
            Assert.True(lines.Any(line => line.Contains(drop, StringComparison.Ordinal)), $"{Where(step)}: no line contains '{drop}'");
            source = string.Join('\n', lines.Where(line => !line.Contains(drop, StringComparison.Ordinal)));
        }

        var buildVersion = step.Single("build-version") ?? version;
        await BuildAndRunAsync(step, source, buildVersion == "default" ? null : buildVersion, restore: false);
    }

    /// <summary>Builds Program.cs for <paramref name="buildVersion"/> (restoring only the first time: the packages never change) and runs it.</summary>
    private async Task BuildAndRunAsync(DocStep step, string source, string? buildVersion, bool restore)
    {
        var directory = program!.Value.Directory;
        await File.WriteAllTextAsync(Path.Combine(directory, "Program.cs"), source);
        List<string> build = ["build", "-nologo"];
        if (buildVersion is not null)
        {
            build.Add($"-p:DriverKitKernelVersion={buildVersion}");
        }

        if (!restore)
        {
            build.Add("--no-restore");
        }

        last = await DotnetCli.RunAsync(directory, feed.Environment, [.. build]);
        var buildErrors = step.Attributes["expect-build-error"].ToList();
        if (buildErrors.Count > 0)
        {
            Assert.True(last.ExitCode != 0, $"{Where(step)}: the build should fail\n{last.Describe()}");
            foreach (var id in buildErrors)
            {
                Assert.True(last.Diagnostics.Any(diagnostic => diagnostic.Severity == "error" && diagnostic.Id == id), $"{Where(step)}: no error {id}\n{last.Describe()}");
            }

            return;
        }

        Assert.True(last.ExitCode == 0, $"{Where(step)}: the build failed\n{last.Describe()}");
        CheckDiagnostics(step, last);
        var run = await DotnetCli.RunAsync(directory, feed.Environment, Path.Combine("bin", "Debug", "net10.0", ProgramName + ".dll"));
        Check(step, run);
        last = run;
    }

    /// <summary>Each line of the block is a dotnet command (a trailing <c># comment</c> is ignored); the expectations hold for the last.</summary>
    private async Task RunCommandsAsync(DocStep step)
    {
        var commands = step.Block!.Split('\n')
            .Select(line => Regex.Replace(line, @"(^|\s)#.*$", string.Empty).Trim())
            .Where(line => line.Length > 0)
            .ToList();
        Assert.True(commands.Count > 0, $"{Where(step)}: no command");
        for (var i = 0; i < commands.Count; i++)
        {
            var words = commands[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(words[0] == "dotnet", $"{Where(step)}: '{commands[i]}' is not a dotnet command");
            last = await DotnetCli.RunAsync(workspace, feed.Environment, words[1..]);
            if (i < commands.Count - 1)
            {
                Assert.True(last.ExitCode == 0, $"{Where(step)}: '{commands[i]}' failed\n{last.Describe()}");
            }
        }

        Check(step, last!);
        CheckDiagnostics(step, last!);
    }

    /// <summary>The block's non-blank lines, trimmed, are consecutive lines of the file.</summary>
    private void Contains(DocStep step)
    {
        static string[] Lines(string text) => [.. text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0)];
        var file = Path.Combine(workspace, Required(step.Argument, step));
        var have = Lines(File.ReadAllText(file));
        var want = Lines(step.Block!);
        var found = Enumerable.Range(0, Math.Max(0, have.Length - want.Length + 1)).Any(start => have.AsSpan(start, want.Length).SequenceEqual(want));
        Assert.True(found, $"{Where(step)}: {step.Argument} does not contain the block; it is:\n{File.ReadAllText(file)}");
    }

    private void Check(DocStep step, DotnetResult result)
    {
        var exit = step.Single("expect-exit") ?? "0";
        Assert.True(exit == "nonzero" ? result.ExitCode != 0 : result.ExitCode == int.Parse(exit, System.Globalization.CultureInfo.InvariantCulture),
            $"{Where(step)}: expected exit code {exit}\n{result.Describe()}");
        foreach (var text in step.Attributes["expect-output"])
        {
            Assert.True(result.Output.Contains(text, StringComparison.Ordinal), $"{Where(step)}: the output does not contain '{text}'\n{result.Describe()}");
        }
    }

    private void CheckDiagnostics(DocStep step, DotnetResult result)
    {
        foreach (var (severity, key) in new[] { ("error", "expect-error"), ("warning", "expect-warning") })
        {
            foreach (var id in step.Attributes[key])
            {
                Assert.True(result.Diagnostics.Any(diagnostic => diagnostic.Severity == severity && diagnostic.Id == id),
                    $"{Where(step)}: no {severity} {id}\n{result.Describe()}");
            }
        }
    }

    /// <summary>The expected lines appear, trimmed, in this order among the output's lines; <c>…</c> matches any text.</summary>
    private static void MatchOutput(string expected, string actual, string where)
    {
        var lines = actual.Split('\n').Select(line => line.Trim()).ToList();
        var at = 0;
        foreach (var want in expected.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0 && line != "…"))
        {
            var pattern = new Regex("^" + string.Join(".*", want.Split('…').Select(Regex.Escape)) + "$");
            var found = lines.FindIndex(at, line => pattern.IsMatch(line));
            Assert.True(found >= 0, $"{where}: no line matching '{want}' after output line {at + 1}:\n{actual}");
            at = found + 1;
        }
    }

    private string Where(DocStep step) => $"{document.Path} {step}";

    private string Required(string? argument, DocStep step) => argument ?? throw new Xunit.Sdk.XunitException($"{Where(step)}: the marker names no file");
}
