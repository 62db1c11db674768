using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DriverKit.Benchmarks.Shapes;

/// <summary>One shape at one size: DriverKit's time on it and how it grew from the size before.</summary>
/// <param name="Shape">The shape.</param>
/// <param name="Size">Its size.</param>
/// <param name="Milliseconds">Median time in DriverKit's analyzer callbacks for the one file.</param>
/// <param name="Growth">Time divided by the time at half the size (2 is linear), or null for the smallest size.</param>
/// <param name="Diagnostics">DK diagnostics reported (the analysis found what it should).</param>
/// <param name="Fastest">The fastest run: the cost without interference from the rest of the machine.</param>
public sealed record ShapeResult(string Shape, int Size, double Milliseconds, double? Growth, int Diagnostics, double Fastest);

/// <summary>
/// The in-process measurement of the analyzer shapes (<c>DriverKit.Benchmarks shapes</c>): per shape and size, the median over
/// several runs of the time spent in DriverKit's analyzer callbacks (<see cref="CallbackTimer"/>), the operation trees built
/// beforehand by a binder every IOperation analyzer shares. The target is 100 ms per file at every size, with linear growth.
/// </summary>
public static class ShapeRunner
{
    /// <summary>The most DriverKit analysis may take on one file.</summary>
    public const double TargetMilliseconds = 100;

    /// <summary>Measures every shape (or those in <paramref name="only"/>) and prints the table.</summary>
    /// <param name="only">Shapes to measure (all when empty).</param>
    /// <param name="runs">Timed runs per size (after two warm-up runs).</param>
    /// <param name="log">Where the table goes.</param>
    public static async Task<List<ShapeResult>> RunAsync(IReadOnlyCollection<string> only, int runs, TextWriter log)
    {
        var timer = new CallbackTimer();
        var analyzers = timer.Wrap(ShapeCompilations.DriverKitAnalyzers);
        var results = new List<ShapeResult>();
        foreach (var (shape, sizes) in ShapeSources.All.Where(entry => only.Count == 0 || only.Contains(entry.Name)))
        {
            double? previous = null;
            foreach (var size in sizes)
            {
                var compilation = ShapeCompilations.Create(shape, size);
                var times = new List<double>();
                var diagnostics = 0;
                for (var run = 0; run < runs + 2; run++)
                {
                    // A collection left over from the run before would otherwise land in this run's callbacks.
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                    timer.Reset();
                    diagnostics = (await ShapeCompilations.AnalyzeAsync(compilation, analyzers).ConfigureAwait(false)).Length;
                    if (run >= 2)
                    {
                        times.Add(timer.Elapsed.TotalMilliseconds);
                    }
                }

                times.Sort();
                var median = times[times.Count / 2];
                var result = new ShapeResult(shape, size, median, previous is { } before && before > 0 ? median / before : null, diagnostics, times[0]);
                results.Add(result);
                log.WriteLine(Format(result));
                previous = median;
            }
        }

        return results;
    }

    /// <summary>The table of results, as bench/README.md records it.</summary>
    /// <param name="results">The results.</param>
    public static string Table(IEnumerable<ShapeResult> results)
    {
        var text = new StringBuilder("| shape | size | DriverKit ms/file (median) | fastest run | growth (×, size doubled) | DK diagnostics | target ≤ 100 ms |\n|---|---:|---:|---:|---:|---:|---|\n");
        foreach (var result in results)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {result.Shape} | {result.Size} | {result.Milliseconds:F1} | {result.Fastest:F1} | {(result.Growth is { } growth ? growth.ToString("F2", CultureInfo.InvariantCulture) : "—")} | {result.Diagnostics} | {(result.Milliseconds <= TargetMilliseconds ? "PASS" : "FAIL")} |\n");
        }

        return text.ToString();
    }

    private static string Format(ShapeResult result) => string.Create(CultureInfo.InvariantCulture,
        $"  {result.Shape,-27} {result.Size,6} {result.Milliseconds,9:F1} ms (fastest {result.Fastest,6:F1}) {(result.Growth is { } growth ? $"×{growth:F2}" : ""),7} {result.Diagnostics,6} DK  {(result.Milliseconds <= TargetMilliseconds ? "PASS" : "FAIL")}");
}
