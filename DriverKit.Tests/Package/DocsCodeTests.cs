using System.Text.RegularExpressions;
using DriverKit.Tests.Analyzers;
using DriverKit.Tests.Tooling;

namespace DriverKit.Tests.Package;

/// <summary>
/// The code of README.md and docs/ as a reader uses it: every marked program is built in a new console project against the
/// packed package with the kernel version the text states, run, and its output checked against the text; the walkthroughs'
/// files are written and their commands (build, test, format) run in order. The package is packed once for the class.
/// </summary>
[Collection(DotnetCliCollection.Name)]
public sealed class DocsCodeTests(PackedFeed feed) : IClassFixture<PackedFeed>
{
    public static TheoryData<string> Documents => [.. MarkedDocument.All().Where(document => document.IsExecutable).Select(document => document.Path)];

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task The_documents_code_builds_runs_and_prints_what_the_text_says(string path)
    {
        var document = MarkedDocument.Load(path);
        Assert.True(document.Problems.Count == 0, string.Join('\n', document.Problems));
        await new DocumentRun(feed, document).RunAsync();
    }
}

/// <summary>Which blocks of the docs are programs is said by a marker, for every C# block; the docs name the version the repository packs.</summary>
public sealed partial class DocsMarkerTests
{
    [Fact]
    public void Every_csharp_block_is_marked_as_a_program_a_file_or_a_fragment()
    {
        var problems = MarkedDocument.All().SelectMany(document => document.Problems).ToList();
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void The_readme_and_the_walkthrough_have_code_to_run()
    {
        var executable = MarkedDocument.All().Where(document => document.IsExecutable).Select(document => document.Path).ToList();
        Assert.Contains("README.md", executable);
        Assert.Contains("docs/first-driver.md", executable);

        var readme = MarkedDocument.Load("README.md");
        Assert.Contains(readme.Steps, step => step.Kind == "build");
        Assert.Contains(readme.Steps, step => step.Kind == "output");
        var walkthrough = MarkedDocument.Load("docs/first-driver.md");
        Assert.Contains(walkthrough.Steps, step => step is { Kind: "file", Argument: "nuget.config" });
        Assert.Contains(walkthrough.Steps, step => step.Kind == "run" && step.Block!.Contains("dotnet test", StringComparison.Ordinal));
        Assert.Contains(walkthrough.Steps, step => step.Kind == "run" && step.Block!.Contains("dotnet format analyzers", StringComparison.Ordinal));
    }

    [Fact]
    public void The_docs_name_the_version_the_repository_packs()
    {
        foreach (var path in MarkedDocument.All().Select(document => document.Path))
        {
            foreach (Match reference in DriverKitVersion().Matches(File.ReadAllText(Path.Combine(RepositoryRoot.Path, path))))
            {
                Assert.True(reference.Groups["version"].Value == PackedFeed.RepositoryVersion, $"{path}: '{reference.Value}' is not {PackedFeed.RepositoryVersion}");
            }
        }
    }

    [Fact]
    public void Markers_attach_to_the_next_block_and_unmarked_csharp_is_reported()
    {
        var document = MarkedDocument.Parse("test.md", """
            <!-- build: console version=2.6.14 expect-output="0 report(s)" expect-output="done" -->
            ```csharp
            Console.WriteLine("done");
            ```

            <!-- same program: version=3.7 expect-build-error=DK0005 -->
            <!-- output -->
            ```
            done
            ```

              ```csharp
              var unmarked = 1;
              ```

            <!-- file: a.txt bogus=1 -->
            Text instead of a block.
            """);

        Assert.Equal(["build", "same program", "output"], document.Steps.Select(step => step.Kind));
        Assert.Equal("console", document.Steps[0].Argument);
        Assert.Equal(["0 report(s)", "done"], document.Steps[0].Attributes["expect-output"]);
        Assert.Equal("Console.WriteLine(\"done\");\n", document.Steps[0].Block);
        Assert.Null(document.Steps[1].Block);
        Assert.Equal("DK0005", document.Steps[1].Single("expect-build-error"));
        Assert.Equal(
            [
                "test.md:12: a C# block without a marker (<!-- build: … -->, <!-- fragment --> …)",
                "test.md:16: 'bogus' is not an attribute of <!-- file -->",
                "test.md:16: the marker is not followed by a fenced block",
            ],
            document.Problems);
    }

    [GeneratedRegex(@"Include=""DriverKit""\s+Version=""(?<version>[^""]+)""|package DriverKit --version (?<version>\d[\w.-]*\w)")]
    private static partial Regex DriverKitVersion();
}
