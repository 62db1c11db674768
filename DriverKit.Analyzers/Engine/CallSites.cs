using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The calls in the whole compilation of methods spelt with given names, found by the text search and bound only in the
/// code roots that spell them: a helper's callers, every UnlockPage a code fix must rewrite with the lock it pairs.
/// </summary>
internal static class CallSites
{
    /// <summary>Every invocation whose method is named one of <paramref name="names"/> and passes <paramref name="accept"/>.</summary>
    public static IEnumerable<IInvocationOperation> Find(DriverKitEngine engine, IReadOnlyCollection<string> names, Func<IInvocationOperation, bool> accept, CancellationToken cancellationToken)
    {
        var words = engine.Words.Find(names, cancellationToken);
        foreach (var tree in words.Trees)
        {
            if (engine.Bodies.GetModel(tree) is not { } model)
            {
                continue;
            }

            foreach (var root in CodeRoots.At(model, words, null, null, cancellationToken))
            {
                foreach (var invocation in NamedOperations.Invocations(root, words, cancellationToken))
                {
                    if (accept(invocation))
                    {
                        yield return invocation;
                    }
                }
            }
        }
    }
}
