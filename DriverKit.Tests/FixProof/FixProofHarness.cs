using System.Collections.Immutable;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Tests.FixProof;

/// <summary>A positive example of a rule: a whole driver (see <see cref="DriverModule"/>) and the kernels it is proven in.</summary>
/// <param name="Name">What the example shows (failure messages name it).</param>
/// <param name="Source">The driver's source.</param>
/// <param name="Versions">The kernel versions the rule covers for this example: it must flag the code and the runtime must show the bug in each.</param>
internal sealed record FixProofExample(string Name, string Source, params string[] Versions)
{
    /// <summary>What user space does beyond the standard script (<see cref="ProofRun"/>).</summary>
    public ProofProbe Probe { get; init; }

    /// <summary>The ioctl command <see cref="ProofProbe.IoctlWhileMapped"/> issues.</summary>
    public uint IoctlCommand { get; init; }
}

/// <summary>The theory data of a list of examples and the look-up of one by name, shared by the fix-proof test classes.</summary>
internal static class FixProofExamples
{
    public static TheoryData<string> Names(IEnumerable<FixProofExample> examples) => [.. examples.Select(example => example.Name)];

    public static FixProofExample Find(IEnumerable<FixProofExample> examples, string name) => examples.Single(example => example.Name == name);
}

/// <summary>
/// The fix-proof harness every rule goes through. For each positive example and each kernel version it covers:
/// <list type="number">
/// <item>the rule reports the example (analyzers configured for that kernel);</item>
/// <item>the example, compiled and run on the runtime in strict mode through the standard user-space script
/// (<see cref="ProofRun"/>), produces a report tagged with the rule's id — the bug happens;</item>
/// <item>the code fix, applied one diagnostic at a time until none is offered and, separately, by Fix All in the document,
/// gives code that compiles, that the rule no longer flags, whose run has no report tagged with the rule's id, and no report
/// (by kind, invariant and rule) that the unfixed run did not have — the fix made nothing worse.</item>
/// </list>
/// </summary>
internal sealed class FixProofHarness
{
    private readonly string ruleId;
    private readonly ImmutableArray<DiagnosticAnalyzer> analyzers;
    private readonly CodeFixProvider fixer;
    private readonly string? equivalenceKey;

    /// <param name="ruleId">The rule (DKxxxx).</param>
    /// <param name="analyzer">The analyzer that reports it.</param>
    /// <param name="fixer">Its code fix.</param>
    /// <param name="equivalenceKey">The fix's action to apply when it offers several (default: the first offered).</param>
    public FixProofHarness(string ruleId, DiagnosticAnalyzer analyzer, CodeFixProvider fixer, string? equivalenceKey = null)
    {
        this.ruleId = ruleId;
        analyzers = [analyzer];
        this.fixer = fixer;
        this.equivalenceKey = equivalenceKey;
    }

    public async Task ProveAsync(FixProofExample example)
    {
        foreach (var version in example.Versions)
        {
            await ProveAsync(example, version).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Steps 1 and 2 only, for a finding without a mechanical fix (a slab page mapped, RAM exported uncached): the rule flags
    /// the example, the runtime shows the bug, and the fix offers nothing.
    /// </summary>
    public async Task ProveBugAsync(FixProofExample example)
    {
        foreach (var version in example.Versions)
        {
            var context = $"{ruleId} bug proof, '{example.Name}', Linux {version}";
            var (project, _, _) = await FlaggedAndRunAsync(example, version, context).ConfigureAwait(false);
            var runner = new CodeFixRunner(analyzers, fixer, equivalenceKey, CompilerDiagnostics.None);
            var fixedOnce = await runner.FixIncrementallyAsync(project, new IterationBudget(1, IsExact: false), CancellationToken.None).ConfigureAwait(false);
            if (fixedOnce.Iterations != 0)
            {
                throw new Xunit.Sdk.XunitException($"{context}: a code fix was offered for a finding that has no mechanical fix.");
            }
        }
    }

    private async Task<(Project Project, List<Diagnostic> Flagged, ProofRun Unfixed)> FlaggedAndRunAsync(FixProofExample example, string version, string context)
    {
        var project = Build(example.Source, version);
        var flagged = await RuleDiagnosticsAsync(project, context).ConfigureAwait(false);
        if (flagged.Count == 0)
        {
            throw new Xunit.Sdk.XunitException($"{context}: the rule does not flag the example.");
        }

        var unfixed = ProofRun.Play(await DriverModule.LoadAsync(project, context + ", unfixed").ConfigureAwait(false), version, example);
        if (!unfixed.Reports.Any(report => report.RuleId == ruleId))
        {
            throw new Xunit.Sdk.XunitException($"{context}: the unfixed driver's run shows no report tagged {ruleId}.\n{unfixed.Describe()}");
        }

        return (project, flagged, unfixed);
    }

    private async Task ProveAsync(FixProofExample example, string version)
    {
        var context = $"{ruleId} fix proof, '{example.Name}', Linux {version}";
        var (project, flagged, unfixed) = await FlaggedAndRunAsync(example, version, context).ConfigureAwait(false);

        var runner = new CodeFixRunner(analyzers, fixer, equivalenceKey, CompilerDiagnostics.None);
        var single = await runner.FixIncrementallyAsync(project, new IterationBudget(flagged.Count * 4, IsExact: false), CancellationToken.None).ConfigureAwait(false);
        if (single.Iterations == 0)
        {
            throw new Xunit.Sdk.XunitException($"{context}: no code fix was applied.{(single.Hint is null ? "" : " " + single.Hint)}");
        }

        await CheckFixedAsync(single.Project, unfixed, example, version, context + ", one fix at a time").ConfigureAwait(false);
        var batch = await runner.FixAllAsync(project, FixAllScope.Document, 1, context + ", Fix All", CancellationToken.None).ConfigureAwait(false);
        await CheckFixedAsync(batch, unfixed, example, version, context + ", Fix All").ConfigureAwait(false);
    }

    private async Task CheckFixedAsync(Project project, ProofRun unfixed, FixProofExample example, string version, string context)
    {
        var source = await project.Documents.Single().GetTextAsync().ConfigureAwait(false);
        var remaining = await RuleDiagnosticsAsync(project, context).ConfigureAwait(false);
        if (remaining.Count > 0)
        {
            throw new Xunit.Sdk.XunitException($"{context}: the fixed code is still flagged: {string.Join("; ", remaining)}\n{source}");
        }

        var run = ProofRun.Play(await DriverModule.LoadAsync(project, context).ConfigureAwait(false), version, example);
        var before = unfixed.Reports.Select(report => report.Identity).ToHashSet();
        var problems = run.Reports
            .Where(report => report.RuleId == ruleId || !before.Contains(report.Identity))
            .ToList();
        if (problems.Count > 0)
        {
            throw new Xunit.Sdk.XunitException(
                $"{context}: the fixed driver's run still shows the bug or a new report:\n  {string.Join("\n  ", problems)}\n" +
                $"fixed run: {run.Describe()}\nunfixed run: {unfixed.Describe()}\nfixed code:\n{source}");
        }
    }

    private async Task<List<Diagnostic>> RuleDiagnosticsAsync(Project project, string context)
    {
        var compilation = await project.GetCompilationAsync().ConfigureAwait(false);
        var errors = compilation!.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            var source = await project.Documents.Single().GetTextAsync().ConfigureAwait(false);
            throw new Xunit.Sdk.XunitException($"{context}: the code does not compile: {string.Join("; ", errors)}\n{source}");
        }

        var diagnostics = await DiagnosticRunner.GetDiagnosticsAsync(project, analyzers, CompilerDiagnostics.None, context, CancellationToken.None).ConfigureAwait(false);
        return diagnostics.Where(diagnostic => diagnostic.Id == ruleId).ToList();
    }

    private Project Build(string source, string version) => ProjectBuilder.Build(
        new ProjectSettings(LanguageVersion.Latest, NullableContextOptions.Enable, OutputKind.DynamicallyLinkedLibrary, ReferenceDriverKitRuntime: true,
            EditorConfig: null, GlobalConfig: "driverkit.kernel_version = " + version, BuildProperties: []),
        [new SourceFile(TestPaths.PrimarySource, source)],
        analyzers);
}
