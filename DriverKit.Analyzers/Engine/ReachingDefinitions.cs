using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>How a definition gives a local or parameter its value.</summary>
internal enum DefinitionKind
{
    /// <summary>A parameter's value on entry to its function.</summary>
    Entry,

    /// <summary><c>x = v</c>, <c>var x = v</c>, or a pattern <c>v is T x</c>: the value is <see cref="Definition.Value"/>.</summary>
    Assignment,

    /// <summary><c>x += v</c>, <c>x++</c>: the previous value moved (a cursor), <see cref="Definition.Operation"/> reads it.</summary>
    Update,

    /// <summary>A foreach variable: an element of <see cref="Definition.Value"/>, the collection.</summary>
    Element,

    /// <summary>An <c>out</c> or <c>ref</c> argument: the callee stores into it (<see cref="Definition.Operation"/> is the argument).</summary>
    Argument,

    /// <summary>A declaration without a value, a deconstruction or anything else the analysis does not follow.</summary>
    Opaque,
}

/// <summary>One place a local or parameter gets a value.</summary>
internal sealed class Definition
{
    public Definition(int id, ISymbol symbol, DefinitionKind kind, IOperation? operation, IOperation? value)
    {
        Id = id;
        Symbol = symbol;
        Kind = kind;
        Operation = operation;
        Value = value;
    }

    public int Id { get; }

    public ISymbol Symbol { get; }

    public DefinitionKind Kind { get; }

    /// <summary>The defining operation (assignment, update, declarator, argument, loop); null for an entry value.</summary>
    public IOperation? Operation { get; }

    /// <summary>The value assigned, the collection iterated, or the value a pattern tests.</summary>
    public IOperation? Value { get; }
}

/// <summary>
/// Reaching definitions of one function body (<see cref="OperationFlow{TState}"/>): for every read of a local or parameter,
/// the definitions whose value it may see — every assignment, declarations assigned later, <c>for</c> headers, cursors moved
/// by <c>+=</c> and <c>++</c>, foreach variables, patterns, <c>out</c>/<c>ref</c> arguments — along every path, loops and
/// goto error paths included. The state is, per local, the set of definition ids (<see cref="SourceSet"/>).
/// </summary>
internal sealed class ReachingDefinitions : OperationFlow<ReachingDefinitions.State>
{
    private readonly IOperation body;
    private readonly IMethodSymbol? function;
    private readonly List<Definition> definitions;
    private readonly Dictionary<IOperation, SourceSet> reads;
    private readonly Dictionary<ISymbol, int> slots = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<IOperation, Definition> byOperation = new();

    /// <param name="body">The function's code.</param>
    /// <param name="function">The function (its parameters get entry definitions).</param>
    /// <param name="definitions">The definitions of the whole code root, added to.</param>
    /// <param name="reads">The definitions reaching each read, added to.</param>
    public ReachingDefinitions(IOperation body, IMethodSymbol? function, List<Definition> definitions, Dictionary<IOperation, SourceSet> reads)
    {
        this.body = body;
        this.function = function;
        this.definitions = definitions;
        this.reads = reads;
    }

    /// <summary>The lambdas and local functions met in the body (analyzed on their own).</summary>
    public List<IOperation> NestedFunctions { get; } = new();

    /// <summary>Runs the analysis; the definitions and reads of the body are added to the shared lists.</summary>
    public void Analyze()
    {
        var entry = State.Empty;
        if (function is not null)
        {
            foreach (var parameter in function.Parameters)
            {
                entry = entry.With(Slot(parameter), SourceSet.Of(Define(parameter, DefinitionKind.Entry, null, null).Id));
            }
        }

        Run(body, entry);
    }

    protected override State Join(State a, State b) => State.Join(a, b);

    protected override bool Same(State a, State b) => a.SameAs(b);

    protected override void Nested(IOperation function, State state) => NestedFunctions.Add(function);

    protected override void Transfer(IOperation operation, ref State state)
    {
        switch (operation)
        {
            case ILocalReferenceOperation local when IsRead(operation):
                Read(operation, local.Local, state);
                break;
            case IParameterReferenceOperation parameter when IsRead(operation):
                Read(operation, parameter.Parameter, state);
                break;
            case IVariableDeclaratorOperation declarator:
                var initializer = declarator.GetVariableInitializer()?.Value;
                state = Assign(state, declarator.Symbol, initializer is null ? DefinitionKind.Opaque : DefinitionKind.Assignment, declarator, initializer);
                break;
            case ISimpleAssignmentOperation { Target: var target } assignment when Assigned(target) is { } symbol:
                state = Assign(state, symbol, DefinitionKind.Assignment, assignment, assignment.Value);
                break;
            case ICompoundAssignmentOperation { Target: var target } compound when Assigned(target) is { } symbol:
                state = Assign(state, symbol, DefinitionKind.Update, compound, compound.Value);
                break;
            case ICoalesceAssignmentOperation { Target: var target } coalesce when Assigned(target) is { } symbol:
                state = Add(state, symbol, DefinitionKind.Assignment, coalesce, coalesce.Value);
                break;
            case IIncrementOrDecrementOperation { Target: var target } increment when Assigned(target) is { } symbol:
                state = Assign(state, symbol, DefinitionKind.Update, increment, null);
                break;
            case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } argument when Assigned(argument.Value) is { } symbol:
                // The callee's store happens after the call reads its arguments; a ref argument may also keep its value.
                state = argument.Parameter!.RefKind == RefKind.Out
                    ? Assign(state, symbol, DefinitionKind.Argument, argument, null)
                    : Add(state, symbol, DefinitionKind.Argument, argument, null);
                break;
            case IDeclarationPatternOperation { DeclaredSymbol: { } declared } pattern:
                state = Assign(state, declared, DefinitionKind.Assignment, pattern, TestedValue(pattern));
                break;
            case IForEachLoopOperation loop:
                foreach (var local in LoopVariables(loop.LoopControlVariable))
                {
                    state = Assign(state, local, DefinitionKind.Element, loop, loop.Collection);
                }

                break;
            case IDeconstructionAssignmentOperation deconstruction:
                foreach (var target in deconstruction.Target.DescendantsAndSelf())
                {
                    if (Assigned(target) is { } symbol)
                    {
                        state = Assign(state, symbol, DefinitionKind.Opaque, deconstruction, null);
                    }
                }

                break;
        }
    }

    /// <summary>Whether a reference reads the variable (it is not only the target of a plain assignment or an out argument).</summary>
    private static bool IsRead(IOperation reference) => reference.Parent switch
    {
        ISimpleAssignmentOperation assignment => !ReferenceEquals(assignment.Target, reference),
        IArgumentOperation { Parameter.RefKind: RefKind.Out } => false,
        IDeclarationExpressionOperation => false,
        ITupleOperation { Parent: IDeconstructionAssignmentOperation } => false,
        _ => true,
    };

    private static ISymbol? Assigned(IOperation? target) => target.WithoutConversions() switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IDeclarationExpressionOperation { Expression: ILocalReferenceOperation local } => local.Local,
        _ => null,
    };

    private static IEnumerable<ILocalSymbol> LoopVariables(IOperation? variable) => variable switch
    {
        IVariableDeclaratorOperation declarator => new[] { declarator.Symbol },
        null => Array.Empty<ILocalSymbol>(),
        _ => variable.DescendantsAndSelf().OfType<IVariableDeclaratorOperation>().Select(declarator => declarator.Symbol)
            .Concat(variable.DescendantsAndSelf().OfType<ILocalReferenceOperation>().Select(local => local.Local)),
    };

    /// <summary>The value a declaration pattern tests: the <c>is</c> operand, or the switch's value.</summary>
    private static IOperation? TestedValue(IOperation pattern)
    {
        for (var current = pattern.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IIsPatternOperation isPattern:
                    return isPattern.Value;
                case ISwitchExpressionOperation switchExpression:
                    return switchExpression.Value;
                case ISwitchOperation switchStatement:
                    return switchStatement.Value;
                case IPatternOperation:
                    continue;
                default:
                    if (current is not (IPatternCaseClauseOperation or ISwitchCaseOperation or ISwitchExpressionArmOperation))
                    {
                        return null;
                    }

                    break;
            }
        }

        return null;
    }

    private void Read(IOperation reference, ISymbol symbol, State state)
    {
        var reaching = slots.TryGetValue(symbol, out var slot) ? state.Get(slot) : SourceSet.Empty;
        reads[reference] = reads.TryGetValue(reference, out var known) ? SourceSet.Union(known, reaching) : reaching;
    }

    /// <summary>A definition that replaces the variable's value.</summary>
    private State Assign(State state, ISymbol symbol, DefinitionKind kind, IOperation? operation, IOperation? value) =>
        state.With(Slot(symbol), SourceSet.Of(Define(symbol, kind, operation, value).Id));

    /// <summary>A definition that may or may not replace the variable's value.</summary>
    private State Add(State state, ISymbol symbol, DefinitionKind kind, IOperation? operation, IOperation? value)
    {
        var slot = Slot(symbol);
        return state.With(slot, SourceSet.Union(state.Get(slot), SourceSet.Of(Define(symbol, kind, operation, value).Id)));
    }

    /// <summary>The definition of an operation, made once (a loop body is walked once per iteration).</summary>
    private Definition Define(ISymbol symbol, DefinitionKind kind, IOperation? operation, IOperation? value)
    {
        if (operation is not null && byOperation.TryGetValue(operation, out var known) && SymbolEqualityComparer.Default.Equals(known.Symbol, symbol))
        {
            return known;
        }

        var definition = new Definition(definitions.Count, symbol, kind, operation, value);
        definitions.Add(definition);
        if (operation is not null)
        {
            byOperation[operation] = definition;
        }

        return definition;
    }

    private int Slot(ISymbol symbol)
    {
        if (!slots.TryGetValue(symbol, out var slot))
        {
            slots[symbol] = slot = slots.Count;
        }

        return slot;
    }

    /// <summary>Per variable slot, the definitions that may reach; a slot past the end has none. Immutable.</summary>
    internal sealed class State
    {
        public static readonly State Empty = new(Array.Empty<SourceSet>());

        private readonly SourceSet[] slots;

        private State(SourceSet[] slots) => this.slots = slots;

        public SourceSet Get(int slot) => slot < slots.Length ? slots[slot] : SourceSet.Empty;

        public State With(int slot, SourceSet definitions)
        {
            if (ReferenceEquals(Get(slot), definitions))
            {
                return this;
            }

            var updated = new SourceSet[Math.Max(slots.Length, slot + 1)];
            Array.Copy(slots, updated, slots.Length);
            for (var i = slots.Length; i < updated.Length; i++)
            {
                updated[i] = SourceSet.Empty;
            }

            updated[slot] = definitions;
            return new State(updated);
        }

        public static State Join(State a, State b)
        {
            if (ReferenceEquals(a, b))
            {
                return a;
            }

            if (b.slots.Length > a.slots.Length)
            {
                (a, b) = (b, a);
            }

            SourceSet[]? joined = null;
            for (var i = 0; i < b.slots.Length; i++)
            {
                var union = SourceSet.Union(a.slots[i], b.slots[i]);
                if (!ReferenceEquals(union, a.slots[i]))
                {
                    joined ??= (SourceSet[])a.slots.Clone();
                    joined[i] = union;
                }
            }

            return joined is null ? a : new State(joined);
        }

        public bool SameAs(State other)
        {
            if (ReferenceEquals(this, other))
            {
                return true;
            }

            var length = Math.Max(slots.Length, other.slots.Length);
            for (var i = 0; i < length; i++)
            {
                if (!Get(i).Equals(other.Get(i)))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
