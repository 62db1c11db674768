using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>A page-lock call DK0006 reports, and why.</summary>
internal sealed class PagePin
{
    public PagePin(FlowEvent lockEvent, string why)
    {
        Lock = lockEvent;
        Why = why;
    }

    public FlowEvent Lock { get; }

    /// <summary>" and hands the locked page to DMA", " and leaves it locked when the method returns", " outside the lock protocol".</summary>
    public string Why { get; }
}

/// <summary>
/// Where PG_locked is used as a pin (DK0006), shared by the rule and its code fix: SetPageLocked always (it sets the bit
/// outside the lock protocol); LockPage when, along the function's paths, the page is handed to DMA while still locked, or
/// when no UnlockPage of it (directly or in a helper the function calls) can follow — the lock is left held across methods,
/// as a pin would be. Pages are matched by the value analysis (<see cref="ValueSummaries"/>).
/// </summary>
internal static class PageLockPins
{
    /// <summary>The lock, unlock and DMA events of a code root.</summary>
    public static EventFlowResult Events(DriverKitEngine engine, IOperation root, CancellationToken cancellationToken)
    {
        var flow = engine.Values.FlowOf(root, cancellationToken);
        return EventFlow.Analyze(
            root,
            invocation => engine.Symbols.Classify(invocation.TargetMethod) switch
            {
                KernelApi.LockPage or KernelApi.SetPageLocked or KernelApi.TrylockPage => (EventKind.Acquire, flow.Of(invocation.Argument(0), cancellationToken)),
                KernelApi.UnlockPage => (EventKind.Release, flow.Of(invocation.Argument(0), cancellationToken)),
                KernelApi.DmaSubmit => (EventKind.Use, flow.Of(invocation.Argument(0), cancellationToken)),
                KernelApi.None when engine.Values.ReleasedByHelper(invocation, KernelApi.UnlockPage, cancellationToken) is { IsNone: false } released =>
                    (EventKind.Release, released),
                _ => null,
            },
            (a, b) => engine.Values.Overlap(a, b, cancellationToken),
            assumeLoopsRun: false,
            cancellationToken);
    }

    /// <summary>The page locks of a code root that DK0006 reports.</summary>
    public static IEnumerable<PagePin> Find(DriverKitEngine engine, IOperation root, CancellationToken cancellationToken)
    {
        var events = Events(engine, root, cancellationToken);
        foreach (var lockEvent in events.Events)
        {
            if (lockEvent.Kind != EventKind.Acquire || engine.Symbols.Classify(lockEvent.Operation.TargetMethod) == KernelApi.TrylockPage)
            {
                continue;
            }

            string? why = null;
            if (!lockEvent.Origin.Atoms.IsEmpty)
            {
                var (dma, unlocked) = Follow(engine, events, lockEvent, cancellationToken);
                why = dma ? " and hands the locked page to DMA"
                    : !unlocked ? " and leaves it locked when the method returns"
                    : null;
            }

            if (why is null && engine.Symbols.Classify(lockEvent.Operation.TargetMethod) == KernelApi.SetPageLocked)
            {
                why = " outside the lock protocol";
            }

            if (why is not null)
            {
                yield return new PagePin(lockEvent, why);
            }
        }
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
