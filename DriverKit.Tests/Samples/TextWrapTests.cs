using DriverKit.Samples.Output;

namespace DriverKit.Tests.Samples;

/// <summary>Word wrapping: lines within the width, breaks only at spaces unless a word is longer than the width.</summary>
public sealed class TextWrapTests
{
    [Fact]
    public void BreaksBetweenWords() => Assert.Equal(["open", "/dev/video0:", "the driver"], TextWrap.Lines("open /dev/video0: the driver", 12));

    [Fact]
    public void CutsOnlyAWordLongerThanTheWidth() => Assert.Equal(["abcd", "efgh", "ij", "xy z"], TextWrap.Lines("abcdefghij xy z", 4));

    [Fact]
    public void KeepsSpacingInsideALineAndLineBreaks() =>
        Assert.Equal(["BUG: Bad page state in process capture  pfn:00004", "  flags: 0x800"], TextWrap.Lines("BUG: Bad page state in process capture  pfn:00004\n  flags: 0x800", 60));

    [Fact]
    public void RandomTextStaysWithinTheWidthAndKeepsEveryWordThatFits()
    {
        var random = new Random(20240531);
        for (var trial = 0; trial < 500; trial++)
        {
            var words = Enumerable.Range(0, random.Next(1, 30)).Select(_ => new string('x', random.Next(1, 25)) + random.Next(10)).ToArray();
            var width = random.Next(1, 40);
            var lines = TextWrap.Lines(string.Join(' ', words), width);
            Assert.All(lines, l => Assert.InRange(l.Length, 1, width));
            var tokens = new Queue<string>(lines.SelectMany(l => l.Split(' ')));
            foreach (var word in words)
            {
                // A word that fits comes back whole; a longer one in pieces of the width.
                var back = tokens.Dequeue();
                while (back.Length < word.Length && word.Length > width)
                {
                    back += tokens.Dequeue();
                }

                Assert.Equal(word, back);
            }

            Assert.Empty(tokens);
        }
    }
}
