using System.Collections.Immutable;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>One VMA's flags at the exit of an analyzed function, for one class of paths.</summary>
internal readonly struct ExitFact
{
    public ExitFact(VmaKey key, FlagFact fact, IMethodSymbol? function, SyntaxNode? lambda)
    {
        Key = key;
        Fact = fact;
        Function = function;
        Lambda = lambda;
    }

    public VmaKey Key { get; }

    public FlagFact Fact { get; }

    /// <summary>The analyzed function (method, local function or lambda) at whose exit the fact holds.</summary>
    public IMethodSymbol? Function { get; }

    /// <summary>The lambda's syntax when <see cref="Function"/> is a lambda.</summary>
    public SyntaxNode? Lambda { get; }
}

/// <summary>What the flag analysis found in one operation block (a method with its lambdas and local functions).</summary>
internal sealed class FlagFlowResult
{
    public static readonly FlagFlowResult Empty = new(ImmutableArray<ExitFact>.Empty, ImmutableDictionary<SyntaxNode, OpsInfo>.Empty, new SourceTable(), ImmutableDictionary<SyntaxNode, ulong>.Empty);

    private readonly SourceTable table;

    public FlagFlowResult(ImmutableArray<ExitFact> exitFacts, ImmutableDictionary<SyntaxNode, OpsInfo> ops, SourceTable table, ImmutableDictionary<SyntaxNode, ulong> beforeCalls)
    {
        BeforeCalls = beforeCalls;
        ExitFacts = exitFacts;
        Ops = ops;
        this.table = table;
    }

    /// <summary>Per function and VMA, the facts at its exit.</summary>
    public ImmutableArray<ExitFact> ExitFacts { get; }

    /// <summary>For each call whose first argument is a tracked VMA: the bits some path has set on it when the call runs.</summary>
    public ImmutableDictionary<SyntaxNode, ulong> BeforeCalls { get; }

    /// <summary>The vm_ops assignments (or helper calls making them) whose handlers hand out RAM pages.</summary>
    public ImmutableDictionary<SyntaxNode, OpsInfo> Ops { get; }

    /// <summary>The driver's source nodes of the attributed bits among <paramref name="bits"/> in a fact, each with the bits it set.</summary>
    public IEnumerable<(SyntaxNode Node, ulong Bits)> DriverSources(FlagFact fact, ulong bits) =>
        fact.Set.DriverSources(bits).Select(source => (table.Node(source.Ordinal), source.Bits));

    /// <summary>Whether <paramref name="node"/> is a driver source of the attributed <paramref name="bit"/> in a fact.</summary>
    public bool IsDriverSource(FlagFact fact, ulong bit, SyntaxNode node) =>
        table.Find(node) is var ordinal and >= 0 && fact.Set.HasDriverSource(bit, ordinal);
}

/// <summary>
/// Abstract interpretation of VMA flags over a function's operation tree (<see cref="OperationFlow{TState}"/>). Per VMA
/// (parameter, local, field, <c>vmf.Vma</c>) it tracks the bits the analyzed code may have set — folded from enum members,
/// constants, <c>using static</c> names, numeric casts, locals, readonly fields and object initializers, through <c>|</c>,
/// <c>&amp; ~</c>, <c>VmFlagsSet</c>, <c>VmFlagsClear</c>, the runtime's remap functions (which set the era's flags) and
/// summaries of helper methods — as a small set of path classes joined at merges, so a combination is reported when some
/// path reaches it.
/// </summary>
internal sealed class FlagFlowAnalysis
{
    /// <summary>Nesting of a flag expression beyond which its value is unknown (chains of | and ?: are walked without depth).</summary>
    private const int MaxEvaluationDepth = 64;

    /// <summary>Operands of one | chain followed before the rest is unknown.</summary>
    private const int MaxChain = 100_000;

    private readonly DriverKitEngine engine;
    private readonly DriverKitSymbols symbols;
    private readonly EraPolicy policy;
    private readonly SemanticModel model;
    private readonly ImmutableStack<IMethodSymbol> stack;
    private readonly CancellationToken cancellationToken;
    private readonly ImmutableDictionary<SyntaxNode, OpsInfo>.Builder ops = ImmutableDictionary.CreateBuilder<SyntaxNode, OpsInfo>();
    private readonly ImmutableDictionary<SyntaxNode, ulong>.Builder beforeCalls = ImmutableDictionary.CreateBuilder<SyntaxNode, ulong>();

    public FlagFlowAnalysis(DriverKitEngine engine, EraPolicy policy, SemanticModel model, ImmutableStack<IMethodSymbol> stack, CancellationToken cancellationToken)
    {
        this.engine = engine;
        symbols = engine.Symbols;
        this.policy = policy;
        this.model = model;
        this.stack = stack;
        this.cancellationToken = cancellationToken;
    }

    /// <summary>Set when a helper summary or a fixed point could not be computed in full; results are then not cached.</summary>
    public bool Truncated { get; private set; }

    public ImmutableDictionary<SyntaxNode, OpsInfo> Ops => ops.ToImmutable();

    /// <summary>See <see cref="FlagFlowResult.BeforeCalls"/>.</summary>
    public ImmutableDictionary<SyntaxNode, ulong> BeforeCalls => beforeCalls.ToImmutable();

    /// <summary>The ordinals of this analysis' source nodes.</summary>
    public SourceTable Table { get; } = new();

    /// <summary>
    /// Analyzes a code root (<see cref="CodeRoots"/>) and every lambda and local function in it; returns the exit facts of all
    /// of them.
    /// </summary>
    public ImmutableArray<ExitFact> AnalyzeAll(IOperation root, IMethodSymbol? function)
    {
        var facts = ImmutableArray.CreateBuilder<ExitFact>();
        RootFunctions.Analyze(
            root,
            function,
            code =>
            {
                var unit = new Unit(this, code.Body);
                unit.Run();
                facts.AddRange(unit.ExitFacts(code.Symbol, code.Lambda));
                return unit.NestedFunctions;
            },
            cancellationToken);

        return facts.ToImmutable();
    }

    /// <summary>Analyzes one function body only (a helper being summarized); returns its exit state and return value.</summary>
    public (FlowState? Exit, FlagValue? Return) AnalyzeOne(IOperation body)
    {
        var unit = new Unit(this, body);
        unit.Run();
        return (unit.ExitState, unit.ReturnValue);
    }

    /// <summary>The analysis of one function body.</summary>
    private sealed class Unit : OperationFlow<FlowState>
    {
        private readonly FlagFlowAnalysis owner;
        private readonly IOperation body;
        private readonly Dictionary<ISymbol, VmaKey?> aliases = new(SymbolEqualityComparer.Default);

        public Unit(FlagFlowAnalysis owner, IOperation body)
        {
            this.owner = owner;
            this.body = body;
        }

        /// <summary>The lambdas and local functions met in reachable code (each may be met once per iteration).</summary>
        public List<IOperation> NestedFunctions { get; } = new();

        public FlowState? ExitState { get; private set; }

        public FlagValue? ReturnValue { get; private set; }

        private DriverKitSymbols Symbols => owner.symbols;

        public IEnumerable<ExitFact> ExitFacts(IMethodSymbol? function, SyntaxNode? lambda)
        {
            if (ExitState is null)
            {
                yield break;
            }

            foreach (var pair in ExitState.Vmas)
            {
                foreach (var fact in pair.Facts)
                {
                    if (fact.Mask != 0)
                    {
                        yield return new ExitFact(pair.Key, fact, function, lambda);
                    }
                }
            }
        }

        public void Run()
        {
            FindAliases();
            NestedFunctions.AddRange(body.LocalFunctionsDeclaredIn());
            ExitState = Run(body, FlowState.Initial);
            owner.Truncated |= Truncated || GaveUp;
        }

        protected override FlowState Join(FlowState a, FlowState b) => FlowState.Join(a, b);

        protected override bool Same(FlowState a, FlowState b) => a.SameAs(b);

        protected override void Nested(IOperation function, FlowState state) => NestedFunctions.Add(function);

        protected override void Returned(IReturnOperation operation, FlowState state)
        {
            if (operation.ReturnedValue is { } value && Symbols.IsVmFlags(value.Type))
            {
                var returned = Evaluate(value, state);
                ReturnValue = ReturnValue is null ? returned : FlagValue.Join(ReturnValue, returned);
            }
        }

        protected override void Transfer(IOperation operation, ref FlowState state)
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation assignment:
                    Assign(assignment, ref state);
                    break;
                case ICompoundAssignmentOperation compound:
                    CompoundAssign(compound, ref state);
                    break;
                case IVariableDeclaratorOperation { Initializer: { } initializer } declarator when Symbols.IsVmFlags(declarator.Symbol.Type):
                    state = state.WithLocal(declarator.Symbol, Evaluate(initializer.Value, state));
                    break;
                case IInvocationOperation invocation:
                    Invoke(invocation, ref state);
                    break;
            }
        }

        /// <summary>Locals that hold a VMA taken from another expression (<c>var area = vmf.Vma;</c>) stand for that VMA.</summary>
        private void FindAliases()
        {
            var work = new Stack<IOperation>();
            work.Push(body);
            while (work.Count > 0)
            {
                var operation = work.Pop();
                switch (operation)
                {
                    case ILocalFunctionOperation or IAnonymousFunctionOperation when !ReferenceEquals(operation, body):
                        continue;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when Symbols.IsVmArea(local.Type):
                        Record(local.Local, assignment.Value);
                        break;
                    case IVariableDeclaratorOperation { Initializer: { } initializer } declarator when Symbols.IsVmArea(declarator.Symbol.Type):
                        Record(declarator.Symbol, initializer.Value);
                        break;
                }

                foreach (var child in operation.ChildOperations)
                {
                    work.Push(child);
                }
            }
        }

        private void Record(ISymbol local, IOperation? value)
        {
            var resolved = ResolveVma(value);
            if (aliases.TryGetValue(local, out var existing))
            {
                if (!Nullable.Equals(existing, resolved))
                {
                    aliases[local] = null;
                }
            }
            else
            {
                aliases[local] = resolved;
            }
        }

        /// <summary>Which VMA an expression of type VmArea denotes, or null when it cannot be tracked.</summary>
        private VmaKey? ResolveVma(IOperation? operation, int depth = 0)
        {
            operation = operation.WithoutConversions();
            if (depth > 8)
            {
                return null;
            }

            switch (operation)
            {
                case IParameterReferenceOperation parameter:
                    return new VmaKey(parameter.Parameter);
                case ILocalReferenceOperation local:
                    if (aliases.TryGetValue(local.Local, out var alias) && alias is { } aliased && !SymbolEqualityComparer.Default.Equals(aliased.Root, local.Local))
                    {
                        return aliased;
                    }

                    return new VmaKey(local.Local);
                case IFieldReferenceOperation field when field.Instance is null or IInstanceReferenceOperation:
                    return new VmaKey(field.Field);
                case IPropertyReferenceOperation property when Symbols.Is(property.Property, Symbols.VmFaultVma):
                    return property.Instance.WithoutConversions() switch
                    {
                        IParameterReferenceOperation parameter => new VmaKey(parameter.Parameter, property.Property),
                        ILocalReferenceOperation local => new VmaKey(local.Local, property.Property),
                        _ => null,
                    };
                case IPropertyReferenceOperation property when property.Arguments.IsEmpty && property.Instance is null or IInstanceReferenceOperation:
                    return new VmaKey(property.Property);
                default:
                    return null;
            }
        }

        private void Assign(ISimpleAssignmentOperation assignment, ref FlowState state)
        {
            switch (assignment.Target)
            {
                case var target when FlagsTarget(target) is { } key:
                    {
                        var value = Evaluate(assignment.Value, state);
                        if (!value.IsComplement)
                        {
                            state = state.Update(key, fact => value.BaseVma is { } baseVma && baseVma.Equals(key)
                                ? fact.Clear(~value.BaseKeep & PseudoBits.FlagMask).Add(value.Set)
                                : fact.Clear(PseudoBits.FlagMask).Add(value.Set));
                        }
                    }

                    break;
                case var target when OpsTarget(target) is { } opsKey:
                    {
                        var faults = owner.engine.Ops.Tables(assignment.Value, owner.cancellationToken)
                            .Any(creation => owner.engine.Model.Table(creation, owner.cancellationToken)?.Handlers.Keys.Any(name => name is "Fault" or "NoPage" or "NoPfn") == true);
                        state = state.Update(opsKey, fact => faults ? fact.Add(FlagOrigins.FromRuntime(PseudoBits.FaultOps)) : fact.Clear(PseudoBits.FaultOps));
                        var info = owner.engine.Ops.Resolve(assignment.Value, owner.cancellationToken);
                        if (info is not null)
                        {
                            owner.ops[assignment.Syntax] = info;
                            var source = FlagOrigins.FromDriver(PseudoBits.RamFaultOps, owner.Table.Ordinal(assignment.Syntax));
                            state = state.Update(opsKey, fact => fact.Add(source));
                        }
                        else
                        {
                            state = state.Update(opsKey, fact => fact.Clear(PseudoBits.RamFaultOps));
                        }
                    }

                    break;
                case ILocalReferenceOperation local when Symbols.IsVmFlags(local.Type):
                    state = state.WithLocal(local.Local, Evaluate(assignment.Value, state));
                    break;
                case IParameterReferenceOperation parameter when Symbols.IsVmFlags(parameter.Type):
                    state = state.WithLocal(parameter.Parameter, Evaluate(assignment.Value, state));
                    break;
            }
        }

        private void CompoundAssign(ICompoundAssignmentOperation compound, ref FlowState state)
        {
            var value = Evaluate(compound.Value, state);
            switch (compound.Target)
            {
                case var target when FlagsTarget(target) is { } key:
                    {
                        state = compound.OperatorKind switch
                        {
                            BinaryOperatorKind.Or or BinaryOperatorKind.ExclusiveOr or BinaryOperatorKind.Add when !value.IsComplement =>
                                state.Update(key, fact => fact.Add(value.Set)),
                            BinaryOperatorKind.And when value.IsComplement => state.Update(key, fact => fact.Clear(value.Bits)),
                            BinaryOperatorKind.And when value.Exact && value.BaseVma is null =>
                                state.Update(key, fact => fact.Clear(PseudoBits.FlagMask & ~value.Bits)),
                            _ => state,
                        };
                    }

                    break;
                case ILocalReferenceOperation local when Symbols.IsVmFlags(local.Type):
                    state = state.WithLocal(local.Local, Combine(compound.OperatorKind, Current(local.Local, state), value));
                    break;
                case IParameterReferenceOperation parameter when Symbols.IsVmFlags(parameter.Type):
                    state = state.WithLocal(parameter.Parameter, Combine(compound.OperatorKind, Current(parameter.Parameter, state), value));
                    break;
            }
        }

        /// <summary>The VMA whose flags an assignment target denotes: <c>vma.Flags</c>.</summary>
        private VmaKey? FlagsTarget(IOperation target) => target switch
        {
            IPropertyReferenceOperation property when Symbols.Is(property.Property, Symbols.VmAreaFlags) => ResolveVma(property.Instance),
            _ => null,
        };

        /// <summary>The VMA whose vm_ops an assignment target denotes: <c>vma.Ops</c>.</summary>
        private VmaKey? OpsTarget(IOperation target) => target switch
        {
            IPropertyReferenceOperation property when Symbols.Is(property.Property, Symbols.VmAreaOps) => ResolveVma(property.Instance),
            _ => null,
        };

        private static FlagValue Current(ISymbol symbol, FlowState state) =>
            state.LocalValue(symbol) ?? FlagValue.Unknown;

        private static FlagValue Combine(BinaryOperatorKind kind, FlagValue left, FlagValue right) => kind switch
        {
            BinaryOperatorKind.Or => FlagValue.Or(left, right),
            BinaryOperatorKind.And => FlagValue.And(left, right),
            BinaryOperatorKind.ExclusiveOr or BinaryOperatorKind.Add => FlagValue.Join(FlagValue.Or(left, right), FlagValue.Unknown),
            _ => FlagValue.Unknown,
        };

        private void Invoke(IInvocationOperation invocation, ref FlowState state)
        {
            if (invocation.Arguments.Length > 0 && Symbols.IsVmArea(invocation.Argument(0).WithoutConversions()?.Type) && ResolveVma(invocation.Argument(0)) is { } vma)
            {
                // Joined over the visits of the fixed point: the bits some path has set when the call runs.
                var mask = state.FactsOf(vma).Aggregate(0UL, (bits, fact) => bits | (fact.Mask & PseudoBits.FlagMask));
                owner.beforeCalls[invocation.Syntax] = owner.beforeCalls.TryGetValue(invocation.Syntax, out var known) ? known | mask : mask;
            }

            var api = Symbols.Classify(invocation.TargetMethod);
            switch (api)
            {
                case KernelApi.VmFlagsSet:
                case KernelApi.VmFlagsClear:
                    if (ResolveVma(invocation.Argument(0)) is { } key)
                    {
                        var value = Evaluate(invocation.Argument(1), state);
                        if (api == KernelApi.VmFlagsSet && !value.IsComplement)
                        {
                            state = state.Update(key, fact => fact.Add(value.Set));
                        }
                        else if (api == KernelApi.VmFlagsClear && value.Exact && value.BaseVma is null && !value.IsComplement)
                        {
                            state = state.Update(key, fact => fact.Clear(value.Bits));
                        }
                    }

                    break;
                case KernelApi.RemapPfnRange:
                case KernelApi.IoRemapPfnRange:
                case KernelApi.VmIomapMemory:
                    SetRuntimeFlags(invocation, (ulong)owner.policy.RemapPfnRangeFlags, ref state);
                    break;
                case KernelApi.VmInsertPage:
                case KernelApi.VmMapPages:
                    SetRuntimeFlags(invocation, (ulong)owner.policy.VmInsertPageSetsFlag | PseudoBits.InsertedPages, ref state);
                    break;
                case KernelApi.None:
                    ApplyHelper(invocation, ref state);
                    break;
            }
        }

        private void SetRuntimeFlags(IInvocationOperation invocation, ulong bits, ref FlowState state)
        {
            if (ResolveVma(invocation.Argument(0)) is { } key)
            {
                var sources = FlagOrigins.FromRuntime(bits);
                state = state.Update(key, fact => fact.Add(sources));
            }
        }

        /// <summary>A helper in this compilation that changes the flags of a VmArea parameter counts at the call site.</summary>
        private void ApplyHelper(IInvocationOperation invocation, ref FlowState state)
        {
            if (!invocation.Arguments.Any(argument => Symbols.IsVmArea(argument.Parameter?.Type)))
            {
                return;
            }

            var summary = owner.engine.Summaries.Get(invocation.TargetMethod, owner.policy, owner.stack, owner.cancellationToken, out var complete);
            owner.Truncated |= !complete;
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is not { } parameter || !summary.Parameters.TryGetValue(parameter.Ordinal, out var effect)
                    || ResolveVma(argument.Value) is not { } key)
                {
                    continue;
                }

                var set = FlagOrigins.Union(FlagOrigins.FromDriver(effect.DriverBits, owner.Table.Ordinal(invocation.Syntax)), FlagOrigins.FromRuntime(effect.RuntimeBits));
                state = state.Update(key, fact => fact.Clear(effect.MustClear).Add(set));
                if (effect.Ops is not null)
                {
                    owner.ops[invocation.Syntax] = effect.Ops;
                }
            }
        }

        /// <summary>The abstract value of a VmFlags (or integral) expression in <paramref name="state"/>.</summary>
        private FlagValue Evaluate(IOperation? operation, FlowState state, int depth = 0)
        {
            if (operation is null || depth > MaxEvaluationDepth)
            {
                return FlagValue.Unknown;
            }

            switch (operation)
            {
                case IFieldReferenceOperation field when field.Field.HasConstantValue:
                    return operation.ConstantBits() is { } constant ? owner.Table.Constant(operation.Syntax, constant) : FlagValue.Unknown;
                case IFieldReferenceOperation field when field.Field.IsReadOnly && Symbols.IsVmFlags(field.Type):
                    var initializer = owner.engine.Bodies.GetInitializer(field.Field, owner.cancellationToken);
                    return initializer is null
                        ? FlagValue.Unknown
                        : FlagValue.Join(Evaluate(initializer, FlowState.Initial, depth + 1), FlagValue.Unknown).ReattributeTo(owner.Table.Ordinal(operation.Syntax));
                case IPropertyReferenceOperation property when Symbols.Is(property.Property, Symbols.VmAreaFlags):
                    return ResolveVma(property.Instance) is { } key ? FlagValue.OfVma(key) : FlagValue.Unknown;
                case IPropertyReferenceOperation or IFieldReferenceOperation when Symbols.IsVmFlags(operation.Type):
                    return MemberOfInitializedLocal((IMemberReferenceOperation)operation, depth);
                case ILocalReferenceOperation local:
                    return Current(local.Local, state);
                case IParameterReferenceOperation parameter:
                    return Current(parameter.Parameter, state);
                case IBinaryOperation binary:
                    {
                        // a | b | c | … nests to the left: its spine is walked as a loop.
                        var spine = new Stack<IBinaryOperation>();
                        IOperation current = binary;
                        while (current is IBinaryOperation link && spine.Count < MaxChain)
                        {
                            spine.Push(link);
                            current = link.LeftOperand.WithoutConversions() ?? link.LeftOperand;
                        }

                        var value = Evaluate(current, state, depth + 1);
                        while (spine.Count > 0)
                        {
                            var link = spine.Pop();
                            value = Combine(link.OperatorKind, value, Evaluate(link.RightOperand, state, depth + 1));
                        }

                        return value;
                    }
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.BitwiseNegation } unary:
                    return Evaluate(unary.Operand, state, depth + 1).Complement();
                case IConversionOperation conversion when Symbols.IsVmFlags(conversion.Type) && !Symbols.IsVmFlags(conversion.Operand.Type):
                    // A number cast to VmFlags: the bits are whatever they mean in DriverKit's enum today.
                    return operation.ConstantBits() is { } bits ? owner.Table.Constant(operation.Syntax, bits) : FlagValue.Unknown;
                case IConversionOperation conversion:
                    return Evaluate(conversion.Operand, state, depth + 1);
                case IConditionalOperation conditional:
                    {
                        // c1 ? a1 : c2 ? a2 : … is walked along its else-chain, so a long chain costs no depth.
                        var joined = (FlagValue?)null;
                        IOperation? tail = conditional;
                        while (tail is IConditionalOperation link)
                        {
                            var arm = Evaluate(link.WhenTrue, state, depth + 1);
                            joined = joined is null ? arm : FlagValue.Join(joined, arm);
                            tail = link.WhenFalse;
                        }

                        return FlagValue.Join(joined!, Evaluate(tail, state, depth + 1));
                    }

                case ICoalesceOperation coalesce:
                    return FlagValue.Join(Evaluate(coalesce.Value, state, depth + 1), Evaluate(coalesce.WhenNull, state, depth + 1));
                case ISwitchExpressionOperation switchExpression:
                    return switchExpression.Arms.Aggregate(
                        (FlagValue?)null,
                        (joined, arm) => joined is null ? Evaluate(arm.Value, state, depth + 1) : FlagValue.Join(joined, Evaluate(arm.Value, state, depth + 1)))
                        ?? FlagValue.Unknown;
                case IInvocationOperation invocation when Symbols.IsVmFlags(invocation.Type) && Symbols.Classify(invocation.TargetMethod) == KernelApi.None:
                    var summary = owner.engine.Summaries.Get(invocation.TargetMethod, owner.policy, owner.stack, owner.cancellationToken, out var complete);
                    owner.Truncated |= !complete;
                    return summary.Return is { } returned
                        ? FlagValue.Join(returned, FlagValue.Unknown).ReattributeTo(owner.Table.Ordinal(operation.Syntax))
                        : FlagValue.Unknown;
                default:
                    return Symbols.IsVmFlags(operation.Type) && operation.ConstantBits() is { } folded
                        ? owner.Table.Constant(operation.Syntax, folded)
                        : FlagValue.Unknown;
            }
        }

        /// <summary><c>spec.Flags</c> where <c>spec</c> is a local initialized with <c>new T { Flags = … }</c>.</summary>
        private FlagValue MemberOfInitializedLocal(IMemberReferenceOperation reference, int depth)
        {
            if (reference.Instance.WithoutConversions() is not ILocalReferenceOperation local)
            {
                return FlagValue.Unknown;
            }

            foreach (var syntaxReference in local.Local.DeclaringSyntaxReferences)
            {
                var declarator = syntaxReference.GetSyntax(owner.cancellationToken);
                if (declarator.SyntaxTree != owner.model.SyntaxTree
                    || owner.model.GetOperation(declarator, owner.cancellationToken) is not IVariableDeclaratorOperation declaration)
                {
                    continue;
                }

                var value = (declaration.Initializer ?? (declaration.Parent as IVariableDeclarationOperation)?.Initializer)?.Value.WithoutConversions();
                if (value is IObjectCreationOperation { Initializer: { } initializer })
                {
                    foreach (var member in initializer.Initializers)
                    {
                        if (member is ISimpleAssignmentOperation { Target: IMemberReferenceOperation target } assignment
                            && SymbolEqualityComparer.Default.Equals(target.Member, reference.Member))
                        {
                            return FlagValue.Join(Evaluate(assignment.Value, FlowState.Initial, depth + 1), FlagValue.Unknown);
                        }
                    }
                }
            }

            return FlagValue.Unknown;
        }
    }
}
