using System.Collections.Immutable;
using System.Reflection;
using DriverKit.Tests.Analyzers;
using Microsoft.Build.Locator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.MSBuild;

namespace DriverKit.Tests.Tooling;

/// <summary>
/// The IDE path: a sample project opened with MSBuildWorkspace (the project system IDEs use), diagnostics from the project's
/// own analyzer references, the code action from the DriverKit.CodeFixes assembly those references load, applied through the
/// workspace — and the diagnostic is gone.
/// </summary>
[Collection(DotnetCliCollection.Name)]
public sealed class IdeHostTests : IClassFixture<MSBuildFixture>
{
    [Fact]
    public async Task MSBuildWorkspace_reports_DK0001_from_the_projects_analyzers_and_the_code_fix_removes_it()
    {
        using var temp = new TempDirectory("ide");
        var projectPath = BrokenBuildTests.CopySample(temp.Path);
        var properties = new Dictionary<string, string>
        {
            ["Configuration"] = DotnetCli.Configuration,
            ["DriverKitRoot"] = RepositoryRoot.Path + Path.DirectorySeparatorChar,
        };
        using var workspace = MSBuildWorkspace.Create(properties);
        var project = await workspace.OpenProjectAsync(projectPath);
        Assert.DoesNotContain(workspace.Diagnostics, diagnostic => diagnostic.Kind == WorkspaceDiagnosticKind.Failure);

        var analyzerReferences = project.AnalyzerReferences.OfType<AnalyzerFileReference>().ToList();
        Assert.Contains(analyzerReferences, reference => Path.GetFileName(reference.FullPath) == "DriverKit.Analyzers.dll");
        var codeFixes = analyzerReferences.Single(reference => Path.GetFileName(reference.FullPath) == "DriverKit.CodeFixes.dll");

        var diagnostic = Assert.Single(await AnalyzerDiagnosticsAsync(project), d => d.Id == "DK0001");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("RegisterWindowDriver.cs", Path.GetFileName(diagnostic.Location.SourceTree!.FilePath));

        var fixers = codeFixes.GetAssembly().GetTypes()
            .Where(type => !type.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(type)
                && type.GetCustomAttribute<ExportCodeFixProviderAttribute>() is { } export && export.Languages.Contains(LanguageNames.CSharp))
            .Select(type => (CodeFixProvider)Activator.CreateInstance(type)!)
            .Where(fixer => fixer.FixableDiagnosticIds.Contains("DK0001"))
            .ToList();
        var fixer = Assert.Single(fixers);
        var document = project.GetDocument(diagnostic.Location.SourceTree)!;
        var actions = new List<CodeAction>();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        var removeLocked = Assert.Single(actions, action => action.EquivalenceKey == "DK0001.RemoveLocked");
        var apply = Assert.Single((await removeLocked.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>());
        Assert.True(workspace.TryApplyChanges(apply.ChangedSolution), "The workspace refused the change.");

        var updated = workspace.CurrentSolution.GetProject(project.Id)!;
        Assert.DoesNotContain(await AnalyzerDiagnosticsAsync(updated), d => d.Id == "DK0001");
        var onDisk = await File.ReadAllTextAsync(document.FilePath!);
        Assert.Contains("vma.Flags |= VmFlags.IO;", onDisk, StringComparison.Ordinal);
        Assert.DoesNotContain("VmFlags.Locked", onDisk, StringComparison.Ordinal);
    }

    private static async Task<ImmutableArray<Diagnostic>> AnalyzerDiagnosticsAsync(Project project)
    {
        var analyzers = project.AnalyzerReferences.SelectMany(reference => reference.GetAnalyzers(project.Language)).ToImmutableArray();
        Assert.Contains(analyzers, analyzer => analyzer.GetType().Name == "LockedVmaAnalyzer");
        var compilation = (await project.GetCompilationAsync())!;
        Assert.DoesNotContain(compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
        return await compilation.WithAnalyzers(analyzers, project.AnalyzerOptions).GetAnalyzerDiagnosticsAsync();
    }
}

/// <summary>
/// Registers the SDK's MSBuild once per test process, before the test that uses MSBuildWorkspace is even compiled (a fixture
/// is created before its class's test methods run). Workspaces.MSBuild 4.14 evaluates projects in an out-of-process
/// BuildHost, which it starts itself as <c>dotnet --roll-forward LatestMajor …/BuildHost-netcore/…BuildHost.dll</c>: it runs
/// on the installed .NET 10 runtime with no DOTNET_ROLL_FORWARD in the environment.
/// </summary>
public sealed class MSBuildFixture
{
    private static readonly object Gate = new();

    public MSBuildFixture()
    {
        lock (Gate)
        {
            if (!MSBuildLocator.IsRegistered)
            {
                MSBuildLocator.RegisterDefaults();
            }
        }
    }
}
