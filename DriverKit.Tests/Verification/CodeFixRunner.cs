using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Tests.Verification;

/// <summary>Applies a code fix one diagnostic at a time, or through its Fix All provider, re-running the analyzers in between.</summary>
internal sealed class CodeFixRunner(
    ImmutableArray<DiagnosticAnalyzer> analyzers,
    CodeFixProvider provider,
    string? equivalenceKey,
    CompilerDiagnostics compilerDiagnostics)
{
    /// <summary>The fixed project, the number of fixes applied, and a hint when actions were offered but not selected.</summary>
    public sealed record IncrementalResult(Project Project, int Iterations, string? Hint);

    private sealed record Candidate(CodeAction? Action, Diagnostic? Diagnostic, ImmutableArray<Diagnostic> Diagnostics, string? Hint);

    /// <summary>One fix per iteration until none is offered; fails when the budget is exceeded or the code cycles.</summary>
    public async Task<IncrementalResult> FixIncrementallyAsync(Project project, IterationBudget budget, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string> { await SnapshotAsync(project, cancellationToken).ConfigureAwait(false) };
        for (var iteration = 1; ; iteration++)
        {
            var context = $"Code fix, iteration {iteration}";
            var candidate = await FindFirstFixAsync(project, context, cancellationToken).ConfigureAwait(false);
            if (candidate is not { Action: { } action, Diagnostic: { } diagnostic })
            {
                return new IncrementalResult(project, iteration - 1, candidate.Hint);
            }

            if (iteration > budget.Limit)
            {
                throw new VerificationException(context, budget.Limit == 0
                    ? $"No code fix was expected, but {CodeActionApplier.Describe(action)} was offered for {FailureFormatter.Describe(diagnostic)}."
                    : $"A fix is still offered after {budget.Limit} iteration(s) ({CodeActionApplier.Describe(action)} for " +
                      $"{FailureFormatter.Describe(diagnostic)}); set NumberOfIncrementalIterations if more iterations are intended.");
            }

            var solution = await CodeActionApplier.ApplyAsync(action, project.Solution, context, cancellationToken).ConfigureAwait(false);
            project = solution.GetProject(project.Id)!;
            if (!seen.Add(await SnapshotAsync(project, cancellationToken).ConfigureAwait(false)))
            {
                throw new VerificationException(
                    context,
                    $"Code action {CodeActionApplier.Describe(action)} brought the code back to an earlier state (it changes nothing or the fixes cycle).");
            }
        }
    }

    public bool SupportsFixAll(FixAllScope scope) =>
        provider.GetFixAllProvider() is { } fixAll && fixAll.GetSupportedFixAllScopes().Contains(scope);

    /// <summary>Runs the provider's Fix All in the scope of the first fixable diagnostic, at most <paramref name="maxIterations"/> times.</summary>
    public async Task<Project> FixAllAsync(Project project, FixAllScope scope, int maxIterations, string context, CancellationToken cancellationToken)
    {
        var fixAll = provider.GetFixAllProvider() ?? throw new InvalidOperationException($"{provider.GetType().Name} has no Fix All provider.");
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var candidate = await FindFirstFixAsync(project, context, cancellationToken).ConfigureAwait(false);
            if (candidate is not { Action: { } action, Diagnostic: { } diagnostic })
            {
                break;
            }

            var fixAllContext = new FixAllContext(
                project.GetDocument(diagnostic.Location.SourceTree)!,
                diagnostic.Location.SourceSpan,
                provider,
                scope,
                action.EquivalenceKey,
                provider.FixableDiagnosticIds,
                new PrecomputedDiagnosticProvider(candidate.Diagnostics),
                cancellationToken);
            if (await fixAll.GetFixAsync(fixAllContext).ConfigureAwait(false) is not { } fix)
            {
                break;
            }

            project = (await CodeActionApplier.ApplyAsync(fix, project.Solution, context, cancellationToken).ConfigureAwait(false)).GetProject(project.Id)!;
        }

        return project;
    }

    /// <summary>The first fixable diagnostic (in sorted order) with a selectable action.</summary>
    private async Task<Candidate> FindFirstFixAsync(Project project, string context, CancellationToken cancellationToken)
    {
        var diagnostics = await DiagnosticRunner.GetDiagnosticsAsync(project, analyzers, compilerDiagnostics, context, cancellationToken)
            .ConfigureAwait(false);
        var notSelected = new List<CodeAction>();
        foreach (var diagnostic in diagnostics.Where(diagnostic => provider.FixableDiagnosticIds.Contains(diagnostic.Id)))
        {
            if (project.GetDocument(diagnostic.Location.SourceTree) is not { } document)
            {
                continue;
            }

            var actions = await CodeActionApplier.GetActionsAsync(provider, document, diagnostic, cancellationToken).ConfigureAwait(false);
            if (CodeActionApplier.Select(actions, equivalenceKey) is { } action)
            {
                return new Candidate(action, diagnostic, diagnostics, Hint: null);
            }

            notSelected.AddRange(actions);
        }

        var hint = notSelected.Count == 0
            ? null
            : $"Code actions were offered, but none with equivalence key '{equivalenceKey}': " +
              string.Join(", ", notSelected.Select(CodeActionApplier.Describe).Distinct()) + ".";
        return new Candidate(null, null, diagnostics, hint);
    }

    private static async Task<string> SnapshotAsync(Project project, CancellationToken cancellationToken)
    {
        var texts = await Task.WhenAll(project.Documents
            .OrderBy(document => document.FilePath, StringComparer.Ordinal)
            .Select(async document => document.FilePath + "\n" + await document.GetTextAsync(cancellationToken).ConfigureAwait(false)))
            .ConfigureAwait(false);
        return string.Join("\0", texts);
    }
}
