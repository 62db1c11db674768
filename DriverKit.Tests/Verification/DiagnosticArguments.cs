using System.Reflection;
using Microsoft.CodeAnalysis;

namespace DriverKit.Tests.Verification;

/// <summary>
/// Reads a diagnostic's message arguments. Roslyn keeps them in an internal property; this is only used to print
/// actual diagnostics as <c>.WithArguments(…)</c>, and callers fall back to the full message when it is unavailable.
/// </summary>
internal static class DiagnosticArguments
{
    private static readonly PropertyInfo? ArgumentsProperty =
        typeof(Diagnostic).GetProperty("Arguments", BindingFlags.Instance | BindingFlags.NonPublic);

    public static object?[]? TryGet(Diagnostic diagnostic) =>
        ArgumentsProperty?.GetValue(diagnostic) is IReadOnlyList<object?> arguments ? [.. arguments] : null;
}
