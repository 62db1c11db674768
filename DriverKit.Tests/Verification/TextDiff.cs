using System.Text;

namespace DriverKit.Tests.Verification;

/// <summary>A unified line diff (longest common subsequence) with the expected text as the baseline.</summary>
internal static class TextDiff
{
    private readonly record struct Edit(char Kind, string Line, int ExpectedLine, int ActualLine);

    /// <summary>Empty when the texts are equal; otherwise <c>--- expected</c>/<c>+++ actual</c> followed by hunks.</summary>
    public static string Unified(string expected, string actual, int context = 3)
    {
        var edits = Edits(expected.Split('\n'), actual.Split('\n'));
        var changes = Enumerable.Range(0, edits.Count).Where(index => edits[index].Kind != ' ').ToList();
        if (changes.Count == 0)
        {
            return "";
        }

        var text = new StringBuilder("--- expected\n+++ actual\n");
        var next = 0;
        while (next < changes.Count)
        {
            var start = Math.Max(0, changes[next] - context);
            var end = changes[next];
            while (next < changes.Count && changes[next] - end <= 2 * context)
            {
                end = changes[next++];
            }

            end = Math.Min(edits.Count, end + context + 1);
            AppendHunk(text, edits, start, end);
        }

        return text.ToString();
    }

    private static List<Edit> Edits(string[] expected, string[] actual)
    {
        var common = new int[expected.Length + 1, actual.Length + 1];
        for (var i = expected.Length - 1; i >= 0; i--)
        {
            for (var j = actual.Length - 1; j >= 0; j--)
            {
                common[i, j] = expected[i] == actual[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }

        var edits = new List<Edit>();
        int e = 0, a = 0;
        while (e < expected.Length || a < actual.Length)
        {
            if (e < expected.Length && a < actual.Length && expected[e] == actual[a])
            {
                edits.Add(new Edit(' ', expected[e], ++e, ++a));
            }
            else if (e < expected.Length && (a == actual.Length || common[e + 1, a] >= common[e, a + 1]))
            {
                edits.Add(new Edit('-', expected[e], ++e, a));
            }
            else
            {
                edits.Add(new Edit('+', actual[a], e, ++a));
            }
        }

        return edits;
    }

    private static void AppendHunk(StringBuilder text, List<Edit> edits, int start, int end)
    {
        var hunk = edits.GetRange(start, end - start);
        var expectedCount = hunk.Count(edit => edit.Kind != '+');
        var actualCount = hunk.Count(edit => edit.Kind != '-');
        var expectedStart = hunk[0].ExpectedLine + (hunk[0].Kind == '+' ? 1 : 0);
        var actualStart = hunk[0].ActualLine + (hunk[0].Kind == '-' ? 1 : 0);
        text.Append($"@@ -{expectedStart},{expectedCount} +{actualStart},{actualCount} @@\n");
        foreach (var edit in hunk)
        {
            text.Append(edit.Kind).Append(edit.Line).Append('\n');
        }
    }
}
