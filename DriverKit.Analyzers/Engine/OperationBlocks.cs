using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace DriverKit.Analyzers.Engine;

internal static class OperationBlocks
{
    /// <summary>One operation block per root (method body, constructor body, initializer); the blocks' parents are those roots.</summary>
    public static IEnumerable<IOperation> Roots(ImmutableArray<IOperation> blocks)
    {
        var seen = new HashSet<SyntaxNode>();
        foreach (var block in blocks)
        {
            if (seen.Add(block.Root().Syntax))
            {
                yield return block;
            }
        }
    }
}
