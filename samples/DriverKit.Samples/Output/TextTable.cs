using System.Text;

namespace DriverKit.Samples.Output;

/// <summary>
/// A bordered table fitted to a width: each column gets at least its longest word when the width allows, and the
/// rest goes to the narrowest columns that would still wrap; cells wrap at word boundaries. Columns with no text in
/// any row are left out.
/// </summary>
internal sealed class TextTable
{
    private const string BorderStyle = "grey";

    private readonly List<(string Header, bool Right, bool NoWrap)> columns = new();
    private readonly List<StyledText[]> rows = new();

    /// <summary>An empty table.</summary>
    public TextTable()
    {
    }

    private TextTable(IEnumerable<(string Header, bool Right, bool NoWrap)> columns, IEnumerable<StyledText[]> rows)
    {
        this.columns.AddRange(columns);
        this.rows.AddRange(rows);
    }

    /// <summary>Adds a column.</summary>
    /// <param name="header">Its header.</param>
    /// <param name="right">Right-aligned (numbers).</param>
    /// <param name="noWrap">Never wrapped ("1 1 1 1" stays on one line).</param>
    public void AddColumn(string header, bool right = false, bool noWrap = false) => columns.Add((header, right, noWrap));

    /// <summary>Adds a row, one cell per column.</summary>
    /// <param name="cells">The cells.</param>
    public void AddRow(params StyledText[] cells)
    {
        if (cells.Length != columns.Count)
        {
            throw new ArgumentException($"{cells.Length} cells for {columns.Count} columns", nameof(cells));
        }

        rows.Add(cells);
    }

    /// <summary>The table as lines of markup, each at most <paramref name="width"/> columns.</summary>
    /// <param name="width">The width available.</param>
    /// <param name="unicode">Rounded box characters, or ASCII.</param>
    public IEnumerable<string> Render(int width, bool unicode) => WithoutEmptyColumns().Layout(width, unicode);

    /// <summary>True when every column can be at least as wide as its longest word within <paramref name="width"/>.</summary>
    /// <param name="width">The width available.</param>
    public bool FitsWithoutCuttingWords(int width)
    {
        var table = WithoutEmptyColumns();
        return table.MinimumWidths().Sum() <= table.Available(width);
    }

    /// <summary>The width left for the cells' text once the borders and padding are drawn.</summary>
    private int Available(int width) => Math.Max(columns.Count, width - (3 * columns.Count) - 1);

    private TextTable WithoutEmptyColumns()
    {
        var shown = Enumerable.Range(0, columns.Count).Where(i => rows.Any(r => r[i].Plain.Length > 0)).ToArray();
        return new TextTable(shown.Select(i => columns[i]), rows.Select(r => shown.Select(i => r[i]).ToArray()));
    }

    /// <summary>Each column's longest word, or its widest line when it must not wrap.</summary>
    private int[] MinimumWidths() => columns
        .Select((c, i) => rows.Select(r => r[i].Plain).Append(c.Header).Max(t => c.NoWrap ? t.Split('\n').Max(l => l.Length) : TextWrap.LongestWord(t)))
        .ToArray();

    private IEnumerable<string> Layout(int width, bool unicode)
    {
        var widths = Widths(width);
        var (h, v) = unicode ? ('─', '│') : ('-', '|');
        string Border(char left, char middle, char right) =>
            $"[{BorderStyle}]{left}{string.Join(middle, widths.Select(w => new string(h, w + 2)))}{right}[/]";

        yield return unicode ? Border('╭', '┬', '╮') : Border('+', '+', '+');
        foreach (var line in Row(columns.Select(c => new StyledText(new Span(c.Header, "bold"))).ToArray(), widths, v))
        {
            yield return line;
        }

        yield return unicode ? Border('├', '┼', '┤') : Border('+', '+', '+');
        foreach (var line in rows.SelectMany(r => Row(r, widths, v)))
        {
            yield return line;
        }

        yield return unicode ? Border('╰', '┴', '╯') : Border('+', '+', '+');
    }

    private IEnumerable<string> Row(StyledText[] cells, int[] widths, char v)
    {
        var wrapped = cells.Select((c, i) => c.Wrap(widths[i], widths[i])).ToArray();
        var height = wrapped.Max(w => w.Count);
        var separator = $" [{BorderStyle}]{v}[/] ";
        for (var line = 0; line < height; line++)
        {
            var text = new StringBuilder($"[{BorderStyle}]{v}[/] ");
            for (var i = 0; i < cells.Length; i++)
            {
                var cell = line < wrapped[i].Count ? wrapped[i][line] : new StyledLine(string.Empty, 0);
                var pad = new string(' ', widths[i] - cell.Length);
                text.Append(i == 0 ? string.Empty : separator).Append(columns[i].Right ? pad + cell.Markup : cell.Markup + pad);
            }

            yield return text.Append($" [{BorderStyle}]{v}[/]").ToString();
        }
    }

    /// <summary>
    /// Column widths: the widest line of each column when everything fits; otherwise each column's longest word
    /// (its whole text when it must not wrap), the remaining space going one column at a time to the narrowest
    /// column that would still wrap. Only when even the longest words do not fit is the widest column narrowed and
    /// its words cut.
    /// </summary>
    private int[] Widths(int width)
    {
        var ideal = columns.Select((c, i) => rows.Select(r => r[i].Plain).Append(c.Header).SelectMany(t => t.Split('\n')).Max(l => l.Length)).ToArray();
        var widths = MinimumWidths();
        var available = Available(width);
        if (ideal.Sum() <= available)
        {
            return ideal;
        }

        while (widths.Sum() > available)
        {
            widths[Array.IndexOf(widths, widths.Max())]--;
        }

        for (var spare = available - widths.Sum(); spare > 0; spare--)
        {
            var wrapping = Enumerable.Range(0, widths.Length).Where(i => widths[i] < ideal[i]).ToArray();
            if (wrapping.Length == 0)
            {
                break;
            }

            widths[wrapping.MinBy(i => widths[i])]++;
        }

        return widths;
    }
}
