using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using DriverKit.Benchmarks.Report;
using DriverKit.Benchmarks.Shapes;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Benchmarks.Corpus;

/// <summary>
/// The analyzer-cost corpus analysed in-process (<c>DriverKit.Benchmarks corpus-profile</c>): one compilation of the
/// generated drivers, its compile diagnostics timed, then every DriverKit analyzer run on a fresh copy with the
/// compiler's own execution-time log, per analyzer. No MSBuild, no other analyzers: a profile of where DriverKit's time
/// goes, not the build share the <c>analyzers</c> mode measures.
/// </summary>
public static class InProcessCost
{
    /// <summary>Runs the profile and prints one line per run and the per-analyzer medians.</summary>
    /// <param name="files">Driver files in the compilation.</param>
    /// <param name="runs">Timed runs (after one warm-up).</param>
    /// <param name="log">Where the table goes.</param>
    public static async Task RunAsync(int files, int runs, TextWriter log)
    {
        var trees = Enumerable.Range(0, files)
            .Select(i => CSharpSyntaxTree.ParseText(CorpusGenerator.Driver(i, "DriverKit.Runtime"), path: $"Driver{i:D4}.cs"))
            .Append(CSharpSyntaxTree.ParseText(CorpusGenerator.ImplicitUsings, path: "GlobalUsings.g.cs"))
            .ToArray();
        var compilation = CSharpCompilation.Create(
            "Corpus.Drivers",
            trees,
            ReferenceAssemblies.Get(includeDriverKitRuntime: true),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var analyzers = ShapeCompilations.DriverKitAnalyzers;
        var perAnalyzer = analyzers.ToDictionary(analyzer => analyzer.GetType().Name, _ => new List<double>());
        var compiles = new List<double>();
        var totals = new List<double>();
        for (var run = 0; run <= runs; run++)
        {
            var fresh = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(trees);
            var watch = Stopwatch.StartNew();
            var errors = fresh.GetDiagnostics().Count(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
            var compileMs = watch.Elapsed.TotalMilliseconds;
            var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: true);
            var result = await fresh.WithAnalyzers(analyzers, options).GetAnalysisResultAsync(CancellationToken.None).ConfigureAwait(false);
            var reported = result.GetAllDiagnostics().Count(diagnostic => diagnostic.Id.StartsWith("DK", StringComparison.Ordinal));
            var total = 0.0;
            foreach (var (analyzer, telemetry) in result.AnalyzerTelemetryInfo)
            {
                var ms = telemetry.ExecutionTime.TotalMilliseconds;
                total += ms;
                if (run > 0)
                {
                    perAnalyzer[analyzer.GetType().Name].Add(ms);
                }
            }

            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(run == 0 ? "warm-up" : $"run {run}")}: compile {compileMs:F0} ms ({errors} errors), DriverKit {total:F0} ms, {reported} DK diagnostics"));
            if (run > 0)
            {
                compiles.Add(compileMs);
                totals.Add(total);
            }
        }

        log.WriteLine();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median: compile {Median.Of(compiles):F0} ms, DriverKit {Median.Of(totals):F0} ms ({Median.Of(totals) / Median.Of(compiles):P1} of the compile)"));
        foreach (var (name, times) in perAnalyzer.OrderByDescending(entry => Median.Of(entry.Value)))
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Median.Of(times),8:F1} ms  {name}"));
        }
    }
}
