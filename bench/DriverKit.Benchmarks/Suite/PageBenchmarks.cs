using BenchmarkDotNet.Attributes;
using DriverKit.Benchmarks.Workloads;

namespace DriverKit.Benchmarks.Suite;

/// <summary>
/// The page-sized operations, 65,536 pages per invocation, each invocation on freshly prepared state
/// (iteration setup, one invocation per iteration); BenchmarkDotNet reports time and allocation per page.
/// </summary>
[Config(typeof(SuiteConfig.SetupPerInvocation))]
public class PageBenchmarks
{
    private Workload w = null!;

    /// <summary>The workload keys this class runs.</summary>
    public static IEnumerable<string> Keys => ["anon-fault", "anon-fault-data", "driver-fault", "remap-pfn-range", "vm-insert-page", "fork", "cow-fault", "munmap", "exit"];

    /// <summary>Which workload.</summary>
    [ParamsSource(nameof(Keys))]
    public string Workload { get; set; } = "anon-fault";

    /// <summary>Boots the machine.</summary>
    [GlobalSetup]
    public void GlobalSetup()
    {
        w = SuiteConfig.Create(Workload);
        w.GlobalSetup();
    }

    /// <summary>Prepares what one invocation consumes.</summary>
    [IterationSetup]
    public void IterationSetup() => w.IterationSetup();

    /// <summary>One run: 65,536 pages.</summary>
    [Benchmark(OperationsPerInvoke = Machine.Pages)]
    public void PerPage() => w.Run();

    /// <summary>Tears the invocation's state down.</summary>
    [IterationCleanup]
    public void IterationCleanup() => w.IterationCleanup();

    /// <summary>Checks the machine reported nothing.</summary>
    [GlobalCleanup]
    public void GlobalCleanup() => w.GlobalCleanup();
}

/// <summary>Reclaim of 100,000 resident anonymous pages to swap, per page.</summary>
[Config(typeof(SuiteConfig.SetupPerInvocation))]
public class ReclaimBenchmarks
{
    private readonly Reclaim w = new();

    /// <summary>Boots the machine.</summary>
    [GlobalSetup]
    public void GlobalSetup() => w.GlobalSetup();

    /// <summary>Faults 100,000 pages in.</summary>
    [IterationSetup]
    public void IterationSetup() => w.IterationSetup();

    /// <summary>Reclaims them.</summary>
    [Benchmark(OperationsPerInvoke = Machine.ReclaimPages)]
    public void PerPage() => w.Run();

    /// <summary>Exits the process.</summary>
    [IterationCleanup]
    public void IterationCleanup() => w.IterationCleanup();

    /// <summary>Checks the machine reported nothing.</summary>
    [GlobalCleanup]
    public void GlobalCleanup() => w.GlobalCleanup();
}

/// <summary>
/// Boot of a 1M-frame (4 GiB) machine, one per iteration after the last machine was collected (untimed), as in quick
/// mode: the collection of the previous machine's 66 MB is not part of a boot.
/// </summary>
[Config(typeof(SuiteConfig.SetupPerInvocation))]
public class BootBenchmarks
{
    private readonly Boot w = new();

    /// <summary>Drops and collects the last machine.</summary>
    [IterationSetup]
    public void IterationSetup() => w.IterationSetup();

    /// <summary>One boot.</summary>
    [Benchmark]
    public object Boot1MFrames()
    {
        w.Run();
        return w;
    }

    /// <summary>Checks the boot made a 1M-frame machine.</summary>
    [IterationCleanup]
    public void IterationCleanup() => w.IterationCleanup();
}

/// <summary>User accesses through the MMU that hit the software TLB, per access.</summary>
[Config(typeof(SuiteConfig.Repeated))]
public class TlbBenchmarks
{
    private readonly TlbRead read = new();
    private readonly TlbWrite write = new();

    /// <summary>Maps and touches 32 pages for the read benchmark.</summary>
    [GlobalSetup(Target = nameof(Read))]
    public void SetupRead() => read.GlobalSetup();

    /// <summary>Maps and touches 32 pages for the write benchmark.</summary>
    [GlobalSetup(Target = nameof(Write))]
    public void SetupWrite() => write.GlobalSetup();

    /// <summary>64 × 4,096 one-byte reads.</summary>
    [Benchmark(OperationsPerInvoke = TlbRead.OperationsPerRun)]
    public void Read() => read.Run();

    /// <summary>64 × 4,096 one-byte writes.</summary>
    [Benchmark(OperationsPerInvoke = TlbWrite.OperationsPerRun)]
    public void Write() => write.Run();
}
