using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverKit.Tests.Verification;

/// <summary>
/// Checks that the trees a code action produced are what the compiler would parse from their text: same node and token
/// kinds and token text (trivia ignored). A fix that, say, builds an identifier token spelled <c>int</c> fails here.
/// </summary>
internal static class SyntaxTreeValidator
{
    public static async Task ValidateAsync(Solution before, Solution after, string title, string context, CancellationToken cancellationToken)
    {
        var changed = after.GetChanges(before).GetProjectChanges()
            .SelectMany(project => project.GetChangedDocuments().Concat(project.GetAddedDocuments()));
        foreach (var documentId in changed)
        {
            var tree = await after.GetDocument(documentId)!.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("A C# document has no syntax tree.");
            var text = await tree.GetTextAsync(cancellationToken).ConfigureAwait(false);
            var reparsed = CSharpSyntaxTree.ParseText(text, (CSharpParseOptions)tree.Options, tree.FilePath, cancellationToken);
            if (FirstDifference(await tree.GetRootAsync(cancellationToken).ConfigureAwait(false), reparsed.GetRoot(cancellationToken)) is var (actionItem, parsedItem))
            {
                var position = text.Lines.GetLinePosition(actionItem?.SpanStart ?? parsedItem!.Value.SpanStart);
                throw new VerificationException(
                    context,
                    $"Code action '{title}' produced a syntax tree that differs from the tree parsed from its own text " +
                    $"in {tree.FilePath} at ({position.Line + 1},{position.Character + 1}):\n" +
                    $"    code action tree: {Describe(actionItem)}\n" +
                    $"    re-parsed tree:   {Describe(parsedItem)}\n" +
                    "Build the replacement with SyntaxFactory.Parse… or the right token kinds so the text round-trips.");
            }
        }
    }

    private static (SyntaxNodeOrToken? Action, SyntaxNodeOrToken? Parsed)? FirstDifference(SyntaxNode actionRoot, SyntaxNode parsedRoot)
    {
        using var actionItems = actionRoot.DescendantNodesAndTokensAndSelf().GetEnumerator();
        using var parsedItems = parsedRoot.DescendantNodesAndTokensAndSelf().GetEnumerator();
        while (true)
        {
            var hasAction = actionItems.MoveNext();
            var hasParsed = parsedItems.MoveNext();
            if (!hasAction && !hasParsed)
            {
                return null;
            }

            SyntaxNodeOrToken? actionItem = hasAction ? actionItems.Current : null;
            SyntaxNodeOrToken? parsedItem = hasParsed ? parsedItems.Current : null;
            if (actionItem is not { } a || parsedItem is not { } p || a.RawKind != p.RawKind || (a.IsToken && a.AsToken().Text != p.AsToken().Text))
            {
                return (actionItem, parsedItem);
            }
        }
    }

    private static string Describe(SyntaxNodeOrToken? item) => item switch
    {
        null => "(ends here)",
        { IsToken: true } token => $"{token.Kind()} token '{token.AsToken().Text}'",
        { } node => $"{node.Kind()} node",
    };
}
