using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.CodeFixes.Syntax;

/// <summary>
/// Removes VmFlags members from the flags a driver sets (VM_LOCKED for DK0001, VM_RESERVED for DK0005) without leaving
/// debris: an operand leaves its <c>|</c> chain; a statement left setting nothing goes (<c>vma.Flags |= X</c>,
/// <c>VmFlagsSet(vma, X)</c>, <c>flags |= X</c>), and with it an <c>if</c> whose only branch it was or whose other branch
/// only clears the same flag (<c>if (pin) vma.Flags |= VM_LOCKED; else vma.Flags &amp;= ~VM_LOCKED;</c>), when the
/// condition has no effects; a local that only carried the flag into set statements goes with its uses; a self-assignment
/// left behind (<c>vma.Flags = vma.Flags</c>) goes. Where the value is used for something else (returned, passed, stored),
/// it becomes <c>None</c>, which is what the code then means. When no clean edit exists (a statement that cannot be removed
/// on its own, a condition with effects), the plan fails and the fix is not offered.
/// </summary>
internal sealed class FlagRemoval
{
    private readonly SemanticModel model;
    private readonly CancellationToken cancellationToken;
    private readonly ISet<string> names;
    private readonly HashSet<SyntaxNode> removedStatements = new();
    private readonly HashSet<ExpressionSyntax> removedOperands = new();
    private readonly HashSet<ExpressionSyntax> noneValues = new();
    private readonly HashSet<ElseClauseSyntax> removedElses = new();

    /// <param name="model">The model of the document being edited.</param>
    /// <param name="names">The VmFlags members being removed (a clear of only these is the counterpart of a set).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public FlagRemoval(SemanticModel model, IEnumerable<string> names, CancellationToken cancellationToken)
    {
        this.model = model;
        this.cancellationToken = cancellationToken;
        this.names = new HashSet<string>(names, StringComparer.Ordinal);
    }

    /// <summary>Plans the removal of one flag reference; false when it cannot be removed cleanly (nothing is planned then).</summary>
    public bool Plan(ExpressionSyntax operand)
    {
        var snapshot = (removedStatements.ToList(), removedOperands.ToList(), noneValues.ToList(), removedElses.ToList());
        if (PlanOperand(operand, depth: 0))
        {
            return true;
        }

        removedStatements.Clear();
        removedStatements.UnionWith(snapshot.Item1);
        removedOperands.Clear();
        removedOperands.UnionWith(snapshot.Item2);
        noneValues.Clear();
        noneValues.UnionWith(snapshot.Item3);
        removedElses.Clear();
        removedElses.UnionWith(snapshot.Item4);
        return false;
    }

    /// <summary>
    /// Applies every planned edit to the document's root; comments of removed code are kept. <paramref name="alsoTrack"/> are
    /// nodes of the same root the caller edits afterwards: they are tracked, so <c>GetCurrentNode</c> finds them in the result.
    /// </summary>
    public SyntaxNode Apply(SyntaxNode root, IEnumerable<SyntaxNode>? alsoTrack = null)
    {
        var statements = removedStatements.Where(statement => !removedStatements.Any(other => other != statement && other.Span.Contains(statement.Span))).ToList();
        var operands = removedOperands.Where(operand => !statements.Any(statement => statement.Span.Contains(operand.Span))).ToList();
        var nones = noneValues.Where(value => !statements.Any(statement => statement.Span.Contains(value.Span))).ToList();
        var elses = removedElses.Where(clause => !statements.Any(statement => statement.Span.Contains(clause.Span))).ToList();
        var tracked = root.TrackNodes(statements.Concat<SyntaxNode>(operands).Concat(nones).Concat(elses).Concat(alsoTrack ?? Enumerable.Empty<SyntaxNode>()));
        foreach (var operand in operands)
        {
            if (tracked.GetCurrentNode(operand) is { } current)
            {
                tracked = SyntaxEdits.RemoveFromChain(tracked, current);
            }
        }

        foreach (var value in nones)
        {
            if (tracked.GetCurrentNode(value) is { } current)
            {
                tracked = tracked.ReplaceNode(current, SyntaxEdits.FlagLike(current, "None").WithTriviaFrom(current));
            }
        }

        foreach (var clause in elses)
        {
            if (tracked.GetCurrentNode(clause) is { Parent: IfStatementSyntax owner } current)
            {
                tracked = tracked.ReplaceNode(owner, owner.WithElse(null).WithStatement(owner.Statement.WithTrailingTrivia(current.GetTrailingTrivia())));
            }
        }

        var remaining = statements.Select(statement => tracked.GetCurrentNode(statement)).OfType<StatementSyntax>().ToList();
        return remaining.Count == 0 ? tracked : SyntaxEdits.RemoveStatements(tracked, remaining);
    }

    private bool PlanOperand(ExpressionSyntax operand, int depth)
    {
        if (depth > 8)
        {
            return false;
        }

        var node = operand;
        while (node.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            node = parenthesized;
        }

        if (node.Parent is BinaryExpressionSyntax binary && binary.IsKind(SyntaxKind.BitwiseOrExpression))
        {
            removedOperands.Add(operand);

            // vma.Flags = vma.Flags | X  →  nothing left to do: the statement goes.
            var chain = SyntaxEdits.OrChainRoot(operand);
            var left = SyntaxEdits.OrChainLeaves(chain).Where(leaf => !removedOperands.Contains(leaf)).ToList();
            if (chain.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Parent: ExpressionStatementSyntax statement } assignment
                && left.Count == 1 && SyntaxFactory.AreEquivalent(left[0], assignment.Left))
            {
                return PlanStatement(statement);
            }

            if (left.Count == 0)
            {
                return PlanWholeValue(chain, depth);
            }

            return true;
        }

        return PlanWholeValue(node, depth);
    }

    /// <summary>The removed flags were the whole value <paramref name="value"/>: what uses the value decides.</summary>
    private bool PlanWholeValue(ExpressionSyntax value, int depth)
    {
        switch (value.Parent)
        {
            case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.OrAssignmentExpression, Parent: ExpressionStatementSyntax statement } assignment when assignment.Right == value:
                return PlanStatement(statement);
            case ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax { Parent: ExpressionStatementSyntax statement } invocation }
                when model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol { Name: "VmFlagsSet" }:
                return PlanStatement(statement);
            case ConditionalExpressionSyntax conditional when conditional.Condition != value:
                noneValues.Add(value);
                var other = conditional.WhenTrue == value ? conditional.WhenFalse : conditional.WhenTrue;
                return !IsNone(other) || PlanWholeValue(Outer(conditional), depth + 1);
            case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator } when model.GetDeclaredSymbol(declarator, cancellationToken) is ILocalSymbol local:
                return PlanLocal(local, declarator, depth) || Keep(value);
            case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Parent: ExpressionStatementSyntax statement } assignment
                when assignment.Right == value && model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol is ILocalSymbol local:
                return PlanLocal(local, statement, depth) || Keep(value);
            default:
                return Keep(value);
        }
    }

    /// <summary>The value stays, as None: it is used for something other than setting flags.</summary>
    private bool Keep(ExpressionSyntax value)
    {
        noneValues.Add(value);
        return true;
    }

    /// <summary>
    /// A local whose only value was the removed flags: when every read of it sets flags, it goes with its definition and its
    /// uses; otherwise it stays (as None).
    /// </summary>
    private bool PlanLocal(ILocalSymbol local, SyntaxNode definition, int depth)
    {
        if (local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not VariableDeclaratorSyntax declarator
            || declarator.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member)
        {
            return false;
        }

        var reads = new List<IdentifierNameSyntax>();
        foreach (var identifier in member.DescendantNodes().OfType<IdentifierNameSyntax>())
        {
            if (!SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, local))
            {
                continue;
            }

            if (identifier.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } write && write.Left == identifier)
            {
                if (write.Parent != definition)
                {
                    return false;
                }

                continue;
            }

            if (!SyntaxEdits.IsSetContext(SyntaxEdits.OrChainRoot(identifier)) || identifier.Parent is AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.OrAssignmentExpression } compound && compound.Left == identifier)
            {
                return false;
            }

            reads.Add(identifier);
        }

        if (declarator.Parent is not VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax declaration })
        {
            return false;
        }

        if (!PlanStatement(declaration) || (definition is StatementSyntax statement && statement != declaration && !PlanStatement(statement)))
        {
            return false;
        }

        return reads.All(read => PlanOperand(read, depth + 1));
    }

    /// <summary>Removes a statement, or the if or loop it is the only content of; false when that cannot be done cleanly.</summary>
    private bool PlanStatement(StatementSyntax statement)
    {
        switch (statement.Parent)
        {
            case BlockSyntax block when block.Statements.Count == 1 && block.Parent is IfStatementSyntax or ElseClauseSyntax:
                return PlanStatement(block);
            case BlockSyntax or SwitchSectionSyntax:
                removedStatements.Add(statement);
                return true;
            case IfStatementSyntax owner when owner.Statement == statement:
                if (!IsPure(owner.Condition))
                {
                    return false;
                }

                return owner.Else is null || IsCounterpart(owner.Else.Statement) ? PlanStatement(owner) : false;
            case ElseClauseSyntax { Parent: IfStatementSyntax owner } clause:
                if (IsCounterpart(owner.Statement) && IsPure(owner.Condition))
                {
                    return PlanStatement(owner);
                }

                removedElses.Add(clause);
                return true;
            default:
                return false;
        }
    }

    /// <summary>A statement that only clears the removed flags: <c>x &amp;= ~Locked</c>, <c>VmFlagsClear(vma, Locked)</c>.</summary>
    private bool IsCounterpart(StatementSyntax statement)
    {
        while (statement is BlockSyntax { Statements.Count: 1 } block)
        {
            statement = block.Statements[0];
        }

        var cleared = statement switch
        {
            ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.AndAssignmentExpression, Right: PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseNotExpression } not } } => not.Operand,
            ExpressionStatementSyntax { Expression: InvocationExpressionSyntax { ArgumentList.Arguments.Count: 2 } invocation }
                when model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol { Name: "VmFlagsClear" } => invocation.ArgumentList.Arguments[1].Expression,
            _ => null,
        };
        return cleared is not null && SyntaxEdits.OrChainLeaves(SyntaxEdits.OrChainRoot(Innermost(cleared))).All(leaf => FlagSymbols.FlagName(model, leaf, cancellationToken) is { } name && names.Contains(name));
    }

    private static ExpressionSyntax Innermost(ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized.Expression;
        }

        return expression;
    }

    private static ExpressionSyntax Outer(ExpressionSyntax expression)
    {
        while (expression.Parent is ParenthesizedExpressionSyntax parenthesized)
        {
            expression = parenthesized;
        }

        return expression;
    }

    private bool IsNone(ExpressionSyntax expression) =>
        noneValues.Contains(expression) || FlagSymbols.FlagName(model, Innermost(expression), cancellationToken) == "None";

    /// <summary>A condition that can be dropped with its if: names, member reads, literals and operators, no calls or assignments.</summary>
    private static bool IsPure(ExpressionSyntax condition) => condition switch
    {
        IdentifierNameSyntax or LiteralExpressionSyntax or ThisExpressionSyntax or PredefinedTypeSyntax => true,
        MemberAccessExpressionSyntax access => IsPure(access.Expression),
        ParenthesizedExpressionSyntax parenthesized => IsPure(parenthesized.Expression),
        PrefixUnaryExpressionSyntax unary => unary.IsKind(SyntaxKind.LogicalNotExpression) || unary.IsKind(SyntaxKind.UnaryMinusExpression) || unary.IsKind(SyntaxKind.BitwiseNotExpression)
            ? IsPure(unary.Operand)
            : false,
        BinaryExpressionSyntax binary => IsPure(binary.Left) && IsPure(binary.Right),
        CastExpressionSyntax cast => IsPure(cast.Expression),
        _ => false,
    };
}
