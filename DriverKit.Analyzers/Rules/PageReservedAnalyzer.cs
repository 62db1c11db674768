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
/// with no ClearPageReserved on the same buffer before — across the methods of a type (open reserves, release frees).
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
        var types = new ConcurrentDictionary<INamedTypeSymbol, Call[]>(SymbolEqualityComparer.Default);
        context.RegisterSemanticModelAction(tree => Analyze(tree, engine, types));
    }

    private sealed class Call
    {
        public Call(KernelApi api, BufferKey key, IInvocationOperation operation, ISymbol method)
        {
            Api = api;
            Key = key;
            Operation = operation;
            Method = method;
        }

        public KernelApi Api { get; }

        public BufferKey Key { get; }

        public IInvocationOperation Operation { get; }

        public ISymbol Method { get; }
    }

    /// <summary>
    /// Per tree: DK0002 at each SetPageReserved, DK0003 at each free when the type of its code reserves pages somewhere. Only
    /// the code that names a reservation is bound, and the code that names a free when the tree names a reservation or
    /// declares a partial type (whose other parts may); most drivers free their buffers but never reserve them.
    /// </summary>
    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine, ConcurrentDictionary<INamedTypeSymbol, Call[]> types)
    {
        var cancellationToken = context.CancellationToken;
        var tree = context.SemanticModel.SyntaxTree;
        var reservations = engine.Words.Cached(ReservationNames, cancellationToken);
        var frees = engine.Words.Cached(FreeNames, cancellationToken);
        var freesMayMatter = reservations.AnyIn(tree) || engine.Words.Cached(PartialKeyword, cancellationToken).AnyIn(tree);
        foreach (var root in engine.RootsAt(context, reservations, freesMayMatter ? frees : null))
        {
            if (root.SemanticModel is not { } model || CodeRoots.OwnerOf(root, cancellationToken) is not { } owner || OwningType(owner) is not { } type)
            {
                continue;
            }

            foreach (var invocation in NamedOperations.Invocations(root, reservations, cancellationToken))
            {
                if (engine.Symbols.Classify(invocation.TargetMethod) == KernelApi.SetPageReserved)
                {
                    ReportReservation(context, engine, invocation, BufferKey.Resolve(invocation.Argument(0), engine.Symbols, model, cancellationToken));
                }
            }

            if (!frees.AnyWithin(root.Syntax) || !type.DeclaringSyntaxReferences.Any(reference => reservations.AnyWithin(reference.SyntaxTree, reference.Span)))
            {
                continue;
            }

            foreach (var invocation in NamedOperations.Invocations(root, frees, cancellationToken))
            {
                if (engine.Symbols.Classify(invocation.TargetMethod) is var api and (KernelApi.FreePages or KernelApi.FreePage or KernelApi.Kfree or KernelApi.Vfree)
                    && BufferKey.Resolve(invocation.Argument(0), engine.Symbols, model, cancellationToken) is { Symbol: not null } freed)
                {
                    var calls = types.GetOrAdd(type, _ => CollectReservedBitCalls(type, engine, cancellationToken));
                    ReportFreeOfReservedBuffer(context, engine, calls, new Call(api, freed, invocation, owner));
                }
            }
        }
    }

    private static INamedTypeSymbol? OwningType(ISymbol symbol) => symbol as INamedTypeSymbol ?? symbol.ContainingType;

    /// <summary>
    /// The SetPageReserved and ClearPageReserved calls in the code of the type (all its parts, not its nested types), each
    /// with the member whose code it is.
    /// </summary>
    private static Call[] CollectReservedBitCalls(INamedTypeSymbol type, DriverKitEngine engine, CancellationToken cancellationToken)
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
                        && BufferKey.Resolve(invocation.Argument(0), engine.Symbols, model, cancellationToken) is { Symbol: not null } key)
                    {
                        calls.Add(new Call(api, key, invocation, owner));
                    }
                }
            }
        }

        return calls
            .OrderBy(call => call.Operation.Syntax.SyntaxTree.FilePath, StringComparer.Ordinal)
            .ThenBy(call => call.Operation.Syntax.SpanStart)
            .ToArray();
    }

    /// <summary>DK0002, unless the configured kernel still needs reserved pages for remap_pfn_range, or the page is not allocator memory.</summary>
    private static void ReportReservation(SemanticModelAnalysisContext context, DriverKitEngine engine, IInvocationOperation invocation, BufferKey? key)
    {
        var policy = engine.GetPolicy(context.Options, invocation.Syntax.SyntaxTree);
        if (policy.RemapSkipsUnreservedRam || key is { Device: true } || invocation.Argument(0) is not { } page)
        {
            return;
        }

        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.ReservePagesForRemap,
            invocation.Syntax.GetLocation(),
            page.Syntax.ToString(),
            policy.Describe()));
    }

    /// <summary>DK0003: a free of a reserved buffer with no ClearPageReserved in another method or earlier in the same one.</summary>
    private static void ReportFreeOfReservedBuffer(SemanticModelAnalysisContext context, DriverKitEngine engine, Call[] calls, Call free)
    {
        var reservation = calls.FirstOrDefault(call => call.Api == KernelApi.SetPageReserved && call.Key.Matches(free.Key));
        if (reservation is null || calls.Any(call => call.Api == KernelApi.ClearPageReserved && call.Key.Matches(free.Key) && ClearsBefore(call, free)))
        {
            return;
        }

        var policy = engine.GetPolicy(context.Options, free.Operation.Syntax.SyntaxTree);
        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.ReservedBitLeftAtFree,
            free.Operation.Syntax.GetLocation(),
            DiagnosticSeverity.Error,
            additionalLocations: new[] { reservation.Operation.Syntax.GetLocation() },
            properties: null,
            free.Operation.TargetMethod.Name,
            free.Key.Symbol!.Name,
            policy.Describe(),
            Consequence(policy)));
    }

    /// <summary>A clear in another method is assumed to run before the free (release paths call cleanup helpers); in the same method it must come first.</summary>
    private static bool ClearsBefore(Call clear, Call free) =>
        !SymbolEqualityComparer.Default.Equals(clear.Method, free.Method)
        || clear.Operation.Syntax.SyntaxTree != free.Operation.Syntax.SyntaxTree
        || clear.Operation.Syntax.SpanStart < free.Operation.Syntax.SpanStart;

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
