using DriverKit.Tests.Analyzers;

namespace DriverKit.Tests.Tooling;

/// <summary>
/// samples/BrokenBuild, the project outside the solution: its build fails with DK0001 and nothing else, and
/// <c>dotnet format analyzers … --diagnostics DK0001</c> applies the code fix from the project's own analyzer references,
/// after which it builds. Works on a copy, so the repository stays clean; the copy imports the samples' Directory.Build.props
/// and points DriverKitRoot at the repository, and reuses the analyzers built in the tests' configuration.
/// </summary>
[Collection(DotnetCliCollection.Name)]
public sealed class BrokenBuildTests
{
    [Fact]
    public async Task Build_fails_with_DK0001_only_and_dotnet_format_fixes_it()
    {
        using var temp = new TempDirectory("brokenbuild");
        var project = CopySample(temp.Path);
        var repository = RepositoryRoot.Path + Path.DirectorySeparatorChar;
        string[] build = ["build", project, "-c", DotnetCli.Configuration, "-nologo", $"-p:DriverKitRoot={repository}", "-p:BuildProjectReferences=false"];

        var broken = await DotnetCli.RunAsync(temp.Path, null, build);
        Assert.True(broken.ExitCode != 0, "The broken build succeeded.\n" + broken.Describe());
        var errors = broken.Diagnostics.Where(diagnostic => diagnostic.Severity == "error").ToList();
        Assert.True(errors.Count > 0 && errors.All(error => error.Id == "DK0001"), "Expected only DK0001 errors.\n" + broken.Describe());
        Assert.Contains(errors, error => error.Line.Contains("RegisterWindowDriver.cs(26,22)", StringComparison.Ordinal));

        // dotnet format takes no -c: MSBuild reads the configuration and the repository root from the environment.
        var format = await DotnetCli.RunAsync(
            temp.Path,
            new Dictionary<string, string> { ["Configuration"] = DotnetCli.Configuration, ["DriverKitRoot"] = repository },
            "format", "analyzers", project, "--diagnostics", "DK0001", "--severity", "warn");
        Assert.True(format.ExitCode == 0, format.Describe());
        var driver = await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(project)!, "RegisterWindowDriver.cs"));
        Assert.Contains("        // The register window: uncached, never paged out.\n        vma.Flags |= VmFlags.IO;\n", driver, StringComparison.Ordinal);
        Assert.DoesNotContain("VmFlags.Locked", driver, StringComparison.Ordinal);

        var fixedBuild = await DotnetCli.RunAsync(temp.Path, null, build);
        Assert.True(fixedBuild.ExitCode == 0, "The fixed build failed.\n" + fixedBuild.Describe());
        Assert.Empty(fixedBuild.Diagnostics);
    }

    /// <summary>Copies samples/BrokenBuild into <paramref name="root"/> with a Directory.Build.props importing the samples' one.</summary>
    internal static string CopySample(string root)
    {
        var sample = Path.Combine(RepositoryRoot.Path, "samples", "BrokenBuild");
        TempDirectory.CopyTree(sample, Path.Combine(root, "BrokenBuild"));
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), $"""
            <Project>
              <Import Project="{Path.Combine(RepositoryRoot.Path, "samples", "Directory.Build.props")}" />
            </Project>
            """);
        return Path.Combine(root, "BrokenBuild", "BrokenBuild.csproj");
    }
}
