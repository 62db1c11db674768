using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Toolchains;
using BenchmarkDotNet.Toolchains.CsProj;
using BenchmarkDotNet.Toolchains.DotNetCli;
using DriverKit.Benchmarks.Workloads;

namespace DriverKit.Benchmarks.Suite;

/// <summary>
/// The suite's jobs. Both are short on purpose (one process per benchmark, few iterations) so bench/run stays
/// within a few minutes on two cores; the numbers are means with BenchmarkDotNet's error column, not a
/// publication-grade run (use <c>bdn --job default</c> style arguments for that).
/// </summary>
public static class SuiteConfig
{
    /// <summary>The net10.0 toolchain (BenchmarkDotNet 0.14.0 predates .NET 10 and does not name it itself).</summary>
    internal static readonly IToolchain Net10 = CsProjCoreToolchain.From(new NetCoreAppSettings("net10.0", null, ".NET 10.0"));

    /// <summary>Benchmarks whose invocation consumes prepared state: one invocation per iteration.</summary>
    public sealed class SetupPerInvocation : ManualConfig
    {
        /// <summary>
        /// Monitoring strategy (no overhead evaluation): 1 launch, 32 warm-up and 15 measured iterations of one
        /// invocation each. The warm-up is long because a method called once per invocation (munmap's zap loop,
        /// fork's copy loop) only gets tier-1 code after 30 calls.
        /// </summary>
        public SetupPerInvocation()
        {
            AddJob(Job.Default
                .WithStrategy(RunStrategy.Monitoring)
                .WithToolchain(Net10)
                .WithLaunchCount(1)
                .WithWarmupCount(32)
                .WithIterationCount(15)
                .WithInvocationCount(1)
                .WithUnrollFactor(1)
                .WithId("SetupPerInvocation"));
            AddDiagnoser(MemoryDiagnoser.Default);
            WithOptions(ConfigOptions.DisableLogFile);
        }
    }

    /// <summary>Cheap, repeatable benchmarks: BenchmarkDotNet's short run (3 launches, 3 warm-up, 3 measured iterations).</summary>
    public sealed class Repeated : ManualConfig
    {
        /// <summary>ShortRun on net10.0 with the memory diagnoser.</summary>
        public Repeated()
        {
            AddJob(Job.ShortRun.WithToolchain(Net10).WithId("ShortRun"));
            AddDiagnoser(MemoryDiagnoser.Default);
            WithOptions(ConfigOptions.DisableLogFile);
        }
    }

    /// <summary>The configuration bench/run passes: the classes' own jobs, console logger, JSON and Markdown exports.</summary>
    /// <param name="artifacts">Where BenchmarkDotNet writes its results.</param>
    public static IConfig Run(string artifacts) => ManualConfig.CreateEmpty()
        .AddLogger(ConsoleLogger.Default)
        .AddColumnProvider(DefaultColumnProviders.Instance)
        .AddExporter(JsonExporter.Brief, MarkdownExporter.GitHub)
        .WithArtifactsPath(artifacts)
        .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);

    /// <summary>A new instance of the workload named <paramref name="key"/>.</summary>
    /// <param name="key">A workload key.</param>
    public static Workload Create(string key) =>
        AllWorkloads.Create().FirstOrDefault(w => w.Key == key) ?? throw new ArgumentException($"no workload {key}", nameof(key));
}
