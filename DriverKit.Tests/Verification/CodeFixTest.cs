using System.Collections.Immutable;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Tests.Verification;

/// <summary>
/// A code-fix test. After checking the input's diagnostics it applies <typeparamref name="TCodeFix"/> one diagnostic at a time
/// and compares the result with <see cref="FixedCode"/>; then runs Fix All in document, project and solution scope from the
/// input and compares with <see cref="BatchFixedCode"/> (default: <see cref="FixedCode"/>); finally checks the fixed code's
/// own diagnostics (compiler errors included), which are declared by markup in <see cref="FixedCode"/> and by
/// <see cref="FixedExpectedDiagnostics"/>.
/// </summary>
public class CodeFixTest<TAnalyzer, TCodeFix> : AnalyzerTest<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    private static readonly (FixAllScope Scope, string Context)[] FixAllScopes =
    [
        (FixAllScope.Document, "Fix All in document"),
        (FixAllScope.Project, "Fix All in project"),
        (FixAllScope.Solution, "Fix All in solution"),
    ];

    /// <summary>The expected primary source after fixing. Equal to <see cref="AnalyzerTest.TestCode"/> means no fix may be offered.</summary>
    public string? FixedCode { get; set; }

    /// <summary>The other sources after fixing; when empty they are expected unchanged.</summary>
    public List<(string Path, string Code)> FixedAdditionalSources { get; } = [];

    /// <summary>The expected Fix All result, when it legitimately differs from fixing one diagnostic at a time.</summary>
    public string? BatchFixedCode { get; set; }

    /// <summary>Diagnostics expected in the fixed code besides its markup (<c>WithLocation(n)</c> binds to markers in the fixed code).</summary>
    public List<ExpectedDiagnostic> FixedExpectedDiagnostics { get; } = [];

    /// <summary>Apply the action with this equivalence key instead of the first one offered.</summary>
    public string? CodeActionEquivalenceKey { get; set; }

    /// <summary>
    /// n ≥ 0: exactly n fixes are applied; −n: at most n. Default: none when the fixed code equals the input, otherwise at
    /// most one per fixable expected diagnostic.
    /// </summary>
    public int? NumberOfIncrementalIterations { get; set; }

    /// <summary>Upper bound of Fix All applications per scope.</summary>
    public int NumberOfFixAllIterations { get; set; } = 1;

    /// <inheritdoc/>
    public override async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var fixedCode = FixedCode ?? throw new InvalidOperationException("Set FixedCode (equal to TestCode when no fix may be offered).");
        var analyzers = Analyzers.ToImmutableArray();
        var provider = new TCodeFix();
        var fixedSources = FixedAdditionalSources.Count > 0 ? FixedAdditionalSources : AdditionalSources;
        var testState = CreateState(TestCode, AdditionalSources, ExpectedDiagnostics, analyzers);
        var fixedState = CreateState(fixedCode, fixedSources, FixedExpectedDiagnostics, analyzers);
        var batchState = BatchFixedCode is null ? fixedState : CreateState(BatchFixedCode, fixedSources, FixedExpectedDiagnostics, analyzers);
        await VerifyDiagnosticsAsync(testState, analyzers, "Diagnostics of test state", cancellationToken).ConfigureAwait(false);

        var expectsNoFix = testState.Sources.SequenceEqual(fixedState.Sources);
        var budget = IterationBudget.Resolve(
            NumberOfIncrementalIterations,
            testState.ExpectedDiagnostics.Count(expected => provider.FixableDiagnosticIds.Contains(expected.Id)),
            expectsNoFix);
        var runner = new CodeFixRunner(analyzers, provider, CodeActionEquivalenceKey, CompilerDiagnostics);
        var original = ProjectBuilder.Build(Settings, testState.Sources, analyzers);

        var incremental = await runner.FixIncrementallyAsync(original, budget, cancellationToken).ConfigureAwait(false);
        await FixedCodeVerifier.VerifyAsync(incremental.Project, fixedState.Sources, "Code fix", incremental.Hint, cancellationToken)
            .ConfigureAwait(false);
        if (budget.IsExact && incremental.Iterations != budget.Limit)
        {
            throw new VerificationException(
                "Code fix",
                $"Expected {budget.Limit} code-fix iteration(s), but {incremental.Iterations} were applied." +
                (incremental.Hint is null ? "" : "\n" + incremental.Hint));
        }

        if (expectsNoFix)
        {
            return;
        }

        foreach (var (scope, context) in FixAllScopes.Where(scope => runner.SupportsFixAll(scope.Scope)))
        {
            var project = await runner.FixAllAsync(original, scope, NumberOfFixAllIterations, context, cancellationToken).ConfigureAwait(false);
            await FixedCodeVerifier.VerifyAsync(project, batchState.Sources, context, hint: null, cancellationToken).ConfigureAwait(false);
        }

        await VerifyDiagnosticsAsync(fixedState, analyzers, "Diagnostics of fixed state", cancellationToken).ConfigureAwait(false);
        if (BatchFixedCode is not null)
        {
            await VerifyDiagnosticsAsync(batchState, analyzers, "Diagnostics of Fix All state", cancellationToken).ConfigureAwait(false);
        }
    }
}
