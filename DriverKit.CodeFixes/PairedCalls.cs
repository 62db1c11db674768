using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.CodeFixes;

/// <summary>One call of a pair of runtime functions (SetPageReserved/ClearPageReserved, LockPage/UnlockPage) with the memory it is about.</summary>
internal sealed class PairedCall
{
    public PairedCall(KernelApi api, IInvocationOperation operation, ValueOrigin origin)
    {
        Api = api;
        Operation = operation;
        Origin = origin;
    }

    public KernelApi Api { get; }

    public IInvocationOperation Operation { get; }

    public SyntaxNode Syntax => Operation.Syntax;

    /// <summary>The memory of the call's first argument.</summary>
    public ValueOrigin Origin { get; }
}

/// <summary>
/// What a complete fix of a paired call must change with it: the calls of the other side that may be on the same memory (a
/// clear in the free path, an unlock in a teardown helper), the calls of the first side those may pair with, and so on.
/// </summary>
internal static class PairedCalls
{
    /// <summary>Every call of the compilation that <paramref name="include"/> admits among the calls spelt with <paramref name="names"/>.</summary>
    public static List<PairedCall> Find(DriverKitEngine engine, IReadOnlyCollection<string> names, Func<IInvocationOperation, bool> include, CancellationToken cancellationToken) =>
        CallSites.Find(engine, names, include, cancellationToken)
            .Select(invocation => new PairedCall(
                engine.Symbols.Classify(invocation.TargetMethod),
                invocation,
                engine.Values.OriginOf(invocation.Argument(0), cancellationToken)))
            .ToList();

    /// <summary>
    /// The call at <paramref name="start"/> and, alternating sides (<paramref name="isRelease"/> tells a ClearPageReserved or
    /// UnlockPage from the other side), every call that may be on memory a call already taken is on; null when
    /// <paramref name="start"/> is not among <paramref name="calls"/>.
    /// </summary>
    public static List<PairedCall>? Closure(
        DriverKitEngine engine, List<PairedCall> calls, SyntaxNode start, Func<KernelApi, bool> isRelease, CancellationToken cancellationToken)
    {
        var first = calls.FirstOrDefault(call => call.Syntax.Span == start.Span && call.Syntax.SyntaxTree == start.SyntaxTree);
        if (first is null)
        {
            return null;
        }

        var closure = new List<PairedCall> { first };
        var taken = new HashSet<PairedCall> { first };
        var work = new Queue<PairedCall>(closure);
        while (work.Count > 0)
        {
            var current = work.Dequeue();
            var wantRelease = !isRelease(current.Api);
            foreach (var other in calls)
            {
                if (isRelease(other.Api) == wantRelease && !taken.Contains(other)
                    && engine.Values.Overlap(current.Origin, other.Origin, cancellationToken))
                {
                    taken.Add(other);
                    closure.Add(other);
                    work.Enqueue(other);
                }
            }
        }

        return closure;
    }
}
