using System.Collections.Concurrent;
using System.Text;
using Xunit.Abstractions;

namespace DriverKit.Tests.Fidelity;

/// <summary>
/// Issue 9 items 2–4: the fidelity scenarios played on the simulator (<see cref="DkfidScenarios"/> against
/// <see cref="DkfidDriver"/>, <see cref="HostScenarios"/>) with <c>Version</c> set to the golden file's kernel, and
/// every observation compared field by field with the committed golden files of fidelity/golden (recorded by
/// fidelity/run; no qemu or root here). Values that legitimately differ between machines are normalised first
/// (<see cref="FidelityCompare"/>); every remaining disagreement must be listed in <see cref="KnownDifferences"/>
/// with the kernel's behaviour, the simulator's, the runtime function at fault and the fix. The kernel is right:
/// the goal is an empty list.
/// </summary>
public sealed partial class FidelityTests
{
    private static readonly ConcurrentDictionary<string, Lazy<(ObsRun Kernel, ObsRun Simulator)>> Runs = new();

    private readonly ITestOutputHelper output;

    public FidelityTests(ITestOutputHelper output) => this.output = output;

    /// <summary>The golden files next to the test assembly (copied from fidelity/golden).</summary>
    private static IEnumerable<string> GoldenFiles() =>
        Directory.EnumerateFiles(ObsRun.GoldenDirectory, "*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    /// <summary>The kernel's run (golden file) and the simulator's run of the same program, each computed once.</summary>
    private static (ObsRun Kernel, ObsRun Simulator) RunsOf(string file) => Runs.GetOrAdd(file, f => new(() =>
    {
        var kernel = ObsRun.Load(Path.Combine(ObsRun.GoldenDirectory, f));
        var sim = kernel.Source switch
        {
            "qemu" => DkfidScenarios.Run(kernel.Kernel),
            "host" => HostScenarios.Run(kernel.Kernel),
            _ => throw new InvalidOperationException($"{f}: unknown source '{kernel.Source}'"),
        };

        // DKFID_SIM_DUMP=<dir>: also write the simulator's run in the golden schema (sim-<golden file name>), for
        // tools/summary.py or a plain diff against the golden file.
        if (Environment.GetEnvironmentVariable("DKFID_SIM_DUMP") is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
            sim.Save(Path.Combine(dir, "sim-" + f));
        }

        return (kernel, sim);
    })).Value;

    public static TheoryData<string, string> Scenarios()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in GoldenFiles())
        {
            foreach (var s in ObsRun.Load(Path.Combine(ObsRun.GoldenDirectory, file)).Scenarios)
            {
                data.Add(file, s.Name);
            }
        }

        return data;
    }

    [Fact]
    public void BothGoldenFilesAreThere()
    {
        var files = GoldenFiles().ToList();
        Assert.Contains(files, f => f.StartsWith("linux-", StringComparison.Ordinal));
        Assert.Contains(files, f => f.StartsWith("host-", StringComparison.Ordinal));
    }

    /// <summary>The mirrors play exactly the golden file's scenarios, in its order.</summary>
    [Theory]
    [MemberData(nameof(GoldenFileNames))]
    public void SimulatorPlaysTheSameScenarios(string file)
    {
        var (kernel, sim) = RunsOf(file);
        Assert.Equal(kernel.Scenarios.Select(s => s.Name), sim.Scenarios.Select(s => s.Name));
    }

    public static TheoryData<string> GoldenFileNames()
    {
        var data = new TheoryData<string>();
        foreach (var f in GoldenFiles())
        {
            data.Add(f);
        }

        return data;
    }

    /// <summary>One scenario of one golden file: every observation key of every step against the simulator's.</summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    public void ScenarioMatchesTheKernel(string file, string scenario)
    {
        var (kernel, sim) = RunsOf(file);
        var result = ScenarioComparison.Run(file, kernel.Scenario(scenario)!, sim.Scenario(scenario), KnownDifferences);
        output.WriteLine($"{file} {scenario}: {result.Steps} steps, {result.Fields} fields compared, {result.Known.Count} known differences, {result.Unexplained.Count} unexplained");
        foreach (var (d, by) in result.Known)
        {
            output.WriteLine($"  known: {d}  [{string.Join("; ", by.Select(b => b.Function))}]");
        }

        if (result.Unexplained.Count > 0)
        {
            var sb = new StringBuilder();
            sb.AppendLine($"{result.Unexplained.Count} field(s) of {file} disagree with the simulator (fix the simulator, or document the difference in KnownDifferences):");
            foreach (var d in result.Unexplained)
            {
                sb.AppendLine("  " + d);
            }

            Assert.Fail(sb.ToString());
        }
    }

    /// <summary>Every KnownDifferences entry still explains at least one field: an entry the simulator no longer needs must be removed.</summary>
    [Fact]
    public void EveryKnownDifferenceIsStillObserved()
    {
        var used = new HashSet<KnownDifference>(ReferenceEqualityComparer.Instance);
        var report = new StringBuilder();
        int scenarios = 0, steps = 0, fields = 0, known = 0, unexplained = 0;
        foreach (var file in GoldenFiles())
        {
            var (kernel, sim) = RunsOf(file);
            foreach (var s in kernel.Scenarios)
            {
                var r = ScenarioComparison.Run(file, s, sim.Scenario(s.Name), KnownDifferences);
                scenarios++;
                steps += r.Steps;
                fields += r.Fields;
                known += r.Known.Count;
                unexplained += r.Unexplained.Count;
                used.UnionWith(r.Used);
                foreach (var (d, by) in r.Known)
                {
                    report.AppendLine($"{file}\tknown\t{d}\t{string.Join("; ", by.Select(b => b.Function))}");
                }

                foreach (var d in r.Unexplained)
                {
                    report.AppendLine($"{file}\tUNEXPLAINED\t{d}");
                }
            }
        }

        var summary = $"{scenarios} scenarios, {steps} steps, {fields} fields compared; {known} fields differ as documented, {unexplained} unexplained; {KnownDifferences.Count} KnownDifferences entries";
        output.WriteLine(summary);
        if (Environment.GetEnvironmentVariable("DKFID_COMPARE_REPORT") is { Length: > 0 } path)
        {
            System.IO.File.WriteAllText(path, summary + "\n" + report);
        }

        var stale = KnownDifferences.Where(k => !used.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "KnownDifferences entries that no longer match any difference (remove them):\n" + string.Join("\n", stale.Select(s => "  " + s)));
    }
}
