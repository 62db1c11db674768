using System.Globalization;
using System.Text;

namespace DriverKit.Fuzz;

/// <summary>What a fuzz run found: its counts, the failures, and how long the analyzers took per input.</summary>
public sealed class FuzzSummary
{
    internal FuzzSummary(int seed, int inputs, int seeds, IReadOnlyList<FuzzFailure> failures, IReadOnlyList<double> analysisMilliseconds, int fixesApplied, TimeSpan elapsed)
    {
        Seed = seed;
        Inputs = inputs;
        Seeds = seeds;
        Failures = failures;
        AnalysisMilliseconds = analysisMilliseconds;
        FixesApplied = fixesApplied;
        Elapsed = elapsed;
    }

    /// <summary>The run's seed.</summary>
    public int Seed { get; }

    /// <summary>How many inputs the run made.</summary>
    public int Inputs { get; }

    /// <summary>The number of seed sources the inputs were derived from.</summary>
    public int Seeds { get; }

    /// <summary>Every failure, in input order.</summary>
    public IReadOnlyList<FuzzFailure> Failures { get; }

    /// <summary>The analyzers' time per input (all analyzers, binding included).</summary>
    public IReadOnlyList<double> AnalysisMilliseconds { get; }

    /// <summary>Single fixes applied and checked (Fix All not counted).</summary>
    public int FixesApplied { get; }

    /// <summary>The run's wall-clock time.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The failures of one kind (<see cref="FuzzFailure.Kind"/>).</summary>
    /// <param name="kind">The kind.</param>
    public int Count(string kind) => Failures.Count(failure => failure.Kind == kind);

    /// <summary>The summary as the README records it, then the first failures in full.</summary>
    public string Describe(int failuresShown = 5)
    {
        var sorted = AnalysisMilliseconds.OrderBy(value => value).ToList();
        double Percentile(double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"seed {Seed}: {Inputs} inputs from {Seeds} seed sources in {Elapsed.TotalSeconds:F0} s");
        text.AppendLine(CultureInfo.InvariantCulture, $"  analyzer exceptions:          {Count("analyzer exception")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  fix exceptions:               {Count("fix exception")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  fixes adding a compile error: {Count("fix adds a compile error")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  single fixes applied:         {FixesApplied} (plus Fix All per provider and key)");
        text.AppendLine(CultureInfo.InvariantCulture, $"  analysis per input:           median {Percentile(0.5):F1} ms, p99 {Percentile(0.99):F1} ms, max {Percentile(1):F1} ms");
        foreach (var failure in Failures.Take(failuresShown))
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"{failure.Kind}: {failure.Input.Describe()}").AppendLine(failure.Detail);
        }

        return text.ToString();
    }
}

/// <summary>
/// A fuzz run: <c>inputs</c> inputs made by a <see cref="Mutator"/> seeded with <c>seed</c>, each run by
/// <see cref="FuzzRunner"/> on <c>parallelism</c> threads. The inputs do not depend on the threads, only the order their
/// results arrive in.
/// </summary>
public static class FuzzCampaign
{
    /// <summary>Makes and runs the inputs.</summary>
    /// <param name="repositoryRoot">The repository whose samples and tests are the seeds.</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="inputs">How many inputs.</param>
    /// <param name="parallelism">Inputs run at once.</param>
    /// <param name="onInput">Called after each input with its failures (serialized).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task<FuzzSummary> RunAsync(string repositoryRoot, int seed, int inputs, int parallelism, Action<FuzzInput, IReadOnlyList<FuzzFailure>>? onInput, CancellationToken cancellationToken)
    {
        var seeds = SeedSources.Load(repositoryRoot);
        var mutator = new Mutator(seed, seeds);
        var all = Enumerable.Range(0, inputs).Select(mutator.Next).ToList();
        var failures = new List<FuzzFailure>();
        var times = new double[inputs];
        var fixes = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(all, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (input, token) =>
        {
            var (found, milliseconds, applied) = await FuzzRunner.RunAsync(input, token).ConfigureAwait(false);
            times[input.Index] = milliseconds;
            Interlocked.Add(ref fixes, applied);
            lock (failures)
            {
                failures.AddRange(found);
                onInput?.Invoke(input, found);
            }
        }).ConfigureAwait(false);
        failures.Sort((a, b) => a.Input.Index.CompareTo(b.Input.Index));
        return new FuzzSummary(seed, inputs, seeds.Count, failures, times, fixes, clock.Elapsed);
    }
}
