using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>What a call does to a buffer, for <see cref="EventFlow"/>.</summary>
internal enum EventKind
{
    /// <summary>Takes something on the buffer that must be given back: SetPageReserved, LockPage.</summary>
    Acquire,

    /// <summary>Gives it back: ClearPageReserved, UnlockPage, or a helper that calls them.</summary>
    Release,

    /// <summary>Uses the buffer in a way that cares whether it is held: a free, a DMA submission.</summary>
    Use,
}

/// <summary>One call a rule cares about, with what reaches it along the function's paths.</summary>
internal sealed class FlowEvent
{
    public FlowEvent(int id, IInvocationOperation operation, EventKind kind, ValueOrigin origin, IOperation function)
    {
        Id = id;
        Operation = operation;
        Kind = kind;
        Origin = origin;
        Function = function;
    }

    public int Id { get; }

    /// <summary>The body of the function (method, lambda or local function) the call is in.</summary>
    public IOperation Function { get; }

    public IInvocationOperation Operation { get; }

    public EventKind Kind { get; }

    /// <summary>The buffer the call is about.</summary>
    public ValueOrigin Origin { get; }

    /// <summary>The events of the same function that may run before this one on some path.</summary>
    public SourceSet ReachedBefore { get; internal set; } = SourceSet.Empty;

    /// <summary>The acquisitions still held (not released on that path) when this event runs, on some path.</summary>
    public SourceSet HeldBefore { get; internal set; } = SourceSet.Empty;
}

/// <summary>
/// Which acquisitions of a buffer (a page lock, PG_reserved) are still held when a later call runs, along every path of a
/// function (<see cref="OperationFlow{TState}"/>): the state is the set of events reached and the set of acquisitions not
/// yet released. A release gives back every held acquisition whose buffer it may denote (<see cref="ValueSummaries.Overlap"/>).
/// Lambdas and local functions are analyzed on their own, from an empty state. With <c>assumeLoopsRun</c>, a loop is taken
/// to run at least once, so a release loop over every page of a buffer counts as releasing it.
/// </summary>
internal sealed class EventFlow : OperationFlow<EventFlow.State>
{
    private readonly Func<IInvocationOperation, (EventKind Kind, ValueOrigin Origin)?> classify;
    private readonly Func<ValueOrigin, ValueOrigin, bool> overlap;
    private readonly bool assumeLoopsRun;
    private readonly EventFlowResult result;

    private readonly IOperation body;

    private EventFlow(EventFlowResult result, IOperation body, Func<IInvocationOperation, (EventKind Kind, ValueOrigin Origin)?> classify, Func<ValueOrigin, ValueOrigin, bool> overlap, bool assumeLoopsRun)
    {
        this.result = result;
        this.body = body;
        this.classify = classify;
        this.overlap = overlap;
        this.assumeLoopsRun = assumeLoopsRun;
    }

    protected override bool AssumeLoopsRun => assumeLoopsRun;

    /// <summary>Analyzes every function of a code root.</summary>
    public static EventFlowResult Analyze(
        IOperation root,
        Func<IInvocationOperation, (EventKind Kind, ValueOrigin Origin)?> classify,
        Func<ValueOrigin, ValueOrigin, bool> overlap,
        bool assumeLoopsRun,
        CancellationToken cancellationToken)
    {
        var result = new EventFlowResult();
        RootFunctions.Analyze(
            root,
            function: null,
            code =>
            {
                var flow = new EventFlow(result, code.Body, classify, overlap, assumeLoopsRun);
                flow.Run(code.Body, State.Empty);
                return flow.nested.Concat(code.Body.LocalFunctionsDeclaredIn());
            },
            cancellationToken);

        return result;
    }

    private readonly List<IOperation> nested = new();

    protected override State Join(State a, State b) => State.Join(a, b);

    protected override bool Same(State a, State b) => a.SameAs(b);

    protected override void Nested(IOperation function, State state) => nested.Add(function);

    protected override void Transfer(IOperation operation, ref State state)
    {
        if (operation is not IInvocationOperation invocation || result.EventOf(invocation, body, classify) is not { } current)
        {
            return;
        }

        current.ReachedBefore = SourceSet.Union(current.ReachedBefore, state.Reached);
        current.HeldBefore = SourceSet.Union(current.HeldBefore, state.Held);
        var held = state.Held;
        switch (current.Kind)
        {
            case EventKind.Acquire:
                held = SourceSet.Union(held, SourceSet.Of(current.Id));
                break;
            case EventKind.Release:
                foreach (var id in held.Members().ToList())
                {
                    if (overlap(result.Events[id].Origin, current.Origin))
                    {
                        held = held.Without(id);
                    }
                }

                break;
        }

        state = new State(SourceSet.Union(state.Reached, SourceSet.Of(current.Id)), held);
    }

    /// <summary>The events reached so far and the acquisitions still held. Immutable.</summary>
    internal sealed class State
    {
        public static readonly State Empty = new(SourceSet.Empty, SourceSet.Empty);

        public State(SourceSet reached, SourceSet held)
        {
            Reached = reached;
            Held = held;
        }

        public SourceSet Reached { get; }

        public SourceSet Held { get; }

        public static State Join(State a, State b)
        {
            var reached = SourceSet.Union(a.Reached, b.Reached);
            var held = SourceSet.Union(a.Held, b.Held);
            return ReferenceEquals(reached, a.Reached) && ReferenceEquals(held, a.Held) ? a : new State(reached, held);
        }

        public bool SameAs(State other) => ReferenceEquals(this, other) || (Reached.Equals(other.Reached) && Held.Equals(other.Held));
    }
}

/// <summary>The events of a code root, with what reached each and the states at each function's exit.</summary>
internal sealed class EventFlowResult
{
    private readonly Dictionary<SyntaxNode, FlowEvent?> bySyntax = new();

    public List<FlowEvent> Events { get; } = new();

    /// <summary>The event of a call (by its syntax), classified once.</summary>
    public FlowEvent? EventOf(IInvocationOperation invocation) => bySyntax.TryGetValue(invocation.Syntax, out var found) ? found : null;

    internal FlowEvent? EventOf(IInvocationOperation invocation, IOperation function, Func<IInvocationOperation, (EventKind Kind, ValueOrigin Origin)?> classify)
    {
        if (bySyntax.TryGetValue(invocation.Syntax, out var known))
        {
            return known;
        }

        FlowEvent? created = null;
        if (classify(invocation) is { } classified)
        {
            created = new FlowEvent(Events.Count, invocation, classified.Kind, classified.Origin, function);
            Events.Add(created);
        }

        bySyntax[invocation.Syntax] = created;
        return created;
    }
}
