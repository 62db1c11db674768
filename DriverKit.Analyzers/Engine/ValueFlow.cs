using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The value analysis of one code root (<see cref="CodeRoots"/>: a method with its lambdas and local functions): reaching
/// definitions for every local and parameter (<see cref="ReachingDefinitions"/>), and on top of them the origin of any
/// page, address or pfn expression (<see cref="Of(IOperation?, CancellationToken)"/>) — followed through locals declared at the top and assigned later,
/// <c>for</c> headers, cursors, copies, conversions between address kinds (<c>VirtToPage</c>, <c>PageToPfn</c>, …), page
/// arithmetic, helpers' return values and out arguments, and goto error paths. Fields and properties stay symbolic
/// (<see cref="OriginKind.Storage"/>); <see cref="ValueSummaries"/> follows them, and helpers' parameters, across the
/// compilation. Computed once per root; evaluation is safe from several threads.
/// </summary>
internal sealed class ValueFlow
{
    /// <summary>Nesting of one evaluation (expressions, definitions, helpers) beyond which a value is not followed.</summary>
    private const int MaxDepth = 48;

    private readonly DriverKitEngine engine;

    /// <summary>The reaching definitions, computed on the first read of a local or parameter: many values (a field, a conversion of one) need none.</summary>
    private readonly Lazy<Definitions> lazyDefinitions;

    /// <summary>
    /// The locals written only by their declaration's initializer, and the parameters and locals written anywhere, from one
    /// walk of the root: a read of such a local is its initializer, of an unwritten parameter the parameter, with no need for
    /// the reaching definitions (most of a driver's locals are <c>var x = …;</c> and most parameters are never assigned).
    /// </summary>
    private readonly Lazy<SingleWrites> singleWrites;

    // One lock each: a root is rarely evaluated by two threads at once, and a thousand roots in a file must not each
    // allocate a lock and bucket array per processor.
    private readonly ConcurrentDictionary<(SyntaxNode, OperationKind), ValueOrigin> memo = new(concurrencyLevel: 1, capacity: 8);
    private readonly ConcurrentDictionary<int, ValueOrigin> definitionMemo = new(concurrencyLevel: 1, capacity: 8);

    public ValueFlow(DriverKitEngine engine, IOperation root, CancellationToken cancellationToken)
    {
        this.engine = engine;
        Root = root;
        // Not cancellable once started: a Lazy keeps the exception it failed with, and one root's definitions are bounded work
        // (OperationFlow's visit budget); the token still cancels the caller between roots.
        cancellationToken.ThrowIfCancellationRequested();
        lazyDefinitions = new Lazy<Definitions>(() => new Definitions(root, CancellationToken.None), LazyThreadSafetyMode.ExecutionAndPublication);
        singleWrites = new Lazy<SingleWrites>(() => new SingleWrites(root), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The code root.</summary>
    public IOperation Root { get; }

    /// <summary>Where the value of <paramref name="operation"/> (an operation of this root) may come from.</summary>
    public ValueOrigin Of(IOperation? operation, CancellationToken cancellationToken) =>
        Of(operation, new ValueContext(cancellationToken));

    /// <summary>The evaluation of one request: what is in progress (to cut cycles) and how deep it went.</summary>
    internal sealed class ValueContext
    {
        public ValueContext(CancellationToken cancellationToken) => CancellationToken = cancellationToken;

        public CancellationToken CancellationToken { get; }

        public HashSet<object> InProgress { get; } = new();

        /// <summary>The expressions being evaluated (kept apart from <see cref="InProgress"/> so that their keys are not boxed).</summary>
        public HashSet<(SyntaxNode, OperationKind)> Evaluating { get; } = new();

        public int Depth { get; set; }

        /// <summary>Incremented when a cycle or the depth limit cut an evaluation; results computed under a cut are not memoized.</summary>
        public int Cuts { get; set; }
    }

    internal ValueOrigin Of(IOperation? operation, ValueContext context)
    {
        operation = Unwrap(operation);
        if (operation is null)
        {
            return ValueOrigin.None;
        }

        var key = (operation.Syntax, operation.Kind);
        if (memo.TryGetValue(key, out var known))
        {
            return known;
        }

        if (context.Depth > MaxDepth || !context.Evaluating.Add(key))
        {
            context.Cuts++;
            return ValueOrigin.None;
        }

        context.CancellationToken.ThrowIfCancellationRequested();
        var cutsBefore = context.Cuts;
        context.Depth++;
        try
        {
            var result = Evaluate(operation, context);
            if (context.Cuts == cutsBefore)
            {
                memo.TryAdd(key, result);
            }

            return result;
        }
        finally
        {
            context.Depth--;
            context.Evaluating.Remove(key);
        }
    }

    /// <summary>
    /// The values that may reach a read of a local: its initializer when that is its only write (no reaching definitions
    /// needed), else the values of the definitions that reach it; nothing for other operations.
    /// </summary>
    public IEnumerable<IOperation?> ValuesReaching(IOperation reference) =>
        reference is ILocalReferenceOperation local && singleWrites.Value.Initializers.TryGetValue(local.Local, out var initializer)
            ? new[] { initializer }
            : DefinitionsReaching(reference)?.Select(definition => definition.Value) ?? Enumerable.Empty<IOperation?>();

    /// <summary>The definitions that may reach a read of a local or parameter (by its syntax), or null when the read is unknown.</summary>
    public IReadOnlyList<Definition>? DefinitionsReaching(IOperation reference) =>
        reference is ILocalReferenceOperation or IParameterReferenceOperation ? lazyDefinitions.Value.Reaching(reference) : null;

    private ValueOrigin Evaluate(IOperation operation, ValueContext context)
    {
        switch (operation)
        {
            case ILocalReferenceOperation local:
                return Reaching(operation, context, () => ValueOrigin.Of(OriginAtom.Local(local.Local)));
            case IParameterReferenceOperation parameter:
                return Reaching(operation, context, () => ValueOrigin.Of(OriginAtom.Parameter(parameter.Parameter)));
            case IFieldReferenceOperation field:
                return field.Field.HasConstantValue ? ValueOrigin.None : ValueOrigin.Of(OriginAtom.Storage(field.Field));
            case IPropertyReferenceOperation property when !property.Arguments.IsEmpty:
                return Of(property.Instance, context);
            case IPropertyReferenceOperation property when engine.Symbols.IsAddressType(property.Property.ContainingType):
                // page.Pfn, addr.Value: the same memory, another view.
                return Of(property.Instance, context);
            case IPropertyReferenceOperation property:
                return ValueOrigin.Of(OriginAtom.Storage(property.Property));
            case IArrayElementReferenceOperation element:
                return Of(element.ArrayReference, context);
            case IInvocationOperation invocation:
                return Invocation(invocation, context);
            case IBinaryOperation binary:
                return ValueOrigin.Union(Of(binary.LeftOperand, context), Of(binary.RightOperand, context));
            case IUnaryOperation unary:
                return Of(unary.Operand, context);
            case IConversionOperation conversion:
                return Of(conversion.Operand, context);
            case IConditionalOperation conditional:
                return ValueOrigin.Union(Of(conditional.WhenTrue, context), Of(conditional.WhenFalse, context));
            case ICoalesceOperation coalesce:
                return ValueOrigin.Union(Of(coalesce.Value, context), Of(coalesce.WhenNull, context));
            case IObjectCreationOperation creation when engine.Symbols.IsAddressType(creation.Type):
                return creation.Arguments.Aggregate(ValueOrigin.None, (origin, argument) => ValueOrigin.Union(origin, Of(argument.Value, context)));
            case ISimpleAssignmentOperation assignment:
                return Of(assignment.Value, context);
            case ICompoundAssignmentOperation compound:
                return ValueOrigin.Union(Of(compound.Target, context), Of(compound.Value, context));
            case IIncrementOrDecrementOperation increment:
                return Of(increment.Target, context);
            default:
                return ValueOrigin.None;
        }
    }

    /// <summary>A local's or parameter's value: the union of the definitions reaching the read.</summary>
    private ValueOrigin Reaching(IOperation reference, ValueContext context, Func<ValueOrigin> unresolved)
    {
        switch (reference)
        {
            case ILocalReferenceOperation local when singleWrites.Value.Initializers.TryGetValue(local.Local, out var initializer):
                return Of(initializer, context);
            case IParameterReferenceOperation parameter when !singleWrites.Value.Written.Contains(parameter.Parameter):
                return ValueOrigin.Of(OriginAtom.Parameter(parameter.Parameter));
        }

        var reaching = DefinitionsReaching(reference);
        if (reaching is null || reaching.Count == 0)
        {
            return unresolved();
        }

        var result = ValueOrigin.None;
        foreach (var definition in reaching)
        {
            result = ValueOrigin.Union(result, Definition(definition, context));
        }

        return result;
    }

    private ValueOrigin Definition(Definition definition, ValueContext context)
    {
        if (definitionMemo.TryGetValue(definition.Id, out var known))
        {
            return known;
        }

        if (context.Depth > MaxDepth || !context.InProgress.Add(definition))
        {
            context.Cuts++;
            return ValueOrigin.None;
        }

        var cutsBefore = context.Cuts;
        context.Depth++;
        try
        {
            var result = definition.Kind switch
            {
                DefinitionKind.Entry => ValueOrigin.Of(OriginAtom.Parameter((IParameterSymbol)definition.Symbol)),
                DefinitionKind.Assignment or DefinitionKind.Element => Of(definition.Value, context),
                DefinitionKind.Update => Of(definition.Operation, context),
                DefinitionKind.Argument => OutArgument((IArgumentOperation)definition.Operation!, context),
                _ => definition.Symbol is ILocalSymbol local ? ValueOrigin.Of(OriginAtom.Local(local)) : ValueOrigin.None,
            };
            if (context.Cuts == cutsBefore)
            {
                definitionMemo.TryAdd(definition.Id, result);
            }

            return result;
        }
        finally
        {
            context.Depth--;
            context.InProgress.Remove(definition);
        }
    }

    private ValueOrigin Invocation(IInvocationOperation invocation, ValueContext context)
    {
        switch (engine.Symbols.RoleOf(invocation.TargetMethod))
        {
            case ValueRole.Allocation:
                return ValueOrigin.Of(OriginAtom.Allocation(invocation.Syntax));
            case ValueRole.Conversion:
                return Of(invocation.Argument(0), context);
            case ValueRole.DeviceConversion:
                return Of(invocation.Argument(0), context).AsDevice();
        }

        if (invocation.Instance is { } instance && engine.Symbols.IsAddressType(instance.Type))
        {
            // phys.ToPfn(), pfn.ToPhysAddr(): the same memory.
            return Of(instance, context);
        }

        if (engine.Symbols.Classify(invocation.TargetMethod) != KernelApi.None || invocation.TargetMethod.IsAbstract)
        {
            return ValueOrigin.None;
        }

        // A helper of this compilation: what it returns, its parameters replaced by this call's arguments.
        var returned = engine.Values.ReturnOrigin(invocation.TargetMethod, context);
        return returned.AtCall(invocation, argument => Of(argument, context));
    }

    private ValueOrigin OutArgument(IArgumentOperation argument, ValueContext context)
    {
        if (argument.Parent is not IInvocationOperation invocation || argument.Parameter is not { } parameter
            || engine.Symbols.Classify(invocation.TargetMethod) != KernelApi.None)
        {
            return Assigned(argument.Value) is ILocalSymbol local ? ValueOrigin.Of(OriginAtom.Local(local)) : ValueOrigin.None;
        }

        // What the helper stores into its out or ref parameter (a ref argument's old value reaches as another definition).
        return engine.Values.StoredInParameter(parameter, context).AtCall(invocation, argument => Of(argument, context));
    }

    private static ISymbol? Assigned(IOperation? operation) => operation.WithoutConversions() switch
    {
        ILocalReferenceOperation local => local.Local,
        IDeclarationExpressionOperation { Expression: ILocalReferenceOperation local } => local.Local,
        _ => null,
    };

    /// <summary>The operation with implicit conversions, parentheses-like wrappers and argument nodes removed.</summary>
    private static IOperation? Unwrap(IOperation? operation)
    {
        while (true)
        {
            operation = operation.WithoutConversions();
            if (operation is IArgumentOperation argument)
            {
                operation = argument.Value;
                continue;
            }

            return operation;
        }
    }

    /// <summary>The local function or lambda whose code <paramref name="operation"/> is; null for the root's own code.</summary>
    private static ISymbol? FunctionOf(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ILocalFunctionOperation localFunction:
                    return localFunction.Symbol;
                case IAnonymousFunctionOperation anonymous:
                    return anonymous.Symbol;
            }
        }

        return null;
    }

    /// <summary>The reaching definitions of every local and parameter of the root (<see cref="ReachingDefinitions"/>), indexed by read.</summary>
    private sealed class Definitions
    {
        private readonly List<Definition> all = new();
        private readonly Dictionary<SyntaxNode, SourceSet> reads = new();

        /// <summary>Per local or parameter, its definitions in the whole root (for variables lambdas capture).</summary>
        private readonly Dictionary<ISymbol, List<Definition>> bySymbol = new(SymbolEqualityComparer.Default);

        /// <summary>Variables assigned in a function other than the one that declares them (a lambda writing a captured local).</summary>
        private readonly HashSet<ISymbol> capturedWrites = new(SymbolEqualityComparer.Default);

        public Definitions(IOperation root, CancellationToken cancellationToken)
        {
            var readsByOperation = new Dictionary<IOperation, SourceSet>();
            var rootFunction = root.SemanticModel?.GetDeclaredSymbol(root.Syntax, cancellationToken) as IMethodSymbol
                ?? CodeRoots.OwnerOf(root, cancellationToken) as IMethodSymbol;
            RootFunctions.Analyze(
                root,
                rootFunction,
                code =>
                {
                    var analysis = new ReachingDefinitions(code.Body, code.Symbol, all, readsByOperation);
                    analysis.Analyze();
                    return analysis.NestedFunctions.Concat(code.Body.LocalFunctionsDeclaredIn());
                },
                cancellationToken);

            foreach (var pair in readsByOperation)
            {
                reads[pair.Key.Syntax] = reads.TryGetValue(pair.Key.Syntax, out var known) ? SourceSet.Union(known, pair.Value) : pair.Value;
            }

            foreach (var definition in all)
            {
                if (!bySymbol.TryGetValue(definition.Symbol, out var list))
                {
                    bySymbol[definition.Symbol] = list = new List<Definition>();
                }

                list.Add(definition);
                if (definition.Operation is { } operation && definition.Kind != DefinitionKind.Entry
                    && !SymbolEqualityComparer.Default.Equals(FunctionOf(operation) ?? rootFunction, definition.Symbol.ContainingSymbol))
                {
                    capturedWrites.Add(definition.Symbol);
                }
            }
        }

        public IReadOnlyList<Definition> Reaching(IOperation reference)
        {
            var symbol = reference is ILocalReferenceOperation local ? (ISymbol)local.Local : ((IParameterReferenceOperation)reference).Parameter;
            var result = new List<Definition>();
            if (reads.TryGetValue(reference.Syntax, out var reaching))
            {
                result.AddRange(reaching.Members().Select(id => all[id]));
            }
            else if (bySymbol.TryGetValue(symbol, out var everywhere))
            {
                // A read the flow did not reach (a lambda's use of a captured local): any definition may be the one.
                result.AddRange(everywhere);
            }

            if (capturedWrites.Contains(symbol) && bySymbol.TryGetValue(symbol, out var captured))
            {
                result.AddRange(captured.Where(definition => !result.Contains(definition)));
            }

            return result;
        }
    }

    /// <summary>What one walk of a root finds about writes to its locals and parameters (see <see cref="singleWrites"/>).</summary>
    private sealed class SingleWrites
    {
        public SingleWrites(IOperation root)
        {
            var declared = new Dictionary<ILocalSymbol, IOperation>(SymbolEqualityComparer.Default);
            foreach (var operation in root.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation { Initializer.Value: { } value } declarator when !declared.ContainsKey(declarator.Symbol):
                        declared.Add(declarator.Symbol, value);
                        break;
                    case IVariableDeclaratorOperation declarator:
                        Written.Add(declarator.Symbol);
                        break;
                    case IAssignmentOperation assignment:
                        AddTargets(assignment.Target);
                        break;
                    case IIncrementOrDecrementOperation increment:
                        AddTargets(increment.Target);
                        break;
                    case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } byRef:
                        AddTargets(byRef.Value);
                        break;
                    case ILocalReferenceOperation { IsDeclaration: true } declaration:
                        Written.Add(declaration.Local);
                        break;
                }
            }

            foreach (var pair in declared)
            {
                if (!Written.Contains(pair.Key))
                {
                    Initializers.Add(pair.Key, pair.Value);
                }
            }
        }

        /// <summary>Locals whose initializer is their only write, with the initializer's value.</summary>
        public Dictionary<ILocalSymbol, IOperation> Initializers { get; } = new(SymbolEqualityComparer.Default);

        /// <summary>Locals and parameters written other than by an initializer (declared without one, assigned, stepped, passed by ref or out).</summary>
        public HashSet<ISymbol> Written { get; } = new(SymbolEqualityComparer.Default);

        private void AddTargets(IOperation target)
        {
            foreach (var written in target.DescendantsAndSelf())
            {
                switch (written)
                {
                    case ILocalReferenceOperation local:
                        Written.Add(local.Local);
                        break;
                    case IParameterReferenceOperation parameter:
                        Written.Add(parameter.Parameter);
                        break;
                }
            }
        }
    }
}
