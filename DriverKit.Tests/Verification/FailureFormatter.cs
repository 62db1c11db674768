using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Tests.Verification;

/// <summary>A span to point at in the annotated source: <c>^</c> for actual diagnostics, <c>~</c> for missing expected ones.</summary>
internal sealed record SourceMark(string Path, LinePositionSpan Span, char Marker, string Label);

/// <summary>Renders diagnostics for failure messages: as copy-pasteable expectations and as carets under the source.</summary>
internal static class FailureFormatter
{
    private const int ContextLines = 2;

    /// <summary>One line per diagnostic, e.g. <c>Diagnostic("DK0001").WithSpan(5, 9, 5, 40).WithArguments("x"), // message</c>.</summary>
    public static string CopyPasteable(ImmutableArray<Diagnostic> diagnostics)
    {
        if (diagnostics.IsEmpty)
        {
            return "    (none)\n";
        }

        var text = new StringBuilder();
        foreach (var diagnostic in diagnostics)
        {
            text.Append("    ").Append(Describe(diagnostic)).Append(", // ")
                .Append(diagnostic.GetMessage(CultureInfo.InvariantCulture).ReplaceLineEndings(" ")).Append('\n');
        }

        return text.ToString();
    }

    public static string Describe(Diagnostic diagnostic) => ExpectedDiagnostic.FromActual(diagnostic).ToString();

    public static SourceMark? Mark(Diagnostic diagnostic) =>
        diagnostic.Location.IsInSource
            ? new SourceMark(
                diagnostic.Location.GetLineSpan().Path,
                diagnostic.Location.GetLineSpan().Span,
                '^',
                $"{diagnostic.Id}: {diagnostic.GetMessage(CultureInfo.InvariantCulture).ReplaceLineEndings(" ")}")
            : null;

    public static SourceMark? Mark(ExpectedDiagnostic expected, string label) =>
        expected is { Path: { } path, Start: { } start }
            ? new SourceMark(path, new LinePositionSpan(start, expected.End ?? start), '~', label)
            : null;

    /// <summary>The marked lines of each source with a few lines of context, line numbers, and markers under the spans.</summary>
    public static string AnnotateSources(IReadOnlyList<SourceFile> sources, IEnumerable<SourceMark> marks)
    {
        var text = new StringBuilder();
        var marksByPath = marks.ToLookup(mark => mark.Path);
        foreach (var source in sources.Where(source => marksByPath.Contains(source.Path)))
        {
            var lines = SourceText.From(source.Text).Lines;
            var fileMarks = marksByPath[source.Path].OrderBy(mark => mark.Span.Start).ToList();
            var shown = fileMarks
                .SelectMany(mark => Enumerable.Range(mark.Span.Start.Line - ContextLines, (2 * ContextLines) + 1))
                .Where(line => line >= 0 && line < lines.Count)
                .ToHashSet();
            var width = lines.Count.ToString(CultureInfo.InvariantCulture).Length;
            var gutter = new string(' ', width) + " | ";

            text.Append(source.Path).Append(":\n");
            for (var line = 0; line < lines.Count; line++)
            {
                if (!shown.Contains(line))
                {
                    if (shown.Contains(line - 1))
                    {
                        text.Append(new string(' ', width)).Append(" ...\n");
                    }

                    continue;
                }

                var content = lines[line].ToString().Replace('\t', ' ');
                text.Append((line + 1).ToString(CultureInfo.InvariantCulture).PadLeft(width)).Append(" | ").Append(content).Append('\n');
                foreach (var mark in fileMarks.Where(mark => mark.Span.Start.Line == line))
                {
                    text.Append(gutter).Append(Underline(mark, content.Length)).Append(' ').Append(mark.Label).Append('\n');
                }
            }
        }

        return text.ToString();
    }

    private static string Underline(SourceMark mark, int lineLength)
    {
        var start = mark.Span.Start.Character;
        var multiLine = mark.Span.End.Line > mark.Span.Start.Line;
        var end = multiLine ? lineLength : mark.Span.End.Character;
        var underline = new string(' ', start) + new string(mark.Marker, Math.Max(1, end - start));
        return multiLine ? $"{underline} (to line {mark.Span.End.Line + 1})" : underline;
    }
}
