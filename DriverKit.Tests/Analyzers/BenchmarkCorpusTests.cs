using System.Collections.Immutable;
using DriverKit.Benchmarks.Corpus;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// The analyzer-cost corpus (bench/DriverKit.Benchmarks/Corpus) measures nothing if it does not compile: a renamed runtime
/// type once left every generated file with errors, so the builds the benchmark times failed early and cheaply. Every shape
/// at every buffer order must compile cleanly, with DriverKit (no DK error, which would fail the timed build) and as the
/// look-alike twin (no DK diagnostic at all).
/// </summary>
public sealed class BenchmarkCorpusTests
{
    private const int ShapesTimesOrders = CorpusGenerator.Shapes * 4;

    public static TheoryData<int> Drivers => [.. Enumerable.Range(0, ShapesTimesOrders)];

    [Theory]
    [MemberData(nameof(Drivers))]
    public async Task Driver_compiles_against_the_runtime_with_no_DriverKit_error(int i)
    {
        var diagnostics = await DiagnosticsAsync(referenceRuntime: true, new SourceFile($"Driver{i}.cs", CorpusGenerator.Driver(i, "DriverKit.Runtime")));

        Assert.Empty(diagnostics.Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).Select(diagnostic => diagnostic.ToString()));
    }

    [Theory]
    [MemberData(nameof(Drivers))]
    public async Task Twin_compiles_against_the_look_alike_api_with_no_DriverKit_diagnostic(int i)
    {
        var diagnostics = await DiagnosticsAsync(
            referenceRuntime: false,
            new SourceFile($"Driver{i}.cs", CorpusGenerator.Driver(i, CorpusGenerator.PlainNamespace)),
            new SourceFile("PlainApi.cs", CorpusGenerator.PlainApi()));

        Assert.Empty(diagnostics.Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error || diagnostic.Id.StartsWith("DK", StringComparison.Ordinal))
            .Select(diagnostic => diagnostic.ToString()));
    }

    private static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(bool referenceRuntime, params SourceFile[] sources)
    {
        var settings = new ProjectSettings(
            LanguageVersion.Latest,
            NullableContextOptions.Enable,
            OutputKind.DynamicallyLinkedLibrary,
            ReferenceDriverKitRuntime: referenceRuntime,
            EditorConfig: null,
            GlobalConfig: null,
            BuildProperties: []);
        var all = sources.Append(new SourceFile("GlobalUsings.g.cs", CorpusGenerator.ImplicitUsings)).ToImmutableArray();
        var project = ProjectBuilder.Build(settings, all, RuleCatalogTests.Analyzers);
        return await DiagnosticRunner.GetDiagnosticsAsync(project, RuleCatalogTests.Analyzers, CompilerDiagnostics.Errors, "BenchmarkCorpus", CancellationToken.None);
    }
}
