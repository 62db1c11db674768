using System.Collections.Immutable;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Tests.Verification;

/// <summary>A marked span. <see cref="Id"/> is null for <c>[|…|]</c>, the diagnostic id for <c>{|ID:…|}</c>.</summary>
public sealed record MarkupSpan(string? Id, TextSpan Span);

/// <summary>Source text with markup removed, the diagnostic spans, and the <c>{|#n:…|}</c> location markers.</summary>
public sealed record MarkupResult(string Text, ImmutableArray<MarkupSpan> Spans, ImmutableDictionary<int, TextSpan> Locations);

/// <summary>
/// Parses test markup: <c>[|…|]</c> (default diagnostic), <c>{|ID:…|}</c> (diagnostic with that id) and
/// <c>{|#n:…|}</c> (location marker only). Spans may nest; unbalanced or malformed markup throws <see cref="ArgumentException"/>.
/// </summary>
public static partial class MarkupParser
{
    private sealed record OpenSpan(string? Id, int TextStart, int MarkupOffset);

    public static MarkupResult Parse(string markup)
    {
        var text = new StringBuilder(markup.Length);
        var open = new Stack<OpenSpan>();
        var spans = ImmutableArray.CreateBuilder<MarkupSpan>();
        var locations = ImmutableDictionary.CreateBuilder<int, TextSpan>();

        for (var i = 0; i < markup.Length;)
        {
            if (At(markup, i, "[|"))
            {
                open.Push(new OpenSpan(null, text.Length, i));
                i += 2;
            }
            else if (At(markup, i, "{|"))
            {
                var colon = markup.IndexOf(':', i + 2);
                var id = colon < 0 ? null : markup[(i + 2)..colon];
                if (id is null || !IdPattern().IsMatch(id))
                {
                    throw Error(markup, i, "'{|' must be followed by a diagnostic id or a location key and ':', e.g. {|DK0001:…|} or {|#0:…|}");
                }

                open.Push(new OpenSpan(id, text.Length, i));
                i = colon + 1;
            }
            else if (At(markup, i, "|]") || At(markup, i, "|}"))
            {
                var named = markup[i + 1] == '}';
                if (open.Count == 0)
                {
                    throw Error(markup, i, $"'{markup.Substring(i, 2)}' has no matching '{(named ? "{|" : "[|")}'");
                }

                var span = open.Pop();
                if ((span.Id is not null) != named)
                {
                    var opener = span.Id is null ? "[|" : $"{{|{span.Id}:";
                    throw Error(markup, i, $"'{markup.Substring(i, 2)}' cannot close '{opener}' opened at {Position(markup, span.MarkupOffset)}");
                }

                Close(span, text.Length, markup, spans, locations);
                i += 2;
            }
            else
            {
                text.Append(markup[i]);
                i++;
            }
        }

        if (open.Count > 0)
        {
            var span = open.Pop();
            var opener = span.Id is null ? "[|" : $"{{|{span.Id}:";
            throw Error(markup, span.MarkupOffset, $"'{opener}' is never closed");
        }

        return new MarkupResult(text.ToString(), spans.ToImmutable(), locations.ToImmutable());
    }

    private static void Close(
        OpenSpan span,
        int textEnd,
        string markup,
        ImmutableArray<MarkupSpan>.Builder spans,
        ImmutableDictionary<int, TextSpan>.Builder locations)
    {
        var textSpan = TextSpan.FromBounds(span.TextStart, textEnd);
        if (span.Id is ['#', .. var key])
        {
            if (!locations.TryAdd(int.Parse(key, System.Globalization.CultureInfo.InvariantCulture), textSpan))
            {
                throw Error(markup, span.MarkupOffset, $"location key '#{key}' is declared more than once");
            }
        }
        else
        {
            spans.Add(new MarkupSpan(span.Id, textSpan));
        }
    }

    private static bool At(string markup, int index, string token) => string.CompareOrdinal(markup, index, token, 0, token.Length) == 0;

    private static ArgumentException Error(string markup, int offset, string problem) =>
        new($"Invalid markup at {Position(markup, offset)}: {problem}.", nameof(markup));

    private static string Position(string markup, int offset)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (markup[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return $"line {line}, column {offset - lineStart + 1}";
    }

    [GeneratedRegex(@"^(#[0-9]+|[A-Za-z_][A-Za-z0-9_]*)$")]
    private static partial Regex IdPattern();
}
