using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Tests.Verification;

/// <summary>Entry points for one analyzer. Use <see cref="AnalyzerTest{TAnalyzer}"/> for options.</summary>
public static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>A diagnostic of the analyzer's only descriptor.</summary>
    public static ExpectedDiagnostic Diagnostic()
    {
        var analyzer = new TAnalyzer();
        return analyzer.SupportedDiagnostics is [var descriptor]
            ? ExpectedDiagnostic.Create(descriptor)
            : throw new InvalidOperationException($"{typeof(TAnalyzer).Name} has several descriptors; use Diagnostic(id).");
    }

    /// <summary>A diagnostic of the analyzer's descriptor with this id (default severity), or of any source with this id.</summary>
    public static ExpectedDiagnostic Diagnostic(string id) =>
        new TAnalyzer().SupportedDiagnostics.FirstOrDefault(descriptor => descriptor.Id == id) is { } descriptor
            ? ExpectedDiagnostic.Create(descriptor)
            : ExpectedDiagnostic.Create(id);

    public static ExpectedDiagnostic Diagnostic(DiagnosticDescriptor descriptor) => ExpectedDiagnostic.Create(descriptor);

    public static ExpectedDiagnostic CompilerError(string id) => ExpectedDiagnostic.CompilerError(id);

    public static ExpectedDiagnostic CompilerWarning(string id) => ExpectedDiagnostic.CompilerWarning(id);

    public static Task VerifyAsync(string source, params ExpectedDiagnostic[] expected)
    {
        var test = new AnalyzerTest<TAnalyzer> { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}

/// <summary>Entry point for several analyzers run together.</summary>
public static class AnalyzerVerifier
{
    public static Task VerifyAsync(IEnumerable<DiagnosticAnalyzer> analyzers, string source, params ExpectedDiagnostic[] expected)
    {
        var test = new AnalyzerTest { TestCode = source };
        test.Analyzers.AddRange(analyzers);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}
