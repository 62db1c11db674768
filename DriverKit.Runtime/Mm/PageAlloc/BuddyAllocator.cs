using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

/// <summary>
/// The buddy allocator (mm/page_alloc.c: __rmqueue_smallest, expand, __free_one_page): free blocks of 2^order
/// frames on one list per order, split on allocation and merged with their buddy on free. List links live in the
/// frame table; nothing is allocated per operation.
/// </summary>
internal sealed class BuddyAllocator
{
    /// <summary>The largest order (MAX_ORDER - 1 in older kernels, MAX_PAGE_ORDER today).</summary>
    internal const int MaxOrder = 10;

    private readonly MemMap map;
    private readonly int[] freeHead = new int[MaxOrder + 1];
    private readonly int[] freeCount = new int[MaxOrder + 1];

    private readonly FreeLists lists;

    internal BuddyAllocator(MemMap map)
    {
        this.map = map;
        Array.Fill(freeHead, MemMap.None);
        lists = new FreeLists(map, freeHead, freeCount);
    }

    /// <summary>Free frames in all lists (NR_FREE_PAGES).</summary>
    internal long FreePages { get; private set; }

    /// <summary>Free blocks on the list of <paramref name="order"/>.</summary>
    internal int FreeBlocks(int order) => freeCount[order];

    /// <summary>
    /// Hands every frame outside the <paramref name="reserved"/> ranges to the allocator in the largest aligned blocks
    /// (memblock_free_all → __free_pages_core).
    /// </summary>
    /// <param name="reserved">Half-open pfn ranges [Start, End) that stay with their owner.</param>
    internal void Boot(ReadOnlySpan<(int Start, int End)> reserved)
    {
        var pfn = 0;
        while (pfn < map.Count)
        {
            if (ReservedEnd(pfn, reserved) is var end and >= 0)
            {
                pfn = end;
                continue;
            }

            var order = MaxOrder;
            while (order > 0 && ((pfn & ((1 << order) - 1)) != 0 || pfn + (1 << order) > map.Count || Overlaps(pfn, 1 << order, reserved)))
            {
                order--;
            }

            FreeBlock(pfn, order);
            pfn += 1 << order;
        }
    }

    /// <summary>The end of the reserved range holding <paramref name="pfn"/>, or -1 when it is usable.</summary>
    private static int ReservedEnd(int pfn, ReadOnlySpan<(int Start, int End)> reserved)
    {
        foreach (var (start, end) in reserved)
        {
            if (pfn >= start && pfn < end)
            {
                return end;
            }
        }

        return -1;
    }

    private static bool Overlaps(int start, int count, ReadOnlySpan<(int Start, int End)> reserved)
    {
        foreach (var (s, e) in reserved)
        {
            if (s < start + count && start < e)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Takes a free block of exactly 2^<paramref name="order"/> frames; returns its first pfn or None.</summary>
    internal int AllocBlock(int order)
    {
        var current = order;
        while (current <= MaxOrder && freeHead[current] == MemMap.None)
        {
            current++;
        }

        if (current > MaxOrder)
        {
            return MemMap.None;
        }

        var pfn = freeHead[current];
        Unlink(pfn, current);

        // expand(): hand the upper halves back, one per order.
        while (current > order)
        {
            current--;
            Link(pfn + (1 << current), current);
        }

        return pfn;
    }

    /// <summary>Returns a block to the free lists, merging it with free buddies (__free_one_page).</summary>
    internal void FreeBlock(int pfn, int order)
    {
        // The lists in a local, so that the merge loop keeps their arrays in registers, and NR_FREE_PAGES moved once by
        // the freed block's size (merging does not change it): this runs for every page the per-cpu lists hand back.
        var lists = this.lists;
        FreePages += 1L << order;
        while (order < MaxOrder)
        {
            var buddy = pfn ^ (1 << order);
            if (!lists.IsFreeBlock(buddy, order))
            {
                break;
            }

            lists.Unlink(buddy, order);
            pfn = Math.Min(pfn, buddy);
            order++;
        }

        lists.Link(pfn, order);
    }

    /// <summary>True when <paramref name="pfn"/> lies inside a free block.</summary>
    internal bool IsFree(int pfn)
    {
        for (var order = 0; order <= MaxOrder; order++)
        {
            var head = pfn & ~((1 << order) - 1);
            if (map.Type[head] == PageType.Buddy && map.Order[head] >= order)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The free blocks as (pfn, order) pairs, sorted; for tests of the allocator's state.</summary>
    internal SortedSet<(int Pfn, int Order)> Snapshot()
    {
        var set = new SortedSet<(int, int)>();
        for (var order = 0; order <= MaxOrder; order++)
        {
            for (var pfn = freeHead[order]; pfn != MemMap.None; pfn = map.OwnerOrNext[pfn])
            {
                set.Add((pfn, order));
            }
        }

        return set;
    }

    private void Link(int pfn, int order)
    {
        lists.Link(pfn, order);
        FreePages += 1L << order;
    }

    private void Unlink(int pfn, int order)
    {
        lists.Unlink(pfn, order);
        FreePages -= 1L << order;
    }

    /// <summary>
    /// The free lists: one doubly linked list of block heads per order, linked through the frame table's fields, with the
    /// number of blocks on each (add_to_free_list / del_page_from_free_list).
    /// </summary>
    private readonly struct FreeLists
    {
        private readonly PageType[] type;
        private readonly byte[] blockOrder;
        private readonly int[] next;
        private readonly int[] prev;
        private readonly int[] heads;
        private readonly int[] counts;

        internal FreeLists(MemMap map, int[] heads, int[] counts)
        {
            type = map.Type;
            blockOrder = map.Order;
            next = map.OwnerOrNext;
            prev = map.SiteOrPrev;
            this.heads = heads;
            this.counts = counts;
        }

        /// <summary>page_is_buddy: a whole free block of this order starts at <paramref name="pfn"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal bool IsFreeBlock(int pfn, int order) =>
            pfn + (1 << order) <= type.Length && type[pfn] == PageType.Buddy && blockOrder[pfn] == order;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal void Link(int pfn, int order)
        {
            var first = heads[order];
            type[pfn] = PageType.Buddy;
            blockOrder[pfn] = (byte)order;
            prev[pfn] = MemMap.None;
            next[pfn] = first;
            if (first != MemMap.None)
            {
                prev[first] = pfn;
            }

            heads[order] = pfn;
            counts[order]++;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal void Unlink(int pfn, int order)
        {
            var following = next[pfn];
            var previous = prev[pfn];
            if (previous == MemMap.None)
            {
                heads[order] = following;
            }
            else
            {
                next[previous] = following;
            }

            if (following != MemMap.None)
            {
                prev[following] = previous;
            }

            type[pfn] = PageType.None;
            blockOrder[pfn] = 0;
            next[pfn] = 0;
            prev[pfn] = 0;
            counts[order]--;
        }
    }
}
