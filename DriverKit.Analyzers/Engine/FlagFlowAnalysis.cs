using System.Collections.Immutable;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.FlowAnalysis;
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
    public static readonly FlagFlowResult Empty = new(ImmutableArray<ExitFact>.Empty, ImmutableDictionary<SyntaxNode, OpsInfo>.Empty);

    public FlagFlowResult(ImmutableArray<ExitFact> exitFacts, ImmutableDictionary<SyntaxNode, OpsInfo> ops)
    {
        ExitFacts = exitFacts;
        Ops = ops;
    }

    /// <summary>Per function and VMA, the facts at its exit.</summary>
    public ImmutableArray<ExitFact> ExitFacts { get; }

    /// <summary>The vm_ops assignments (or helper calls making them) whose handlers hand out RAM pages.</summary>
    public ImmutableDictionary<SyntaxNode, OpsInfo> Ops { get; }
}

/// <summary>
/// Abstract interpretation of VMA flags over a control-flow graph. Per VMA (parameter, local, field, <c>vmf.Vma</c>) it
/// tracks the bits the analyzed code may have set — folded from enum members, constants, <c>using static</c> names,
/// numeric casts, locals, readonly fields and object initializers, through <c>|</c>, <c>&amp; ~</c>, <c>VmFlagsSet</c>,
/// <c>VmFlagsClear</c>, the runtime's remap functions (which set the era's flags) and summaries of helper methods —
/// as a small set of path classes joined at merges, so a combination is reported when some path reaches it.
/// </summary>
internal sealed class FlagFlowAnalysis
{
    /// <summary>Iterations per block before the analysis gives up on a graph (never reached by ordinary code).</summary>
    private const int MaxVisitsPerBlock = 64;

    private readonly DriverKitEngine engine;
    private readonly DriverKitSymbols symbols;
    private readonly EraPolicy policy;
    private readonly SemanticModel model;
    private readonly ImmutableStack<IMethodSymbol> stack;
    private readonly CancellationToken cancellationToken;
    private readonly ImmutableDictionary<SyntaxNode, OpsInfo>.Builder ops = ImmutableDictionary.CreateBuilder<SyntaxNode, OpsInfo>();

    public FlagFlowAnalysis(DriverKitEngine engine, EraPolicy policy, SemanticModel model, ImmutableStack<IMethodSymbol> stack, CancellationToken cancellationToken)
    {
        this.engine = engine;
        symbols = engine.Symbols;
        this.policy = policy;
        this.model = model;
        this.stack = stack;
        this.cancellationToken = cancellationToken;
    }

    /// <summary>Set when a helper summary could not be computed in full (recursion, depth); results are then not cached.</summary>
    public bool Truncated { get; private set; }

    public ImmutableDictionary<SyntaxNode, OpsInfo> Ops => ops.ToImmutable();

    /// <summary>Analyzes a graph and every lambda and local function in it; returns the exit facts of all of them.</summary>
    public ImmutableArray<ExitFact> AnalyzeAll(ControlFlowGraph graph, IMethodSymbol? function)
    {
        var facts = ImmutableArray.CreateBuilder<ExitFact>();
        var pending = new Stack<(ControlFlowGraph Graph, IMethodSymbol? Function, SyntaxNode? Lambda)>();
        pending.Push((graph, function, null));
        while (pending.Count > 0)
        {
            var (current, currentFunction, lambdaSyntax) = pending.Pop();
            var unit = new Unit(this, current);
            unit.Run();
            facts.AddRange(unit.ExitFacts(currentFunction, lambdaSyntax));
            foreach (var localFunction in current.LocalFunctions)
            {
                pending.Push((current.GetLocalFunctionControlFlowGraph(localFunction, cancellationToken), localFunction, null));
            }

            foreach (var lambda in unit.Lambdas)
            {
                pending.Push((current.GetAnonymousFunctionControlFlowGraph(lambda, cancellationToken), lambda.Symbol, lambda.Syntax));
            }
        }

        return facts.ToImmutable();
    }

    /// <summary>Analyzes one graph only (a helper being summarized); returns its exit state and return value.</summary>
    public (FlowState? Exit, FlagValue? Return) AnalyzeOne(ControlFlowGraph graph)
    {
        var unit = new Unit(this, graph);
        unit.Run();
        return (unit.ExitState, unit.ReturnValue);
    }

    /// <summary>The analysis of one control-flow graph.</summary>
    private sealed class Unit
    {
        private readonly FlagFlowAnalysis owner;
        private readonly ControlFlowGraph graph;
        private readonly Dictionary<ISymbol, VmaKey?> aliases = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<CaptureId, VmaKey?> vmaCaptures = new();
        private readonly Dictionary<CaptureId, VmaKey?> flagsTargetCaptures = new();
        private readonly Dictionary<CaptureId, VmaKey?> opsTargetCaptures = new();
        private readonly Dictionary<int, List<int>> handlerEntries = new();
        private readonly FlowState?[] inStates;

        public Unit(FlagFlowAnalysis owner, ControlFlowGraph graph)
        {
            this.owner = owner;
            this.graph = graph;
            inStates = new FlowState?[graph.Blocks.Length];
        }

        /// <summary>The lambdas met in reachable blocks, each once (blocks are visited again until the fixed point).</summary>
        public List<IFlowAnonymousFunctionOperation> Lambdas { get; } = new();

        private readonly HashSet<IFlowAnonymousFunctionOperation> seenLambdas = new();

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
                foreach (var fact in pair.Value)
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
            Prepare();
            var blocks = graph.Blocks;
            var visits = new int[blocks.Length];
            var queue = new Queue<int>();
            var queued = new bool[blocks.Length];
            inStates[0] = FlowState.Initial;
            queue.Enqueue(0);
            queued[0] = true;
            var exit = blocks.Length - 1;
            while (queue.Count > 0)
            {
                owner.cancellationToken.ThrowIfCancellationRequested();
                var ordinal = queue.Dequeue();
                queued[ordinal] = false;
                if (++visits[ordinal] > MaxVisitsPerBlock)
                {
                    continue;
                }

                var block = blocks[ordinal];
                var state = inStates[ordinal] ?? FlowState.Initial;
                foreach (var operation in block.Operations)
                {
                    Process(operation, ref state);
                }

                if (block.BranchValue is { } branchValue)
                {
                    Process(branchValue, ref state);
                    if (block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return && Symbols.IsVmFlags(branchValue.Type))
                    {
                        var value = Evaluate(branchValue, state);
                        ReturnValue = ReturnValue is null ? value : FlagValue.Join(ReturnValue, value);
                    }
                }

                Propagate(block.ConditionalSuccessor, state, exit, queue, queued);
                Propagate(block.FallThroughSuccessor, state, exit, queue, queued);
                if (handlerEntries.TryGetValue(ordinal, out var handlers))
                {
                    foreach (var handler in handlers)
                    {
                        Flow(handler, state, queue, queued);
                    }
                }
            }

            ExitState = inStates[exit];
        }

        private void Propagate(ControlFlowBranch? branch, FlowState state, int exit, Queue<int> queue, bool[] queued)
        {
            if (branch is null)
            {
                return;
            }

            if (branch.Destination is { } destination)
            {
                Flow(destination.Ordinal, state, queue, queued);
            }
            else if (branch.Semantics == ControlFlowBranchSemantics.StructuredExceptionHandling)
            {
                // The end of a finally block: its effects are merged into the exit, an over-approximation of "after the try".
                Flow(exit, state, queue, queued);
            }
        }

        private void Flow(int ordinal, FlowState state, Queue<int> queue, bool[] queued)
        {
            var current = inStates[ordinal];
            var joined = current is null ? state : FlowState.Join(current, state);
            if (current is not null && current.SameAs(joined))
            {
                return;
            }

            inStates[ordinal] = joined;
            if (!queued[ordinal])
            {
                queued[ordinal] = true;
                queue.Enqueue(ordinal);
            }
        }

        /// <summary>Finds VMA aliases (locals and captures holding a VMA) and where exception handlers start.</summary>
        private void Prepare()
        {
            foreach (var block in graph.Blocks)
            {
                foreach (var root in block.Operations.Concat(block.BranchValue is null ? Enumerable.Empty<IOperation>() : new[] { block.BranchValue }))
                {
                    foreach (var operation in root.DescendantsAndSelf())
                    {
                        switch (operation)
                        {
                            case IFlowCaptureOperation capture when Symbols.IsVmArea(capture.Value.Type):
                                Record(vmaCaptures, capture.Id, capture.Value);
                                break;
                            case IFlowCaptureOperation { Value: IPropertyReferenceOperation property } capture
                                when Symbols.Is(property.Property, Symbols.VmAreaFlags):
                                // The target of `vma.Flags |= c ? A : B` is captured before the branches.
                                Record(flagsTargetCaptures, capture.Id, property.Instance);
                                break;
                            case IFlowCaptureOperation { Value: IPropertyReferenceOperation property } capture
                                when Symbols.Is(property.Property, Symbols.VmAreaOps):
                                // The target of `vma.Ops = new VmOperations { … }` is captured before the initializer runs.
                                Record(opsTargetCaptures, capture.Id, property.Instance);
                                break;
                            case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when Symbols.IsVmArea(local.Type):
                                Record(aliases, local.Local, assignment.Value);
                                break;
                        }
                    }
                }
            }

            foreach (var region in AllRegions(graph.Root))
            {
                if (region.Kind is not (ControlFlowRegionKind.TryAndCatch or ControlFlowRegionKind.TryAndFinally) || region.NestedRegions.Length < 2)
                {
                    continue;
                }

                var tryRegion = region.NestedRegions[0];
                for (var h = 1; h < region.NestedRegions.Length; h++)
                {
                    var entry = region.NestedRegions[h].FirstBlockOrdinal;
                    for (var b = tryRegion.FirstBlockOrdinal; b <= tryRegion.LastBlockOrdinal; b++)
                    {
                        if (!handlerEntries.TryGetValue(b, out var list))
                        {
                            handlerEntries[b] = list = new List<int>();
                        }

                        list.Add(entry);
                    }
                }
            }
        }

        private void Record<TKey>(Dictionary<TKey, VmaKey?> map, TKey key, IOperation? value)
            where TKey : notnull
        {
            var resolved = ResolveVma(value);
            if (map.TryGetValue(key, out var existing))
            {
                if (!Nullable.Equals(existing, resolved))
                {
                    map[key] = null;
                }
            }
            else
            {
                map[key] = resolved;
            }
        }

        private static IEnumerable<ControlFlowRegion> AllRegions(ControlFlowRegion root)
        {
            yield return root;
            foreach (var nested in root.NestedRegions)
            {
                foreach (var region in AllRegions(nested))
                {
                    yield return region;
                }
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
                case IFlowCaptureReferenceOperation capture:
                    return vmaCaptures.TryGetValue(capture.Id, out var key) ? key : null;
                default:
                    return null;
            }
        }

        private void Process(IOperation operation, ref FlowState state)
        {
            switch (operation)
            {
                case IFlowAnonymousFunctionOperation lambda:
                    if (seenLambdas.Add(lambda))
                    {
                        Lambdas.Add(lambda);
                    }

                    return;
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return;
                case ISimpleAssignmentOperation assignment:
                    ProcessTarget(assignment.Target, ref state);
                    Process(assignment.Value, ref state);
                    Assign(assignment, ref state);
                    return;
                case ICompoundAssignmentOperation compound:
                    ProcessTarget(compound.Target, ref state);
                    Process(compound.Value, ref state);
                    CompoundAssign(compound, ref state);
                    return;
                case IFlowCaptureOperation capture:
                    Process(capture.Value, ref state);
                    if (Symbols.IsVmFlags(capture.Value.Type) || capture.Value.Type.IsIntegral())
                    {
                        state = state.WithCapture(capture.Id, Evaluate(capture.Value, state));
                    }

                    return;
                case IInvocationOperation invocation:
                    if (invocation.Instance is { } instance)
                    {
                        Process(instance, ref state);
                    }

                    foreach (var argument in invocation.Arguments)
                    {
                        Process(argument.Value, ref state);
                    }

                    Invoke(invocation, ref state);
                    return;
                default:
                    foreach (var child in operation.ChildOperations)
                    {
                        Process(child, ref state);
                    }

                    return;
            }
        }

        private void ProcessTarget(IOperation target, ref FlowState state)
        {
            if (target is IMemberReferenceOperation { Instance: { } instance })
            {
                Process(instance, ref state);
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
                                ? fact.Clear(~value.BaseKeep & PseudoBits.FlagMask).Add(value.Bits, value.SourceMap)
                                : fact.Clear(PseudoBits.FlagMask).Add(value.Bits, value.SourceMap));
                        }
                    }

                    break;
                case var target when OpsTarget(target) is { } opsKey:
                    {
                        var original = owner.model.GetOperation(assignment.Syntax, owner.cancellationToken) as ISimpleAssignmentOperation;
                        var info = owner.engine.Ops.Resolve(original?.Value ?? assignment.Value, owner.cancellationToken);
                        if (info is not null)
                        {
                            owner.ops[assignment.Syntax] = info;
                            var source = Sources.Empty.Add(new SourceKey(assignment.Syntax, runtime: false), PseudoBits.RamFaultOps);
                            state = state.Update(opsKey, fact => fact.Add(PseudoBits.RamFaultOps, source));
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
                                state.Update(key, fact => fact.Add(value.Bits, value.SourceMap)),
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

        /// <summary>The VMA whose flags an assignment target denotes: <c>vma.Flags</c>, or a capture of it.</summary>
        private VmaKey? FlagsTarget(IOperation target) => target switch
        {
            IPropertyReferenceOperation property when Symbols.Is(property.Property, Symbols.VmAreaFlags) => ResolveVma(property.Instance),
            IFlowCaptureReferenceOperation capture => flagsTargetCaptures.TryGetValue(capture.Id, out var key) ? key : null,
            _ => null,
        };

        /// <summary>The VMA whose vm_ops an assignment target denotes: <c>vma.Ops</c>, or a capture of it.</summary>
        private VmaKey? OpsTarget(IOperation target) => target switch
        {
            IPropertyReferenceOperation property when Symbols.Is(property.Property, Symbols.VmAreaOps) => ResolveVma(property.Instance),
            IFlowCaptureReferenceOperation capture => opsTargetCaptures.TryGetValue(capture.Id, out var key) ? key : null,
            _ => null,
        };

        private static FlagValue Current(ISymbol symbol, FlowState state) =>
            state.Locals.TryGetValue(symbol, out var value) ? value : FlagValue.Unknown;

        private static FlagValue Combine(BinaryOperatorKind kind, FlagValue left, FlagValue right) => kind switch
        {
            BinaryOperatorKind.Or => FlagValue.Or(left, right),
            BinaryOperatorKind.And => FlagValue.And(left, right),
            BinaryOperatorKind.ExclusiveOr or BinaryOperatorKind.Add => FlagValue.Join(FlagValue.Or(left, right), FlagValue.Unknown),
            _ => FlagValue.Unknown,
        };

        private void Invoke(IInvocationOperation invocation, ref FlowState state)
        {
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
                            state = state.Update(key, fact => fact.Add(value.Bits, value.SourceMap));
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
                    SetRuntimeFlags(invocation, (ulong)owner.policy.VmInsertPageSetsFlag, ref state);
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
                var sources = Sources.Empty.Add(new SourceKey(invocation.Syntax, runtime: true), bits);
                state = state.Update(key, fact => fact.Add(bits, sources));
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

                var driver = Sources.Empty.Add(new SourceKey(invocation.Syntax, runtime: false), effect.DriverBits);
                var runtime = Sources.Empty.Add(new SourceKey(invocation.Syntax, runtime: true), effect.RuntimeBits);
                state = state.Update(key, fact => fact.Clear(effect.MustClear).Add(effect.DriverBits, driver).Add(effect.RuntimeBits, runtime));
                if (effect.Ops is not null)
                {
                    owner.ops[invocation.Syntax] = effect.Ops;
                }
            }
        }

        /// <summary>The abstract value of a VmFlags (or integral) expression in <paramref name="state"/>.</summary>
        private FlagValue Evaluate(IOperation? operation, FlowState state, int depth = 0)
        {
            if (operation is null || depth > 16)
            {
                return FlagValue.Unknown;
            }

            switch (operation)
            {
                case IFieldReferenceOperation field when field.Field.HasConstantValue:
                    return operation.ConstantBits() is { } constant ? FlagValue.Constant(constant, operation.Syntax) : FlagValue.Unknown;
                case IFieldReferenceOperation field when field.Field.IsReadOnly && Symbols.IsVmFlags(field.Type):
                    var initializer = owner.engine.Bodies.GetInitializer(field.Field, owner.cancellationToken);
                    return initializer is null
                        ? FlagValue.Unknown
                        : FlagValue.Join(Evaluate(initializer, FlowState.Initial, depth + 1), FlagValue.Unknown).ReattributeTo(operation.Syntax);
                case IPropertyReferenceOperation property when Symbols.Is(property.Property, Symbols.VmAreaFlags):
                    return ResolveVma(property.Instance) is { } key ? FlagValue.OfVma(key) : FlagValue.Unknown;
                case IPropertyReferenceOperation or IFieldReferenceOperation when Symbols.IsVmFlags(operation.Type):
                    return MemberOfInitializedLocal((IMemberReferenceOperation)operation, depth);
                case ILocalReferenceOperation local:
                    return Current(local.Local, state);
                case IParameterReferenceOperation parameter:
                    return Current(parameter.Parameter, state);
                case IFlowCaptureReferenceOperation capture:
                    return state.Captures.TryGetValue(capture.Id, out var captured) ? captured : FlagValue.Unknown;
                case IBinaryOperation binary:
                    var left = Evaluate(binary.LeftOperand, state, depth + 1);
                    var right = Evaluate(binary.RightOperand, state, depth + 1);
                    return binary.OperatorKind switch
                    {
                        BinaryOperatorKind.Or => FlagValue.Or(left, right),
                        BinaryOperatorKind.And => FlagValue.And(left, right),
                        BinaryOperatorKind.ExclusiveOr or BinaryOperatorKind.Add => FlagValue.Join(FlagValue.Or(left, right), FlagValue.Unknown),
                        _ => FlagValue.Unknown,
                    };
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.BitwiseNegation } unary:
                    return Evaluate(unary.Operand, state, depth + 1).Complement();
                case IConversionOperation conversion when Symbols.IsVmFlags(conversion.Type) && !Symbols.IsVmFlags(conversion.Operand.Type):
                    // A number cast to VmFlags: the bits are whatever they mean in DriverKit's enum today.
                    return operation.ConstantBits() is { } bits ? FlagValue.Constant(bits, operation.Syntax) : FlagValue.Unknown;
                case IConversionOperation conversion:
                    return Evaluate(conversion.Operand, state, depth + 1);
                case IConditionalOperation conditional:
                    return FlagValue.Join(Evaluate(conditional.WhenTrue, state, depth + 1), Evaluate(conditional.WhenFalse, state, depth + 1));
                case IInvocationOperation invocation when Symbols.IsVmFlags(invocation.Type) && Symbols.Classify(invocation.TargetMethod) == KernelApi.None:
                    var summary = owner.engine.Summaries.Get(invocation.TargetMethod, owner.policy, owner.stack, owner.cancellationToken, out var complete);
                    owner.Truncated |= !complete;
                    return summary.Return is { } returned
                        ? FlagValue.Join(returned, FlagValue.Unknown).ReattributeTo(operation.Syntax)
                        : FlagValue.Unknown;
                default:
                    return Symbols.IsVmFlags(operation.Type) && operation.ConstantBits() is { } folded
                        ? FlagValue.Constant(folded, operation.Syntax)
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
