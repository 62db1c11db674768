using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Whether a test decides whether code runs, judged on the operation tree the way a reader of C error paths does: the code is
/// inside the branch or loop body the test guards, or the test is an earlier <c>if</c> in a block around the code whose branch
/// leaves (return, goto, throw, break, continue). Used by DK0014 (a bound check before a mapping) and DK0018 (a count check
/// before a free).
/// </summary>
internal static class Dominance
{
    /// <summary>Whether the condition that holds <paramref name="test"/> decides whether <paramref name="code"/> runs.</summary>
    public static bool Decides(IOperation test, IOperation code)
    {
        if (ConditionHolding(test) is not { } guard || Functions.EnclosingFunction(guard) != Functions.EnclosingFunction(code))
        {
            return false;
        }

        var span = code.Syntax.Span;
        switch (guard)
        {
            case IConditionalOperation conditional:
                if (conditional.WhenTrue.Syntax.Span.Contains(span) || (conditional.WhenFalse?.Syntax.Span.Contains(span) ?? false))
                {
                    return true;
                }

                return conditional.Syntax.Span.End <= span.Start
                    && conditional.Parent is IBlockOperation block && block.Syntax.Span.Contains(span)
                    && conditional.WhenTrue.DescendantsAndSelf().Any(operation => operation is IBranchOperation or IReturnOperation or IThrowOperation);
            case ILoopOperation loop:
                return loop.Body.Syntax.Span.Contains(span);
            default:
                return false;
        }
    }

    /// <summary>The if, conditional expression or loop whose condition is (or combines with &amp;&amp;, || and !) the test, or null.</summary>
    public static IOperation? ConditionHolding(IOperation test)
    {
        var child = test;
        for (var current = test.Parent; current is not null; child = current, current = current.Parent)
        {
            switch (current)
            {
                case IConditionalOperation conditional when conditional.Condition == child:
                    return conditional;
                case IWhileLoopOperation whileLoop when whileLoop.Condition == child:
                    return whileLoop;
                case IForLoopOperation forLoop when forLoop.Condition == child:
                    return forLoop;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr }:
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not }:
                case IConversionOperation:
                case IParenthesizedOperation:
                    continue;
                default:
                    return null;
            }
        }

        return null;
    }

    /// <summary>A branch that leaves the function or jumps to an error label (return, throw, goto): what refuses in C error paths.</summary>
    public static bool Leaves(IOperation branch) =>
        branch.DescendantsAndSelf().Any(operation => operation is IReturnOperation or IThrowOperation or IBranchOperation { BranchKind: BranchKind.GoTo });

    /// <summary>A branch whose every path leaves the function: a return, throw or goto, or a block that ends in one.</summary>
    public static bool AlwaysLeaves(IOperation branch) => branch switch
    {
        IReturnOperation or IThrowOperation or IBranchOperation { BranchKind: BranchKind.GoTo } => true,
        IExpressionStatementOperation { Operation: IThrowOperation } => true,
        IBlockOperation { Operations: { Length: > 0 } operations } => AlwaysLeaves(operations[operations.Length - 1]),
        _ => false,
    };
}
