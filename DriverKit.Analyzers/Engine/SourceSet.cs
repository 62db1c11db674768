namespace DriverKit.Analyzers.Engine;

/// <summary>
/// An immutable set of small non-negative integers (the ordinals of source nodes, <see cref="SourceTable"/>). A set of up
/// to <see cref="SmallLimit"/> members is a sorted array; a larger one is a bitset cut into chunks of 512 that versions
/// share. The flag analysis unions and compares these sets at every merge of paths; with shared chunks those operations
/// cost the number of chunks that differ, not the size of the set, which keeps the analysis linear in the number of flag
/// statements of a method.
/// </summary>
internal sealed class SourceSet : IEquatable<SourceSet>
{
    private const int SmallLimit = 16;
    private const int WordsPerChunk = 8;
    private const int BitsPerChunk = WordsPerChunk * 64;

    public static readonly SourceSet Empty = new(Array.Empty<int>());

    /// <summary>The members of a small set, ascending; null for a large one.</summary>
    private readonly int[]? small;

    /// <summary>The chunks of a large set; a null chunk holds no member.</summary>
    private readonly ulong[]?[]? chunks;

    private SourceSet(int[] small)
    {
        this.small = small;
        Count = small.Length;
    }

    private SourceSet(ulong[]?[] chunks, int count)
    {
        this.chunks = chunks;
        Count = count;
    }

    public int Count { get; }

    public bool IsEmpty => Count == 0;

    public static SourceSet Of(int ordinal) =>
        ordinal >= 0 ? new SourceSet(new[] { ordinal }) : throw new ArgumentOutOfRangeException(nameof(ordinal));

    public bool Contains(int ordinal)
    {
        if (small is not null)
        {
            return Array.BinarySearch(small, ordinal) >= 0;
        }

        var chunk = ordinal / BitsPerChunk;
        return ordinal >= 0 && chunk < chunks!.Length && chunks[chunk] is { } words
            && (words[(ordinal % BitsPerChunk) / 64] & (1UL << (ordinal % 64))) != 0;
    }

    /// <summary>The union; returns one of the operands (the same instance) when it already holds the other.</summary>
    public static SourceSet Union(SourceSet a, SourceSet b)
    {
        if (ReferenceEquals(a, b) || b.IsEmpty)
        {
            return a;
        }

        if (a.IsEmpty)
        {
            return b;
        }

        if (a.small is not null && b.small is not null)
        {
            return UnionSmall(a, b);
        }

        if (a.small is not null)
        {
            (a, b) = (b, a);
        }

        // a is large.
        return b.small is not null ? AddAll(a, b.small) : UnionLarge(a, b);
    }

    /// <summary>The set without <paramref name="ordinal"/>.</summary>
    public SourceSet Without(int ordinal)
    {
        if (!Contains(ordinal))
        {
            return this;
        }

        if (small is not null)
        {
            return new SourceSet(small.Where(member => member != ordinal).ToArray());
        }

        var top = (ulong[]?[])chunks!.Clone();
        var index = ordinal / BitsPerChunk;
        var words = (ulong[])top[index]!.Clone();
        words[(ordinal % BitsPerChunk) / 64] &= ~(1UL << (ordinal % 64));
        top[index] = words;
        return new SourceSet(top, Count - 1);
    }

    public IEnumerable<int> Members()
    {
        if (small is not null)
        {
            foreach (var member in small)
            {
                yield return member;
            }

            yield break;
        }

        for (var i = 0; i < chunks!.Length; i++)
        {
            if (chunks[i] is not { } words)
            {
                continue;
            }

            for (var w = 0; w < WordsPerChunk; w++)
            {
                var word = words[w];
                while (word != 0)
                {
                    yield return (i * BitsPerChunk) + (w * 64) + TrailingZeroCount(word);
                    word &= word - 1;
                }
            }
        }
    }

    public bool Equals(SourceSet? other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other is null || Count != other.Count)
        {
            return false;
        }

        if (small is not null && other.small is not null)
        {
            for (var i = 0; i < small.Length; i++)
            {
                if (small[i] != other.small[i])
                {
                    return false;
                }
            }

            return true;
        }

        if (small is not null || other.small is not null)
        {
            // A small and a large set of the same size: compare by membership (sets only grow large past the limit).
            var (list, large) = small is not null ? (small, other) : (other.small!, this);
            return list.All(large.Contains);
        }

        var length = Math.Max(chunks!.Length, other.chunks!.Length);
        for (var i = 0; i < length; i++)
        {
            var left = i < chunks.Length ? chunks[i] : null;
            var right = i < other.chunks.Length ? other.chunks[i] : null;
            if (ReferenceEquals(left, right))
            {
                continue;
            }

            for (var w = 0; w < WordsPerChunk; w++)
            {
                if ((left?[w] ?? 0) != (right?[w] ?? 0))
                {
                    return false;
                }
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as SourceSet);

    public override int GetHashCode() => Count;

    private static SourceSet UnionSmall(SourceSet a, SourceSet b)
    {
        var left = a.small!;
        var right = b.small!;
        var merged = new int[left.Length + right.Length];
        int i = 0, j = 0, n = 0;
        while (i < left.Length || j < right.Length)
        {
            if (j == right.Length || (i < left.Length && left[i] < right[j]))
            {
                merged[n++] = left[i++];
            }
            else if (i == left.Length || right[j] < left[i])
            {
                merged[n++] = right[j++];
            }
            else
            {
                merged[n++] = left[i++];
                j++;
            }
        }

        if (n == left.Length)
        {
            return a;
        }

        if (n == right.Length)
        {
            return b;
        }

        Array.Resize(ref merged, n);
        return n > SmallLimit ? AddAll(new SourceSet(Array.Empty<ulong[]?>(), 0), merged) : new SourceSet(merged);
    }

    /// <summary>Adds members (ascending) to a large set, copying the top array once and only the chunks they land in.</summary>
    private static SourceSet AddAll(SourceSet large, int[] members)
    {
        var chunks = large.chunks!;
        ulong[]?[]? top = null;
        var lastCopied = -1;
        var count = large.Count;
        foreach (var member in members)
        {
            var index = member / BitsPerChunk;
            var bit = 1UL << (member % 64);
            var word = (member % BitsPerChunk) / 64;
            var current = top ?? chunks;
            if (index < current.Length && current[index] is { } existing && (existing[word] & bit) != 0)
            {
                continue;
            }

            if (top is null || top.Length <= index)
            {
                var grown = new ulong[]?[Math.Max(current.Length, index + 1)];
                Array.Copy(current, grown, current.Length);
                top = grown;
            }

            // Members ascend, so the chunks they land in ascend too: a chunk is copied when it is first written.
            if (index != lastCopied)
            {
                top[index] = top[index] is { } old ? (ulong[])old.Clone() : new ulong[WordsPerChunk];
                lastCopied = index;
            }

            top[index]![word] |= bit;
            count++;
        }

        return top is null ? large : new SourceSet(top, count);
    }

    private static SourceSet UnionLarge(SourceSet a, SourceSet b)
    {
        if (b.chunks!.Length > a.chunks!.Length)
        {
            (a, b) = (b, a);
        }

        ulong[]?[]? top = null;
        var count = a.Count;
        for (var i = 0; i < b.chunks!.Length; i++)
        {
            var left = a.chunks![i];
            var right = b.chunks[i];
            if (right is null || ReferenceEquals(left, right))
            {
                continue;
            }

            ulong[]? merged = null;
            for (var w = 0; w < WordsPerChunk; w++)
            {
                var leftWord = left?[w] ?? 0;
                var added = right[w] & ~leftWord;
                if (added == 0)
                {
                    continue;
                }

                merged ??= left is null ? new ulong[WordsPerChunk] : (ulong[])left.Clone();
                merged[w] = leftWord | right[w];
                count += PopCount(added);
            }

            if (merged is not null)
            {
                top ??= (ulong[]?[])a.chunks.Clone();
                top[i] = merged;
            }
        }

        if (top is null)
        {
            return a;
        }

        // The result equals b when a added nothing to it: hand back b itself, so later comparisons stop at the reference.
        return count == b.Count ? b : new SourceSet(top, count);
    }

    private static int PopCount(ulong value)
    {
        var count = 0;
        while (value != 0)
        {
            value &= value - 1;
            count++;
        }

        return count;
    }

    private static int TrailingZeroCount(ulong value)
    {
        var count = 0;
        while ((value & 1) == 0)
        {
            value >>= 1;
            count++;
        }

        return count;
    }
}
