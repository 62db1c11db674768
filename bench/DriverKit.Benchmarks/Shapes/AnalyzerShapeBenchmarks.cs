using BenchmarkDotNet.Attributes;
using DriverKit.Benchmarks.Suite;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverKit.Benchmarks.Shapes;

/// <summary>
/// The analyzer shapes under BenchmarkDotNet: a whole analysis of the file with the operation-tree binder alone (the
/// baseline) and with every DriverKit analyzer after it; DriverKit's cost is the difference of the two means, which the
/// in-process <c>shapes</c> mode measures directly from the analyzers' callbacks.
/// </summary>
[Config(typeof(SuiteConfig.Repeated))]
public class AnalyzerShapeBenchmarks
{
    private CSharpCompilation compilation = null!;

    /// <summary>The largest size of each shape.</summary>
    public static IEnumerable<string> Cases => ShapeSources.All.Select(entry => $"{entry.Name}:{entry.Sizes[^1]}");

    /// <summary>Which shape and size ("loops:1000").</summary>
    [ParamsSource(nameof(Cases))]
    public string Case { get; set; } = "loops:1000";

    /// <summary>Builds the shape's compilation.</summary>
    [GlobalSetup]
    public void GlobalSetup()
    {
        var parts = Case.Split(':');
        compilation = ShapeCompilations.Create(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The operation trees alone.</summary>
    [Benchmark(Baseline = true)]
    public Task BinderOnly() => ShapeCompilations.AnalyzeAsync(compilation, []);

    /// <summary>The operation trees and every DriverKit analyzer.</summary>
    [Benchmark]
    public Task WithDriverKit() => ShapeCompilations.AnalyzeAsync(compilation, ShapeCompilations.DriverKitAnalyzers);
}
