using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using DriverKit.Benchmarks.Quick;
using DriverKit.Benchmarks.Suite;

namespace DriverKit.Benchmarks.Report;

/// <summary>Runs the BenchmarkDotNet suite and turns its summaries into <see cref="SimResult"/>s keyed like the workloads.</summary>
public static class SuiteRunner
{
    /// <summary>Every benchmark class of the suite.</summary>
    public static readonly Type[] Classes = [typeof(PageBenchmarks), typeof(TlbBenchmarks), typeof(BootBenchmarks), typeof(ReclaimBenchmarks)];

    /// <summary>Runs the whole suite out of process and collects one measurement per workload.</summary>
    /// <param name="artifacts">BenchmarkDotNet's artifacts directory.</param>
    public static List<SimResult> Run(string artifacts)
    {
        var results = new List<SimResult>();
        foreach (var summary in BenchmarkRunner.Run(Classes, SuiteConfig.Run(artifacts)))
        {
            foreach (var report in summary.Reports)
            {
                if (ToMeasurement(report) is { } m)
                {
                    results.Add(m);
                }
            }
        }

        return results;
    }

    private static SimResult? ToMeasurement(BenchmarkReport report)
    {
        var stats = report.ResultStatistics;
        if (stats is null)
        {
            return null;
        }

        var c = report.BenchmarkCase;
        var key = c.Descriptor.Type.Name switch
        {
            nameof(PageBenchmarks) => (string)c.Parameters["Workload"],
            nameof(TlbBenchmarks) => c.Descriptor.WorkloadMethod.Name == nameof(TlbBenchmarks.Read) ? "tlb-read" : "tlb-write",
            nameof(BootBenchmarks) => "boot",
            nameof(ReclaimBenchmarks) => "reclaim",
            _ => null,
        };
        if (key is null)
        {
            return null;
        }

        var bytes = report.GcStats.GetBytesAllocatedPerOperation(c);
        return new SimResult(key, stats.Mean, bytes ?? double.NaN, "BenchmarkDotNet");
    }
}
