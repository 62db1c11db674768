using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace DriverKit.CodeFixes.Syntax;

/// <summary>Syntax edits shared by the fixes: removing statements without losing comments, and editing <c>|</c> chains of flags.</summary>
internal static class SyntaxEdits
{
    /// <summary>
    /// A statement parsed from text, with elastic trivia so the formatter puts it on a line of its own where it is inserted
    /// (parsed text carries none, and the formatter keeps what a node has).
    /// </summary>
    public static StatementSyntax ParseStatement(string text) =>
        SyntaxFactory.ParseStatement(text)
            .WithLeadingTrivia(SyntaxFactory.ElasticMarker)
            .WithTrailingTrivia(SyntaxFactory.ElasticCarriageReturnLineFeed)
            .WithAdditionalAnnotations(Formatter.Annotation);

    /// <summary>
    /// The statement to delete when <paramref name="statement"/> goes: the statement itself, or the loop (or loops) whose body
    /// consists of nothing else.
    /// </summary>
    public static StatementSyntax WidenToLoop(StatementSyntax statement)
    {
        var current = statement;
        while (true)
        {
            var parent = current.Parent;
            if (parent is BlockSyntax { Statements.Count: 1 } block && block.Parent is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax)
            {
                current = (StatementSyntax)block.Parent;
            }
            else if (parent is ForStatementSyntax or ForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax)
            {
                current = (StatementSyntax)parent;
            }
            else
            {
                return current;
            }
        }
    }

    /// <summary>True when the statement can be removed on its own (it is in a block or a switch section).</summary>
    public static bool CanRemove(StatementSyntax statement) => statement.Parent is BlockSyntax or SwitchSectionSyntax;

    /// <summary>
    /// The statement of <paramref name="node"/>, where a new statement can go just before it in the same function: one in a
    /// block or switch section, not a local function, with no lambda or local function between it and the node. Null otherwise.
    /// </summary>
    public static StatementSyntax? StatementAround(SyntaxNode node) =>
        node.FirstAncestorOrSelf<StatementSyntax>() is { } statement && CanRemove(statement) && statement is not LocalFunctionStatementSyntax
        && !node.Ancestors().TakeWhile(ancestor => ancestor != statement).Any(ancestor => ancestor is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)
            ? statement
            : null;

    /// <summary>
    /// Removes the statements. Comments and directives in a removed statement's leading trivia move to the next token, so they
    /// stay where they were; the removed lines disappear with their indentation and line break.
    /// </summary>
    public static SyntaxNode RemoveStatements(SyntaxNode root, IEnumerable<StatementSyntax> statements)
    {
        var targets = statements.Distinct().ToList();
        targets.RemoveAll(statement => targets.Any(other => other != statement && other.Span.Contains(statement.Span)));
        root = root.TrackNodes(targets);
        foreach (var original in targets)
        {
            if (root.GetCurrentNode(original) is not { } statement)
            {
                continue;
            }

            var kept = KeptTrivia(statement.GetLeadingTrivia(), NewLine(root));
            if (kept.Count > 0)
            {
                var next = statement.GetLastToken().GetNextToken();
                if (next != default)
                {
                    root = root.ReplaceToken(next, next.WithLeadingTrivia(kept.AddRange(next.LeadingTrivia)));
                    statement = root.GetCurrentNode(original)!;
                }
            }

            root = root.RemoveNode(statement, SyntaxRemoveOptions.KeepUnbalancedDirectives)!;
        }

        return root;
    }

    /// <summary>The comment and directive lines of a leading trivia list, each with its indentation and line break.</summary>
    private static SyntaxTriviaList KeptTrivia(SyntaxTriviaList leading, SyntaxTrivia newLine)
    {
        var result = new List<SyntaxTrivia>();
        var line = new List<SyntaxTrivia>();
        var lineHasContent = false;
        foreach (var trivia in leading)
        {
            line.Add(trivia);
            if (trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineCommentTrivia) || trivia.IsDirective
                || trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) || trivia.IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia))
            {
                lineHasContent = true;
            }

            if (trivia.IsKind(SyntaxKind.EndOfLineTrivia) || trivia.IsDirective)
            {
                if (lineHasContent)
                {
                    result.AddRange(line);
                }

                line.Clear();
                lineHasContent = false;
            }
        }

        if (lineHasContent)
        {
            result.AddRange(line);
            result.Add(newLine);
        }

        return SyntaxFactory.TriviaList(result);
    }

    /// <summary>The outermost expression of the <c>|</c> chain (parentheses included) that <paramref name="operand"/> is part of.</summary>
    public static ExpressionSyntax OrChainRoot(ExpressionSyntax operand)
    {
        var current = operand;
        while (current.Parent is ParenthesizedExpressionSyntax or BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseOrExpression })
        {
            current = (ExpressionSyntax)current.Parent;
        }

        return current;
    }

    /// <summary>The leaves of a <c>|</c> chain.</summary>
    public static IEnumerable<ExpressionSyntax> OrChainLeaves(ExpressionSyntax root)
    {
        switch (root)
        {
            case ParenthesizedExpressionSyntax parenthesized:
                foreach (var leaf in OrChainLeaves(parenthesized.Expression))
                {
                    yield return leaf;
                }

                break;
            case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.BitwiseOrExpression):
                foreach (var leaf in OrChainLeaves(binary.Left))
                {
                    yield return leaf;
                }

                foreach (var leaf in OrChainLeaves(binary.Right))
                {
                    yield return leaf;
                }

                break;
            default:
                yield return root;
                break;
        }
    }

    /// <summary>
    /// True when the chain's value is used to set flags (assigned, <c>|=</c>'d, passed, returned, stored) rather than tested or
    /// cleared (<c>&amp;</c>, <c>~</c>, <c>==</c>, <c>&amp;=</c>, <c>HasFlag</c>).
    /// </summary>
    public static bool IsSetContext(ExpressionSyntax chainRoot) => chainRoot.Parent switch
    {
        AssignmentExpressionSyntax assignment => assignment.Right == chainRoot
            && (assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) || assignment.IsKind(SyntaxKind.OrAssignmentExpression)),
        ArgumentSyntax argument => argument.Parent?.Parent is InvocationExpressionSyntax invocation && !IsHasFlag(invocation),
        EqualsValueClauseSyntax or ReturnStatementSyntax or ArrowExpressionClauseSyntax or SwitchExpressionArmSyntax => true,
        ConditionalExpressionSyntax conditional => conditional.Condition != chainRoot && IsSetContext(OrChainRoot(conditional)),
        _ => false,
    };

    private static bool IsHasFlag(InvocationExpressionSyntax invocation) =>
        invocation.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "HasFlag" };

    /// <summary>A flag name written like <paramref name="like"/>: <c>Q.Name</c> with the same qualifier, or a bare name under <c>using static</c>.</summary>
    public static ExpressionSyntax FlagLike(ExpressionSyntax like, string name) => like switch
    {
        MemberAccessExpressionSyntax access => access.WithName(SyntaxFactory.IdentifierName(name)).WithoutTrivia(),
        _ => SyntaxFactory.IdentifierName(name),
    };

    /// <summary><c>a | b | …</c> of the expressions.</summary>
    public static ExpressionSyntax OrOf(IReadOnlyList<ExpressionSyntax> operands)
    {
        var result = operands[0];
        for (var i = 1; i < operands.Count; i++)
        {
            result = SyntaxFactory.BinaryExpression(SyntaxKind.BitwiseOrExpression, result, operands[i]);
        }

        return result;
    }

    /// <summary>
    /// Removes one operand from its <c>|</c> chain; the remaining operand takes the outer trivia of the pair. Comments on the
    /// removed operand are kept after the remaining expression (a <c>//</c> comment moves above the statement).
    /// </summary>
    public static SyntaxNode RemoveFromChain(SyntaxNode root, ExpressionSyntax operand)
    {
        var node = operand;
        while (node.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            node = parenthesized;
        }

        if (node.Parent is not BinaryExpressionSyntax binary || !binary.IsKind(SyntaxKind.BitwiseOrExpression))
        {
            return root;
        }

        // The remaining operand takes the outer trivia of the pair; comments of the removed operand and the operator are kept.
        var removedIsLeft = binary.Left == node;
        var other = removedIsLeft ? binary.Right : binary.Left;
        var comments = Comments(removedIsLeft ? node.GetTrailingTrivia() : node.GetLeadingTrivia())
            .Concat(Comments(binary.OperatorToken.LeadingTrivia)).Concat(Comments(binary.OperatorToken.TrailingTrivia)).ToList();
        var replacement = removedIsLeft
            ? other.WithLeadingTrivia(node.GetLeadingTrivia())
            : other.WithTrailingTrivia(node.GetTrailingTrivia());
        var inline = comments.Where(comment => comment.IsKind(SyntaxKind.MultiLineCommentTrivia)).ToList();
        var lines = comments.Where(comment => comment.IsKind(SyntaxKind.SingleLineCommentTrivia)).ToList();
        if (inline.Count > 0)
        {
            replacement = replacement.WithTrailingTrivia(
                replacement.GetTrailingTrivia().AddRange(inline.SelectMany(comment => new[] { SyntaxFactory.Space, comment })));
        }

        ExpressionSyntax target = binary;
        if (binary.Parent is ParenthesizedExpressionSyntax outer && replacement is MemberAccessExpressionSyntax or IdentifierNameSyntax)
        {
            target = outer;
            replacement = replacement.WithLeadingTrivia(outer.GetLeadingTrivia()).WithTrailingTrivia(outer.GetTrailingTrivia());
        }

        // A // comment cannot stay inside the expression (it would swallow the rest of the line): it moves above the statement.
        if (lines.Count > 0 && target.FirstAncestorOrSelf<StatementSyntax>() is { } enclosing)
        {
            var leading = enclosing.GetLeadingTrivia();
            var indentation = leading.LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia));
            var newLine = NewLine(root);
            var added = lines.SelectMany(comment => new[] { comment, newLine, indentation })
                .Where(t => !t.IsKind(SyntaxKind.None));
            var updated = enclosing.ReplaceNode(target, replacement).WithLeadingTrivia(leading.AddRange(added));
            return root.ReplaceNode(enclosing, updated);
        }

        return root.ReplaceNode(target, replacement);
    }

    /// <summary>The line break the document uses.</summary>
    public static SyntaxTrivia NewLine(SyntaxNode root)
    {
        var existing = root.DescendantTrivia().FirstOrDefault(trivia => trivia.IsKind(SyntaxKind.EndOfLineTrivia));
        return existing.IsKind(SyntaxKind.EndOfLineTrivia) ? existing : SyntaxFactory.LineFeed;
    }

    private static IEnumerable<SyntaxTrivia> Comments(SyntaxTriviaList trivia) =>
        trivia.Where(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia) || t.IsKind(SyntaxKind.MultiLineCommentTrivia));
}
