using System.CommandLine;
using System.CommandLine.Parsing;
using DriverKit.Samples.Output;
using DriverKit.Scenarios;

namespace DriverKit.Samples;

/// <summary>The command line of the scenario runner: options, their validation, and what a run does.</summary>
public static class SamplesCommand
{
    /// <summary>Exit code for bad arguments.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code when the selection is empty or the picture cannot be written.</summary>
    public const int Failure = 1;

    /// <summary>Parses <paramref name="args"/> and runs the selected scenarios.</summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="output">Standard output.</param>
    /// <param name="error">Standard error.</param>
    /// <param name="style">What the terminal supports.</param>
    /// <returns>0 on success, 1 when nothing could be played or written, 2 for bad arguments.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error, ConsoleStyle style)
    {
        var sample = new Option<SampleInfo?>("--sample", "-s")
        {
            Description = "Play only the scenarios of one sample driver: " + string.Join(", ", ScenarioCatalog.Samples.Select(s => s.Name)) + ".",
            HelpName = "name",
            CustomParser = ParseSample,
        };
        var scenario = new Option<Scenario?>("--scenario")
        {
            Description = "Play only one scenario: " + string.Join(", ", ScenarioCatalog.All.Select(s => s.Id)) + ".",
            HelpName = "id",
            CustomParser = ParseScenario,
        };
        var era = new Option<EraSelector?>("--era", "-e")
        {
            Description = "Play only in one era (E0 … E7) or one kernel version (2.6.15-rc1, 6.6, 7.0 …). A version a variant does not list is played with default machine options.",
            HelpName = "E0..E7|version",
            CustomParser = ParseEra,
        };
        var strict = new Option<bool>("--strict")
        {
            Description = "Strict checker: also report what only the simulator can see (DKSIM findings, INV-xx).",
        };
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Show every run in full: a table of its steps (refcounts, mapcounts, free pool, observations), the kernel's reports and log. Without it: one line per run.",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON object per scenario run (JSON Lines) instead of text.",
        };
        var svg = new Option<FileInfo?>("--svg")
        {
            Description = "Also write an SVG picture of physical frames (free, driver-owned, user-mapped, leaked, reserved, freed while mapped) and each process's vmas, each page linked to the frame it maps.",
            HelpName = "file",
        };
        svg.Validators.Add(ValidateSvgPath);

        var root = new RootCommand("Plays DriverKit's sample drivers through the scenarios of docs/kernel-semantics.md §4 in the kernel eras where they differ: one line per run with its verdict (clean, pages leaked, BUG, signals …) and the DK rules that flag the driver code, then a legend and a summary. Exit codes: 0 success; 1 nothing selected, or the picture could not be written; 2 bad arguments.")
        {
            sample, scenario, era, strict, verbose, json, svg,
        };
        root.SetAction(parse =>
        {
            var request = new RunRequest(parse.GetValue(sample), parse.GetValue(scenario), parse.GetValue(era), parse.GetValue(strict), parse.GetValue(verbose), parse.GetValue(json), parse.GetValue(svg));
            return Execute(request, output, error, style);
        });

        var result = root.Parse(args);
        if (result.Errors.Count > 0 && result.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var e in result.Errors)
            {
                error.WriteLine($"error: {e.Message}");
            }

            error.WriteLine("Run with --help to see the options.");
            return UsageError;
        }

        return result.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    private static int Execute(RunRequest request, TextWriter output, TextWriter error, ConsoleStyle style)
    {
        var plan = ScenarioCatalog.Plan(request.Sample, request.Scenario, request.Era).ToArray();
        if (plan.Length == 0)
        {
            error.WriteLine($"error: nothing to play: {request.Describe()} selects no scenario run. Leave out --era to play each variant in its own eras.");
            return Failure;
        }

        Action<Scenario, ScenarioRun> emit;
        Action<IReadOnlyList<ScenarioRun>> finish;
        if (request.Json)
        {
            (emit, finish) = ((_, run) => output.WriteLine(JsonLines.Serialize(run)), _ => { });
        }
        else if (request.Verbose)
        {
            var report = new TerminalReport(output, style);
            (emit, finish) = (report.Write, report.Finish);
        }
        else
        {
            var report = new OverviewReport(output, style);
            (emit, finish) = (report.Write, report.Finish);
        }

        var runs = new List<ScenarioRun>(plan.Length);
        foreach (var (scenario, variant, point) in plan)
        {
            var run = ScenarioRunner.Play(scenario, variant, point, request.Strict);
            runs.Add(run);
            emit(scenario, run);
        }

        finish(runs);

        if (request.Svg is not { } file)
        {
            return 0;
        }

        try
        {
            File.WriteAllText(file.FullName, SvgPicture.Render(runs));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: cannot write the SVG to '{file.FullName}': {e.Message}");
            return Failure;
        }

        (request.Json ? error : output).WriteLine($"wrote {file.FullName} ({runs.Count} runs)");
        return 0;
    }

    private static SampleInfo? ParseSample(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        var found = ScenarioCatalog.FindSample(text);
        if (found is null)
        {
            result.AddError($"unknown sample '{text}'; the samples are: {string.Join(", ", ScenarioCatalog.Samples.Select(s => s.Name))}.");
        }

        return found;
    }

    private static Scenario? ParseScenario(ArgumentResult result)
    {
        var text = result.Tokens[0].Value;
        var found = ScenarioCatalog.FindScenario(text);
        if (found is null)
        {
            result.AddError($"unknown scenario '{text}'; the scenarios are: {string.Join(", ", ScenarioCatalog.All.Select(s => s.Id))}.");
        }

        return found;
    }

    private static EraSelector? ParseEra(ArgumentResult result)
    {
        if (!EraSelector.TryParse(result.Tokens[0].Value, out var selector, out var message))
        {
            result.AddError(message);
        }

        return selector;
    }

    /// <summary>
    /// Refuses, before anything runs, an --svg path whose directory does not exist or is not a directory. A directory
    /// that exists but cannot be reached or written is not refused here: writing fails after the run (exit code 1).
    /// </summary>
    private static void ValidateSvgPath(OptionResult result)
    {
        if (result.GetValueOrDefault<FileInfo?>() is not { DirectoryName: { } directory } file)
        {
            return;
        }

        try
        {
            if (!File.GetAttributes(directory).HasFlag(FileAttributes.Directory))
            {
                result.AddError($"cannot write the SVG to '{file.FullName}': {directory} is not a directory.");
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            result.AddError($"cannot write the SVG to '{file.FullName}': the directory {directory} does not exist.");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // It exists, but this process may not look into it: the write will say why.
        }
    }

    /// <summary>What the user asked for.</summary>
    private sealed record RunRequest(SampleInfo? Sample, Scenario? Scenario, EraSelector? Era, bool Strict, bool Verbose, bool Json, FileInfo? Svg)
    {
        public string Describe()
        {
            var parts = new List<string>();
            if (Sample is not null) parts.Add($"--sample {Sample.Name}");
            if (Scenario is not null) parts.Add($"--scenario {Scenario.Id}");
            if (Era is not null) parts.Add($"--era {Era.Text}");
            return string.Join(' ', parts);
        }
    }
}
