using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace DriverKit.Analyzers.Engine;

internal static class OperationBlocks
{
    /// <summary>
    /// Whether <c>blocks[index]</c> is the first block of its root (method body, constructor body, initializer): rules handle
    /// one block per root, whose parent chain leads to that root. Allocation-free; a context has one or a few blocks.
    /// </summary>
    public static bool IsFirstOfItsRoot(ImmutableArray<IOperation> blocks, int index)
    {
        if (index == 0)
        {
            return true;
        }

        var root = blocks[index].Root().Syntax;
        for (var i = 0; i < index; i++)
        {
            if (blocks[i].Root().Syntax == root)
            {
                return false;
            }
        }

        return true;
    }
}
