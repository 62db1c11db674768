using System.Globalization;

namespace DriverKit.Fuzz;

/// <summary>The fuzzer's command line (README.md).</summary>
public static class Program
{
    private const string Usage = """
        DriverKit.Fuzz [--seed N] [--inputs N] [--parallel N] [--repo DIR] [--out DIR]
          --seed      the run's seed (default 1): the same seed gives the same inputs
          --inputs    how many inputs to make and run (default 2000)
          --parallel  inputs run at once (default: the processor count)
          --repo      the repository whose samples and tests are the seeds (default: the current directory)
          --out       a folder to write each failing input's files and failure into
        Exits 1 when any analyzer or fix threw, or a fix added a compile error.
        """;

    /// <summary>Runs the fuzzer.</summary>
    /// <param name="args">The command line.</param>
    public static async Task<int> Main(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        var repo = Option(args, "--repo") ?? Environment.CurrentDirectory;
        if (!File.Exists(Path.Combine(repo, "DriverKit.sln")))
        {
            Console.Error.WriteLine($"{repo} is not the DriverKit repository (no DriverKit.sln); pass --repo.\n{Usage}");
            return 2;
        }

        var seed = IntOption(args, "--seed", 1);
        var inputs = IntOption(args, "--inputs", 2000);
        var parallel = IntOption(args, "--parallel", Environment.ProcessorCount);
        var output = Option(args, "--out");
        var done = 0;
        var summary = await FuzzCampaign.RunAsync(repo, seed, inputs, parallel, (input, failures) =>
        {
            if (++done % 1000 == 0)
            {
                Console.Error.WriteLine($"  {done} inputs");
            }

            if (output is not null && failures.Count > 0)
            {
                Save(output, input, failures);
            }
        }, CancellationToken.None);
        Console.WriteLine(summary.Describe());
        return summary.Failures.Count == 0 ? 0 : 1;
    }

    private static void Save(string folder, FuzzInput input, IReadOnlyList<FuzzFailure> failures)
    {
        var directory = Path.Combine(folder, $"input-{input.Index}");
        Directory.CreateDirectory(directory);
        foreach (var file in input.Files)
        {
            File.WriteAllText(Path.Combine(directory, file.Name), file.Text);
        }

        File.WriteAllText(Path.Combine(directory, "failure.txt"), input.Describe() + "\n\n" + string.Join("\n\n", failures.Select(failure => failure.Kind + ": " + failure.Detail)));
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    private static int IntOption(string[] args, string name, int fallback) =>
        Option(args, name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}
