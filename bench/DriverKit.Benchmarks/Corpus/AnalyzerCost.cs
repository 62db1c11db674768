using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DriverKit.Benchmarks.Corpus;

/// <summary>One measured compilation of a corpus project.</summary>
/// <param name="Project">Which project.</param>
/// <param name="CompileMs">The Csc task's time (MSBuild performance summary).</param>
/// <param name="TotalAnalyzerMs">"Total analyzer execution time" of the compilation (all analyzers and generators).</param>
/// <param name="DriverKitMs">The DriverKit.Analyzers assembly's line of the report (0 when it does not appear).</param>
/// <param name="DriverKitRules">DriverKit's per-analyzer lines ("ms name").</param>
/// <param name="Succeeded">Whether the build succeeded.</param>
public sealed record CompileSample(string Project, double CompileMs, double TotalAnalyzerMs, double DriverKitMs, IReadOnlyList<string> DriverKitRules, bool Succeeded)
{
    /// <summary>DriverKit's analyzer time as a share of the compilation.</summary>
    public double Share => CompileMs > 0 ? DriverKitMs / CompileMs : double.NaN;
}

/// <summary>
/// Analyzer cost (issue 8 §4): generates the mock-driver corpus twice — a project referencing DriverKit.Runtime and
/// DriverKit.Analyzers (as an analyzer), and a same-size twin that references only the analyzers and compiles
/// against a look-alike API — then rebuilds each with <c>-p:ReportAnalyzer=true</c> and reports DriverKit's analyzer
/// time as a share of the compile (Csc task) time. Targets: ≤ 3 % with the runtime, negligible without it.
/// </summary>
public static class AnalyzerCost
{
    /// <summary>Runs the measurement; returns 0 when both targets are met.</summary>
    /// <param name="repo">Repository root (holds DriverKit.sln).</param>
    /// <param name="files">Driver files per project.</param>
    /// <param name="work">Working directory for the generated projects.</param>
    /// <param name="analyzersProject">The analyzer project to measure (default: the repository's DriverKit.Analyzers).</param>
    /// <param name="repeat">Measured rebuilds per project (the median is reported).</param>
    /// <param name="outPath">Optional file for the Markdown result.</param>
    /// <param name="server">Compile with the warm compiler server (VBCSCompiler), shut down afterwards if these builds started it; false: the environment's setting.</param>
    public static int Run(string repo, int files, string work, string? analyzersProject, int repeat, string? outPath, bool server)
    {
        var shared = server ? " -p:UseSharedCompilation=true" : string.Empty;
        var serversBefore = CompilerServers();
        var runtime = Path.Combine(repo, "DriverKit.Runtime", "DriverKit.Runtime.csproj");
        var analyzers = Path.GetFullPath(analyzersProject ?? Path.Combine(repo, "DriverKit.Analyzers", "DriverKit.Analyzers.csproj"));
        Console.WriteLine($"== analyzer cost: {files} driver files per project, analyzers from {analyzers} ==");
        var withRuntime = Path.Combine(work, "with-runtime");
        var withoutRuntime = Path.Combine(work, "without-runtime");
        WriteProject(withRuntime, "Corpus.Drivers", files, "DriverKit.Runtime", runtime, analyzers);
        WriteProject(withoutRuntime, "Corpus.Plain", files, CorpusGenerator.PlainNamespace, null, analyzers);

        var results = new List<CompileSample>();
        foreach (var (dir, name) in new[] { (withRuntime, "Corpus.Drivers"), (withoutRuntime, "Corpus.Plain") })
        {
            var project = Path.Combine(dir, name + ".csproj");
            Console.WriteLine($"-- {name}: restore and warm-up build (builds the referenced projects)");
            RunDotnet($"build \"{project}\" -c Release -nologo{shared}", out _, echoErrors: true);
            var samples = new List<CompileSample>();
            for (var i = 0; i < repeat; i++)
            {
                var ok = RunDotnet(
                    $"build \"{project}\" -c Release -nologo --no-restore --no-incremental -p:BuildProjectReferences=false -p:ReportAnalyzer=true -v:d -clp:PerformanceSummary{shared}",
                    out var log,
                    echoErrors: false);
                File.WriteAllText(Path.Combine(dir, $"build-{i}.log"), log);
                var s = Parse(name, log, ok);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   run {i + 1}: compile {s.CompileMs:F0} ms, all analyzers {s.TotalAnalyzerMs:F0} ms, DriverKit {s.DriverKitMs:F1} ms ({s.Share:P2}){(ok ? string.Empty : ", BUILD FAILED")}"));
                samples.Add(s);
            }

            samples.Sort((a, b) => a.Share.CompareTo(b.Share));
            results.Add(samples[samples.Count / 2]);
        }

        if (server && serversBefore.Count == 0 && CompilerServers().Count > 0)
        {
            // The server these builds started (none ran before): stop it rather than leave it idling for minutes.
            // A server that was already running belongs to someone else and is left alone.
            RunDotnet("build-server shutdown --vbcscompiler", out _, echoErrors: false);
        }

        var text = Format(results, files, analyzers, server);
        Console.WriteLine();
        Console.Write(text);
        if (outPath is not null)
        {
            File.WriteAllText(outPath, text);
        }

        var met = results[0].Share <= 0.03 && results[1].Share <= 0.001 && results.All(r => r.Succeeded);
        return met ? 0 : 1;
    }

    private static string Format(List<CompileSample> results, int files, string analyzers, bool server)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- corpus: {files} mock-driver files per project; analyzers: {analyzers}");
        sb.AppendLine("- compile = the Csc task (MSBuild performance summary) of a --no-incremental rebuild of the corpus project alone; analyzer times from -p:ReportAnalyzer=true (median run of the repeats)");
        sb.AppendLine(server
            ? "- compiler: the warm compiler server (UseSharedCompilation=true), so compile time is compilation work, not csc start-up"
            : "- compiler: the environment's setting (UseSharedCompilation as set), csc start-up included in compile time");
        sb.AppendLine();
        sb.AppendLine("| project | compile ms | all analyzers ms | DriverKit ms | DriverKit share | target | result |");
        sb.AppendLine("|---|---:|---:|---:|---:|---|---|");
        for (var i = 0; i < results.Count; i++)
        {
            var r = results[i];
            var target = i == 0 ? "<= 3%" : "negligible (<= 0.1%)";
            var met = r.Succeeded && (i == 0 ? r.Share <= 0.03 : r.Share <= 0.001);
            var label = i == 0 ? "references DriverKit.Runtime + analyzers" : "analyzers only, no DriverKit.Runtime";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {r.Project} ({label}) | {r.CompileMs:F0} | {r.TotalAnalyzerMs:F0} | {r.DriverKitMs:F1} | {r.Share:P2} | {target} | {(met ? "PASS" : "FAIL")}{(r.Succeeded ? string.Empty : " (build failed)")} |");
        }

        if (results.Count == 2)
        {
            // ReportAnalyzer charges an analyzer for binding it triggers in the shared semantic models, and does not charge
            // anyone for the driver's own work (an operation or symbol-start action makes it visit every operation): the
            // difference in compile time against the same-size project without DriverKit shows what DriverKit really costs.
            var extra = results[0].CompileMs - results[1].CompileMs;
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture, $"Compile time with DriverKit minus without: {extra:F0} ms ({extra / results[0].CompileMs:P1} of the Corpus.Drivers compile; includes the DriverKit.Runtime reference and the corpus' look-alike API differences).");
        }

        var rules = results[0].DriverKitRules;
        if (rules.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("DriverKit analyzers in the Corpus.Drivers compile (ms, name):");
            foreach (var r in rules)
            {
                sb.AppendLine("    " + r);
            }
        }
        else
        {
            sb.AppendLine();
            sb.AppendLine("DriverKit.Analyzers does not appear in the analyzer report (the assembly contains no analyzers yet, or none ran).");
        }

        return sb.ToString();
    }

    /// <summary>Parses one detailed build log.</summary>
    /// <param name="project">Project name for the sample.</param>
    /// <param name="log">The log.</param>
    /// <param name="ok">Whether the build succeeded.</param>
    public static CompileSample Parse(string project, string log, bool ok)
    {
        var lines = log.Split('\n');
        double compile = 0, total = 0, driverKit = 0;
        var rules = new List<string>();
        var inDriverKit = false;
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd('\r');
            var csc = CscTask.Match(line);
            if (csc.Success)
            {
                compile = double.Parse(csc.Groups[1].Value, CultureInfo.InvariantCulture);
                continue;
            }

            var t = TotalAnalyzer.Match(line);
            if (t.Success)
            {
                total = Seconds(t.Groups[1].Value) * 1000;
                inDriverKit = false;
                continue;
            }

            var row = ReportRow.Match(line);
            if (!row.Success)
            {
                inDriverKit = false;
                continue;
            }

            var ms = Seconds(row.Groups[1].Value) * 1000;
            var name = row.Groups[3].Value.Trim();
            var isAssembly = name.Contains(", Version=", StringComparison.Ordinal);
            if (isAssembly)
            {
                inDriverKit = name.StartsWith("DriverKit.Analyzers,", StringComparison.Ordinal);
                if (inDriverKit)
                {
                    driverKit += ms;
                }
            }
            else if (inDriverKit)
            {
                rules.Add(string.Create(CultureInfo.InvariantCulture, $"{ms,9:F1}  {name}"));
            }
        }

        return new CompileSample(project, compile, total, driverKit, rules, ok);
    }

    private static double Seconds(string s) => double.Parse(s.Replace("<", string.Empty, StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture);

    // "      1234 ms  Csc                                        1 calls" in the task performance summary.
    private static readonly Regex CscTask = new(@"^\s*(\d+) ms\s+Csc\s+\d+ calls", RegexOptions.CultureInvariant);

    // "Total analyzer execution time: 1.234 seconds."
    private static readonly Regex TotalAnalyzer = new(@"Total analyzer execution time:\s*([\d.]+)\s*seconds", RegexOptions.CultureInvariant);

    // "   0.123     12   Some.Analyzer (DiagnosticIds)" or "   <0.001   ..." — time, percentage, name.
    private static readonly Regex ReportRow = new(@"^\s*(<?[\d.]+)\s+(<?\d+)\s+(\S.*)$", RegexOptions.CultureInvariant);

    private static void WriteProject(string dir, string name, int files, string apiNamespace, string? runtimeProject, string analyzersProject)
    {
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        Directory.CreateDirectory(dir);
        var runtimeRef = runtimeProject is null ? string.Empty : $"""
                <ProjectReference Include="{runtimeProject}" />

            """;
        File.WriteAllText(Path.Combine(dir, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <!-- Generated by DriverKit.Benchmarks (analyzer-cost corpus). -->
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <LangVersion>latest</LangVersion>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
                <Deterministic>true</Deterministic>
                <GenerateDocumentationFile>false</GenerateDocumentationFile>
              </PropertyGroup>
              <ItemGroup>
            {runtimeRef}    <ProjectReference Include="{analyzersProject}" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              </ItemGroup>
            </Project>

            """);

        // Flagged legacy patterns stay warnings, so a rule's default Error severity cannot stop the measured build;
        // a rule set to warning still runs.
        var config = new StringBuilder("is_global = true\n");
        for (var id = 1; id <= 99; id++)
        {
            config.Append(CultureInfo.InvariantCulture, $"dotnet_diagnostic.DK{id:D4}.severity = warning\n");
        }

        File.WriteAllText(Path.Combine(dir, "corpus.globalconfig"), config.ToString());
        CorpusGenerator.WriteDrivers(Path.Combine(dir, "Drivers"), files, apiNamespace);
        if (runtimeProject is null)
        {
            File.WriteAllText(Path.Combine(dir, "PlainApi.cs"), CorpusGenerator.PlainApi());
        }
    }

    /// <summary>Process ids of running compiler servers (VBCSCompiler), from /proc.</summary>
    private static HashSet<int> CompilerServers()
    {
        var pids = new HashSet<int>();
        if (!Directory.Exists("/proc"))
        {
            return pids;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("VBCSCompiler", StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return pids;
    }

    private static bool RunDotnet(string arguments, out string output, bool echoErrors)
    {
        var psi = new ProcessStartInfo("dotnet", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet");
        var stderr = p.StandardError.ReadToEndAsync();
        output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        output += stderr.Result;
        if (p.ExitCode != 0 && echoErrors)
        {
            foreach (var line in output.Split('\n').Where(l => l.Contains(": error ", StringComparison.Ordinal)).Take(20))
            {
                Console.Error.WriteLine(line);
            }
        }

        return p.ExitCode == 0;
    }
}
