using DriverKit.Fuzz;
using DriverKit.Tests.Analyzers;

namespace DriverKit.Tests.Tooling;

/// <summary>
/// The fuzzer's fixed-seed sample CI runs (tools/DriverKit.Fuzz/README.md): 2,000 mutated drivers through every analyzer,
/// every fix and Fix All, with no analyzer exception, no fix exception and no fix that adds a compile error.
/// </summary>
public class FuzzSampleTests(Xunit.Abstractions.ITestOutputHelper output)
{
    public const int Seed = 20261206;

    public const int Inputs = 2000;

    [Fact]
    public async Task Fixed_seed_sample_has_no_exception_and_no_fix_that_breaks_the_build()
    {
        var summary = await FuzzCampaign.RunAsync(RepositoryRoot.Path, Seed, Inputs, Environment.ProcessorCount, onInput: null, CancellationToken.None);
        output.WriteLine(summary.Describe(failuresShown: 20));
        Assert.Equal(Inputs, summary.Inputs);
        Assert.True(summary.Seeds > 50, $"the seed sources were not found ({summary.Seeds})");
        Assert.True(summary.FixesApplied > 200, $"the sample applied only {summary.FixesApplied} fixes");
        Assert.True(summary.Failures.Count == 0, summary.Describe(failuresShown: 5));
    }

    [Fact]
    public void The_same_seed_makes_the_same_inputs()
    {
        var seeds = SeedSources.Load(RepositoryRoot.Path);
        var first = new Mutator(Seed, seeds);
        var second = new Mutator(Seed, seeds);
        for (var i = 0; i < 200; i++)
        {
            var a = first.Next(i);
            var b = second.Next(i);
            Assert.Equal(a.Describe(), b.Describe());
            Assert.Equal(a.Files, b.Files);
        }
    }
}
