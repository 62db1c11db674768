extern alias DriverKitAnalyzers;

using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Fuzz;

/// <summary>What went wrong with one input.</summary>
/// <param name="Kind">"analyzer exception", "fix exception" or "fix adds a compile error".</param>
/// <param name="Input">The input.</param>
/// <param name="Detail">The exception, or the fix and the errors it added.</param>
public sealed record FuzzFailure(string Kind, FuzzInput Input, string Detail);

/// <summary>
/// Runs one input through every DriverKit analyzer, then every code fix each diagnostic is offered (up to
/// <see cref="MaxSingleFixes"/> per input) and Fix All in the document for each fix and equivalence key. Records analyzer
/// exceptions (AD0001 included), exceptions thrown while registering or computing a fix, and fixes whose result has a
/// compile error the input did not have (counted per error id), and the time the analyzers took.
/// </summary>
public sealed class FuzzRunner
{
    /// <summary>Single fixes applied per input; Fix All runs once per fix provider and key regardless.</summary>
    public const int MaxSingleFixes = 6;

    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors).Assembly
        .GetTypes()
        .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type))
        .OrderBy(type => type.FullName, StringComparer.Ordinal)
        .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
        .ToImmutableArray();

    private static readonly ImmutableArray<CodeFixProvider> Fixers = typeof(DriverKit.CodeFixes.DriverKitCodeFix).Assembly
        .GetTypes()
        .Where(type => !type.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(type) && type.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null)
        .OrderBy(type => type.FullName, StringComparer.Ordinal)
        .Select(type => (CodeFixProvider)Activator.CreateInstance(type)!)
        .ToImmutableArray();

    /// <summary>Runs one input.</summary>
    /// <returns>The failures found and the analyzers' time in milliseconds.</returns>
    public static async Task<(IReadOnlyList<FuzzFailure> Failures, double AnalysisMilliseconds, int FixesApplied)> RunAsync(FuzzInput input, CancellationToken cancellationToken)
    {
        var failures = new List<FuzzFailure>();
        var project = Build(input);
        var compilation = (await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false))!;
        var exceptions = new ConcurrentQueue<Exception>();
        var options = new CompilationWithAnalyzersOptions(
            project.AnalyzerOptions,
            onAnalyzerException: (exception, _, _) => exceptions.Enqueue(exception),
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        var clock = Stopwatch.StartNew();
        var diagnostics = await compilation.WithAnalyzers(Analyzers, options).GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        foreach (var exception in exceptions)
        {
            failures.Add(new FuzzFailure("analyzer exception", input, exception.ToString()));
        }

        foreach (var crash in diagnostics.Where(diagnostic => diagnostic.Id == "AD0001"))
        {
            failures.Add(new FuzzFailure("analyzer exception", input, crash.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var before = Errors(compilation);
        var fixable = diagnostics.Where(diagnostic => diagnostic.Location.IsInSource && diagnostic.Id.StartsWith("DK", StringComparison.Ordinal)).ToImmutableArray();
        var applied = 0;
        var batches = new HashSet<(CodeFixProvider, string?)>();
        foreach (var diagnostic in fixable)
        {
            if (project.GetDocument(diagnostic.Location.SourceTree) is not { } document)
            {
                continue;
            }

            foreach (var fixer in Fixers.Where(fixer => fixer.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                var actions = new List<CodeAction>();
                try
                {
                    await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellationToken)).ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    failures.Add(new FuzzFailure("fix exception", input, $"{fixer.GetType().Name} registering for {diagnostic}: {exception}"));
                    continue;
                }

                foreach (var action in actions)
                {
                    if (applied < MaxSingleFixes)
                    {
                        applied++;
                        await CheckAsync(input, project, before, $"{action.Title} for {diagnostic}", () => Apply(action, cancellationToken), failures, cancellationToken).ConfigureAwait(false);
                    }

                    if (batches.Add((fixer, action.EquivalenceKey)) && fixer.GetFixAllProvider() is { } fixAll)
                    {
                        var context = new FixAllContext(document, diagnostic.Location.SourceSpan, fixer, FixAllScope.Document, action.EquivalenceKey,
                            fixer.FixableDiagnosticIds, new Diagnostics(fixable), cancellationToken);
                        await CheckAsync(input, project, before, $"Fix All '{action.EquivalenceKey}' of {fixer.GetType().Name}", async () =>
                            await fixAll.GetFixAsync(context).ConfigureAwait(false) is { } batch ? await Apply(batch, cancellationToken).ConfigureAwait(false) : null,
                            failures, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }

        return (failures, elapsed, applied);
    }

    /// <summary>The input as a one-project solution: its files, the runtime and the framework, the kernel version setting.</summary>
    public static Project Build(FuzzInput input)
    {
        var projectId = ProjectId.CreateNewId("Fuzz");
        var solution = new AdhocWorkspace().CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Default,
            "Fuzz",
            "Fuzz",
            LanguageNames.CSharp,
            filePath: "/fuzz/Fuzz.csproj",
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
            metadataReferences: ReferenceAssemblies.Get(includeDriverKitRuntime: true)));
        foreach (var file in input.Files)
        {
            solution = solution.AddDocument(DocumentId.CreateNewId(projectId), file.Name, SourceText.From(file.Text, Encoding.UTF8), filePath: "/fuzz/" + file.Name);
        }

        solution = solution.AddAnalyzerConfigDocument(
            DocumentId.CreateNewId(projectId),
            "fuzz.globalconfig",
            SourceText.From($"is_global = true\ndriverkit.kernel_version = {input.KernelVersion}\n", Encoding.UTF8),
            filePath: "/fuzz/fuzz.globalconfig");
        return solution.GetProject(projectId)!;
    }

    private static async Task<Solution?> Apply(CodeAction action, CancellationToken cancellationToken)
    {
        var operations = await action.GetOperationsAsync(cancellationToken).ConfigureAwait(false);
        return operations.OfType<ApplyChangesOperation>().FirstOrDefault()?.ChangedSolution;
    }

    /// <summary>Computes a fix and compares the compile errors of its result with the input's.</summary>
    private static async Task CheckAsync(FuzzInput input, Project project, Dictionary<string, int> before, string what, Func<Task<Solution?>> fix, List<FuzzFailure> failures, CancellationToken cancellationToken)
    {
        Solution? changed;
        try
        {
            changed = await fix().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            failures.Add(new FuzzFailure("fix exception", input, $"{what}: {exception}"));
            return;
        }

        if (changed?.GetProject(project.Id) is not { } fixedProject
            || await fixedProject.GetCompilationAsync(cancellationToken).ConfigureAwait(false) is not { } compilation)
        {
            return;
        }

        var after = Errors(compilation);
        var added = after.Where(pair => pair.Value > before.GetValueOrDefault(pair.Key)).Select(pair => pair.Key).ToList();
        if (added.Count > 0)
        {
            var errors = compilation.GetDiagnostics(cancellationToken).Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error && added.Contains(diagnostic.Id));
            var texts = await Task.WhenAll(fixedProject.Documents.Select(async document => $"--- {document.Name}\n{await document.GetTextAsync(cancellationToken).ConfigureAwait(false)}")).ConfigureAwait(false);
            failures.Add(new FuzzFailure("fix adds a compile error", input, $"{what}: {string.Join("; ", errors)}\n{string.Join("\n", texts)}"));
        }
    }

    /// <summary>The compile errors of a compilation, counted per error id.</summary>
    private static Dictionary<string, int> Errors(Compilation compilation) => compilation.GetDiagnostics()
        .Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)
        .GroupBy(diagnostic => diagnostic.Id)
        .ToDictionary(group => group.Key, group => group.Count());

    /// <summary>Serves Fix All the diagnostics the analyzers reported.</summary>
    private sealed class Diagnostics(ImmutableArray<Diagnostic> diagnostics) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult(diagnostics.Where(diagnostic => diagnostic.Location.SourceTree?.FilePath == document.FilePath));

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(Enumerable.Empty<Diagnostic>());

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(diagnostics);
    }
}
