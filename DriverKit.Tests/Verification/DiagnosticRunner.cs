using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Tests.Verification;

/// <summary>Computes a project's analyzer and compiler diagnostics, sorted deterministically.</summary>
internal static class DiagnosticRunner
{
    /// <exception cref="VerificationException">An analyzer threw (AD0001).</exception>
    public static async Task<ImmutableArray<Diagnostic>> GetDiagnosticsAsync(
        Project project,
        ImmutableArray<DiagnosticAnalyzer> analyzers,
        CompilerDiagnostics compilerDiagnostics,
        string context,
        CancellationToken cancellationToken)
    {
        var compilation = await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The C# project produced no compilation.");
        var exceptions = new ConcurrentQueue<(DiagnosticAnalyzer Analyzer, Exception Exception)>();
        var options = new CompilationWithAnalyzersOptions(
            project.AnalyzerOptions,
            onAnalyzerException: (exception, analyzer, _) => exceptions.Enqueue((analyzer, exception)),
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        var analyzerDiagnostics = analyzers.IsEmpty
            ? []
            : await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);

        var crashes = analyzerDiagnostics.Where(diagnostic => diagnostic.Id == "AD0001").ToList();
        if (!exceptions.IsEmpty || crashes.Count > 0)
        {
            throw new VerificationException(context, DescribeCrashes(exceptions, crashes));
        }

        var compilerResults = compilation.GetDiagnostics(cancellationToken).Where(diagnostic => compilerDiagnostics switch
        {
            CompilerDiagnostics.Errors => diagnostic.Severity == DiagnosticSeverity.Error,
            CompilerDiagnostics.ErrorsAndWarnings => diagnostic.Severity >= DiagnosticSeverity.Warning,
            _ => false,
        });

        return [.. analyzerDiagnostics.Concat(compilerResults)
            .Where(diagnostic => !diagnostic.IsSuppressed)
            .OrderBy(diagnostic => diagnostic.Location.SourceTree?.FilePath ?? "", StringComparer.Ordinal)
            .ThenBy(diagnostic => diagnostic.Location.SourceSpan.Start)
            .ThenBy(diagnostic => diagnostic.Location.SourceSpan.End)
            .ThenBy(diagnostic => diagnostic.Id, StringComparer.Ordinal)
            .ThenBy(diagnostic => diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal)];
    }

    /// <summary>The captured exceptions, or the AD0001 diagnostics (whose description holds the stack) if none was captured.</summary>
    private static string DescribeCrashes(
        IReadOnlyCollection<(DiagnosticAnalyzer Analyzer, Exception Exception)> exceptions,
        IEnumerable<Diagnostic> crashes)
    {
        var text = new StringBuilder("An analyzer threw an exception (AD0001):\n");
        if (exceptions.Count > 0)
        {
            foreach (var (analyzer, exception) in exceptions)
            {
                text.Append(analyzer.GetType().FullName).Append(": ").Append(exception).Append('\n');
            }
        }
        else
        {
            foreach (var crash in crashes)
            {
                text.Append(crash.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).Append('\n')
                    .Append(crash.Descriptor.Description).Append('\n');
            }
        }

        return text.ToString();
    }
}
