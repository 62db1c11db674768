namespace DriverKit.Tests.Verification;

/// <summary>Which compiler diagnostics take part in the comparison besides the analyzers' own.</summary>
public enum CompilerDiagnostics
{
    None,
    Errors,
    ErrorsAndWarnings,
}
