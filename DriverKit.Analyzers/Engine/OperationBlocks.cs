using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace DriverKit.Analyzers.Engine;

internal static class OperationBlocks
{
    /// <summary>
    /// The first block of each root (method body, constructor body, initializer) of a context's blocks, with that root:
    /// rules handle one block per root, whose parent chain leads to it. Allocation-free; a context has one or a few blocks.
    /// </summary>
    public static RootBlocks Roots(ImmutableArray<IOperation> blocks) => new(blocks);

    /// <summary>The blocks <see cref="Roots"/> yields, enumerated without allocating.</summary>
    internal readonly struct RootBlocks
    {
        private readonly ImmutableArray<IOperation> blocks;

        public RootBlocks(ImmutableArray<IOperation> blocks) => this.blocks = blocks;

        public Enumerator GetEnumerator() => new(blocks);

        internal struct Enumerator
        {
            private readonly ImmutableArray<IOperation> blocks;
            private int index;

            public Enumerator(ImmutableArray<IOperation> blocks)
            {
                this.blocks = blocks;
                index = -1;
                Current = default;
            }

            public (IOperation Block, IOperation Root) Current { get; private set; }

            public bool MoveNext()
            {
                while (++index < blocks.Length)
                {
                    var root = blocks[index].Root();
                    if (IsFirstOfItsRoot(root.Syntax))
                    {
                        Current = (blocks[index], root);
                        return true;
                    }
                }

                return false;
            }

            private readonly bool IsFirstOfItsRoot(SyntaxNode root)
            {
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
    }
}
