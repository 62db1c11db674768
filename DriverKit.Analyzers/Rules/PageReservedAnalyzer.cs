using System.Collections.Concurrent;
using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// The PG_reserved family. DK0002: SetPageReserved on allocator memory (not reported for 2.6.14 and older, where
/// remap_pfn_range needed it). DK0003: a buffer whose pages got SetPageReserved is freed (FreePages, FreePage, Kfree, Vfree)
/// with PG_reserved still set — on a path of the freeing function that reserved it and never cleared it (an error path that
/// jumps past the clear loop), or with no ClearPageReserved of the buffer anywhere before the free (open reserves, release
/// frees). Buffers are matched by the value analysis (<see cref="ValueSummaries"/>): through locals declared at the top,
/// cursors in <c>for</c> headers, helpers and copies between fields.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PageReservedAnalyzer : DriverKitAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.ReservePagesForRemap, DiagnosticDescriptors.ReservedBitLeftAtFree);

    /// <summary>Both rules start from a SetPageReserved call in the type; DK0003 reports at a free.</summary>
    private static readonly string[] ReservationNames = { "SetPageReserved" };
    private static readonly string[] FreeNames = { "FreePages", "FreePage", "Kfree", "Vfree" };
    private static readonly string[] ReservedBitNames = { "SetPageReserved", "ClearPageReserved" };

    /// <summary>Only a partial type has code in other trees.</summary>
    private static readonly string[] PartialKeyword = { "partial" };

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine)
    {
        var types = new ConcurrentDictionary<INamedTypeSymbol, ReservedBitCalls>(SymbolEqualityComparer.Default);
        context.RegisterSemanticModelAction(tree => Analyze(tree, engine, types));
    }

    private sealed class Call
    {
        public Call(KernelApi api, ValueOrigin origin, IInvocationOperation operation)
        {
            Api = api;
            Origin = origin;
            Operation = operation;
            Function = FunctionOf(operation);
        }

        public KernelApi Api { get; }

        /// <summary>The body of the function the call is in (<see cref="FlowEvent.Function"/>): a lambda or local function has its own.</summary>
        public SyntaxNode Function { get; }

        /// <summary>The syntax of the body of the innermost function (method, lambda, local function) around an operation.</summary>
        public static SyntaxNode FunctionOf(IOperation operation)
        {
            var current = operation;
            while (current.Parent is { } parent)
            {
                if (parent is ILocalFunctionOperation local && ReferenceEquals(local.Body, current)
                    || parent is IAnonymousFunctionOperation anonymous && ReferenceEquals(anonymous.Body, current))
                {
                    break;
                }

                current = parent;
            }

            return current.Syntax;
        }

        public ValueOrigin Origin { get; }

        public IInvocationOperation Operation { get; }
    }

    /// <summary>
    /// Per tree: DK0002 at each SetPageReserved, DK0003 at each free when the type of its code reserves pages somewhere. Only
    /// the code that names a reservation is bound, and the code that names a free when the tree names a reservation or
    /// declares a partial type (whose other parts may); most drivers free their buffers but never reserve them.
    /// </summary>
    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine, ConcurrentDictionary<INamedTypeSymbol, ReservedBitCalls> types)
    {
        var cancellationToken = context.CancellationToken;
        var tree = context.SemanticModel.SyntaxTree;
        var reservations = engine.Words.Cached(ReservationNames, cancellationToken);
        var frees = engine.Words.Cached(FreeNames, cancellationToken);
        var freesMayMatter = reservations.AnyIn(tree) || engine.Words.Cached(PartialKeyword, cancellationToken).AnyIn(tree);
        foreach (var root in engine.RootsAt(context, reservations, freesMayMatter ? frees : null))
        {
            if (CodeRoots.OwnerOf(root, cancellationToken) is not { } owner || OwningType(owner) is not { } type)
            {
                continue;
            }

            foreach (var invocation in NamedOperations.Invocations(root, reservations, cancellationToken))
            {
                if (engine.Symbols.Classify(invocation.TargetMethod) == KernelApi.SetPageReserved)
                {
                    ReportReservation(context, engine, invocation, engine.Values.OriginOf(invocation.Argument(0), cancellationToken));
                }
            }

            if (!frees.AnyWithin(root.Syntax) || !type.DeclaringSyntaxReferences.Any(reference => reservations.AnyWithin(reference.SyntaxTree, reference.Span)))
            {
                continue;
            }

            EventFlowResult? events = null;
            foreach (var invocation in NamedOperations.Invocations(root, frees, cancellationToken))
            {
                if (engine.Symbols.Classify(invocation.TargetMethod) is not (KernelApi.FreePages or KernelApi.FreePage or KernelApi.Kfree or KernelApi.Vfree)
                    || engine.Values.OriginOf(invocation.Argument(0), cancellationToken) is not { Atoms.IsEmpty: false } freed)
                {
                    continue;
                }

                var calls = types.GetOrAdd(type, _ => CollectReservedBitCalls(type, engine, cancellationToken));
                events ??= ReservedBitEvents(engine, root, cancellationToken);
                ReportFreeOfReservedBuffer(context, engine, calls, events, invocation, freed);
            }
        }
    }

    private static INamedTypeSymbol? OwningType(ISymbol symbol) => symbol as INamedTypeSymbol ?? symbol.ContainingType;

    /// <summary>
    /// The SetPageReserved and ClearPageReserved calls of a type, indexed by every atom of their origins' closures: a freed
    /// buffer's first reservation and its clears are found by looking its atoms up, in time that does not grow with the
    /// number of calls on the same field (a driver ported from C may reserve one channel buffer in a hundred places).
    /// </summary>
    private sealed class ReservedBitCalls
    {
        private readonly Dictionary<OriginAtom, int> firstReservation = new();
        private readonly Dictionary<OriginAtom, ClearSites> clears = new();

        public ReservedBitCalls(Call[] calls, DriverKitEngine engine, CancellationToken cancellationToken)
        {
            Calls = calls;

            // Calls whose buffers have the same closure (every read of one field) are indexed together, once per atom.
            var groups = new Dictionary<IReadOnlyCollection<OriginAtom>, (int FirstReservation, ClearSites Clears)>(IdentityComparer<IReadOnlyCollection<OriginAtom>>.Instance);
            for (var index = 0; index < calls.Length; index++)
            {
                var call = calls[index];
                var closure = engine.Values.Closure(call.Origin, cancellationToken);
                if (!groups.TryGetValue(closure, out var group))
                {
                    group = (int.MaxValue, new ClearSites());
                }

                if (call.Api == KernelApi.SetPageReserved)
                {
                    group.FirstReservation = Math.Min(group.FirstReservation, index);
                }
                else
                {
                    group.Clears.Add(call);
                }

                groups[closure] = group;
            }

            foreach (var entry in groups)
            {
                var (first, sites) = entry.Value;
                foreach (var atom in entry.Key)
                {
                    if (first != int.MaxValue && (!firstReservation.TryGetValue(atom, out var known) || first < known))
                    {
                        firstReservation[atom] = first;
                    }

                    if (sites.Calls.Count > 0 || sites.InManyFunctions)
                    {
                        if (!clears.TryGetValue(atom, out var atomSites))
                        {
                            clears[atom] = atomSites = new ClearSites();
                        }

                        atomSites.Add(sites);
                    }
                }
            }
        }

        /// <summary>Every call, in file and position order.</summary>
        public Call[] Calls { get; }

        /// <summary>The first SetPageReserved (in file and position order) that may be on the buffer <paramref name="origin"/> denotes.</summary>
        public Call? FirstReservationOf(ValueOrigin origin, DriverKitEngine engine, CancellationToken cancellationToken)
        {
            var first = int.MaxValue;
            foreach (var atom in engine.Values.Closure(origin, cancellationToken))
            {
                if (firstReservation.TryGetValue(atom, out var index) && index < first)
                {
                    first = index;
                }
            }

            return first == int.MaxValue ? null : Calls[first];
        }

        /// <summary>
        /// Whether a ClearPageReserved that may be on the buffer <paramref name="origin"/> denotes is outside the function
        /// whose body is <paramref name="function"/>; if not, the clears inside it go to <paramref name="inFunction"/> for the
        /// caller to check against its paths.
        /// </summary>
        public bool ClearedElsewhere(ValueOrigin origin, SyntaxNode function, DriverKitEngine engine, List<Call> inFunction, CancellationToken cancellationToken)
        {
            foreach (var atom in engine.Values.Closure(origin, cancellationToken))
            {
                if (!clears.TryGetValue(atom, out var sites))
                {
                    continue;
                }

                if (sites.InManyFunctions || sites.Function != function)
                {
                    return true;
                }

                inFunction.AddRange(sites.Calls);
            }

            return false;
        }

        /// <summary>The clears of one atom: all in one function, or known to be in more than one (then one is elsewhere for any free).</summary>
        private sealed class ClearSites
        {
            public SyntaxNode? Function { get; private set; }

            public List<Call> Calls { get; } = new();

            public bool InManyFunctions { get; private set; }

            public void Add(Call call)
            {
                if (InManyFunctions)
                {
                    return;
                }

                if (Function is not null && Function != call.Function)
                {
                    InManyFunctions = true;
                    Calls.Clear();
                    return;
                }

                Function = call.Function;
                Calls.Add(call);
            }

            public void Add(ClearSites other)
            {
                if (other.InManyFunctions)
                {
                    InManyFunctions = true;
                    Calls.Clear();
                    return;
                }

                foreach (var call in other.Calls)
                {
                    Add(call);
                }
            }
        }
    }

    /// <summary>The SetPageReserved and ClearPageReserved calls in the code of the type (all its parts, not its nested types).</summary>
    private static ReservedBitCalls CollectReservedBitCalls(INamedTypeSymbol type, DriverKitEngine engine, CancellationToken cancellationToken)
    {
        var words = engine.Words.Cached(ReservedBitNames, cancellationToken);
        var calls = new List<Call>();
        foreach (var part in type.DeclaringSyntaxReferences)
        {
            if (!words.AnyWithin(part.SyntaxTree, part.Span) || engine.Bodies.GetModel(part.SyntaxTree) is not { } model)
            {
                continue;
            }

            foreach (var root in CodeRoots.At(model, words, null, part.Span, cancellationToken))
            {
                if (CodeRoots.OwnerOf(root, cancellationToken) is not { } owner || !SymbolEqualityComparer.Default.Equals(OwningType(owner), type))
                {
                    continue;
                }

                foreach (var invocation in NamedOperations.Invocations(root, words, cancellationToken))
                {
                    var api = engine.Symbols.Classify(invocation.TargetMethod);
                    if (api is KernelApi.SetPageReserved or KernelApi.ClearPageReserved
                        && engine.Values.OriginOf(invocation.Argument(0), cancellationToken) is { Atoms.IsEmpty: false } origin)
                    {
                        calls.Add(new Call(api, origin, invocation));
                    }
                }
            }
        }

        var ordered = calls
            .OrderBy(call => call.Operation.Syntax.SyntaxTree.FilePath, StringComparer.Ordinal)
            .ThenBy(call => call.Operation.Syntax.SpanStart)
            .ToArray();
        return new ReservedBitCalls(ordered, engine, cancellationToken);
    }

    /// <summary>
    /// The reservations, clears (directly or in a helper the code calls) and frees along the paths of each function of a
    /// root. A clear loop over a buffer's pages is taken to run.
    /// </summary>
    private static EventFlowResult ReservedBitEvents(DriverKitEngine engine, IOperation root, CancellationToken cancellationToken)
    {
        var flow = engine.Values.FlowOf(root, cancellationToken);
        return EventFlow.Analyze(
            root,
            invocation => engine.Symbols.Classify(invocation.TargetMethod) switch
            {
                KernelApi.SetPageReserved => (EventKind.Acquire, flow.Of(invocation.Argument(0), cancellationToken)),
                KernelApi.ClearPageReserved => (EventKind.Release, flow.Of(invocation.Argument(0), cancellationToken)),
                KernelApi.FreePages or KernelApi.FreePage or KernelApi.Kfree or KernelApi.Vfree => (EventKind.Use, flow.Of(invocation.Argument(0), cancellationToken)),
                KernelApi.None when engine.Values.ReleasedByHelper(invocation, KernelApi.ClearPageReserved, cancellationToken) is { IsNone: false } released =>
                    (EventKind.Release, released),
                _ => null,
            },
            (a, b) => engine.Values.Overlap(a, b, cancellationToken),
            assumeLoopsRun: true,
            cancellationToken);
    }

    /// <summary>DK0002, unless the configured kernel still needs reserved pages for remap_pfn_range, or the page is not allocator memory.</summary>
    private static void ReportReservation(SemanticModelAnalysisContext context, DriverKitEngine engine, IInvocationOperation invocation, ValueOrigin origin)
    {
        var policy = engine.GetPolicy(context.Options, invocation.Syntax.SyntaxTree);
        if (policy.RemapSkipsUnreservedRam || origin.Device || invocation.Argument(0) is not { } page)
        {
            return;
        }

        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.ReservePagesForRemap,
            invocation.Syntax.GetLocation(),
            page.Syntax.ToString(),
            policy.Describe()));
    }

    /// <summary>
    /// DK0003: a free of a reserved buffer while a reservation made in the same function is still held on some path, or with
    /// no ClearPageReserved of it in another function or earlier in the same one.
    /// </summary>
    private static void ReportFreeOfReservedBuffer(
        SemanticModelAnalysisContext context, DriverKitEngine engine, ReservedBitCalls calls, EventFlowResult events, IInvocationOperation free, ValueOrigin freed)
    {
        var cancellationToken = context.CancellationToken;
        if (events.EventOf(free) is not { } freeEvent)
        {
            return;
        }

        var held = freeEvent.HeldBefore.Members()
            .Select(id => events.Events[id])
            .FirstOrDefault(reservation => engine.Values.Overlap(reservation.Origin, freed, cancellationToken));
        IOperation? reservation = held?.Operation;
        if (reservation is null)
        {
            reservation = calls.FirstReservationOf(freed, engine, cancellationToken)?.Operation;
            if (reservation is null || Cleared(engine, calls, events, freeEvent, freed, cancellationToken))
            {
                return;
            }
        }

        var policy = engine.GetPolicy(context.Options, free.Syntax.SyntaxTree);
        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.ReservedBitLeftAtFree,
            free.Syntax.GetLocation(),
            DiagnosticSeverity.Error,
            additionalLocations: new[] { reservation.Syntax.GetLocation() },
            properties: null,
            free.TargetMethod.Name,
            BufferName(freed, free),
            policy.Describe(),
            Consequence(policy)));
    }

    /// <summary>
    /// Whether the freed buffer is cleared before the free: by a ClearPageReserved in another function (release paths call
    /// cleanup code the analysis assumes runs first), or by one (or a helper that clears) that reaches the free in its own.
    /// </summary>
    private static bool Cleared(DriverKitEngine engine, ReservedBitCalls calls, EventFlowResult events, FlowEvent free, ValueOrigin freed, CancellationToken cancellationToken)
    {
        var inFunction = new List<Call>();
        if (calls.ClearedElsewhere(freed, Call.FunctionOf(free.Operation), engine, inFunction, cancellationToken)
            || inFunction.Any(call => events.EventOf(call.Operation) is not { } clear || free.ReachedBefore.Contains(clear.Id)))
        {
            return true;
        }

        return free.ReachedBefore.Members()
            .Select(id => events.Events[id])
            .Any(earlier => earlier.Kind == EventKind.Release && engine.Values.Overlap(earlier.Origin, freed, cancellationToken));
    }

    /// <summary>How the freed buffer reads in the message: the field, parameter or local it comes from, else the argument.</summary>
    private static string BufferName(ValueOrigin origin, IInvocationOperation free) =>
        origin.Atoms.FirstOrDefault(atom => atom.Kind != OriginKind.Allocation).Symbol?.Name
            ?? free.Argument(0)?.Syntax.ToString()
            ?? "";

    private static string Consequence(EraPolicy policy)
    {
        var withChecks = policy.ReservedFree(checkPages: true);
        var withoutChecks = policy.ReservedFree(checkPages: false);
        var text = Describe(withChecks);
        return withChecks == withoutChecks
            ? text
            : $"with page checks (DEBUG_VM, init_on_alloc, init_on_free) {text}; without them {Describe(withoutChecks)}";
    }

    private static string Describe(ReservedFreeBehavior behavior) => behavior switch
    {
        ReservedFreeBehavior.IgnoreSilently => "__free_pages ignores a reserved page, so it leaks without a message",
        ReservedFreeBehavior.ReportAndFree => "bad_page() reports 'Bad page state', then clears the flag and frees the page",
        ReservedFreeBehavior.ReportAndKeep => "bad_page() reports 'Bad page state' and the page is never freed (leaked)",
        _ => "the flag is cleared and the page freed silently",
    };
}
