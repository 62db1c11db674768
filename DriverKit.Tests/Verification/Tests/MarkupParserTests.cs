using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Tests.Verification.Tests;

public class MarkupParserTests
{
    [Fact]
    public void Parses_every_form_and_strips_the_markup()
    {
        var result = MarkupParser.Parse("a [|bc|] {|DK0001:de|} {|#0:f|} {|CS0103:g|}");

        Assert.Equal("a bc de f g", result.Text);
        Assert.Equal<MarkupSpan>(
            [new MarkupSpan(null, new TextSpan(2, 2)), new MarkupSpan("DK0001", new TextSpan(5, 2)), new MarkupSpan("CS0103", new TextSpan(10, 1))],
            result.Spans);
        Assert.Equal(new TextSpan(8, 1), Assert.Single(result.Locations, location => location.Key == 0).Value);
    }

    [Fact]
    public void Nested_spans_close_innermost_first()
    {
        var result = MarkupParser.Parse("{|#1:x[|y|]|}[||]");

        Assert.Equal("xy", result.Text);
        Assert.Equal<MarkupSpan>([new MarkupSpan(null, new TextSpan(1, 1)), new MarkupSpan(null, new TextSpan(2, 0))], result.Spans);
        Assert.Equal(new TextSpan(0, 2), result.Locations[1]);
    }

    [Theory]
    [InlineData("int [|bad = 0;", "line 1, column 5: '[|' is never closed")]
    [InlineData("int\nbad|] = 0;", "line 2, column 4: '|]' has no matching '[|'")]
    [InlineData("int {|DK0001:bad|] = 0;", "'|]' cannot close '{|DK0001:' opened at line 1, column 5")]
    [InlineData("int [|bad|} = 0;", "'|}' cannot close '[|' opened at line 1, column 5")]
    [InlineData("int {|bad = 0;", "'{|' must be followed by a diagnostic id or a location key and ':'")]
    [InlineData("{|#0:a|} {|#0:b|}", "location key '#0' is declared more than once")]
    public void Malformed_markup_throws_a_clear_ArgumentException(string markup, string problem)
    {
        var exception = Assert.Throws<ArgumentException>(() => MarkupParser.Parse(markup));

        Assert.Contains(problem, exception.Message, StringComparison.Ordinal);
    }
}
