using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverKit.Tests.Verification;

/// <summary>
/// Compares expected with actual diagnostics. The two lists are paired greedily by closeness (same id and span first),
/// so one wrong diagnostic is reported once instead of shifting every later comparison.
/// </summary>
internal static class DiagnosticComparer
{
    /// <exception cref="VerificationException">Any expected diagnostic is missing or wrong, or an actual one is unexpected.</exception>
    public static void Verify(TestState state, ImmutableArray<Diagnostic> actual, string context)
    {
        var expected = state.ExpectedDiagnostics;
        var pairs = Pair(expected, actual);
        var problems = new List<string>();
        var marks = actual.Select(FailureFormatter.Mark).OfType<SourceMark>().ToList();

        for (var e = 0; e < expected.Length; e++)
        {
            if (!pairs.TryGetValue(e, out var a))
            {
                problems.Add($"Missing diagnostic: {expected[e]} was not reported.");
                if (FailureFormatter.Mark(expected[e], $"missing {expected[e].Id}") is { } mark)
                {
                    marks.Add(mark);
                }
            }
            else if (Differences(expected[e], actual[a]) is { Count: > 0 } differences)
            {
                problems.Add(
                    $"Wrong diagnostic ({string.Join("; ", differences)}):\n" +
                    $"    expected: {expected[e]}\n" +
                    $"    actual:   {FailureFormatter.Describe(actual[a])}");
            }
        }

        var unexpected = Enumerable.Range(0, actual.Length).Except(pairs.Values).Select(a => actual[a]).ToList();
        problems.AddRange(unexpected.Select(diagnostic => $"Unexpected diagnostic: {FailureFormatter.Describe(diagnostic)}"));
        if (problems.Count == 0)
        {
            return;
        }

        var message = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Expected {expected.Length} diagnostic(s), actual {actual.Length}; {problems.Count} problem(s):\n")
            .AppendJoin('\n', problems.Select(problem => "- " + problem)).Append('\n');
        if (unexpected.Any(IsCompilerError))
        {
            message.Append("The code does not compile; if the error is intended, expect it (e.g. {|CS0103:…|} or CompilerError(\"CS0103\")).\n");
        }

        message.Append("\nActual diagnostics (copy-pasteable):\n").Append(FailureFormatter.CopyPasteable(actual))
            .Append('\n').Append(FailureFormatter.AnnotateSources(state.Sources, marks));
        throw new VerificationException(context, message.ToString());
    }

    /// <summary>Expected index → actual index. Only pairs sharing the id or the start position are considered.</summary>
    private static Dictionary<int, int> Pair(ImmutableArray<ExpectedDiagnostic> expected, ImmutableArray<Diagnostic> actual)
    {
        var candidates = new List<(int Cost, int Expected, int Actual)>();
        for (var e = 0; e < expected.Length; e++)
        {
            for (var a = 0; a < actual.Length; a++)
            {
                var sameId = expected[e].Id == actual[a].Id;
                var sameStart = StartMatches(expected[e], actual[a]);
                if (sameId || sameStart)
                {
                    var cost = (sameId ? 0 : 4) + (sameStart ? 0 : 2) + Differences(expected[e], actual[a]).Count;
                    candidates.Add((cost, e, a));
                }
            }
        }

        var pairs = new Dictionary<int, int>();
        var usedActual = new HashSet<int>();
        foreach (var (_, e, a) in candidates.OrderBy(candidate => candidate.Cost).ThenBy(candidate => candidate.Expected).ThenBy(candidate => candidate.Actual))
        {
            if (!pairs.ContainsKey(e) && usedActual.Add(a))
            {
                pairs.Add(e, a);
            }
        }

        return pairs;
    }

    private static List<string> Differences(ExpectedDiagnostic expected, Diagnostic actual)
    {
        var differences = new List<string>();
        if (expected.Id != actual.Id)
        {
            differences.Add($"wrong id: expected {expected.Id}, actual {actual.Id}");
        }

        if (!LocationMatches(expected, actual))
        {
            differences.Add($"wrong location: expected {DescribeLocation(expected)}, actual {DescribeLocation(actual)}");
        }

        if (!expected.IsFromMarkup && expected.Severity is { } severity && severity != actual.Severity)
        {
            differences.Add($"wrong severity: expected {severity}, actual {actual.Severity}");
        }

        if (!expected.IsFromMarkup && ExpectedMessage(expected, actual) is { } message)
        {
            var actualMessage = actual.GetMessage(CultureInfo.InvariantCulture);
            if (message != actualMessage)
            {
                differences.Add($"wrong message: expected {Literal(message)}, actual {Literal(actualMessage)}");
            }
        }

        return differences;
    }

    private static bool StartMatches(ExpectedDiagnostic expected, Diagnostic actual)
    {
        if (expected.HasNoLocation || !actual.Location.IsInSource)
        {
            return expected.HasNoLocation && !actual.Location.IsInSource;
        }

        var span = actual.Location.GetLineSpan();
        return span.Path == expected.Path && span.StartLinePosition == expected.Start;
    }

    private static bool LocationMatches(ExpectedDiagnostic expected, Diagnostic actual) =>
        StartMatches(expected, actual)
        && (expected.HasNoLocation || expected.End is null || actual.Location.GetLineSpan().EndLinePosition == expected.End);

    /// <summary>The full expected message, or the descriptor's format applied to the expected arguments.</summary>
    private static string? ExpectedMessage(ExpectedDiagnostic expected, Diagnostic actual)
    {
        if (expected.Message is not null || expected.Arguments is null)
        {
            return expected.Message;
        }

        var format = actual.Descriptor.MessageFormat.ToString(CultureInfo.InvariantCulture);
        try
        {
            return string.Format(CultureInfo.InvariantCulture, format, expected.Arguments);
        }
        catch (FormatException)
        {
            return $"<{expected.Arguments.Length} argument(s) do not fit the format {Literal(format)}>";
        }
    }

    private static string DescribeLocation(ExpectedDiagnostic expected) =>
        expected.HasNoLocation ? "no location"
        : expected.End is { } end ? $"{expected.Path}({expected.Start!.Value.Line + 1},{expected.Start.Value.Character + 1})-({end.Line + 1},{end.Character + 1})"
        : $"{expected.Path}({expected.Start!.Value.Line + 1},{expected.Start.Value.Character + 1})";

    private static string DescribeLocation(Diagnostic actual)
    {
        if (!actual.Location.IsInSource)
        {
            return "no location";
        }

        var span = actual.Location.GetLineSpan();
        return $"{span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})-({span.EndLinePosition.Line + 1},{span.EndLinePosition.Character + 1})";
    }

    private static bool IsCompilerError(Diagnostic diagnostic) =>
        diagnostic.Severity == DiagnosticSeverity.Error && diagnostic.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.Compiler);

    private static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);
}
