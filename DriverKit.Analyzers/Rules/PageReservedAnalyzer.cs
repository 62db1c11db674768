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

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSymbolStartAction(start => StartType(start, engine), SymbolKind.NamedType);

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

    /// <summary>Both rules start from a SetPageReserved call in the type; a type whose text never names it has nothing to report.</summary>
    private static readonly string[] ReservationNames = { "SetPageReserved" };

    private static void StartType(SymbolStartAnalysisContext context, DriverKitEngine engine)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var reservations = engine.Words.Cached(ReservationNames, context.CancellationToken);
        if (!type.DeclaringSyntaxReferences.Any(reference => reservations.AnyWithin(reference.SyntaxTree, reference.Span)))
        {
            return;
        }

        var calls = new ConcurrentQueue<Call>();
        context.RegisterOperationAction(operation => Collect(operation, engine, type, calls), OperationKind.Invocation);
        context.RegisterSymbolEndAction(end => ReportFreesOfReservedBuffers(end, engine, calls));
    }

    private static void Collect(OperationAnalysisContext context, DriverKitEngine engine, INamedTypeSymbol type, ConcurrentQueue<Call> calls)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var api = engine.Symbols.Classify(invocation.TargetMethod);
        if (api is not (KernelApi.SetPageReserved or KernelApi.ClearPageReserved or KernelApi.FreePages or KernelApi.FreePage or KernelApi.Kfree or KernelApi.Vfree)
            || !SymbolEqualityComparer.Default.Equals(OwningType(context.ContainingSymbol), type))
        {
            return;
        }

        var key = BufferKey.Resolve(invocation.Argument(0), engine.Symbols, invocation.SemanticModel, context.CancellationToken);
        if (api == KernelApi.SetPageReserved)
        {
            ReportReservation(context, engine, invocation, key);
        }

        if (key is { Symbol: not null } resolved)
        {
            calls.Enqueue(new Call(api, resolved, invocation, context.ContainingSymbol));
        }
    }

    private static INamedTypeSymbol? OwningType(ISymbol symbol) => symbol as INamedTypeSymbol ?? symbol.ContainingType;

    /// <summary>DK0002, unless the configured kernel still needs reserved pages for remap_pfn_range, or the page is not allocator memory.</summary>
    private static void ReportReservation(OperationAnalysisContext context, DriverKitEngine engine, IInvocationOperation invocation, BufferKey? key)
    {
        var policy = engine.GetPolicy(context.Options, invocation.Syntax.SyntaxTree);
        if (policy.RemapSkipsUnreservedRam || key is { Device: true } || invocation.Argument(0) is not { } page)
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.ReservePagesForRemap,
            invocation.Syntax.GetLocation(),
            page.Syntax.ToString(),
            policy.Describe()));
    }

    /// <summary>DK0003: a free of a reserved buffer with no ClearPageReserved in another method or earlier in the same one.</summary>
    private static void ReportFreesOfReservedBuffers(SymbolAnalysisContext context, DriverKitEngine engine, ConcurrentQueue<Call> calls)
    {
        var all = calls.ToArray();
        foreach (var free in all.Where(call => call.Api is KernelApi.FreePages or KernelApi.FreePage or KernelApi.Kfree or KernelApi.Vfree)
                     .OrderBy(call => call.Operation.Syntax.SyntaxTree.FilePath, StringComparer.Ordinal)
                     .ThenBy(call => call.Operation.Syntax.SpanStart))
        {
            var reservation = all.Where(call => call.Api == KernelApi.SetPageReserved && call.Key.Matches(free.Key))
                .OrderBy(call => call.Operation.Syntax.SyntaxTree.FilePath, StringComparer.Ordinal)
                .ThenBy(call => call.Operation.Syntax.SpanStart)
                .FirstOrDefault();
            if (reservation is null || all.Any(call => call.Api == KernelApi.ClearPageReserved && call.Key.Matches(free.Key) && ClearsBefore(call, free)))
            {
                continue;
            }

            var policy = engine.GetPolicy(context.Options, free.Operation.Syntax.SyntaxTree);
            context.ReportDiagnostic(Diagnostic.Create(
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
