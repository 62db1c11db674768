using System.Globalization;
using Xunit.Abstractions;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// Issue 21's chaos test: seeded random user-space and driver calls, good and bad, with the state and invariant
/// checks of <see cref="Chaos"/> after every step. A fixed-seed sample runs in CI; DRIVERKIT_CHAOS_STEPS runs a long
/// one (README.md beside this file).
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    public static TheoryData<string, int> Sample
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var version in CaseRunner.Versions)
            {
                data.Add(version, 1);
                data.Add(version, 2);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Sample))]
    public void AFixedSeedSampleStaysDefinedAndConsistent(string version, int seed) => Run(version, seed, 300);

    /// <summary>DRIVERKIT_CHAOS_STEPS=N runs N steps per era (seed DRIVERKIT_CHAOS_SEED, or a fresh one that is printed).</summary>
    [Fact]
    public void ALongRunWhenAsked()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("DRIVERKIT_CHAOS_STEPS"), NumberStyles.None, CultureInfo.InvariantCulture, out var steps) || steps <= 0)
        {
            output.WriteLine("DRIVERKIT_CHAOS_STEPS is not set: nothing to do");
            return;
        }

        var seed = int.TryParse(Environment.GetEnvironmentVariable("DRIVERKIT_CHAOS_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : Environment.TickCount & int.MaxValue;
        output.WriteLine($"seed {seed}");
        foreach (var version in CaseRunner.Versions)
        {
            Run(version, seed, steps);
        }
    }

    private void Run(string version, int seed, int steps)
    {
        var chaos = new Chaos(version, seed);
        for (var i = 0; i < steps; i++)
        {
            if (chaos.Step() is { } problem)
            {
                Assert.Fail($"{version}, seed {seed}, step {chaos.Steps}: {problem}\n  last operations:\n{chaos.Trace}");
            }
        }

        output.WriteLine($"{version} seed {seed}: {steps} steps, " + string.Join(", ", chaos.Outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}")));
    }
}
