using Microsoft.CodeAnalysis;

namespace DriverKit.Tests.Verification.Tests;

public class FormattingTests
{
    public static TheoryData<ExpectedDiagnostic, string> Expectations => new()
    {
        { ExpectedDiagnostic.Create("DK0001").WithSpan(5, 9, 5, 40).WithArguments("x", 3), "Diagnostic(\"DK0001\").WithSpan(5, 9, 5, 40).WithArguments(\"x\", \"3\")" },
        { ExpectedDiagnostic.CompilerError("CS0103").WithSpan("Other.cs", 1, 2, 1, 3), "CompilerError(\"CS0103\").WithSpan(\"/0/Other.cs\", 1, 2, 1, 3)" },
        { ExpectedDiagnostic.CompilerWarning("CS8632").WithLocation(2, 7), "CompilerWarning(\"CS8632\").WithLocation(2, 7)" },
        { ExpectedDiagnostic.Create("DK0002").WithLocation(0).WithSeverity(DiagnosticSeverity.Error), "Diagnostic(\"DK0002\").WithLocation(0).WithSeverity(DiagnosticSeverity.Error)" },
        { ExpectedDiagnostic.Create("DK0003").WithNoLocation().WithMessage("say \"hi\""), "Diagnostic(\"DK0003\").WithNoLocation().WithMessage(\"say \\\"hi\\\"\")" },
    };

    [Theory]
    [MemberData(nameof(Expectations))]
    public void Expectations_print_as_copy_pasteable_CSharp(ExpectedDiagnostic expected, string text) => Assert.Equal(text, expected.ToString());

    [Fact]
    public void Spans_are_validated()
    {
        Assert.Throws<ArgumentException>(() => ExpectedDiagnostic.Create("DK0001").WithSpan(2, 1, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExpectedDiagnostic.Create("DK0001").WithLocation(0, 1));
    }

    [Fact]
    public void Equal_texts_have_an_empty_diff() => Assert.Equal("", TextDiff.Unified("a\nb\n", "a\nb\n"));

    [Fact]
    public void Diff_uses_the_expected_text_as_baseline_and_separates_distant_hunks()
    {
        var expected = string.Join('\n', Enumerable.Range(1, 20).Select(line => $"line {line}"));
        var actual = expected.Replace("line 2\n", "line two\n").Replace("line 18\n", "").Replace("line 20", "line 20\nline 21");

        Assert.Equal(
            """
            --- expected
            +++ actual
            @@ -1,5 +1,5 @@
             line 1
            -line 2
            +line two
             line 3
             line 4
             line 5
            @@ -15,6 +15,6 @@
             line 15
             line 16
             line 17
            -line 18
             line 19
             line 20
            +line 21

            """.ReplaceLineEndings("\n"),
            TextDiff.Unified(expected, actual));
    }
}
