using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using DriverKit.Benchmarks.Report;
using DriverKit.Benchmarks.Shapes;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Benchmarks.Corpus;

/// <summary>One edit of the IDE loop: how long each part took.</summary>
/// <param name="CompilationMs">From the edited text to the project's new compilation (the workspace reuses every other tree).</param>
/// <param name="DriverKitMs">Time in DriverKit's analyzer callbacks for the edited document (the compiler's execution-time log).</param>
/// <param name="RequestMs">The whole request — the document's analyzer diagnostics, its operation trees built first by a binder as any IOperation analyzer would — wall time.</param>
/// <param name="Diagnostics">DK diagnostics reported for the document.</param>
public sealed record EditSample(double CompilationMs, double DriverKitMs, double RequestMs, int Diagnostics);

/// <summary>
/// IDE latency (issue 23): a 2,000-file driver solution in a Roslyn workspace and one 500-line driver file that is edited
/// again and again — a line of a method body changes, the workspace forks the solution, and the document's analyzer
/// diagnostics are asked for, as the editor does after a keystroke. Per-compilation work (the identifier index, the driver
/// model, the flag-source search) is paid again on every edit unless it is kept per tree; this shows what an edit costs.
/// Target: the median edit's DriverKit diagnostics within 50 ms.
/// </summary>
public static class IdeLatency
{
    /// <summary>The most the median edit's DriverKit diagnostics may take.</summary>
    public const double TargetMilliseconds = 50;

    /// <summary>Runs the edit loop and prints one line per edit and the medians; returns 0 when the target is met.</summary>
    /// <param name="files">Driver files in the solution besides the edited one.</param>
    /// <param name="edits">Timed edits (after three warm-up edits).</param>
    /// <param name="log">Where the results go.</param>
    public static async Task<int> RunAsync(int files, int edits, TextWriter log)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Create(),
            "Corpus.Drivers",
            "Corpus.Drivers",
            LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            metadataReferences: ReferenceAssemblies.Get(includeDriverKitRuntime: true)));
        for (var i = 0; i < files; i++)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), $"Driver{i:D5}.cs", SourceText.From(CorpusGenerator.Driver(i, "DriverKit.Runtime")));
        }

        solution = solution.AddDocument(DocumentId.CreateNewId(projectId), "GlobalUsings.g.cs", SourceText.From(CorpusGenerator.ImplicitUsings));
        var editedId = DocumentId.CreateNewId(projectId);
        var (editedText, editLine) = EditedFile(files);
        solution = solution.AddDocument(editedId, "Edited.cs", SourceText.From(editedText));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== IDE latency: {files} driver files and one of {editedText.Split('\n').Length} lines, edited {edits} times =="));

        var driverKit = ShapeCompilations.DriverKitAnalyzers;
        var all = ImmutableArray.Create<DiagnosticAnalyzer>(new ShapeCompilations.OperationBinder()).AddRange(driverKit);
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: true);

        // The first compilation of the whole solution, as the IDE has it before the first keystroke.
        var first = await solution.GetProject(projectId)!.GetCompilationAsync().ConfigureAwait(false);
        var errors = first!.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error).Take(3).ToList();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("The solution does not compile: " + string.Join("; ", errors));
        }

        var samples = new List<EditSample>();
        for (var edit = 0; edit < edits + 3; edit++)
        {
            var document = solution.GetDocument(editedId)!;
            var text = await document.GetTextAsync().ConfigureAwait(false);
            var line = text.Lines[editLine];
            var changed = text.WithChanges(new TextChange(line.Span, $"        const int edit = {edit};"));
            solution = solution.WithDocumentText(editedId, changed);

            var watch = Stopwatch.StartNew();
            var compilation = (await solution.GetProject(projectId)!.GetCompilationAsync().ConfigureAwait(false))!;
            var tree = (await solution.GetDocument(editedId)!.GetSyntaxTreeAsync().ConfigureAwait(false))!;
            var compilationMs = watch.Elapsed.TotalMilliseconds;

            // One request, as the editor makes it: the binder first (analyzers run in order without concurrency), then DriverKit.
            watch.Restart();
            var result = await compilation.WithAnalyzers(all, options)
                .GetAnalysisResultAsync(compilation.GetSemanticModel(tree), filterSpan: null, CancellationToken.None)
                .ConfigureAwait(false);
            var requestMs = watch.Elapsed.TotalMilliseconds;
            var driverKitMs = result.AnalyzerTelemetryInfo.Where(entry => driverKit.Contains(entry.Key)).Sum(entry => entry.Value.ExecutionTime.TotalMilliseconds);
            var diagnostics = result.GetAllDiagnostics();
            var sample = new EditSample(compilationMs, driverKitMs, requestMs, diagnostics.Count(diagnostic => diagnostic.Id.StartsWith("DK", StringComparison.Ordinal)));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(edit < 3 ? "warm-up" : "edit")} {edit + 1}: compilation {sample.CompilationMs:F1} ms, DriverKit {sample.DriverKitMs:F1} ms, whole request {sample.RequestMs:F1} ms, {sample.Diagnostics} DK diagnostics"));
            if (edit >= 3)
            {
                samples.Add(sample);
            }
        }

        var median = Median.Of(samples.Select(sample => sample.DriverKitMs));
        log.WriteLine();
        log.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"median: compilation {Median.Of(samples.Select(sample => sample.CompilationMs)):F1} ms, DriverKit {median:F1} ms (target {TargetMilliseconds} ms: {(median <= TargetMilliseconds ? "PASS" : "FAIL")}), whole request {Median.Of(samples.Select(sample => sample.RequestMs)):F1} ms"));
        return median <= TargetMilliseconds ? 0 : 1;
    }

    /// <summary>A driver file of at least 500 lines (corpus drivers of several shapes, one namespace each) and the line the edits rewrite.</summary>
    private static (string Text, int EditLine) EditedFile(int first)
    {
        var text = new StringBuilder();
        for (var i = first; text.ToString().Split('\n').Length < 500; i++)
        {
            text.Append(CorpusGenerator.Driver(i, "DriverKit.Runtime").Replace("using DriverKit.Runtime;", string.Empty, StringComparison.Ordinal));
            text.AppendLine();
        }

        // A file-scoped namespace per driver is not allowed twice in one file: make them block-scoped.
        var lines = text.ToString().Split('\n').ToList();
        var inNamespace = false;
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].StartsWith("namespace ", StringComparison.Ordinal) && lines[i].TrimEnd().EndsWith(';'))
            {
                if (inNamespace)
                {
                    lines.Insert(i, "}");
                    i++;
                }

                lines[i] = lines[i].TrimEnd().TrimEnd(';') + " {";
                inNamespace = true;
            }
        }

        lines.Add("}");
        lines.Insert(0, "using DriverKit.Runtime;");

        // The edited line: the first statement of the first ->mmap handler's body (the code a driver author works on).
        var mmap = lines.FindIndex(line => line.Contains("private int DevMmap(", StringComparison.Ordinal));
        var body = lines.FindIndex(mmap, line => line.TrimStart().StartsWith('{'));
        lines.Insert(body + 1, "        const int edit = 0;");
        return (string.Join('\n', lines), body + 1);
    }
}
