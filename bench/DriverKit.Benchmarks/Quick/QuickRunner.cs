using System.Diagnostics;
using DriverKit.Benchmarks.Workloads;

namespace DriverKit.Benchmarks.Quick;

/// <summary>One workload's result: time per operation and managed bytes allocated per operation.</summary>
/// <param name="Key">The workload key.</param>
/// <param name="NsPerOp">Time per operation (median of the measured runs for quick mode, BenchmarkDotNet's mean otherwise).</param>
/// <param name="BytesPerOp">Managed bytes allocated per operation inside the timed part.</param>
/// <param name="Source">"quick" or "BenchmarkDotNet".</param>
public sealed record SimResult(string Key, double NsPerOp, double BytesPerOp, string Source);

/// <summary>
/// The in-process measurement mode: the same workloads as the BenchmarkDotNet suite, timed with a Stopwatch in
/// this process (at least 32 warm-up runs and 0.6 s, then the median of the measured runs). Seconds instead of minutes; less rigorous
/// than BenchmarkDotNet (no process isolation, no outlier analysis), so bench/run uses BenchmarkDotNet by default.
/// </summary>
public static class QuickRunner
{
    /// <summary>Warm-up lasts at least this long, so tiered compilation has promoted the hot methods (its delay is 100 ms).</summary>
    private static readonly TimeSpan MinWarmup = TimeSpan.FromMilliseconds(600);

    /// <summary>
    /// At least this many warm-up runs: a method called once per run (munmap's zap loop, fork's copy loop) is
    /// promoted to optimized code after 30 calls.
    /// </summary>
    private const int MinWarmupRuns = 32;

    /// <summary>Runs every selected workload.</summary>
    /// <param name="filter">Keys to run (all when empty).</param>
    /// <param name="warmups">Untimed runs first.</param>
    /// <param name="runs">Timed runs.</param>
    /// <param name="log">Progress output.</param>
    /// <param name="jitWarmup">
    /// Warm up for at least 32 runs and 0.6 s (the first round of a process); later rounds of the same process only
    /// need <paramref name="warmups"/> runs, their code is already optimized.
    /// </param>
    public static List<SimResult> RunAll(IReadOnlyCollection<string> filter, int warmups, int runs, TextWriter log, bool jitWarmup = true)
    {
        var results = new List<SimResult>();
        foreach (var w in AllWorkloads.Create())
        {
            if (filter.Count > 0 && !filter.Contains(w.Key))
            {
                continue;
            }

            var m = Measure(w, warmups, runs, jitWarmup);
            log.WriteLine($"  {w.Key,-18} {m.NsPerOp,12:F1} ns/{w.Unit,-5} {m.BytesPerOp,10:F1} B/{w.Unit}");
            results.Add(m);
        }

        return results;
    }

    /// <summary>Measures one workload.</summary>
    /// <param name="w">The workload.</param>
    /// <param name="warmups">Untimed runs.</param>
    /// <param name="runs">Timed runs.</param>
    /// <param name="jitWarmup">Whether the warm-up also waits for tiered compilation (see <see cref="RunAll"/>).</param>
    public static SimResult Measure(Workload w, int warmups, int runs, bool jitWarmup = true)
    {
        w.GlobalSetup();
        var times = new List<double>();
        var bytes = new List<double>();
        var warm = Stopwatch.StartNew();
        var done = 0;
        while (jitWarmup ? done < Math.Max(warmups, MinWarmupRuns) || warm.Elapsed < MinWarmup : done < warmups)
        {
            w.IterationSetup();
            w.Run();
            w.IterationCleanup();
            done++;
        }

        for (var i = 0; i < runs; i++)
        {
            w.IterationSetup();
            var before = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            w.Run();
            sw.Stop();
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            w.IterationCleanup();
            times.Add(sw.Elapsed.TotalNanoseconds / w.Operations);
            bytes.Add((double)allocated / w.Operations);
        }

        w.GlobalCleanup();
        times.Sort();
        bytes.Sort();
        return new SimResult(w.Key, times[times.Count / 2], bytes[bytes.Count / 2], "quick");
    }
}
