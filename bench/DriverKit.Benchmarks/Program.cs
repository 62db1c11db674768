using System.Globalization;
using System.Text;
using BenchmarkDotNet.Running;
using DriverKit.Benchmarks.Report;
using DriverKit.Benchmarks.Workloads;
using DriverKit.Benchmarks.Corpus;
using DriverKit.Benchmarks.Quick;
using DriverKit.Benchmarks.Shapes;
using DriverKit.Benchmarks.Suite;

namespace DriverKit.Benchmarks;

/// <summary>Entry point: see <see cref="Usage"/>.</summary>
public static class Program
{
    private const string Usage = """
        DriverKit.Benchmarks <mode> [options]
          bdn [BenchmarkDotNet arguments]                      the BenchmarkDotNet suite (e.g. bdn --filter '*Tlb*')
          analyzers [--files N] [--repeat K] [--work DIR] [--analyzers CSPROJ] [--out FILE] [--no-server]
                                                               analyzer cost on a generated mock-driver corpus (default 2,000 files)
          corpus [--files N] [--out DIR] [--namespace NS]      only write the driver files
          corpus-profile [--files N] [--runs N]                the corpus analysed in-process: DriverKit's time per analyzer
          ide [--files N] [--edits N]                          IDE latency: one driver file edited in a workspace of N files (target 50 ms)
          quick [--runs N] [--warmups N] [--only key,key]      in-process measurement of every workload
          shapes [--runs N] [--only shape,shape] [--out FILE]  DriverKit's analysis time on the worst code shapes, per file (target 100 ms)
          table [--native-bin MMBENCH [--native-reps N] | --native FILE] [--quick] [--rounds N] [--out FILE] [--artifacts DIR]
                                                               measure the real kernel (mmbench) and the simulator (BenchmarkDotNet,
                                                               or --quick) in N interleaved rounds and print the comparison table
        """;

    /// <summary>Runs the selected mode.</summary>
    /// <param name="args">Command line.</param>
    public static int Main(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "help";
        var rest = args.Skip(1).ToArray();
        switch (mode)
        {
            case "bdn":
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest);
                return 0;
            case "table":
                return Table(rest);
            case "analyzers":
                return AnalyzerCost.Run(
                    StringOption(rest, "--repo") ?? FindRepo(),
                    IntOption(rest, "--files", 2000),
                    StringOption(rest, "--work") ?? Path.Combine(Path.GetTempPath(), "driverkit-analyzer-corpus"),
                    StringOption(rest, "--analyzers"),
                    IntOption(rest, "--repeat", 3),
                    StringOption(rest, "--out"),
                    server: !rest.Contains("--no-server"));
            case "corpus":
                CorpusGenerator.WriteDrivers(StringOption(rest, "--out") ?? "corpus", IntOption(rest, "--files", 2000), StringOption(rest, "--namespace") ?? "DriverKit.Runtime");
                return 0;
            case "corpus-profile":
                InProcessCost.RunAsync(IntOption(rest, "--files", 2000), IntOption(rest, "--runs", 3), Console.Out).GetAwaiter().GetResult();
                return 0;
            case "ide":
                return IdeLatency.RunAsync(IntOption(rest, "--files", 2000), IntOption(rest, "--edits", 20), Console.Out).GetAwaiter().GetResult();
            case "shapes":
                var shapes = ShapeRunner.RunAsync(Only(rest), IntOption(rest, "--runs", 7), Console.Out).GetAwaiter().GetResult();
                var table = ShapeRunner.Table(shapes);
                Console.WriteLine();
                Console.Write(table);
                if (StringOption(rest, "--out") is { } shapesOut)
                {
                    File.WriteAllText(shapesOut, table);
                }

                return shapes.All(result => result.Milliseconds <= ShapeRunner.TargetMilliseconds) ? 0 : 1;
            case "quick":
                QuickRunner.RunAll(Only(rest), IntOption(rest, "--warmups", 2), IntOption(rest, "--runs", 7), Console.Out);
                return 0;
            default:
                Console.Error.WriteLine(Usage);
                return mode == "help" ? 0 : 2;
        }
    }

    private static int Table(string[] args)
    {
        var quick = args.Contains("--quick");
        var nativeBin = StringOption(args, "--native-bin");
        var nativePath = StringOption(args, "--native");
        var rounds = Math.Max(1, IntOption(args, "--rounds", quick ? 5 : 2));
        var nativeReps = IntOption(args, "--native-reps", 3);
        var artifacts = StringOption(args, "--artifacts") ?? Path.Combine(Environment.CurrentDirectory, "BenchmarkDotNet.Artifacts");
        var outPath = StringOption(args, "--out");
        var sim = new List<IReadOnlyDictionary<string, SimResult>>();
        var native = new List<IReadOnlyDictionary<string, double>>();
        var loads = new List<string>();

        // ABAB: each round runs the real kernel's benchmark, then the simulator's, so both see the same machine.
        for (var round = 0; round < rounds; round++)
        {
            loads.Add(MachineInfo.LoadAverage());
            Console.WriteLine($"== round {round + 1} of {rounds} (load average {loads[^1]}) ==");
            if (nativeBin is not null)
            {
                var lines = NativeRunner.Run(nativeBin, nativeReps);
                foreach (var line in lines)
                {
                    Console.WriteLine("  real: " + line);
                }

                if (outPath is not null)
                {
                    File.WriteAllLines(Path.ChangeExtension(outPath, null) + $".native-{round + 1}.txt", lines);
                }

                native.Add(ComparisonTable.ParseNative(lines));
            }
            else if (nativePath is not null && round == 0)
            {
                native.Add(ComparisonTable.ReadNative(nativePath));
            }

            Console.WriteLine(quick ? "  simulator: in-process quick measurement" : "  simulator: BenchmarkDotNet suite");
            var results = quick
                ? QuickRunner.RunAll([], 2, 7, Console.Out, jitWarmup: round == 0)
                : SuiteRunner.Run(Path.Combine(artifacts, $"round-{round + 1}"));
            sim.Add(results.ToDictionary(m => m.Key));
        }

        loads.Add(MachineInfo.LoadAverage());
        var bytesPerFrame = Boot.MeasureBytesPerFrame();
        var rows = ComparisonTable.Build(sim, native, bytesPerFrame);

        var text = new StringBuilder();
        foreach (var line in MachineInfo.Describe())
        {
            text.AppendLine("- " + line);
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"- load average at the start of each round, then at the end: {string.Join("; ", loads)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- rounds: {rounds}, interleaved (real kernel, simulator, real kernel, simulator, …); min / median / max are over the rounds");
        text.AppendLine(CultureInfo.InvariantCulture, $"- simulator numbers: {(quick ? "in-process quick mode (each round the median of 7 runs)" : "BenchmarkDotNet 0.14.0 (SetupPerInvocation / ShortRun jobs; each round the mean)")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- real kernel numbers: {(nativeBin is not null ? $"bench/native/mmbench, one run per round (each the median of {nativeReps} repetitions)" : nativePath is not null ? "one bench/native/mmbench file, not interleaved" : "none")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- frame table (MemMap.BytesPerFrame): {DriverKit.Runtime.MemMap.BytesPerFrame} B/frame; measured boot allocation: {bytesPerFrame:F1} B/frame");
        text.AppendLine();
        text.Append(ComparisonTable.Format(rows));
        var failed = rows.Where(r => r.Met == false).Select(r => r.Title).ToList();
        text.AppendLine();
        text.AppendLine(failed.Count == 0 ? "All targets met." : "Targets missed: " + string.Join("; ", failed));

        Console.WriteLine();
        Console.Write(text);
        if (outPath is not null)
        {
            File.WriteAllText(outPath, text.ToString());
        }

        return failed.Count == 0 ? 0 : 1;
    }

    /// <summary>The repository root: the first directory above the program (or the current directory) that holds DriverKit.sln.</summary>
    private static string FindRepo()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "DriverKit.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("DriverKit.sln not found above the program or the current directory; pass --repo");
    }

    private static string? StringOption(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int IntOption(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    private static string[] Only(string[] args)
    {
        var i = Array.IndexOf(args, "--only");
        return i >= 0 && i + 1 < args.Length ? args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries) : [];
    }
}
