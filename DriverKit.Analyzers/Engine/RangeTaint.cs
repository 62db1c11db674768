using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>The quantities user space chooses that decide what a driver maps (DK0014).</summary>
internal enum RangeInput
{
    /// <summary>The vma's offset into the device (vm_pgoff), from mmap's offset argument: anything below 2^52 pages.</summary>
    Offset,

    /// <summary>The vma's size (vm_end - vm_start, vma_pages), from mmap's length argument.</summary>
    Size,

    /// <summary>A fault's offset (vmf->pgoff) or address: the vma's offset plus where in the vma, which mremap can grow.</summary>
    FaultOffset,

    /// <summary>An ioctl's argument: any 64-bit value.</summary>
    IoctlArgument,
}

/// <summary>A sink reached by a user-chosen value that no check bounds.</summary>
internal sealed class UncheckedRange
{
    public UncheckedRange(IOperation value, string what, RangeInput input, string source, IOperation? wrappingCheck)
    {
        Value = value;
        What = what;
        Input = input;
        Source = source;
        WrappingCheck = wrappingCheck;
    }

    /// <summary>The sink's value: the pfn, size or page argument, the page a fault handler hands out, a page table's index.</summary>
    public IOperation Value { get; }

    /// <summary>What the value decides ("pfn", "size", "page", "page table index").</summary>
    public string What { get; }

    public RangeInput Input { get; }

    /// <summary>How the source reads in a message ("VmArea.Pgoff", "the loop bound 'vma.Pages'").</summary>
    public string Source { get; }

    /// <summary>A check of the input that would dominate the sink but can wrap around, when there is one.</summary>
    public IOperation? WrappingCheck { get; }
}

/// <summary>
/// DK0014's taint analysis, declared as data in the shape of roslyn-analyzers' TaintedDataAnalysis. <b>Sources</b>: the values of
/// <see cref="MemoryKind.UserControlled"/> provenance (the vma's pgoff and size, a fault's pgoff and address, an ioctl's argument),
/// and the bound of a loop whose cursor the sink uses. <b>Sinks</b>: <see cref="CallSinks"/>, the page stored into VmFault.Page
/// or returned by ->nopage, and the index of a table of pages. <b>Sanitizers</b>: a comparison of the input against something
/// user space does not choose that dominates the sink (a condition around it, or an earlier <c>if</c> that leaves the function) and
/// cannot wrap around; a clamp (<c>Math.Min</c>, whose result the value analysis does not trace to the input); a check in every
/// caller of the helper that holds the sink, or in a helper called before it; and the mapping helpers that validate for the
/// driver (vm_iomap_memory, vm_map_pages, remap_vmalloc_range), which are therefore not sinks.
/// </summary>
internal static class RangeTaint
{
    /// <summary>The mapping calls' arguments that decide what is mapped; one line per sink.</summary>
    public static readonly (KernelApi Api, int Argument, string What)[] CallSinks =
    {
        (KernelApi.RemapPfnRange, 2, "pfn"),
        (KernelApi.RemapPfnRange, 3, "size"),
        (KernelApi.IoRemapPfnRange, 2, "pfn"),
        (KernelApi.IoRemapPfnRange, 3, "size"),
        (KernelApi.VmfInsertPfn, 2, "pfn"),
        (KernelApi.VmfInsertMixed, 2, "pfn"),
        (KernelApi.VmInsertPage, 2, "page"),
    };

    /// <summary>How far the search for a check climbs from a helper to its callers.</summary>
    private const int MaxCallerDepth = 3;

    /// <summary>How deep the wrap-around test follows a value through locals and operators.</summary>
    private const int MaxWrapDepth = 8;

    /// <summary>The unchecked inputs that reach a sink's value, one per input.</summary>
    public static IReadOnlyList<UncheckedRange> Check(DriverKitEngine engine, ValueFlow flow, IOperation value, string what, CancellationToken cancellationToken)
    {
        var inputs = Inputs(engine, value, cancellationToken);
        var loops = LoopBounds(engine, flow, value, cancellationToken);
        if (inputs.Count == 0 && loops.Count == 0)
        {
            return Array.Empty<UncheckedRange>();
        }

        var excluded = new HashSet<IOperation>(loops.Select(loop => loop.Condition));
        var result = new List<UncheckedRange>();
        foreach (var group in inputs.Select(input => (input.Key, Source: input.Value))
            .Concat(loops.Select(loop => (Key: loop.Input, Source: $"the loop bound '{loop.Bound.Syntax}'")))
            .GroupBy(input => input.Key))
        {
            var (input, source) = group.First();
            IOperation? wrapping = null;
            if (!IsChecked(engine, value, input, excluded, 0, ref wrapping, cancellationToken))
            {
                result.Add(new UncheckedRange(value, what, input, source, wrapping));
            }
        }

        return result;
    }

    /// <summary>What the analysis of one compilation has found, kept while its engine lives: comparisons and helpers are asked
    /// about again for every sink of a function.</summary>
    private static readonly ConditionalWeakTable<DriverKitEngine, Memo> Memos = new();

    /// <summary>The user-chosen inputs a value derives from, with how each reads in a message.</summary>
    public static IReadOnlyDictionary<RangeInput, string> Inputs(DriverKitEngine engine, IOperation? value, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            return Memo.NoInputs;
        }

        return Memos.GetValue(engine, _ => new Memo()).Inputs.GetOrAdd((value.Syntax, value.Kind), _ => FindInputs(engine, value, cancellationToken));
    }

    private static IReadOnlyDictionary<RangeInput, string> FindInputs(DriverKitEngine engine, IOperation value, CancellationToken cancellationToken)
    {
        var inputs = new Dictionary<RangeInput, string>();
        foreach (var source in engine.Provenance.Of(value, MemoryProvenance.Bit(MemoryKind.UserControlled), cancellationToken))
        {
            if (InputOf(source.Atom) is { } input && !inputs.ContainsKey(input))
            {
                inputs.Add(input, input == RangeInput.IoctlArgument ? $"the ioctl argument '{source.Atom.Display}'" : source.Display);
            }
        }

        return inputs;
    }

    private static RangeInput? InputOf(OriginAtom atom) => atom.Symbol switch
    {
        IParameterSymbol => RangeInput.IoctlArgument,
        IPropertySymbol { ContainingType.Name: "VmFault" } => RangeInput.FaultOffset,
        IPropertySymbol { Name: "Pgoff" } => RangeInput.Offset,
        IPropertySymbol => RangeInput.Size,
        _ => null,
    };

    /// <summary>
    /// Loops whose cursor the value uses and whose condition compares the cursor with a user-chosen bound
    /// (<c>for (i = 0; i &lt; vma.Pages; i++) VmInsertPage(…, PfnToPage(first + i))</c>): the bound decides the value.
    /// A cursor is a local the condition compares or the loop's increment part changes (<c>addr += PageSize, pfn++</c>).
    /// </summary>
    private static List<(RangeInput Input, IOperation Bound, IOperation Condition)> LoopBounds(DriverKitEngine engine, ValueFlow flow, IOperation value, CancellationToken cancellationToken)
    {
        var result = new List<(RangeInput, IOperation, IOperation)>();
        if (!InLoop(value))
        {
            return result;
        }

        var used = LocalsUsedBy(flow, value);
        if (used.Count == 0)
        {
            return result;
        }

        for (var current = value.Parent; current is not null; current = current.Parent)
        {
            var loopCondition = current switch
            {
                IForLoopOperation forCondition => forCondition.Condition,
                IWhileLoopOperation whileCondition => whileCondition.Condition,
                _ => null,
            };
            if (loopCondition.WithoutConversions() is not IBinaryOperation condition || !IsRelational(condition.OperatorKind))
            {
                continue;
            }

            var cursors = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
            if (current is IForLoopOperation forLoop)
            {
                foreach (var step in forLoop.AtLoopBottom.SelectMany(operation => operation.DescendantsAndSelf()))
                {
                    if (step is IIncrementOrDecrementOperation { Target: ILocalReferenceOperation incremented })
                    {
                        cursors.Add(incremented.Local);
                    }
                    else if (step is IAssignmentOperation { Target: ILocalReferenceOperation assigned })
                    {
                        cursors.Add(assigned.Local);
                    }
                }
            }

            foreach (var (side, other) in new[] { (condition.LeftOperand, condition.RightOperand), (condition.RightOperand, condition.LeftOperand) })
            {
                if (side.WithoutConversions() is not ILocalReferenceOperation cursor)
                {
                    continue;
                }

                cursors.Add(cursor.Local);
                if (!Inputs(engine, side, cancellationToken).Any() && cursors.Overlaps(used))
                {
                    foreach (var input in Inputs(engine, other, cancellationToken).Keys)
                    {
                        result.Add((input, other, condition));
                    }
                }
            }
        }

        return result;
    }

    private static bool InLoop(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IForLoopOperation or IWhileLoopOperation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The locals a value reads, directly or through the definitions of the locals it reads (one level).</summary>
    private static HashSet<ILocalSymbol> LocalsUsedBy(ValueFlow flow, IOperation value)
    {
        var locals = new HashSet<ILocalSymbol>(SymbolEqualityComparer.Default);
        foreach (var reference in value.DescendantsAndSelf().OfType<ILocalReferenceOperation>())
        {
            locals.Add(reference.Local);
            foreach (var reaching in flow.ValuesReaching(reference))
            {
                foreach (var inner in reaching?.DescendantsAndSelf().OfType<ILocalReferenceOperation>() ?? Enumerable.Empty<ILocalReferenceOperation>())
                {
                    locals.Add(inner.Local);
                }
            }
        }

        return locals;
    }

    /// <summary>
    /// Whether a check of <paramref name="input"/> dominates <paramref name="sink"/>: in its function, in a helper called before
    /// it, or — for a helper — in every caller. <paramref name="wrapping"/> gets a check that would dominate but can wrap.
    /// </summary>
    private static bool IsChecked(DriverKitEngine engine, IOperation sink, RangeInput input, HashSet<IOperation> excluded, int depth, ref IOperation? wrapping, CancellationToken cancellationToken)
    {
        var function = Functions.EnclosingFunction(sink);
        if (function is null)
        {
            return false;
        }

        // Cheapest first: comparisons that name a source, then helpers called before the sink, then the comparisons of values
        // kept in locals (whose definitions must be computed).
        var parts = FunctionParts.Of(function);
        var comparisons = parts.Binaries
            .Where(binary => !excluded.Contains(binary) && Dominance.Decides(binary, sink))
            .ToList();
        var direct = comparisons.Where(parts.NamesASource).ToList();
        foreach (var comparison in direct)
        {
            if (Checks(engine, comparison, input, ref wrapping, cancellationToken))
            {
                return true;
            }
        }

        foreach (var call in parts.Calls)
        {
            if (call.Syntax.Span.End <= sink.Syntax.SpanStart && Functions.EnclosingFunction(call) == function
                && call.TargetMethod.Locations.Any(location => location.IsInSource)
                && PassesInput(engine, call, input, cancellationToken)
                && HelperChecks(engine, call.TargetMethod, input, cancellationToken))
            {
                return true;
            }
        }

        foreach (var comparison in comparisons.Except(direct))
        {
            if (Checks(engine, comparison, input, ref wrapping, cancellationToken))
            {
                return true;
            }
        }

        // A helper's sink is checked when every call of the helper is.
        if (depth >= MaxCallerDepth || Functions.SymbolOf(function) is not { MethodKind: MethodKind.Ordinary or MethodKind.LocalFunction } method
            || engine.Model.RoleOf(method, null, cancellationToken) is not null)
        {
            return false;
        }

        var any = false;
        foreach (var (_, invocation) in engine.Values.CallsOf(method, cancellationToken))
        {
            any = true;
            if (!IsChecked(engine, invocation, input, excluded, depth + 1, ref wrapping, cancellationToken))
            {
                return false;
            }
        }

        return any;
    }

    /// <summary>Whether a comparison spells a source (a vma's or fault's offset or size member) in one of its operands.</summary>
    private static bool NamesASource(IBinaryOperation comparison) =>
        comparison.Descendants().Any(operation => operation is IPropertyReferenceOperation reference && MemoryProvenance.IsUserChosenMember(reference.Property));

    /// <summary>Whether a call hands a helper what it needs to check the input: the vma or fault, or a value carrying the input.</summary>
    private static bool PassesInput(DriverKitEngine engine, IInvocationOperation call, RangeInput input, CancellationToken cancellationToken) =>
        call.Arguments.Any(argument => engine.Symbols.IsVmArea(argument.Value.Type) || engine.Symbols.IsVmFault(argument.Value.Type)
            || (argument.Value.Type?.SpecialType is not SpecialType.None && Inputs(engine, argument.Value, cancellationToken).ContainsKey(input)));

    /// <summary>Whether a helper's body compares the input with a bound anywhere (it validates for its caller), once per helper and input.</summary>
    private static bool HelperChecks(DriverKitEngine engine, IMethodSymbol helper, RangeInput input, CancellationToken cancellationToken) =>
        Memos.GetValue(engine, _ => new Memo()).HelperChecks.GetOrAdd((helper.OriginalDefinition, input), key =>
        {
            IOperation? ignored = null;
            return engine.Bodies.Get(key.Helper, cancellationToken) is { } body
                && FunctionParts.Of(body.Code).Binaries.Any(binary => Dominance.ConditionHolding(binary) is not null && Checks(engine, binary, input, ref ignored, cancellationToken));
        });

    /// <summary>
    /// The comparisons and calls of a function's code, listed once: every sink of a function, for every input, asks which
    /// comparisons decide it and which helpers run before it.
    /// </summary>
    private sealed class FunctionParts
    {
        private static readonly ConditionalWeakTable<IOperation, FunctionParts> Listed = new();

        private FunctionParts(IOperation function)
        {
            foreach (var operation in function.Descendants())
            {
                switch (operation)
                {
                    case IBinaryOperation binary:
                        Binaries.Add(binary);
                        break;
                    case IInvocationOperation call:
                        Calls.Add(call);
                        break;
                }
            }
        }

        /// <summary>The binary operations, in the order of a walk of the code.</summary>
        public List<IBinaryOperation> Binaries { get; } = new();

        /// <summary>The invocations, in the same order.</summary>
        public List<IInvocationOperation> Calls { get; } = new();

        private HashSet<IBinaryOperation>? naming;

        /// <summary><see cref="RangeTaint.NamesASource"/>, judged once per comparison.</summary>
        public bool NamesASource(IBinaryOperation comparison)
        {
            var known = Volatile.Read(ref naming);
            if (known is null)
            {
                known = new HashSet<IBinaryOperation>(Binaries.Where(RangeTaint.NamesASource));
                Volatile.Write(ref naming, known);
            }

            return known.Contains(comparison);
        }

        public static FunctionParts Of(IOperation function) => Listed.GetValue(function, key => new FunctionParts(key));
    }

    private sealed class Memo
    {
        public static readonly IReadOnlyDictionary<RangeInput, string> NoInputs = new Dictionary<RangeInput, string>();

        public ConcurrentDictionary<(SyntaxNode, OperationKind), IReadOnlyDictionary<RangeInput, string>> Inputs { get; } = new();

        public ConcurrentDictionary<(IMethodSymbol Helper, RangeInput Input), bool> HelperChecks { get; } = new();
    }

    /// <summary>
    /// Whether a comparison compares the input (on one side, not wrapping around) with something that is not that input. A
    /// comparison whose input side can wrap is remembered in <paramref name="wrapping"/> and does not count.
    /// </summary>
    private static bool Checks(DriverKitEngine engine, IBinaryOperation comparison, RangeInput input, ref IOperation? wrapping, CancellationToken cancellationToken)
    {
        if (!IsRelational(comparison.OperatorKind) && comparison.OperatorKind is not (BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals))
        {
            return false;
        }

        var left = Inputs(engine, comparison.LeftOperand, cancellationToken).ContainsKey(input);
        var right = Inputs(engine, comparison.RightOperand, cancellationToken).ContainsKey(input);
        if (left == right)
        {
            return false;
        }

        if (Wraps(engine, left ? comparison.LeftOperand : comparison.RightOperand, 0, cancellationToken))
        {
            wrapping ??= comparison;
            return false;
        }

        return true;
    }

    private static bool IsRelational(BinaryOperatorKind kind) => kind is BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
        or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual;

    /// <summary>
    /// Whether a compared value can wrap around: a sum with a byte-scaled offset (<c>(pgoff &lt;&lt; PAGE_SHIFT) + len</c>, whose
    /// first term can be within a page of 2^64) or with an ioctl argument, or an offset scaled into a type that cannot hold it
    /// (a signed or 32-bit shift). Followed through locals' definitions.
    /// </summary>
    private static bool Wraps(DriverKitEngine engine, IOperation? operation, int depth, CancellationToken cancellationToken)
    {
        operation = operation.WithoutConversions();
        if (operation is null || depth > MaxWrapDepth)
        {
            return false;
        }

        switch (operation)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum:
                return IsWide(engine, sum.LeftOperand, depth + 1, cancellationToken) || IsWide(engine, sum.RightOperand, depth + 1, cancellationToken)
                    || Wraps(engine, sum.LeftOperand, depth + 1, cancellationToken) || Wraps(engine, sum.RightOperand, depth + 1, cancellationToken);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.LeftShift or BinaryOperatorKind.Multiply } scaled:
                return (scaled.Type?.SpecialType != SpecialType.System_UInt64 && HasWideInput(engine, scaled, cancellationToken))
                    || Wraps(engine, scaled.LeftOperand, depth + 1, cancellationToken) || Wraps(engine, scaled.RightOperand, depth + 1, cancellationToken);
            case IBinaryOperation other:
                return Wraps(engine, other.LeftOperand, depth + 1, cancellationToken) || Wraps(engine, other.RightOperand, depth + 1, cancellationToken);
            case ILocalReferenceOperation local:
                return engine.Values.FlowOf(local.Root(), cancellationToken).ValuesReaching(local).Any(value => Wraps(engine, value, depth + 1, cancellationToken));
            default:
                return false;
        }
    }

    /// <summary>A value near 2^64 is possible: a byte-scaled offset, or an ioctl argument as it came.</summary>
    private static bool IsWide(DriverKitEngine engine, IOperation? operation, int depth, CancellationToken cancellationToken)
    {
        operation = operation.WithoutConversions();
        if (operation is null || depth > MaxWrapDepth)
        {
            return false;
        }

        switch (operation)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.LeftShift or BinaryOperatorKind.Multiply } scaled:
                return HasWideInput(engine, scaled, cancellationToken);
            case IParameterReferenceOperation:
                return Inputs(engine, operation, cancellationToken).ContainsKey(RangeInput.IoctlArgument);
            case ILocalReferenceOperation local:
                return engine.Values.FlowOf(local.Root(), cancellationToken).ValuesReaching(local).Any(value => IsWide(engine, value, depth + 1, cancellationToken));
            default:
                return false;
        }
    }

    private static bool HasWideInput(DriverKitEngine engine, IOperation operation, CancellationToken cancellationToken)
    {
        var inputs = Inputs(engine, operation, cancellationToken);
        return inputs.ContainsKey(RangeInput.Offset) || inputs.ContainsKey(RangeInput.FaultOffset) || inputs.ContainsKey(RangeInput.IoctlArgument);
    }
}
