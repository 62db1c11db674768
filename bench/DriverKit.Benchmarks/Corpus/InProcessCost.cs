using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using DriverKit.Benchmarks.Report;
using DriverKit.Benchmarks.Shapes;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Benchmarks.Corpus;

/// <summary>
/// The analyzer-cost corpus analysed in-process (<c>DriverKit.Benchmarks corpus-profile</c>): one compilation of the
/// generated drivers, its compile diagnostics timed, then every DriverKit analyzer run on a fresh copy with the
/// compiler's own execution-time log, per analyzer. No MSBuild, no other analyzers: a profile of where DriverKit's time
/// goes, not the build share the <c>analyzers</c> mode measures. Each run also analyzes the same compilation with an analyzer
/// that does nothing and with one that only binds every body's operations, so the process's CPU time and allocation split
/// into the compiler's share, DriverKit's share and the binding any operation-reading rule pays.
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
        var timer = new CallbackTimer();
        var analyzers = timer.Wrap(ShapeCompilations.DriverKitAnalyzers);
        var perAnalyzer = analyzers.ToDictionary(analyzer => CallbackTimer.Unwrap(analyzer).GetType().Name, _ => new List<double>());
        var compiles = new List<double>();
        var totals = new List<double>();
        var cpu = new List<double>();
        var callbackCpu = new List<double>();
        var allocated = new List<double>();
        var bindingCpu = new List<double>();
        var bindingAllocated = new List<double>();
        for (var run = 0; run <= runs; run++)
        {
            var fresh = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(trees);
            var compileAllocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
            var watch = Stopwatch.StartNew();
            var errors = fresh.GetDiagnostics().Count(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);
            var compileMs = watch.Elapsed.TotalMilliseconds;
            var compileMb = (GC.GetTotalAllocatedBytes(precise: false) - compileAllocatedBefore) / (1024.0 * 1024.0);
            var baseline = await AnalyzeAsync(fresh, [new NoOpAnalyzer(bindBodies: false)]).ConfigureAwait(false);
            var binding = await AnalyzeAsync(fresh, [new NoOpAnalyzer(bindBodies: true)]).ConfigureAwait(false);
            timer.Reset();
            var (result, analysis) = await AnalyzeAsync(fresh, analyzers).ConfigureAwait(false);
            var callbackCpuMs = timer.CpuElapsed.TotalMilliseconds;
            var (shareCpu, shareMb) = (analysis.CpuMs - baseline.Cost.CpuMs, analysis.AllocatedMb - baseline.Cost.AllocatedMb);
            var (bindCpu, bindMb) = (binding.Cost.CpuMs - baseline.Cost.CpuMs, binding.Cost.AllocatedMb - baseline.Cost.AllocatedMb);
            var reported = result.GetAllDiagnostics().Count(diagnostic => diagnostic.Id.StartsWith("DK", StringComparison.Ordinal));
            var total = 0.0;
            foreach (var (analyzer, telemetry) in result.AnalyzerTelemetryInfo)
            {
                var ms = telemetry.ExecutionTime.TotalMilliseconds;
                total += ms;
                if (run > 0)
                {
                    perAnalyzer[CallbackTimer.Unwrap(analyzer).GetType().Name].Add(ms);
                }
            }

            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(run == 0 ? "warm-up" : $"run {run}")}: compile {compileMs:F0} ms ({errors} errors, {compileMb:F0} MB allocated), DriverKit {total:F0} ms in its callbacks ({callbackCpuMs:F0} ms of its threads' CPU), {reported} DK diagnostics; analysis {analysis}; with a no-op analyzer {baseline.Cost}; DriverKit's share: {shareCpu:F0} ms CPU, {shareMb:F0} MB; binding every body's operations: {bindCpu:F0} ms CPU, {bindMb:F0} MB"));
            if (run > 0)
            {
                compiles.Add(compileMs);
                totals.Add(total);
                callbackCpu.Add(callbackCpuMs);
                cpu.Add(shareCpu);
                allocated.Add(shareMb);
                bindingCpu.Add(bindCpu);
                bindingAllocated.Add(bindMb);
            }
        }

        log.WriteLine();
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median: compile {Median.Of(compiles):F0} ms, DriverKit {Median.Of(totals):F0} ms ({Median.Of(totals) / Median.Of(compiles):P1} of the compile), of which its threads' CPU {Median.Of(callbackCpu):F0} ms ({Median.Of(callbackCpu) / Median.Of(compiles):P1}); DriverKit's share of the analysis (against a no-op analyzer): {Median.Of(cpu):F0} ms CPU, {Median.Of(allocated):F0} MB allocated; binding the operations of every body (the floor of any rule that reads them all): {Median.Of(bindingCpu):F0} ms CPU, {Median.Of(bindingAllocated):F0} MB"));
        foreach (var (name, times) in perAnalyzer.OrderByDescending(entry => Median.Of(entry.Value)))
        {
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Median.Of(times),8:F1} ms  {name}"));
        }
    }

    /// <summary>Runs <paramref name="analyzers"/> on a fresh copy of <paramref name="compilation"/> and measures the whole analysis.</summary>
    private static async Task<(AnalysisResult Result, AnalysisCost Cost)> AnalyzeAsync(Compilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var fresh = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(compilation.SyntaxTrees);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var pausedBefore = GC.GetTotalPauseDuration();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: true);
        var result = await fresh.WithAnalyzers(analyzers, options).GetAnalysisResultAsync(CancellationToken.None).ConfigureAwait(false);
        return (result, new AnalysisCost(
            watch.Elapsed.TotalMilliseconds,
            (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds,
            (GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore) / (1024.0 * 1024.0),
            (GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds));
    }

    /// <summary>What one analysis of the corpus cost the process: wall and CPU time, allocation, GC pauses.</summary>
    private readonly record struct AnalysisCost(double WallMs, double CpuMs, double AllocatedMb, double PausedMs)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{WallMs:F0} ms wall, {CpuMs:F0} ms CPU, {AllocatedMb:F0} MB allocated, GC paused {PausedMs:F0} ms");
    }

    /// <summary>
    /// An analyzer that asks for every tree's semantic model and does nothing with it: the analysis it costs is the compiler's and
    /// the analyzer driver's share, which the difference with DriverKit's analysis leaves out. With <c>bindBodies</c> it also asks
    /// for the operation tree of every method, constructor and accessor body: what binding costs an analyzer that reads them all.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class NoOpAnalyzer(bool bindBodies) : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Never = new("NOOP0001", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Never);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterSemanticModelAction(model =>
            {
                if (!bindBodies)
                {
                    return;
                }

                foreach (var body in model.SemanticModel.SyntaxTree.GetRoot(model.CancellationToken).DescendantNodes()
                    .Where(node => node is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax))
                {
                    model.SemanticModel.GetOperation(body, model.CancellationToken);
                }
            });
        }
    }
}
