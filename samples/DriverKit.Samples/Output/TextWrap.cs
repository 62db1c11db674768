namespace DriverKit.Samples.Output;

/// <summary>Word wrapping for the terminal: lines break at spaces; only a word longer than the width is cut.</summary>
public static class TextWrap
{
    /// <summary>
    /// Splits <paramref name="text"/> into lines of at most <paramref name="width"/> characters. Each '\n' starts a
    /// new line; spacing inside a line is kept (kernel messages align with double spaces), spaces at a break are dropped.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="width">The width, at least 1.</param>
    public static IReadOnlyList<string> Lines(string text, int width)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Ranges(text, width, width).Select(r => text[r]).ToArray();
    }

    /// <summary>The longest word of <paramref name="text"/>: the narrowest width that wraps it without cutting a word.</summary>
    /// <param name="text">The text.</param>
    public static int LongestWord(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(w => w.Length).DefaultIfEmpty(0).Max();
    }

    /// <summary>Where each line of <paramref name="text"/> wrapped to <paramref name="width"/> lies; lines after the first get <paramref name="nextWidth"/>.</summary>
    internal static IReadOnlyList<Range> Ranges(string text, int width, int nextWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(nextWidth, 1);
        var lines = new List<Range>();
        var offset = 0;
        foreach (var paragraph in text.Split('\n'))
        {
            Paragraph(text, offset, offset + paragraph.Length, () => lines.Count == 0 ? width : nextWidth, lines);
            offset += paragraph.Length + 1;
        }

        return lines;
    }

    /// <summary>Wraps text[from..to) (no '\n' inside) into <paramref name="lines"/>; a paragraph's leading spaces stay with its first word.</summary>
    private static void Paragraph(string text, int from, int to, Func<int> width, List<Range> lines)
    {
        var start = from;
        var end = from;
        var i = from;
        while (true)
        {
            var wordStart = i;
            while (wordStart < to && text[wordStart] == ' ')
            {
                wordStart++;
            }

            if (wordStart == to)
            {
                break;
            }

            var wordEnd = wordStart;
            while (wordEnd < to && text[wordEnd] != ' ')
            {
                wordEnd++;
            }

            if (end > start && wordEnd - start > width())
            {
                lines.Add(start..end);
                start = wordStart;
            }

            for (var w = width(); wordEnd - start > w; w = width())
            {
                lines.Add(start..(start + w));
                start += w;
            }

            end = wordEnd;
            i = wordEnd;
        }

        lines.Add(start..end);
    }
}
