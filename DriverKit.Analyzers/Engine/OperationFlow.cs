using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The abstract-interpretation core every flow analysis of the engine runs on: a forward dataflow over a function's
/// operation tree, in evaluation order, with the control flow of C# written out structurally — sequences, if/else and
/// <c>?:</c>, <c>&amp;&amp;</c>/<c>||</c>, <c>??</c>, <c>?.</c>, switch statements and expressions, loops (iterated to
/// a fixed point), break/continue, goto and labels (the function is iterated while a backward goto brings something
/// new), return, throw, try/catch/finally.
/// <para>
/// Why not Roslyn's control-flow graph: building it costs tens of microseconds per statement (about 190 ms for a method
/// of 5,000 if/else statements here), more than the whole analysis may take. Walking the tree costs a visit per
/// operation, and a loop's body once per iteration until its state stops changing.
/// </para>
/// <para>
/// An analysis supplies the lattice (<see cref="Join"/>, <see cref="Same"/>; null is "unreachable") and the effect of
/// each operation (<see cref="Transfer"/>, called after the operation's operands, for every operation that is not
/// control flow). Lambdas and local functions are not entered: <see cref="Nested"/> hands them to the analysis. All
/// work is bounded: loops and gotos iterate at most <see cref="MaxIterations"/> times, the whole run stops iterating
/// after a budget of visits proportional to the size of the code, and code nested deeper than the stack allows is
/// given up (<see cref="GaveUp"/>).
/// </para>
/// </summary>
/// <typeparam name="TState">The immutable abstract state.</typeparam>
internal abstract class OperationFlow<TState>
    where TState : class
{
    /// <summary>Iterations of one loop, switch or goto fixed point before its state is taken as it is.</summary>
    public const int MaxIterations = 8;

    /// <summary>Visits after which fixed points stop iterating (about ten passes over a 5,000-statement method).</summary>
    private const long StepBudget = 500_000;

    /// <summary>Nesting of statements and control-flow expressions beyond which the function is given up.</summary>
    private const int MaxNesting = 1500;

    private readonly List<LoopContext> loops = new();
    private readonly List<TryContext> tries = new();
    private Dictionary<ILabelSymbol, LabelState>? labels;
    /// <summary>
    /// The work stack of <see cref="Eval"/>, one per thread and shared by every run on it (a run nested in another's transfer
    /// works above the outer run's entries): a thousand functions analyzed must not each grow a stack of their own.
    /// </summary>
    [ThreadStatic]
    private static Stack<(IOperation Operation, bool Visited)>? threadWalk;

    private Stack<(IOperation Operation, bool Visited)> walk = null!;
    private int nesting;
    private long steps;
    private long budget;
    private bool labelsChanged;
    private TState? returned;

    /// <summary>Set when the function was nested too deeply to analyze; the run's results are then empty.</summary>
    public bool GaveUp { get; private set; }

    /// <summary>Set when a fixed point was cut short (iteration limit or budget): the results may miss some paths.</summary>
    public bool Truncated { get; private set; }

    /// <summary>
    /// Analyzes a function body (a method, constructor, accessor or initializer root, a local function's or lambda's body)
    /// from <paramref name="entry"/>. Returns the state at the function's exit — the join of falling off its end and of its
    /// returns — or null when no path gets there.
    /// </summary>
    public TState? Run(IOperation body, TState entry)
    {
        loops.Clear();
        tries.Clear();
        labels = null;
        returned = null;
        GaveUp = false;
        Truncated = false;
        nesting = 0;
        steps = 0;
        budget = StepBudget;
        walk = threadWalk ??= new Stack<(IOperation Operation, bool Visited)>();
        var bottom = walk.Count;
        try
        {
            TState? exit = null;
            for (var iteration = 0; iteration < MaxIterations; iteration++)
            {
                labelsChanged = false;
                returned = null;
                exit = JoinOrNull(Exec(body, entry), returned);
                if (!labelsChanged)
                {
                    return exit;
                }
            }

            Truncated = true;
            return exit;
        }
        catch (InsufficientExecutionStackException)
        {
            GaveUp = true;
            return null;
        }
        catch (NestingLimitException)
        {
            GaveUp = true;
            return null;
        }
        finally
        {
            // A run given up or cancelled leaves its entries; the run it may be nested in must not see them.
            while (walk.Count > bottom)
            {
                walk.Pop();
            }
        }
    }

    /// <summary>The join of two states; either may be null (unreachable).</summary>
    protected abstract TState Join(TState a, TState b);

    /// <summary>Whether two states are equal (the fixed point test).</summary>
    protected abstract bool Same(TState a, TState b);

    /// <summary>The effect of <paramref name="operation"/>, after its operands were evaluated.</summary>
    protected abstract void Transfer(IOperation operation, ref TState state);

    /// <summary>A lambda or local function met in the analyzed code; it is not entered.</summary>
    protected virtual void Nested(IOperation function, TState state)
    {
    }

    /// <summary>A return (or yield) with the state after its value was evaluated.</summary>
    protected virtual void Returned(IReturnOperation operation, TState state)
    {
    }

    /// <summary>The state on one side of a condition (a later rule may learn from a comparison); the state itself by default.</summary>
    protected virtual TState Refine(IOperation condition, bool whenTrue, TState state) => state;

    /// <summary>
    /// When true, a <c>for</c>, <c>while</c> or <c>foreach</c> loop is taken to run its body at least once: C drivers loop
    /// over the pages of a buffer they just allocated, and an analysis of what must have happened (every page cleared
    /// before the free) would otherwise always see the path that skips the loop.
    /// </summary>
    protected virtual bool AssumeLoopsRun => false;

    private TState? JoinOrNull(TState? a, TState? b) => a is null ? b : b is null ? a : Join(a, b);

    /// <summary>Executes a statement (or any operation used as one); null in, null out.</summary>
    private TState? Exec(IOperation? operation, TState? state)
    {
        if (operation is ILabeledOperation labeled)
        {
            // A label is reached by falling into it and by every goto that names it, even after a return.
            return Exec(labeled.Operation, Label(labeled.Label, state));
        }

        if (operation is null || state is null)
        {
            return state;
        }

        Enter();
        try
        {
            var after = ExecCore(operation, state);
            if (tries.Count > 0 && after is not null)
            {
                var innermost = tries[tries.Count - 1];
                innermost.Observed = JoinOrNull(innermost.Observed, after);
            }

            return after;
        }
        finally
        {
            nesting--;
        }
    }

    private TState? ExecCore(IOperation operation, TState state)
    {
        switch (operation)
        {
            case IBlockOperation block:
                TState? current = state;
                foreach (var statement in block.Operations)
                {
                    current = Exec(statement, current);
                }

                return current;
            case IMethodBodyOperation body:
                return Exec(body.ExpressionBody, Exec(body.BlockBody, state));
            case IConstructorBodyOperation constructor:
                return Exec(constructor.ExpressionBody, Exec(constructor.BlockBody, Exec(constructor.Initializer, state)));
            case IExpressionStatementOperation expression:
                return Eval(expression.Operation, state);
            case IConditionalOperation { Type: null } conditional:
                return IfStatement(conditional, state);
            case ILoopOperation loop:
                return Loop(loop, state);
            case IBranchOperation branch:
                Branch(branch, state);
                return null;
            case IReturnOperation @return:
                return Return(@return, state);
            case ISwitchOperation @switch:
                return Switch(@switch, state);
            case ITryOperation @try:
                return Try(@try, state);
            case IUsingOperation @using:
                return Exec(@using.Body, Eval(@using.Resources, state));
            case ILockOperation @lock:
                return Exec(@lock.Body, Eval(@lock.LockedValue, state));
            case ILocalFunctionOperation:
                Nested(operation, state);
                return state;
            case IEmptyOperation:
                return state;
            default:
                return Eval(operation, state);
        }
    }

    /// <summary>Evaluates an expression for its effects, in evaluation order.</summary>
    private TState? Eval(IOperation? operation, TState? state)
    {
        if (operation is null || state is null)
        {
            return state;
        }

        // Operations without control flow are walked iteratively (long left-nested chains of | or + stay off the stack);
        // the control-flow constructs inside them recurse.
        var start = walk.Count;
        walk.Push((operation, false));
        TState? current = state;
        while (walk.Count > start)
        {
            var (node, visited) = walk.Pop();
            if (current is null)
            {
                continue;
            }

            if (!visited && ControlFlowExpression(node))
            {
                Enter();
                try
                {
                    current = EvalControl(node, current);
                }
                finally
                {
                    nesting--;
                }

                continue;
            }

            if (visited)
            {
                Step();
                Transfer(node, ref current!);
                continue;
            }

            walk.Push((node, true));
            // Children are pushed last-first so that they are evaluated first-first.
            foreach (var child in node.ChildOperations.Reverse())
            {
                walk.Push((child, false));
            }
        }

        return current;
    }

    /// <summary><c>a ?? b</c>, <c>a ??= b</c>, <c>a?.b</c>: the second operand runs only on some paths.</summary>
    private TState? MaySkipSecond(IOperation operation, IOperation first, IOperation second, TState state)
    {
        var afterFirst = Eval(first, state);
        return Finish(operation, JoinOrNull(afterFirst, Eval(second, afterFirst)));
    }

    /// <summary>The operation's own effect, after its operands (on whichever paths reach it).</summary>
    private TState? Finish(IOperation operation, TState? result)
    {
        if (result is not null)
        {
            Transfer(operation, ref result);
        }

        return result;
    }

    private static bool ControlFlowExpression(IOperation operation) => operation switch
    {
        IConditionalOperation or ICoalesceOperation or ICoalesceAssignmentOperation or IConditionalAccessOperation => true,
        IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } => true,
        ISwitchExpressionOperation or IThrowOperation => true,
        IAnonymousFunctionOperation or ILocalFunctionOperation => true,
        IBlockOperation or ILoopOperation or ISwitchOperation or ITryOperation or IReturnOperation or IBranchOperation => true,
        _ => false,
    };

    private TState? EvalControl(IOperation operation, TState state)
    {
        switch (operation)
        {
            case IConditionalOperation conditional:
                return ConditionalExpression(conditional, state);
            case IBinaryOperation binary:
                {
                    var (whenTrue, whenFalse) = Condition(binary, state);
                    return Finish(binary, JoinOrNull(whenTrue, whenFalse));
                }

            case ICoalesceOperation coalesce:
                return MaySkipSecond(coalesce, coalesce.Value, coalesce.WhenNull, state);

            case ICoalesceAssignmentOperation coalesceAssignment:
                return MaySkipSecond(coalesceAssignment, coalesceAssignment.Target, coalesceAssignment.Value, state);

            case IConditionalAccessOperation access:
                return MaySkipSecond(access, access.Operation, access.WhenNotNull, state);

            case ISwitchExpressionOperation switchExpression:
                {
                    var value = Eval(switchExpression.Value, state);
                    TState? result = null;
                    foreach (var arm in switchExpression.Arms)
                    {
                        var armState = Eval(arm.Guard, Eval(arm.Pattern, value));
                        result = JoinOrNull(result, Eval(arm.Value, armState));
                    }

                    return Finish(switchExpression, result);
                }

            case IThrowOperation @throw:
                Throw(Eval(@throw.Exception, state));
                return null;
            case IAnonymousFunctionOperation or ILocalFunctionOperation:
                Nested(operation, state);
                Transfer(operation, ref state);
                return state;
            default:
                // A statement inside an expression (a switch expression arm's block in error code, a lambda body): executed.
                return Exec(operation, state);
        }
    }

    /// <summary>
    /// <c>c ? a : b</c>, with a chain of <c>c1 ? a1 : c2 ? a2 : …</c> walked as a loop rather than by recursion.
    /// </summary>
    private TState? ConditionalExpression(IConditionalOperation conditional, TState state)
    {
        var pending = new List<IConditionalOperation>();
        TState? result = null;
        TState? current = state;
        IOperation? tail = conditional;
        while (tail is IConditionalOperation link && current is not null)
        {
            pending.Add(link);
            var (whenTrue, whenFalse) = Condition(link.Condition, current);
            result = JoinOrNull(result, Eval(link.WhenTrue, whenTrue));
            current = whenFalse;
            tail = link.WhenFalse;
        }

        result = JoinOrNull(result, tail is null ? current : Eval(tail, current));
        if (result is not null)
        {
            for (var i = pending.Count - 1; i >= 0; i--)
            {
                Transfer(pending[i], ref result!);
            }
        }

        return result;
    }

    /// <summary><c>if (c) a else if (d) b else …</c>, the else-if chain walked as a loop.</summary>
    private TState? IfStatement(IConditionalOperation conditional, TState state)
    {
        TState? result = null;
        TState? current = state;
        IOperation? tail = conditional;
        while (tail is IConditionalOperation link && (ReferenceEquals(link, conditional) || link.Type is null) && current is not null)
        {
            var (whenTrue, whenFalse) = Condition(link.Condition, current);
            result = JoinOrNull(result, Exec(link.WhenTrue, whenTrue));
            current = whenFalse;
            tail = link.WhenFalse;
        }

        return JoinOrNull(result, Exec(tail, current));
    }

    /// <summary>The states where a boolean condition is true and false, through <c>&amp;&amp;</c>, <c>||</c> and <c>!</c>.</summary>
    private (TState? WhenTrue, TState? WhenFalse) Condition(IOperation? condition, TState? state)
    {
        if (state is null)
        {
            return (null, null);
        }

        if (condition is null)
        {
            return (state, null);
        }

        Enter();
        try
        {
            switch (condition)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } and:
                    {
                        var (leftTrue, leftFalse) = Condition(and.LeftOperand, state);
                        var (rightTrue, rightFalse) = Condition(and.RightOperand, leftTrue);
                        return (rightTrue, JoinOrNull(leftFalse, rightFalse));
                    }

                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } or:
                    {
                        var (leftTrue, leftFalse) = Condition(or.LeftOperand, state);
                        var (rightTrue, rightFalse) = Condition(or.RightOperand, leftFalse);
                        return (JoinOrNull(leftTrue, rightTrue), rightFalse);
                    }

                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                    {
                        var (operandTrue, operandFalse) = Condition(not.Operand, state);
                        return (operandFalse, operandTrue);
                    }

                default:
                    {
                        var after = Eval(condition, state);
                        if (after is null)
                        {
                            return (null, null);
                        }

                        if (condition.ConstantValue is { HasValue: true, Value: bool constant })
                        {
                            return constant ? (after, null) : (null, after);
                        }

                        return (Refine(condition, whenTrue: true, after), Refine(condition, whenTrue: false, after));
                    }
            }
        }
        finally
        {
            nesting--;
        }
    }

    private TState? Loop(ILoopOperation loop, TState state)
    {
        IOperation? condition = null;
        var conditionFirst = true;
        var until = false;
        var runsOnce = AssumeLoopsRun;
        switch (loop)
        {
            case IForLoopOperation forLoop:
                state = ExecAll(forLoop.Before, state)!;
                condition = forLoop.Condition;
                break;
            case IWhileLoopOperation whileLoop:
                condition = whileLoop.Condition;
                conditionFirst = whileLoop.ConditionIsTop;
                until = whileLoop.ConditionIsUntil;
                runsOnce |= !whileLoop.ConditionIsTop;
                break;
            case IForEachLoopOperation forEach:
                state = Eval(forEach.Collection, state)!;
                break;
        }

        if (state is null)
        {
            return null;
        }

        var context = new LoopContext(loop);
        loops.Add(context);
        try
        {
            var entry = state;
            TState head = state;
            TState? back = null;
            TState? exit = null;
            for (var iteration = 0; ; iteration++)
            {
                TState? bodyIn;
                if (conditionFirst)
                {
                    var (whenTrue, whenFalse) = LoopCondition(condition, head, until);
                    bodyIn = whenTrue;
                    exit = whenFalse;
                }
                else
                {
                    bodyIn = head;
                }

                if (loop is IForEachLoopOperation forEach && bodyIn is not null)
                {
                    // Each iteration assigns the loop variable from the collection.
                    exit = JoinOrNull(exit, bodyIn);
                    bodyIn = Eval(forEach.LoopControlVariable, bodyIn);
                    if (bodyIn is not null)
                    {
                        Transfer(forEach, ref bodyIn);
                    }
                }

                context.Continue = null;
                var bodyOut = JoinOrNull(Exec(loop.Body, bodyIn), context.Continue);
                if (!conditionFirst && bodyOut is not null)
                {
                    var (whenTrue, whenFalse) = LoopCondition(condition, bodyOut, until);
                    exit = JoinOrNull(exit, whenFalse);
                    bodyOut = whenTrue;
                }

                if (loop is IForLoopOperation forLoop)
                {
                    bodyOut = ExecAll(forLoop.AtLoopBottom, bodyOut);
                }

                back = JoinOrNull(back, bodyOut);
                var next = back is null ? entry : Join(entry, back);
                if (Same(next, head) || iteration + 1 >= MaxIterations || OverBudget())
                {
                    if (!Same(next, head))
                    {
                        Truncated = true;
                    }

                    break;
                }

                head = next;
            }

            if (runsOnce && back is not null)
            {
                // Leaving the loop after at least one pass: the condition fails on a state that came round the loop.
                exit = conditionFirst ? LoopCondition(condition, back, until).WhenFalse : exit;
                if (loop is IForEachLoopOperation)
                {
                    exit = back;
                }
            }

            return JoinOrNull(exit, context.Break);
        }
        finally
        {
            loops.RemoveAt(loops.Count - 1);
        }
    }

    private (TState? WhenTrue, TState? WhenFalse) LoopCondition(IOperation? condition, TState state, bool until)
    {
        if (condition is null)
        {
            // for (;;): the loop is left only by break, return, goto or throw.
            return (state, null);
        }

        var (whenTrue, whenFalse) = Condition(condition, state);
        return until ? (whenFalse, whenTrue) : (whenTrue, whenFalse);
    }

    private TState? ExecAll(IEnumerable<IOperation> operations, TState? state)
    {
        foreach (var operation in operations)
        {
            state = Exec(operation, state);
        }

        return state;
    }

    private void Branch(IBranchOperation branch, TState state)
    {
        switch (branch.BranchKind)
        {
            case BranchKind.Break:
                for (var i = loops.Count - 1; i >= 0; i--)
                {
                    if (SymbolEqualityComparer.Default.Equals(loops[i].ExitLabel, branch.Target))
                    {
                        loops[i].Break = JoinOrNull(loops[i].Break, state);
                        return;
                    }
                }

                break;
            case BranchKind.Continue:
                for (var i = loops.Count - 1; i >= 0; i--)
                {
                    if (SymbolEqualityComparer.Default.Equals(loops[i].ContinueLabel, branch.Target))
                    {
                        loops[i].Continue = JoinOrNull(loops[i].Continue, state);
                        return;
                    }
                }

                break;
        }

        // goto, goto case, goto default: the state waits at the label.
        GoTo(branch.Target, state);
    }

    private void GoTo(ILabelSymbol target, TState state)
    {
        labels ??= new Dictionary<ILabelSymbol, LabelState>(SymbolEqualityComparer.Default);
        if (!labels.TryGetValue(target, out var label))
        {
            labels[target] = label = new LabelState();
        }

        var joined = label.State is null ? state : Join(label.State, state);
        if (label.State is not null && Same(joined, label.State))
        {
            return;
        }

        label.State = joined;

        // A label already passed in this run gets something new: the function (or switch) is run again.
        if (label.Passed)
        {
            labelsChanged = true;
        }
    }

    private TState? Label(ILabelSymbol symbol, TState? state)
    {
        labels ??= new Dictionary<ILabelSymbol, LabelState>(SymbolEqualityComparer.Default);
        if (!labels.TryGetValue(symbol, out var label))
        {
            labels[symbol] = label = new LabelState();
        }

        label.Passed = true;
        return JoinOrNull(state, label.State);
    }

    private TState? Return(IReturnOperation operation, TState state)
    {
        var after = Eval(operation.ReturnedValue, state);
        if (after is null)
        {
            return null;
        }

        Transfer(operation, ref after);
        Returned(operation, after);
        if (operation.Kind == OperationKind.YieldReturn)
        {
            return after;
        }

        returned = JoinOrNull(returned, after);
        return null;
    }

    private void Throw(TState? state)
    {
        if (state is not null && tries.Count > 0)
        {
            var innermost = tries[tries.Count - 1];
            innermost.Observed = JoinOrNull(innermost.Observed, state);
        }
    }

    private TState? Switch(ISwitchOperation @switch, TState state)
    {
        var value = Eval(@switch.Value, state);
        if (value is null)
        {
            return null;
        }

        var context = new LoopContext(@switch);
        loops.Add(context);
        var changedBefore = labelsChanged;
        try
        {
            TState? after = null;
            for (var iteration = 0; iteration < MaxIterations; iteration++)
            {
                labelsChanged = false;
                after = null;
                foreach (var section in @switch.Cases)
                {
                    TState? entry = value;
                    foreach (var clause in section.Clauses)
                    {
                        // goto case / goto default arrive at the clause's label.
                        entry = clause.Label is { } caseLabel ? Label(caseLabel, entry) : entry;
                        if (clause is IPatternCaseClauseOperation { Guard: { } guard } pattern)
                        {
                            entry = Eval(guard, Eval(pattern.Pattern, entry));
                        }
                        else
                        {
                            entry = Eval(clause, entry);
                        }
                    }

                    after = JoinOrNull(after, ExecAll(section.Body, entry));
                }

                if (!labelsChanged || OverBudget())
                {
                    break;
                }
            }

            // A goto case is settled inside the switch; a goto out of it still asks for another run of the function.
            labelsChanged = changedBefore || labelsChanged;

            // Without a default clause the value may match no section.
            var hasDefault = @switch.Cases.Any(section => section.Clauses.Any(clause => clause.CaseKind == CaseKind.Default));
            return JoinOrNull(JoinOrNull(after, context.Break), hasDefault ? null : value);
        }
        finally
        {
            loops.RemoveAt(loops.Count - 1);
        }
    }

    private TState? Try(ITryOperation @try, TState state)
    {
        var context = new TryContext { Observed = state };
        tries.Add(context);
        TState? body;
        try
        {
            body = Exec(@try.Body, state);
        }
        finally
        {
            tries.RemoveAt(tries.Count - 1);
        }

        // A handler starts from any state inside the try: an exception may come from any call in it.
        var caught = context.Observed;
        TState? after = body;
        foreach (var handler in @try.Catches)
        {
            var entry = Eval(handler.Filter, Eval(handler.ExceptionDeclarationOrExpression, caught));
            after = JoinOrNull(after, Exec(handler.Handler, entry));
        }

        if (tries.Count > 0 && caught is not null)
        {
            var outer = tries[tries.Count - 1];
            outer.Observed = JoinOrNull(outer.Observed, caught);
        }

        if (@try.Finally is null)
        {
            return after;
        }

        // The finally runs after the try, after a handler, and on the way out of an uncaught exception: its effects reach
        // both the code after the statement and the function's exit (an over-approximation of "after the try").
        var finallyOut = Exec(@try.Finally, JoinOrNull(after, caught));
        returned = JoinOrNull(returned, finallyOut);
        return after is null ? null : finallyOut;
    }

    private void Enter()
    {
        if (++nesting > MaxNesting)
        {
            nesting--;
            throw new NestingLimitException();
        }

        RuntimeHelpers.EnsureSufficientExecutionStack();
    }

    private void Step() => steps++;

    /// <summary>Whether the fixed points should stop iterating: the run has made many more visits than the code has operations.</summary>
    private bool OverBudget()
    {
        if (steps <= budget)
        {
            return false;
        }

        Truncated = true;
        return true;
    }

    private sealed class LoopContext
    {
        public LoopContext(ILoopOperation loop)
        {
            ExitLabel = loop.ExitLabel;
            ContinueLabel = loop.ContinueLabel;
        }

        public LoopContext(ISwitchOperation @switch)
        {
            ExitLabel = @switch.ExitLabel;
        }

        public ILabelSymbol? ExitLabel { get; }

        public ILabelSymbol? ContinueLabel { get; }

        public TState? Break { get; set; }

        public TState? Continue { get; set; }
    }

    private sealed class TryContext
    {
        /// <summary>The join of the states seen inside the try block: where its handlers may start.</summary>
        public TState? Observed { get; set; }
    }

    private sealed class LabelState
    {
        public TState? State { get; set; }

        public bool Passed { get; set; }
    }

    private sealed class NestingLimitException : Exception
    {
    }
}
