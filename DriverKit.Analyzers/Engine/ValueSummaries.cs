using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The compilation-wide half of the value analysis: one <see cref="ValueFlow"/> per code root, and what crosses roots —
/// what a helper returns or stores into an out parameter, what is stored into a field or property anywhere
/// (<c>info.ScreenBase = dev.Vidmem</c>), what callers pass to a helper's parameter, and which memory a helper hands to a
/// given runtime function (a teardown helper's <c>UnlockPage</c>). Two values denote the same buffer when the closures of
/// their origins share a storage, allocation, parameter or local (<see cref="Overlap"/>). Code is found by the text search
/// (<see cref="SourceWords"/>) and bound only where a name is spelt.
/// </summary>
internal sealed class ValueSummaries
{
    /// <summary>Atoms a closure collects before it stops growing.</summary>
    private const int MaxClosure = 256;

    /// <summary>Levels of helpers followed when asking what a method hands to a runtime function.</summary>
    private const int MaxHelperDepth = 4;

    private readonly DriverKitEngine engine;
    private readonly ConcurrentDictionary<SyntaxNode, Lazy<ValueFlow>> flows = new();
    private readonly ConcurrentDictionary<ISymbol, ValueOrigin> returns = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, ValueOrigin> outStores = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, ImmutableArray<OriginAtom>> expansions = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<(ISymbol Method, KernelApi Api), ValueOrigin> passed = new();
    private readonly ConditionalWeakTable<ValueOrigin, HashSet<OriginAtom>> closures = new();
    private readonly ConcurrentDictionary<OriginAtom, HashSet<OriginAtom>> atomClosures = new();
    private readonly ConcurrentDictionary<(string Name, ISymbol? Scope), Lazy<NameIndex>> names = new(NameScopeComparer.Instance);

    /// <summary>Where each name is spelt, found once for all the scopes of the name.</summary>
    private readonly ConcurrentDictionary<string, WordOccurrences> wordsByName = new(StringComparer.Ordinal);

    public ValueSummaries(DriverKitEngine engine) => this.engine = engine;

    /// <summary>The value analysis of the code root <paramref name="operation"/> belongs to, computed once.</summary>
    public ValueFlow FlowOf(IOperation operation, CancellationToken cancellationToken)
    {
        var root = operation.Root();
        while (true)
        {
            var flow = flows.GetOrAdd(root.Syntax, _ => new Lazy<ValueFlow>(() => new ValueFlow(engine, root, cancellationToken), LazyThreadSafetyMode.ExecutionAndPublication));
            try
            {
                return flow.Value;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ((ICollection<KeyValuePair<SyntaxNode, Lazy<ValueFlow>>>)flows).Remove(new(root.Syntax, flow));
            }
        }
    }

    /// <summary>Where the value of <paramref name="operation"/> may come from.</summary>
    public ValueOrigin OriginOf(IOperation? operation, CancellationToken cancellationToken) =>
        operation is null ? ValueOrigin.None : FlowOf(operation, cancellationToken).Of(operation, cancellationToken);

    /// <summary>
    /// Whether two values may denote the same buffer: the closures of their origins (storage followed to what is stored
    /// into it, helper parameters to what callers pass) share an atom.
    /// </summary>
    public bool Overlap(ValueOrigin a, ValueOrigin b, CancellationToken cancellationToken)
    {
        if (a.Atoms.IsEmpty || b.Atoms.IsEmpty)
        {
            return false;
        }

        var left = (HashSet<OriginAtom>)Closure(a, cancellationToken);
        foreach (var atom in Closure(b, cancellationToken))
        {
            if (left.Contains(atom))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The atoms of an origin and everything they stand for: a field or property with the origins of every value stored into
    /// it, a helper's parameter with what its callers pass. The closure of one atom is computed once and shared by every
    /// origin of that atom alone (a thousand reads of one field share one set); the closure of an origin of several atoms
    /// is the union of theirs, kept while the origin lives. The result must not be changed.
    /// </summary>
    public IReadOnlyCollection<OriginAtom> Closure(ValueOrigin origin, CancellationToken cancellationToken)
    {
        if (origin.Atoms.Length == 1)
        {
            return ClosureOf(origin.Atoms[0], cancellationToken);
        }

        return closures.GetValue(origin, key =>
        {
            var union = new HashSet<OriginAtom>();
            foreach (var atom in key.Atoms)
            {
                union.UnionWith(ClosureOf(atom, cancellationToken));
            }

            return union;
        });
    }

    private HashSet<OriginAtom> ClosureOf(OriginAtom start, CancellationToken cancellationToken)
    {
        if (atomClosures.TryGetValue(start, out var known))
        {
            return known;
        }

        var closure = new HashSet<OriginAtom>();
        var work = new Queue<OriginAtom>();
        work.Enqueue(start);
        while (work.Count > 0 && closure.Count < MaxClosure)
        {
            var atom = work.Dequeue();
            if (!closure.Add(atom) || atom.Symbol is not { } symbol || atom.Kind is not (OriginKind.Storage or OriginKind.Parameter))
            {
                continue;
            }

            foreach (var more in Expansion(symbol, cancellationToken))
            {
                if (!closure.Contains(more))
                {
                    work.Enqueue(more);
                }
            }
        }

        return atomClosures.GetOrAdd(start, closure);
    }

    /// <summary>What a helper returns, in terms of its own parameters; computed once per method when no cycle cut it.</summary>
    internal ValueOrigin ReturnOrigin(IMethodSymbol method, ValueFlow.ValueContext context)
    {
        method = method.OriginalDefinition;
        return Summarize(returns, method, method, context, operation => operation is IReturnOperation { ReturnedValue: { } value } ? value : null);
    }

    /// <summary>What a helper stores into its out or ref parameter, in terms of its own parameters.</summary>
    internal ValueOrigin StoredInParameter(IParameterSymbol parameter, ValueFlow.ValueContext context)
    {
        parameter = parameter.OriginalDefinition;
        return parameter.ContainingSymbol is IMethodSymbol method
            ? Summarize(outStores, parameter, method, context, operation =>
                operation is ISimpleAssignmentOperation { Target: IParameterReferenceOperation target } assignment
                    && SymbolEqualityComparer.Default.Equals(target.Parameter.OriginalDefinition, parameter)
                    ? assignment.Value
                    : null)
            : ValueOrigin.None;
    }

    /// <summary>
    /// The union of the origins of the values <paramref name="valueOf"/> picks from the operations of a method's own code (not
    /// its lambdas'), remembered under <paramref name="key"/> when no cycle cut it; none while the key is being computed.
    /// </summary>
    private ValueOrigin Summarize(
        ConcurrentDictionary<ISymbol, ValueOrigin> cache, ISymbol key, IMethodSymbol method, ValueFlow.ValueContext context, Func<IOperation, IOperation?> valueOf)
    {
        if (cache.TryGetValue(key, out var known))
        {
            return known;
        }

        if (engine.Bodies.Get(method, context.CancellationToken) is not { } body || !context.InProgress.Add(key))
        {
            return ValueOrigin.None;
        }

        var cutsBefore = context.Cuts;
        try
        {
            var flow = FlowOf(body.Operation, context.CancellationToken);
            var result = ValueOrigin.None;
            foreach (var operation in body.Code.OperationsWithinFunction())
            {
                if (valueOf(operation) is { } value)
                {
                    result = ValueOrigin.Union(result, flow.Of(value, context));
                }
            }

            if (context.Cuts == cutsBefore)
            {
                cache.TryAdd(key, result);
            }

            return result;
        }
        finally
        {
            context.InProgress.Remove(key);
        }
    }

    /// <summary>
    /// The memory a method hands to the runtime function <paramref name="api"/>, directly or through helpers it calls (at most
    /// <see cref="MaxHelperDepth"/> deep), in terms of its own parameters: a teardown helper's <c>UnlockPage(dev.Page)</c>.
    /// </summary>
    public ValueOrigin PassedTo(IMethodSymbol method, KernelApi api, CancellationToken cancellationToken) =>
        PassedTo(method.OriginalDefinition, api, new ValueFlow.ValueContext(cancellationToken), 0);

    private ValueOrigin PassedTo(IMethodSymbol method, KernelApi api, ValueFlow.ValueContext context, int depth)
    {
        if (passed.TryGetValue((method, api), out var known))
        {
            return known;
        }

        if (depth > MaxHelperDepth || engine.Bodies.Get(method, context.CancellationToken) is not { } body || !context.InProgress.Add((method, api)))
        {
            context.Cuts++;
            return ValueOrigin.None;
        }

        var cutsBefore = context.Cuts;
        try
        {
            var flow = FlowOf(body.Operation, context.CancellationToken);
            var result = ValueOrigin.None;
            foreach (var operation in body.Code.DescendantsAndSelf())
            {
                if (operation is not IInvocationOperation invocation)
                {
                    continue;
                }

                var called = engine.Symbols.Classify(invocation.TargetMethod);
                if (called == api)
                {
                    result = ValueOrigin.Union(result, flow.Of(invocation.Argument(0), context));
                }
                else if (called == KernelApi.None && engine.Bodies.Get(invocation.TargetMethod, context.CancellationToken) is not null)
                {
                    var inner = PassedTo(invocation.TargetMethod.OriginalDefinition, api, context, depth + 1);
                    result = ValueOrigin.Union(result, inner.AtCall(invocation, argument => flow.Of(argument, context)));
                }
            }

            if (context.Cuts == cutsBefore)
            {
                passed.TryAdd((method, api), result);
            }

            return result;
        }
        finally
        {
            context.InProgress.Remove((method, api));
        }
    }

    /// <summary>
    /// The memory a call of a helper of the compilation hands to <paramref name="api"/>, in terms of this call's arguments;
    /// none when the call is not to such a helper.
    /// </summary>
    public ValueOrigin ReleasedByHelper(IInvocationOperation invocation, KernelApi api, CancellationToken cancellationToken)
    {
        if (engine.Symbols.Classify(invocation.TargetMethod) != KernelApi.None || engine.Bodies.Get(invocation.TargetMethod, cancellationToken) is null)
        {
            return ValueOrigin.None;
        }

        var flow = FlowOf(invocation, cancellationToken);
        return PassedTo(invocation.TargetMethod, api, cancellationToken).AtCall(invocation, argument => flow.Of(argument, cancellationToken));
    }

    /// <summary>What a storage or parameter atom stands for besides itself, found once per symbol.</summary>
    private ImmutableArray<OriginAtom> Expansion(ISymbol symbol, CancellationToken cancellationToken) =>
        expansions.GetOrAdd(symbol, key => Expand(key, cancellationToken));

    private ImmutableArray<OriginAtom> Expand(ISymbol symbol, CancellationToken cancellationToken)
    {
        var context = new ValueFlow.ValueContext(cancellationToken);

        // A set alongside the list: a field a thousand functions store into must not cost a thousand linear unions.
        var atoms = ImmutableArray.CreateBuilder<OriginAtom>();
        var seen = new HashSet<OriginAtom>();
        void Add(ValueOrigin origin)
        {
            foreach (var atom in origin.Atoms)
            {
                if (seen.Add(atom))
                {
                    atoms.Add(atom);
                }
            }
        }

        switch (symbol)
        {
            case IFieldSymbol or IPropertySymbol:
                if (engine.Bodies.GetInitializer(symbol, cancellationToken) is { } initializer)
                {
                    Add(FlowOf(initializer, cancellationToken).Of(initializer, context));
                }

                foreach (var (flow, value) in StoresInto(symbol, cancellationToken))
                {
                    Add(flow.Of(value, context));
                }

                break;
            case IParameterSymbol parameter:
                foreach (var (flow, argument) in ArgumentsFor(parameter, cancellationToken))
                {
                    if (argument is not null)
                    {
                        Add(flow.Of(argument, context));
                    }
                }

                break;
        }

        return atoms.ToImmutable();
    }

    /// <summary>Every value stored into a field or property in the compilation, with the flow of the code that stores it.</summary>
    public IEnumerable<(ValueFlow Flow, IOperation Value)> StoresInto(ISymbol member, CancellationToken cancellationToken)
    {
        member = member.OriginalDefinition;
        if (!MayBeStoredInto(member))
        {
            return Enumerable.Empty<(ValueFlow, IOperation)>();
        }

        return IndexOf(member, cancellationToken).Stores.TryGetValue(member, out var stores)
            ? stores.Select(store => (FlowOf(store.Root, cancellationToken), store.Value))
            : Enumerable.Empty<(ValueFlow, IOperation)>();
    }

    /// <summary>Every call of a method of the compilation, with the flow of the code that makes it.</summary>
    public IEnumerable<(ValueFlow Flow, IInvocationOperation Invocation)> CallsOf(IMethodSymbol method, CancellationToken cancellationToken)
    {
        method = method.OriginalDefinition;
        return IndexOf(method, cancellationToken).Calls.TryGetValue(method, out var calls)
            ? calls.Select(call => (FlowOf(call.Root, cancellationToken), call.Invocation))
            : Enumerable.Empty<(ValueFlow, IInvocationOperation)>();
    }

    /// <summary>
    /// What every call of a helper of the compilation passes for one of its parameters, with the flow of the calling code (null
    /// where a call has no argument for it); nothing for a parameter of anything but an ordinary method or local function.
    /// </summary>
    public IEnumerable<(ValueFlow Flow, IOperation? Argument)> ArgumentsFor(IParameterSymbol parameter, CancellationToken cancellationToken) =>
        parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Ordinary or MethodKind.LocalFunction } method
            ? CallsOf(method, cancellationToken).Select(call => (call.Flow, call.Invocation.Argument(parameter.Ordinal)))
            : Enumerable.Empty<(ValueFlow, IOperation?)>();

    /// <summary>Every call of a method spelt <paramref name="name"/> (a runtime function's calls), with the flow of the code that makes it.</summary>
    public IEnumerable<(ValueFlow Flow, IInvocationOperation Invocation)> CallsNamed(string name, CancellationToken cancellationToken) =>
        IndexOf(name, null, callsOnly: true, cancellationToken).Calls.Values.SelectMany(calls => calls).Select(call => (FlowOf(call.Root, cancellationToken), call.Invocation));

    /// <summary>Whether the text at <paramref name="position"/> (after a name), past blanks and comments, opens an argument or type-argument list.</summary>
    private static bool IsCallAt(string text, int position)
    {
        while (position < text.Length)
        {
            if (char.IsWhiteSpace(text[position]))
            {
                position++;
            }
            else if (string.CompareOrdinal(text, position, "/*", 0, 2) == 0)
            {
                var end = text.IndexOf("*/", position + 2, StringComparison.Ordinal);
                position = end < 0 ? text.Length : end + 2;
            }
            else if (string.CompareOrdinal(text, position, "//", 0, 2) == 0)
            {
                var end = text.IndexOf('\n', position);
                position = end < 0 ? text.Length : end + 1;
            }
            else
            {
                break;
            }
        }

        return position < text.Length && text[position] is '(' or '<';
    }

    /// <summary>
    /// Whether code can store into the member: a member of the runtime (metadata) only when it is a settable property or a
    /// writable field — <c>MmioRegion.StartPfn</c> or <c>VmArea.Pgoff</c> need no search of the compilation.
    /// </summary>
    private static bool MayBeStoredInto(ISymbol member) =>
        member.Locations.Any(location => location.IsInSource)
        || member is IPropertySymbol { SetMethod.DeclaredAccessibility: Accessibility.Public } or IFieldSymbol { IsReadOnly: false, IsConst: false, DeclaredAccessibility: Accessibility.Public };

    /// <summary>
    /// The index of the code that can refer to <paramref name="symbol"/>: a private member is reachable only from its type's
    /// declarations, so only they are bound — a thousand drivers with a private field <c>buffer</c> each cost their own class,
    /// not the compilation's every <c>buffer</c>.
    /// </summary>
    private NameIndex IndexOf(ISymbol symbol, CancellationToken cancellationToken) =>
        IndexOf(
            symbol.Name,
            symbol.DeclaredAccessibility == Accessibility.Private && symbol.ContainingType is { } type && type.Locations.All(location => location.IsInSource) ? type : null,
            callsOnly: symbol is IMethodSymbol,
            cancellationToken);

    /// <summary>
    /// The stores into members and the calls of methods spelt <paramref name="name"/>, grouped by symbol, in the whole
    /// compilation or within the declarations of <paramref name="scope"/>: one walk of that code serves every symbol of the
    /// name. With <paramref name="callsOnly"/> (the callers of a method), only code where the name is followed by <c>(</c> or
    /// <c>&lt;</c> is bound: a handler named in a FileOperations initializer costs nothing. The flows of the code found are
    /// computed when a symbol's entries are asked for, not here.
    /// </summary>
    private NameIndex IndexOf(string name, INamedTypeSymbol? scope, bool callsOnly, CancellationToken cancellationToken)
    {
        var key = (callsOnly ? name + "(" : name, (ISymbol?)scope);
        while (true)
        {
            var index = names.GetOrAdd(key, _ => new Lazy<NameIndex>(() => BuildIndex(name, scope, callsOnly, cancellationToken), LazyThreadSafetyMode.ExecutionAndPublication));
            try
            {
                return index.Value;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ((ICollection<KeyValuePair<(string, ISymbol?), Lazy<NameIndex>>>)names).Remove(new(key, index));
            }
        }
    }

    private NameIndex BuildIndex(string name, INamedTypeSymbol? scope, bool callsOnly, CancellationToken cancellationToken)
    {
        var index = new NameIndex();
        var words = wordsByName.GetOrAdd(callsOnly ? name + "(" : name, _ => callsOnly
            ? engine.Words.Where(engine.Words.Find(new[] { name }, cancellationToken), (text, position) => IsCallAt(text, position + name.Length), cancellationToken)
            : engine.Words.Find(new[] { name }, cancellationToken));
        var places = scope is null
            ? words.Trees.Select(tree => (Tree: tree, Span: (TextSpan?)null))
            : scope.DeclaringSyntaxReferences.Where(reference => words.AnyIn(reference.SyntaxTree)).Select(reference => (Tree: reference.SyntaxTree, Span: (TextSpan?)reference.Span));
        foreach (var (tree, span) in places)
        {
            if (engine.Bodies.GetModel(tree) is not { } model)
            {
                continue;
            }

            foreach (var root in CodeRoots.At(model, words, null, span, cancellationToken))
            {
                foreach (var reference in NamedOperations.References(root, words, cancellationToken))
                {
                    var value = reference.Parent switch
                    {
                        ISimpleAssignmentOperation assignment when ReferenceEquals(assignment.Target, reference) => assignment.Value,
                        ICompoundAssignmentOperation compound when ReferenceEquals(compound.Target, reference) => compound.Value,
                        ICoalesceAssignmentOperation coalesce when ReferenceEquals(coalesce.Target, reference) => coalesce.Value,
                        _ => null,
                    };
                    if (value is not null)
                    {
                        index.Add(index.Stores, reference.Member.OriginalDefinition, (root, value));
                    }
                }

                foreach (var invocation in NamedOperations.Invocations(root, words, cancellationToken))
                {
                    index.Add(index.Calls, invocation.TargetMethod.OriginalDefinition, (root, invocation));
                }
            }
        }

        return index;
    }

    /// <summary>The stores and calls of one name (<see cref="IndexOf(string, INamedTypeSymbol?, bool, CancellationToken)"/>), with the code root of each.</summary>
    private sealed class NameIndex
    {
        public Dictionary<ISymbol, List<(IOperation Root, IOperation Value)>> Stores { get; } = new(SymbolEqualityComparer.Default);

        public Dictionary<ISymbol, List<(IOperation Root, IInvocationOperation Invocation)>> Calls { get; } = new(SymbolEqualityComparer.Default);

        public void Add<T>(Dictionary<ISymbol, List<T>> map, ISymbol symbol, T entry)
        {
            if (!map.TryGetValue(symbol, out var list))
            {
                map[symbol] = list = new List<T>();
            }

            list.Add(entry);
        }
    }

    /// <summary>Name by ordinal, scope by symbol identity.</summary>
    private sealed class NameScopeComparer : IEqualityComparer<(string Name, ISymbol? Scope)>
    {
        public static readonly NameScopeComparer Instance = new();

        public bool Equals((string Name, ISymbol? Scope) x, (string Name, ISymbol? Scope) y) =>
            string.Equals(x.Name, y.Name, StringComparison.Ordinal) && SymbolEqualityComparer.Default.Equals(x.Scope, y.Scope);

        public int GetHashCode((string Name, ISymbol? Scope) obj) =>
            unchecked((StringComparer.Ordinal.GetHashCode(obj.Name) * 397) ^ (obj.Scope is null ? 0 : SymbolEqualityComparer.Default.GetHashCode(obj.Scope)));
    }
}
