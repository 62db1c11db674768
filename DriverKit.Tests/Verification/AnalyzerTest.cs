using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Tests.Verification;

/// <summary>
/// An analyzer test: compiles <see cref="TestCode"/> (plus <see cref="AdditionalSources"/>) with the <see cref="Analyzers"/> and
/// compares the analyzer diagnostics and compiler errors with the markup in the sources plus <see cref="ExpectedDiagnostics"/>.
/// </summary>
public class AnalyzerTest
{
    /// <summary>The primary source, <c>/0/Test0.cs</c>. May contain markup.</summary>
    public string TestCode { get; set; } = "";

    /// <summary>More sources; relative paths are placed under <c>/0/</c>. May contain markup.</summary>
    public List<(string Path, string Code)> AdditionalSources { get; } = [];

    public List<ExpectedDiagnostic> ExpectedDiagnostics { get; } = [];

    /// <summary>The analyzers to run; all their descriptors are enabled, disabled-by-default ones at their default severity.</summary>
    public List<DiagnosticAnalyzer> Analyzers { get; } = [];

    /// <summary>Content of <c>/0/.editorconfig</c>, which applies to the sources by path (e.g. a <c>[*.cs]</c> section).</summary>
    public string? EditorConfig { get; set; }

    /// <summary>Content of a global analyzer config; <c>is_global = true</c> is added when missing.</summary>
    public string? GlobalConfig { get; set; }

    /// <summary>MSBuild properties visible to analyzers as <c>build_property.Name</c>, as CompilerVisibleProperty makes them.</summary>
    public Dictionary<string, string> BuildProperties { get; } = new(StringComparer.Ordinal);

    public LanguageVersion LanguageVersion { get; set; } = LanguageVersion.Latest;

    public NullableContextOptions NullableContext { get; set; } = NullableContextOptions.Enable;

    public OutputKind OutputKind { get; set; } = OutputKind.DynamicallyLinkedLibrary;

    /// <summary>Whether the test project references DriverKit.Runtime; turn off to check that analyzers bail out without it.</summary>
    public bool ReferenceDriverKitRuntime { get; set; } = true;

    public CompilerDiagnostics CompilerDiagnostics { get; set; } = CompilerDiagnostics.Errors;

    /// <summary>Assemblies the test project references besides the framework (and DriverKit.Runtime).</summary>
    public List<MetadataReference> AdditionalReferences { get; } = [];

    private protected ProjectSettings Settings => new(
        LanguageVersion,
        NullableContext,
        OutputKind,
        ReferenceDriverKitRuntime,
        EditorConfig,
        GlobalConfig,
        [.. BuildProperties.OrderBy(property => property.Key, StringComparer.Ordinal)],
        [.. AdditionalReferences]);

    /// <exception cref="VerificationException">The diagnostics differ from the expected ones, or an analyzer threw.</exception>
    /// <exception cref="ArgumentException">The markup or an expected diagnostic is malformed.</exception>
    public virtual async Task RunAsync(CancellationToken cancellationToken = default)
    {
        var analyzers = Analyzers.ToImmutableArray();
        var state = CreateState(TestCode, AdditionalSources, ExpectedDiagnostics, analyzers);
        await VerifyDiagnosticsAsync(state, analyzers, "Diagnostics of test state", cancellationToken).ConfigureAwait(false);
    }

    private protected static TestState CreateState(
        string primaryCode,
        IEnumerable<(string Path, string Code)> additionalSources,
        IEnumerable<ExpectedDiagnostic> expectedDiagnostics,
        ImmutableArray<DiagnosticAnalyzer> analyzers) =>
        TestState.Create([(TestPaths.PrimarySource, primaryCode), .. additionalSources], expectedDiagnostics, analyzers);

    private protected async Task VerifyDiagnosticsAsync(
        TestState state,
        ImmutableArray<DiagnosticAnalyzer> analyzers,
        string context,
        CancellationToken cancellationToken)
    {
        var project = ProjectBuilder.Build(Settings, state.Sources, analyzers);
        var actual = await DiagnosticRunner.GetDiagnosticsAsync(project, analyzers, CompilerDiagnostics, context, cancellationToken)
            .ConfigureAwait(false);
        DiagnosticComparer.Verify(state, actual, context);
    }
}

/// <summary>An <see cref="AnalyzerTest"/> that starts with one <typeparamref name="TAnalyzer"/>; add more to <see cref="AnalyzerTest.Analyzers"/>.</summary>
public class AnalyzerTest<TAnalyzer> : AnalyzerTest
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public AnalyzerTest()
    {
        Analyzers.Add(new TAnalyzer());
    }
}
