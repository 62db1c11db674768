using System.Collections.Concurrent;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Decides, from operation trees alone (no control-flow graph), whether the flag analysis of a block can find anything a
/// rule reports, and which blocks call LockPage/SetPageLocked (DK0006). Every report of the flag rules starts from a bit the
/// driver sets: VM_LOCKED or VM_LOCKONFAULT (DK0001) or VM_RESERVED (DK0004, DK0005). <see cref="FlagFlowAnalysis"/>
/// creates such a driver-set bit only from
/// <list type="bullet">
/// <item>a constant of type VmFlags (enum members, <c>const</c> fields, <c>using static</c> names, numeric casts, folded
/// expressions) in the analyzed code — a block root with its lambdas and local functions;</item>
/// <item>the initializer of a <c>readonly</c> VmFlags field it reads;</item>
/// <item>the summary of a helper of this compilation it calls with a VmArea argument or for a VmFlags result.</item>
/// </list>
/// So a block needs the analysis only when it touches a VMA (its flags or vm_ops, a runtime function, a call passing a
/// VmArea: the engine's earlier filter, kept as is) and one of those sources can carry a reported bit — followed through
/// fields and helpers, across files. Most methods of a driver (open, release, ioctl, an ->mmap without flag writes, fault
/// handlers) fail the second test and never get a graph. Before any walk, a block whose text spells none of the words of
/// <see cref="FlagSourceWords"/> is ruled out. Each root is walked once, whether it is first met as a block or as a helper;
/// answers are cached per root and per helper or field, and what the filter cannot follow counts as a source.
/// </summary>
internal sealed class FlagSourceFilter
{
    /// <summary>The VmFlags bits whose driver-set occurrences the rules report.</summary>
    public const ulong ReportedBits = (ulong)(VmFlags.Locked | VmFlags.LockOnFault | VmFlags.Reserved);

    /// <summary>Helpers and fields followed from one block before the filter gives up and says "may".</summary>
    private const int MaxDepth = 16;

    /// <summary>The work list of <see cref="Walk"/>, reused per thread (walks do not nest).</summary>
    [ThreadStatic]
    private static Stack<IOperation>? walkStack;

    /// <summary>The names of the runtime functions that lock pages.</summary>
    private static readonly string[] PageLockNames = { "LockPage", "SetPageLocked" };

    private readonly Compilation compilation;
    private readonly DriverKitSymbols symbols;
    private readonly MethodBodies bodies;
    private readonly SourceWords text;
    private readonly object wordsGate = new();
    private readonly object spellingsGate = new();
    private readonly object castGate = new();
    private FlagSourceWords? words;
    private TypeSpellings? spellings;
    private WordOccurrences? castSpellings;
    private readonly ConcurrentDictionary<SyntaxNode, RootScan> roots = new();
    private readonly ConcurrentDictionary<ISymbol, bool> members = new(SymbolEqualityComparer.Default);

    public FlagSourceFilter(Compilation compilation, DriverKitSymbols symbols, MethodBodies bodies, SourceWords text)
    {
        this.compilation = compilation;
        this.symbols = symbols;
        this.bodies = bodies;
        this.text = text;
    }

    /// <summary>What one walk of a tree found.</summary>
    [Flags]
    private enum Found
    {
        None = 0,

        /// <summary>VmArea flags or vm_ops, a runtime function, or a call passing a VmArea.</summary>
        TouchesVma = 1,

        /// <summary>A constant (or construct) that may carry a reported bit.</summary>
        ReportedSource = 2,

        /// <summary>A call of LockPage or SetPageLocked.</summary>
        LocksPages = 4,
    }

    /// <summary>
    /// Whether the root of <paramref name="operation"/> touches a VMA: reads or writes VmArea flags or vm_ops, calls a runtime
    /// function, or passes a VmArea on. A helper that does none of these changes no VMA (the walk is shared with the filter).
    /// </summary>
    public bool TouchesVma(IOperation operation) => (ScanOf(operation.Root()).Found & Found.TouchesVma) != 0;

    /// <summary>
    /// Whether a code root calls LockPage or SetPageLocked. Callers pass only the roots that spell one of the names
    /// (<see cref="PageLockNamesFound"/>), so the text is not searched again here.
    /// </summary>
    public bool LocksPages(IOperation root) => (ScanOf(root).Found & Found.LocksPages) != 0;

    /// <summary>Where LockPage or SetPageLocked is spelt: the only places a block that locks pages can be.</summary>
    public WordOccurrences PageLockNamesFound(CancellationToken cancellationToken) => text.Cached(PageLockNames, cancellationToken);

    /// <summary>
    /// Where the words of <see cref="FlagSourceWords"/> occur: every block the flag analysis can report in holds one. Null
    /// when the search gave up and every block is a candidate.
    /// </summary>
    public WordOccurrences? SourceWordsFound(CancellationToken cancellationToken) => WordsOf(cancellationToken).Occurrences;

    /// <summary>
    /// Where VmFlags or an alias is spelt as the end of a cast's type (<c>(VmFlags)</c>, <c>(F?)</c>; see
    /// <see cref="OccurrenceText.MayEndCastType"/>). Needs only the spellings, not the whole search of
    /// <see cref="FlagSourceWords"/>, so DK0005 does not wait for it.
    /// </summary>
    public WordOccurrences VmFlagsCastSpellings(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref castSpellings) is { } known)
        {
            return known;
        }

        var names = SpellingsOf(cancellationToken).VmFlags;
        lock (castGate)
        {
            return castSpellings ??= text.Where(text.Find(names, cancellationToken), OccurrenceText.MayEndCastType, cancellationToken);
        }
    }

    /// <summary>Whether the flag analysis of the block's root (with its lambdas and local functions) may report something.</summary>
    public bool MayReport(IOperation block, CancellationToken cancellationToken)
    {
        var root = block.Root();
        if (!TextMayHoldSource(root.Syntax, cancellationToken))
        {
            return false;
        }

        var scan = ScanOf(root);
        var known = Volatile.Read(ref scan.MayReport);
        if (known != RootScan.Unknown)
        {
            return known == RootScan.Yes;
        }

        var cut = false;
        var result = (scan.Found & Found.TouchesVma) != 0
            && ((scan.Found & Found.ReportedSource) != 0
                || FollowAny(scan.FollowUps, depth: 0, new HashSet<ISymbol>(SymbolEqualityComparer.Default), ref cut, cancellationToken));

        // The answer for a block is exact whatever was cut below it (see MemberMayCarry), so it is always kept.
        Volatile.Write(ref scan.MayReport, result ? RootScan.Yes : RootScan.No);
        return result;
    }

    /// <summary>Whether the text of <paramref name="node"/> spells something that may carry a reported bit (the search before any walk).</summary>
    public bool TextMayHoldSource(SyntaxNode node, CancellationToken cancellationToken) => WordsOf(cancellationToken).MayHoldSource(node);

    /// <summary>The text search of <see cref="FlagSourceWords"/>, run once (again after a cancelled run).</summary>
    private FlagSourceWords WordsOf(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref words) is { } known)
        {
            return known;
        }

        var spellings = SpellingsOf(cancellationToken);
        lock (wordsGate)
        {
            return words ??= FlagSourceWords.Compute(compilation, symbols, text, spellings, cancellationToken);
        }
    }

    /// <summary>How VmFlags and VmArea are spelt (<see cref="TypeSpellings"/>), found once.</summary>
    private TypeSpellings SpellingsOf(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref spellings) is { } known)
        {
            return known;
        }

        lock (spellingsGate)
        {
            return spellings ??= TypeSpellings.Find(symbols, text, cancellationToken);
        }
    }

    /// <summary>The walk of a root, done once.</summary>
    private RootScan ScanOf(IOperation root)
    {
        if (roots.TryGetValue(root.Syntax, out var scan))
        {
            return scan;
        }

        List<IOperation>? followUps = null;
        var found = Walk(root, ref followUps);
        return roots.GetOrAdd(root.Syntax, new RootScan(found, followUps));
    }

    /// <summary>
    /// One pass over a tree: whether it touches a VMA, holds a reported constant, locks pages. Helper calls and readonly field
    /// reads, whose sources lie elsewhere, are collected into <paramref name="followUps"/> (created when there is one).
    /// </summary>
    private Found Walk(IOperation root, ref List<IOperation>? followUps)
    {
        var found = Found.None;
        var stack = walkStack ??= new Stack<IOperation>();
        stack.Clear();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var operation = stack.Pop();
            if (operation.ConstantValue.HasValue && symbols.IsVmFlags(operation.Type)
                && (operation.ConstantBits() is not { } bits || (bits & ReportedBits) != 0))
            {
                found |= Found.ReportedSource;
            }

            switch (operation)
            {
                case IPropertyReferenceOperation property
                    when symbols.Is(property.Property, symbols.VmAreaFlags) || symbols.Is(property.Property, symbols.VmAreaOps):
                    found |= Found.TouchesVma;
                    break;
                case IInvocationOperation invocation:
                    var api = symbols.Classify(invocation.TargetMethod);
                    var passesVma = PassesVmArea(invocation);
                    if (api != KernelApi.None || passesVma)
                    {
                        found |= Found.TouchesVma;
                    }

                    if (api is KernelApi.LockPage or KernelApi.SetPageLocked)
                    {
                        found |= Found.LocksPages;
                    }

                    if (api == KernelApi.None && (passesVma || symbols.IsVmFlags(invocation.Type)))
                    {
                        (followUps ??= new List<IOperation>()).Add(invocation);
                    }

                    break;
                case IFieldReferenceOperation field when !field.Field.HasConstantValue && field.Field.IsReadOnly && symbols.IsVmFlags(field.Type):
                    (followUps ??= new List<IOperation>()).Add(field);
                    break;
                case IForEachLoopOperation loop when symbols.IsVmArea(loop.Collection.WithoutConversions()?.Type):
                    // The graph lowers the loop to GetEnumerator/MoveNext calls; an extension GetEnumerator on VmArea would be a
                    // helper the filter cannot see, so such a loop counts as a source.
                    found |= Found.ReportedSource;
                    break;
            }

            foreach (var child in operation.ChildOperations)
            {
                stack.Push(child);
            }
        }

        return found;
    }

    /// <summary>Whether a helper call or field read of <paramref name="followUps"/> may bring a reported bit.</summary>
    private bool FollowAny(List<IOperation>? followUps, int depth, HashSet<ISymbol> visited, ref bool cut, CancellationToken cancellationToken)
    {
        if (followUps is null)
        {
            return false;
        }

        foreach (var operation in followUps)
        {
            var member = operation switch
            {
                IInvocationOperation invocation => HelperMember(invocation.TargetMethod),
                IFieldReferenceOperation field => field.Field.OriginalDefinition,
                _ => null,
            };
            if (member is not null && MemberMayCarry(member, depth + 1, visited, ref cut, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The method whose body holds the helper's code: the helper itself, or for a local function the method that declares it
    /// (its body contains the local function's). Null when the flag analysis would use an empty summary (abstract and
    /// interface methods).
    /// </summary>
    private static ISymbol? HelperMember(IMethodSymbol method)
    {
        method = method.OriginalDefinition;
        if (method.IsAbstract || method.IsVirtual && !method.IsSealed && method.ContainingType?.TypeKind == TypeKind.Interface)
        {
            return null;
        }

        ISymbol current = method;
        while (current is IMethodSymbol { MethodKind: MethodKind.LocalFunction or MethodKind.AnonymousFunction } nested)
        {
            current = nested.ContainingSymbol;
        }

        return current is IMethodSymbol outer ? outer.OriginalDefinition : null;
    }

    /// <summary>
    /// Whether a helper's body or a readonly field's initializer may carry a reported bit. <paramref name="visited"/> holds the
    /// members already met by this query: one met again is either an ancestor still being walked or one that said "no" (in
    /// both cases the query's answer does not depend on it: an ancestor's sources count for the query anyway), so it is
    /// skipped, and an answer that skipped one is not cached. Beyond <see cref="MaxDepth"/> the answer is "may" — sound, and
    /// harmless to cache: it only means the analysis runs.
    /// </summary>
    private bool MemberMayCarry(ISymbol member, int depth, HashSet<ISymbol> visited, ref bool cut, CancellationToken cancellationToken)
    {
        if (members.TryGetValue(member, out var known))
        {
            return known;
        }

        if (depth > MaxDepth)
        {
            cut = true;
            return true;
        }

        if (!visited.Add(member))
        {
            cut = true;
            return false;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var result = false;
        var innerCut = false;
        switch (member)
        {
            case IMethodSymbol method when bodies.Get(method, cancellationToken) is { } body:
                var scan = ScanOf(body.Operation.Root());
                result = (scan.Found & Found.ReportedSource) != 0 || FollowAny(scan.FollowUps, depth, visited, ref innerCut, cancellationToken);
                break;
            case IFieldSymbol field when bodies.GetInitializer(field, cancellationToken) is { } initializer:
                List<IOperation>? followUps = null;
                result = (Walk(initializer, ref followUps) & Found.ReportedSource) != 0 || FollowAny(followUps, depth, visited, ref innerCut, cancellationToken);
                break;
        }

        if (result || !innerCut)
        {
            members.TryAdd(member, result);
        }

        cut |= innerCut;
        return result;
    }

    private bool PassesVmArea(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (symbols.IsVmArea(argument.Parameter?.Type) || symbols.IsVmArea(argument.Value.Type))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The walk of one root; <see cref="MayReport"/> is filled in when first asked.</summary>
    private sealed class RootScan
    {
        public const int Unknown = 0;
        public const int No = 1;
        public const int Yes = 2;

        /// <summary><see cref="Unknown"/>, <see cref="No"/> or <see cref="Yes"/>: the block's answer, once computed.</summary>
        public int MayReport;

        public RootScan(Found found, List<IOperation>? followUps)
        {
            Found = found;
            FollowUps = followUps;
        }

        public Found Found { get; }

        public List<IOperation>? FollowUps { get; }
    }
}
