using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Tests.Verification;

/// <summary>Entry points for an analyzer with its code fix. Use <see cref="CodeFixTest{TAnalyzer, TCodeFix}"/> for options.</summary>
public static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static ExpectedDiagnostic Diagnostic() => AnalyzerVerifier<TAnalyzer>.Diagnostic();

    public static ExpectedDiagnostic Diagnostic(string id) => AnalyzerVerifier<TAnalyzer>.Diagnostic(id);

    public static ExpectedDiagnostic Diagnostic(DiagnosticDescriptor descriptor) => ExpectedDiagnostic.Create(descriptor);

    public static ExpectedDiagnostic CompilerError(string id) => ExpectedDiagnostic.CompilerError(id);

    public static ExpectedDiagnostic CompilerWarning(string id) => ExpectedDiagnostic.CompilerWarning(id);

    /// <summary>Diagnostics only, no fix.</summary>
    public static Task VerifyAsync(string source, params ExpectedDiagnostic[] expected) =>
        AnalyzerVerifier<TAnalyzer>.VerifyAsync(source, expected);

    /// <summary>Diagnostics from markup only.</summary>
    public static Task VerifyFixAsync(string source, string fixedSource) => VerifyFixAsync(source, [], fixedSource);

    public static Task VerifyFixAsync(string source, ExpectedDiagnostic expected, string fixedSource) =>
        VerifyFixAsync(source, [expected], fixedSource);

    public static Task VerifyFixAsync(string source, ExpectedDiagnostic[] expected, string fixedSource)
    {
        var test = new CodeFixTest<TAnalyzer, TCodeFix> { TestCode = source, FixedCode = fixedSource };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>The diagnostics are reported but the fix must not be offered for any of them.</summary>
    public static Task VerifyNoFixAsync(string source, params ExpectedDiagnostic[] expected) => VerifyFixAsync(source, expected, source);
}
