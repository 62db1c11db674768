extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;

namespace DriverKit.Tests.Analyzers;

/// <summary>The sample drivers are flagged exactly where their pragmas say they demonstrate a rule, and nowhere else.</summary>
public class SampleDriverTests
{
    /// <summary>
    /// Each pragma covers a rule reported on the next line in at least one of the file's kernels, and every rule reported in
    /// any of them is covered: a driver whose variants belong to different kernels (->nopage and ->fault) disables DK1001 on
    /// both, and each kernel reports one.
    /// </summary>
    [Theory]
    [InlineData("Scullp/ScullpDriver.cs", "2.6.15-rc1", "7.0")]
    [InlineData("BrokenBuild/RegisterWindowDriver.cs", "7.0")]
    public async Task Pragmas_in_samples_cover_exactly_the_reported_rules(string file, params string[] versions)
    {
        var source = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "samples", file));
        var lines = source.Split('\n');
        var disabled = new List<(int Line, string Id)>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("#pragma warning disable", StringComparison.Ordinal))
            {
                var ids = lines[i].Split("disable", 2)[1].Split("//")[0].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                disabled.AddRange(ids.Select(id => (i + 1 + 1, id)));
            }
        }

        var stripped = string.Join('\n', lines.Select(line => line.TrimStart().StartsWith("#pragma warning", StringComparison.Ordinal) ? "" : line));
        var everReported = new HashSet<(int Line, string Id)>();
        foreach (var version in versions)
        {
            var project = ProjectBuilder.Build(
                new ProjectSettings(Microsoft.CodeAnalysis.CSharp.LanguageVersion.Latest, NullableContextOptions.Enable, OutputKind.DynamicallyLinkedLibrary,
                    true, null, "driverkit.kernel_version = " + version, []),
                [new SourceFile(TestPaths.PrimarySource, stripped)],
                RuleCatalogTests.Analyzers);
            var diagnostics = await DiagnosticRunner.GetDiagnosticsAsync(project, RuleCatalogTests.Analyzers, CompilerDiagnostics.Errors, file, CancellationToken.None);
            var reported = diagnostics.Select(diagnostic => (diagnostic.Location.GetLineSpan().StartLinePosition.Line + 1, diagnostic.Id)).ToList();
            if (file.Contains("BrokenBuild", StringComparison.Ordinal))
            {
                Assert.Equal([(26, "DK0001")], reported);
                return;
            }

            Assert.All(reported, finding => Assert.True(disabled.Contains(finding), $"{file} at {version}: {finding} is not covered by a pragma"));
            everReported.UnionWith(reported);
        }

        Assert.All(disabled, pragma => Assert.True(everReported.Contains(pragma), $"{file}: the pragma for {pragma} covers nothing in {string.Join(", ", versions)}"));
    }
}
