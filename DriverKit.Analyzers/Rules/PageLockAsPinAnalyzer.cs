using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0006: PG_locked used as a pin. SetPageLocked is reported always (it sets the bit outside the lock protocol). LockPage
/// is reported when, along the function's paths, a page still locked is handed to the DMA engine, or when no UnlockPage of
/// that page (or buffer) can follow in the function, directly or in a helper it calls — the lock is left held across
/// methods, as a pin would be. Pages are matched by the value analysis (<see cref="ValueSummaries"/>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PageLockAsPinAnalyzer : DriverKitAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.PageLockAsPin);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(tree => Analyze(tree, engine));

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        var cancellationToken = context.CancellationToken;
        foreach (var root in engine.RootsAt(context, engine.Sources.PageLockNamesFound(cancellationToken)))
        {
            if (root is not (IMethodBodyOperation or IConstructorBodyOperation) || !engine.Sources.LocksPages(root))
            {
                continue;
            }

            var policy = engine.GetPolicy(context.Options, root.Syntax.SyntaxTree);
            var flow = engine.Values.FlowOf(root, cancellationToken);
            var events = EventFlow.Analyze(
                root,
                invocation => engine.Symbols.Classify(invocation.TargetMethod) switch
                {
                    KernelApi.LockPage or KernelApi.SetPageLocked => (EventKind.Acquire, flow.Of(invocation.Argument(0), cancellationToken)),
                    KernelApi.UnlockPage => (EventKind.Release, flow.Of(invocation.Argument(0), cancellationToken)),
                    KernelApi.DmaSubmit => (EventKind.Use, flow.Of(invocation.Argument(0), cancellationToken)),
                    KernelApi.None when engine.Values.ReleasedByHelper(invocation, KernelApi.UnlockPage, cancellationToken) is { IsNone: false } released =>
                        (EventKind.Release, released),
                    _ => null,
                },
                (a, b) => engine.Values.Overlap(a, b, cancellationToken),
                assumeLoopsRun: false,
                cancellationToken);
            foreach (var lockEvent in events.Events.Where(candidate => candidate.Kind == EventKind.Acquire))
            {
                Report(context, engine, policy, events, lockEvent);
            }
        }
    }

    private static void Report(SemanticModelAnalysisContext context, DriverKitEngine engine, EraPolicy policy, EventFlowResult events, FlowEvent lockEvent)
    {
        var operation = lockEvent.Operation;
        var setPageLocked = operation.TargetMethod.Name == "SetPageLocked";
        string? why = null;
        if (!lockEvent.Origin.Atoms.IsEmpty)
        {
            var (dma, unlocked) = Follow(engine, events, lockEvent, context.CancellationToken);
            why = dma ? " and hands the locked page to DMA"
                : !unlocked ? " and leaves it locked when the method returns"
                : null;
        }

        if (why is null && !setPageLocked)
        {
            return;
        }

        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.PageLockAsPin,
            operation.Syntax.GetLocation(),
            operation.TargetMethod.Name,
            operation.Argument(0)?.Syntax.ToString() ?? "",
            why ?? " outside the lock protocol",
            policy.HasPinUserPages
                ? "GetPage/PutPage, or PinUserPages/UnpinUserPages for user memory"
                : $"GetPage/PutPage, or GetUserPages references for user memory; PinUserPages arrives in 5.6, after Linux {policy.Describe()}"));
    }

    /// <summary>
    /// <c>Dma</c> when a path submits the page (or another page of the buffer) to DMA while the lock is held; <c>Unlocked</c>
    /// when some path unlocks it after the lock at all. A lock counts as left held only when no path unlocks it, so two loops
    /// (lock every page, later unlock every page) are fine although a zero-trip path skips the unlock.
    /// </summary>
    private static (bool Dma, bool Unlocked) Follow(DriverKitEngine engine, EventFlowResult events, FlowEvent lockEvent, CancellationToken cancellationToken)
    {
        var dma = false;
        var unlocked = false;
        foreach (var later in events.Events)
        {
            if (later.Function != lockEvent.Function || !engine.Values.Overlap(later.Origin, lockEvent.Origin, cancellationToken))
            {
                continue;
            }

            dma |= later.Kind == EventKind.Use && later.HeldBefore.Contains(lockEvent.Id);
            unlocked |= later.Kind == EventKind.Release && later.ReachedBefore.Contains(lockEvent.Id);
        }

        return (dma, unlocked);
    }
}
