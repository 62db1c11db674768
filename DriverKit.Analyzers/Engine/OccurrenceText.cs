using Microsoft.CodeAnalysis.CSharp;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// What the characters around a word found by <see cref="SourceWords"/> say about it, without a syntax tree. Each test
/// answers "yes" only for the plain spellings it knows, so an unusual neighbour (a comment, a directive, a line break
/// where one matters, a Unicode escape) makes the occurrence count, which only lets more code through the flag-source
/// filter.
/// </summary>
internal static class OccurrenceText
{
    /// <summary>Characters that may precede an enum member that is neither complemented nor added to.</summary>
    private const string InertBefore = "|&=,?:{[^<>";

    /// <summary>Characters that may follow such a member.</summary>
    private const string InertAfter = "|&;),:}]?=!<>^";

    /// <summary>Characters that may follow the last name of a cast's type.</summary>
    private const string CastTypeEnd = ")?[/#\\";

    /// <summary>Characters after a method name that end a method group rather than start a call.</summary>
    private const string NotACall = ",;)}]=";

    /// <summary>
    /// Whether the type name at <paramref name="position"/> is the start of <c>Type.Member</c> with a member of
    /// <paramref name="inertMembers"/>, between neighbours that cannot change its bits (no <c>~</c>, <c>+</c>, <c>-</c>,
    /// parentheses that could be complemented or added to, or anything unusual).
    /// </summary>
    public static bool IsInertMemberAccess(string text, int position, HashSet<string> inertMembers)
    {
        var dot = SkipWhitespace(text, IdentifierEnd(text, position));
        if (dot >= text.Length || text[dot] != '.')
        {
            return false;
        }

        var memberStart = SkipWhitespace(text, dot + 1);
        var memberEnd = IdentifierEnd(text, memberStart);
        if (memberEnd == memberStart || !inertMembers.Contains(text.Substring(memberStart, memberEnd - memberStart)))
        {
            return false;
        }

        var after = SkipWhitespace(text, memberEnd);
        if (after < text.Length && InertAfter.IndexOf(text[after]) < 0)
        {
            return false;
        }

        var before = PreviousOnLine(text, position);
        return before >= 0 && (InertBefore.IndexOf(text[before]) >= 0 || PrecedingWord(text, before) is "return" or "case");
    }

    /// <summary>
    /// Whether the type name at <paramref name="position"/> declares something (<c>Type name</c>: a field, local,
    /// parameter, return type): not a value itself. A local or field declared <c>const</c> is a constant and does not count.
    /// </summary>
    public static bool IsDeclarationType(string text, int position)
    {
        var next = SkipWhitespace(text, IdentifierEnd(text, position));
        if (next >= text.Length || !SyntaxFacts.IsIdentifierStartCharacter(text[next]))
        {
            return false;
        }

        var before = PreviousOnLine(text, position);
        if (before >= 0)
        {
            return PrecedingWord(text, before) != "const";
        }

        // At the start of a line: a statement or member begins there when the line before ends one.
        var lineStart = position;
        while (lineStart > 0 && text[lineStart - 1] != '\n')
        {
            lineStart--;
        }

        var end = lineStart - 1;
        while (end >= 0 && char.IsWhiteSpace(text[end]))
        {
            end--;
        }

        if (end < 0)
        {
            return true;
        }

        var previousLineStart = end;
        while (previousLineStart > 0 && text[previousLineStart - 1] != '\n')
        {
            previousLineStart--;
        }

        return text[end] is ';' or '{' or '}' && text.IndexOf("//", previousLineStart, end - previousLineStart + 1, StringComparison.Ordinal) < 0;
    }

    /// <summary>
    /// Whether the name at <paramref name="position"/> may be called there: it is not a method group ended by <c>,</c>,
    /// <c>;</c>, <c>)</c>…, nor the name in a method's declaration (after its return type: a predefined type keyword or a
    /// plain identifier on the same line).
    /// </summary>
    public static bool MayBeCall(string text, int position)
    {
        var next = SkipWhitespace(text, IdentifierEnd(text, position));
        if (next < text.Length && NotACall.IndexOf(text[next]) >= 0)
        {
            return false;
        }

        var before = PreviousOnLine(text, position);
        if (before < 0 || before == position - 1 || !SyntaxFacts.IsIdentifierPartCharacter(text[before]))
        {
            return true;
        }

        var word = PrecedingWord(text, before);
        if (before + 1 - word.Length > 0 && text[before - word.Length] == '\\')
        {
            // Spelt with an escape (await, var): not read here.
            return true;
        }

        var keyword = SyntaxFacts.GetKeywordKind(word);
        return keyword == SyntaxKind.None
            ? SyntaxFacts.GetContextualKeywordKind(word) != SyntaxKind.None
            : !SyntaxFacts.IsPredefinedType(keyword);
    }

    /// <summary>
    /// Whether the type name at <paramref name="position"/> may end the type of a cast: <c>)</c>, <c>?</c> or <c>[</c>
    /// follows it (or a comment, a directive, an escape).
    /// </summary>
    public static bool MayEndCastType(string text, int position)
    {
        var next = SkipWhitespace(text, IdentifierEnd(text, position));
        return next < text.Length && CastTypeEnd.IndexOf(text[next]) >= 0;
    }

    private static int IdentifierEnd(string text, int position)
    {
        while (position < text.Length && SyntaxFacts.IsIdentifierPartCharacter(text[position]))
        {
            position++;
        }

        return position;
    }

    private static int SkipWhitespace(string text, int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }

        return position;
    }

    /// <summary>The position of the last non-blank character before <paramref name="position"/> on its line, or -1.</summary>
    private static int PreviousOnLine(string text, int position)
    {
        for (var at = position - 1; at >= 0; at--)
        {
            switch (text[at])
            {
                case ' ' or '\t':
                    continue;
                case '\n' or '\r':
                    return -1;
                default:
                    return at;
            }
        }

        return -1;
    }

    /// <summary>The identifier that ends at <paramref name="last"/> (inclusive), or "".</summary>
    private static string PrecedingWord(string text, int last)
    {
        var start = last + 1;
        while (start > 0 && SyntaxFacts.IsIdentifierPartCharacter(text[start - 1]))
        {
            start--;
        }

        return text.Substring(start, last + 1 - start);
    }
}
