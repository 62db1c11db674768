using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Reporting from a tree-wide action: a finding on a <c>#line hidden</c> line is dropped, as the analyzer driver drops it
/// for code it hands out as operation blocks (hidden lines are generated code inside a user's file).
/// </summary>
internal static class VisibleReports
{
    /// <summary>Reports <paramref name="diagnostic"/> unless its location starts on a hidden line.</summary>
    public static void ReportVisible(this SemanticModelAnalysisContext context, Diagnostic diagnostic)
    {
        if (diagnostic.Location.SourceTree is { } tree && tree.HasHiddenRegions() && tree.GetLineVisibility(diagnostic.Location.SourceSpan.Start, context.CancellationToken) == LineVisibility.Hidden)
        {
            return;
        }

        context.ReportDiagnostic(diagnostic);
    }
}
