using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Tests.Verification;

/// <summary>Builds the single-project <see cref="AdhocWorkspace"/> solution a test runs against.</summary>
internal static partial class ProjectBuilder
{
    public static Project Build(ProjectSettings settings, ImmutableArray<SourceFile> sources, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var projectId = ProjectId.CreateNewId("TestProject");
        var solution = new AdhocWorkspace().CurrentSolution.AddProject(ProjectInfo.Create(
            projectId,
            VersionStamp.Default,
            name: "TestProject",
            assemblyName: "TestProject",
            LanguageNames.CSharp,
            filePath: TestPaths.ProjectFile,
            compilationOptions: CompilationOptions(settings, analyzers),
            parseOptions: new CSharpParseOptions(settings.LanguageVersion, DocumentationMode.Diagnose),
            metadataReferences: ReferenceAssemblies.Get(settings.ReferenceDriverKitRuntime).AddRange(settings.AdditionalReferences.IsDefault ? [] : settings.AdditionalReferences)));

        foreach (var source in sources)
        {
            solution = solution.AddDocument(
                DocumentId.CreateNewId(projectId, source.Path),
                Path.GetFileName(source.Path),
                SourceText.From(source.Text, Encoding.UTF8),
                filePath: source.Path);
        }

        foreach (var (path, content) in AnalyzerConfigs(settings))
        {
            solution = solution.AddAnalyzerConfigDocument(
                DocumentId.CreateNewId(projectId, path),
                Path.GetFileName(path),
                SourceText.From(content, Encoding.UTF8),
                filePath: path);
        }

        return solution.GetProject(projectId)!;
    }

    /// <summary>
    /// Library output, unsafe code allowed, AD0001 as an error, and every descriptor of the tested analyzers enabled:
    /// disabled-by-default ones are switched on at their default severity.
    /// </summary>
    private static CSharpCompilationOptions CompilationOptions(ProjectSettings settings, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var forced = analyzers
            .SelectMany(analyzer => analyzer.SupportedDiagnostics)
            .Where(descriptor => !descriptor.IsEnabledByDefault)
            .Select(descriptor => KeyValuePair.Create(descriptor.Id, ToReportDiagnostic(descriptor.DefaultSeverity)))
            .Append(KeyValuePair.Create("AD0001", ReportDiagnostic.Error))
            .DistinctBy(option => option.Key);
        return new CSharpCompilationOptions(settings.OutputKind, allowUnsafe: true, nullableContextOptions: settings.NullableContext)
            .WithSpecificDiagnosticOptions(forced);
    }

    /// <summary>
    /// The .editorconfig (applies by path), the global config, and the build properties as a second global config — the way
    /// CompilerVisibleProperty items reach analyzers in a real build.
    /// </summary>
    private static IEnumerable<(string Path, string Content)> AnalyzerConfigs(ProjectSettings settings)
    {
        if (settings.EditorConfig is { } editorConfig)
        {
            yield return (TestPaths.EditorConfig, editorConfig);
        }

        if (settings.GlobalConfig is { } globalConfig)
        {
            yield return (TestPaths.GlobalConfig, IsGlobalLine().IsMatch(globalConfig) ? globalConfig : "is_global = true\n" + globalConfig);
        }

        if (!settings.BuildProperties.IsEmpty)
        {
            var content = new StringBuilder("is_global = true\n");
            foreach (var (name, value) in settings.BuildProperties)
            {
                content.Append(name.StartsWith("build_property.", StringComparison.Ordinal) ? name : "build_property." + name)
                    .Append(" = ").Append(value).Append('\n');
            }

            yield return (TestPaths.BuildPropertiesConfig, content.ToString());
        }
    }

    private static ReportDiagnostic ToReportDiagnostic(DiagnosticSeverity severity) => severity switch
    {
        DiagnosticSeverity.Error => ReportDiagnostic.Error,
        DiagnosticSeverity.Warning => ReportDiagnostic.Warn,
        DiagnosticSeverity.Info => ReportDiagnostic.Info,
        _ => ReportDiagnostic.Hidden,
    };

    [GeneratedRegex(@"^\s*is_global\s*=\s*true\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex IsGlobalLine();
}
