using System.Text;
using Spectre.Console;

namespace DriverKit.Samples.Output;

/// <summary>A run of text in one Spectre style ("red bold"), or plain when <paramref name="Style"/> is null.</summary>
/// <param name="Text">The text.</param>
/// <param name="Style">The style.</param>
internal readonly record struct Span(string Text, string? Style = null);

/// <summary>One wrapped line: its markup and how many columns it takes.</summary>
/// <param name="Markup">Spectre markup.</param>
/// <param name="Length">Visible width.</param>
internal readonly record struct StyledLine(string Markup, int Length);

/// <summary>Text made of styled spans, wrapped at word boundaries by <see cref="TextWrap"/> and rendered line by line.</summary>
internal sealed class StyledText
{
    private readonly string?[] styleAt;

    public StyledText(params IEnumerable<Span> spans)
    {
        var all = spans.ToArray();
        Plain = string.Concat(all.Select(s => s.Text));
        styleAt = all.SelectMany(s => Enumerable.Repeat(s.Style, s.Text.Length)).ToArray();
    }

    /// <summary>The text without styles.</summary>
    public string Plain { get; }

    /// <summary>The lines of the text wrapped to <paramref name="width"/>, later lines to <paramref name="nextWidth"/>.</summary>
    public IReadOnlyList<StyledLine> Wrap(int width, int nextWidth) =>
        TextWrap.Ranges(Plain, Math.Max(1, width), Math.Max(1, nextWidth)).Select(Render).ToArray();

    private StyledLine Render(Range range)
    {
        var (from, length) = range.GetOffsetAndLength(Plain.Length);
        var markup = new StringBuilder();
        for (var i = from; i < from + length;)
        {
            var j = i;
            while (j < from + length && styleAt[j] == styleAt[i])
            {
                j++;
            }

            var text = Markup.Escape(Plain[i..j]);
            markup.Append(styleAt[i] is { } style ? $"[{style}]{text}[/]" : text);
            i = j;
        }

        return new StyledLine(markup.ToString(), length);
    }
}
