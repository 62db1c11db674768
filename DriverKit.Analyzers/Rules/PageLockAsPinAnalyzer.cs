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
/// is reported when, along the method's control flow, a page still locked is handed to the DMA engine, or when no
/// UnlockPage of that page (or buffer) follows in the method — the lock is left held across methods, as a pin would be.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PageLockAsPinAnalyzer : DriverKitAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.PageLockAsPin);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(tree => Analyze(tree, engine));

    private enum EventKind
    {
        Lock,
        Unlock,
        Dma,
    }

    private sealed class Event
    {
        public Event(EventKind kind, BufferKey? key, IInvocationOperation operation)
        {
            Kind = kind;
            Key = key;
            Operation = operation;
        }

        public EventKind Kind { get; }

        public BufferKey? Key { get; }

        public IInvocationOperation Operation { get; }
    }

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        foreach (var root in engine.RootsAt(context, engine.Sources.PageLockNamesFound(context.CancellationToken)))
        {
            if (root is not (IMethodBodyOperation or IConstructorBodyOperation) || root.SemanticModel is not { } model
                || !engine.Sources.LocksPages(root)
                || CodeRoots.GraphOf(root, context.CancellationToken) is not { } rootGraph)
            {
                continue;
            }

            var policy = engine.GetPolicy(context.Options, root.Syntax.SyntaxTree);
            var pending = new Stack<ControlFlowGraph>();
            pending.Push(rootGraph);
            while (pending.Count > 0)
            {
                var graph = pending.Pop();
                foreach (var localFunction in graph.LocalFunctions)
                {
                    pending.Push(graph.GetLocalFunctionControlFlowGraph(localFunction, context.CancellationToken));
                }

                var events = CollectEvents(graph, engine, model, context.CancellationToken, lambda => pending.Push(graph.GetAnonymousFunctionControlFlowGraph(lambda, context.CancellationToken)));
                AnalyzeGraph(context, graph, events, policy);
            }
        }
    }

    /// <summary>The lock, unlock and DMA calls of each block, in evaluation order.</summary>
    private static List<Event>[] CollectEvents(ControlFlowGraph graph, DriverKitEngine engine, SemanticModel model, CancellationToken cancellationToken, Action<IFlowAnonymousFunctionOperation> onLambda)
    {
        var events = new List<Event>[graph.Blocks.Length];
        foreach (var block in graph.Blocks)
        {
            var list = events[block.Ordinal] = new List<Event>();
            var roots = block.BranchValue is null ? block.Operations : block.Operations.Add(block.BranchValue);
            foreach (var operation in roots)
            {
                Visit(operation);
            }

            void Visit(IOperation operation)
            {
                if (operation is IFlowAnonymousFunctionOperation lambda)
                {
                    onLambda(lambda);
                    return;
                }

                foreach (var child in operation.ChildOperations)
                {
                    Visit(child);
                }

                if (operation is not IInvocationOperation invocation)
                {
                    return;
                }

                var kind = engine.Symbols.Classify(invocation.TargetMethod) switch
                {
                    KernelApi.LockPage or KernelApi.SetPageLocked => EventKind.Lock,
                    KernelApi.UnlockPage => EventKind.Unlock,
                    KernelApi.DmaSubmit => EventKind.Dma,
                    _ => (EventKind?)null,
                };
                if (kind is { } eventKind)
                {
                    list.Add(new Event(eventKind, BufferKey.Resolve(invocation.Argument(0), engine.Symbols, model, cancellationToken), invocation));
                }
            }
        }

        return events;
    }

    private static void AnalyzeGraph(SemanticModelAnalysisContext context, ControlFlowGraph graph, List<Event>[] events, EraPolicy policy)
    {
        for (var b = 0; b < events.Length; b++)
        {
            for (var i = 0; i < events[b].Count; i++)
            {
                var lockEvent = events[b][i];
                if (lockEvent.Kind != EventKind.Lock)
                {
                    continue;
                }

                var setPageLocked = lockEvent.Operation.TargetMethod.Name == "SetPageLocked";
                string? why = null;
                if (lockEvent.Key is { Symbol: not null } key)
                {
                    var (dma, unlocked) = Follow(graph, events, b, i + 1, key);
                    why = dma ? " and hands the locked page to DMA"
                        : !unlocked ? " and leaves it locked when the method returns"
                        : null;
                }

                if (why is null && !setPageLocked)
                {
                    continue;
                }

                var page = lockEvent.Operation.Argument(0);
                context.ReportVisible(Diagnostic.Create(
                    DiagnosticDescriptors.PageLockAsPin,
                    lockEvent.Operation.Syntax.GetLocation(),
                    lockEvent.Operation.TargetMethod.Name,
                    page?.Syntax.ToString() ?? "",
                    why ?? " outside the lock protocol",
                    policy.HasPinUserPages
                        ? "GetPage/PutPage, or PinUserPages/UnpinUserPages for user memory"
                        : $"GetPage/PutPage, or GetUserPages references for user memory; PinUserPages arrives in 5.6, after Linux {policy.Describe()}"));
            }
        }
    }

    /// <summary>
    /// Walks the paths after a lock: <c>Dma</c> when one of them submits the page (or another page of the buffer) to DMA before
    /// unlocking it; <c>Unlocked</c> when some path unlocks it at all. A lock counts as left held only when no path unlocks
    /// it, so two loops (lock every page, later unlock every page) are fine although a zero-trip path skips the unlock.
    /// </summary>
    private static (bool Dma, bool Unlocked) Follow(ControlFlowGraph graph, List<Event>[] events, int block, int index, BufferKey key)
    {
        var dma = false;
        var unlocked = false;
        var visited = new HashSet<int>();
        var work = new Stack<(int Block, int Index)>();
        work.Push((block, index));
        while (work.Count > 0)
        {
            var (b, i) = work.Pop();
            var stopped = false;
            for (; i < events[b].Count; i++)
            {
                var current = events[b][i];
                if (current.Key is not { } other || !key.Matches(other))
                {
                    continue;
                }

                if (current.Kind == EventKind.Unlock)
                {
                    unlocked = true;
                    stopped = true;
                    break;
                }

                if (current.Kind == EventKind.Dma)
                {
                    dma = true;
                }
            }

            if (stopped)
            {
                continue;
            }

            foreach (var branch in new[] { graph.Blocks[b].ConditionalSuccessor, graph.Blocks[b].FallThroughSuccessor })
            {
                if (branch?.Destination is { } destination && visited.Add(destination.Ordinal))
                {
                    work.Push((destination.Ordinal, 0));
                }
            }
        }

        return (dma, unlocked);
    }
}
