namespace DriverKit.Runtime;

/// <summary>
/// mm/page_alloc.c: the per-cpu page lists of one CPU (struct per_cpu_pages). Freed blocks of small orders are
/// parked here instead of going back to the buddy allocator — not PageBuddy, not merged — and come back LIFO on
/// the next allocation of the same order and migratetype; above <see cref="High"/> frames, <see cref="Batch"/>
/// of the oldest go to the buddy allocator (free_pcppages_bulk), and an empty list is refilled with
/// <see cref="Batch"/> blocks at once (rmqueue_bulk).
/// </summary>
internal sealed class PerCpuPages
{
    /// <summary>Bit in <see cref="MemMap.Migrate"/>: the frame belongs to a block parked on a per-cpu list.</summary>
    internal const byte Parked = 0x80;

    /// <summary>Bit in <see cref="MemMap.Migrate"/>: the block was allocated movable (__GFP_MOVABLE).</summary>
    internal const byte Movable = 0x01;

    private const int MaxPcpOrder = 3;

    private readonly byte[] migrate;
    private readonly BuddyAllocator buddy;

    // One list of blocks per order and migratetype, oldest first; the arrays grow as a List would, the lengths
    // apart, so a free is one store and no version bump.
    private readonly int[][] lists;
    private readonly int[] lengths;
    private readonly int maxOrder;
    private readonly bool perMigratetype;

    internal PerCpuPages(MemMap map, BuddyAllocator buddy, EraPolicy policy, int managedPages)
    {
        migrate = map.Migrate;
        this.buddy = buddy;
        maxOrder = policy.PcpMaxOrder;
        perMigratetype = policy.PcpPerMigratetype;
        Batch = policy.PcpBatch(managedPages);
        High = policy.PcpHigh(managedPages, Batch);
        lists = new int[2 * (MaxPcpOrder + 1)][];
        lengths = new int[lists.Length];
        for (var i = 0; i < lists.Length; i++)
        {
            lists[i] = new int[Batch + 1];
        }
    }

    /// <summary>pcp-&gt;batch: blocks moved per refill or bulk free.</summary>
    internal int Batch { get; }

    /// <summary>pcp-&gt;high: above this many parked frames, a batch goes back to the buddy allocator.</summary>
    internal int High { get; }

    /// <summary>pcp-&gt;count: frames parked.</summary>
    internal int Count { get; private set; }

    /// <summary>True when the frame belongs to a parked block.</summary>
    internal bool Contains(int pfn) => (migrate[pfn] & Parked) != 0;

    /// <summary>
    /// rmqueue_pcplist: the most recently freed block of this order and migratetype, refilling an empty list from
    /// the buddy allocator first. -1 when the order is not kept per cpu or the buddy allocator has nothing.
    /// </summary>
    internal int Alloc(int order, bool movable)
    {
        if (order > maxOrder)
        {
            return -1;
        }

        var index = Index(order, movable);
        if (lengths[index] == 0)
        {
            // rmqueue_bulk: the first block taken ends up at the head of the list (appended, then reversed).
            var blocks = order == 0 ? Batch : Math.Max(Batch >> order, 2);
            for (var i = 0; i < blocks; i++)
            {
                var pfn = buddy.AllocBlock(order);
                if (pfn < 0)
                {
                    break;
                }

                Append(index, pfn);
                Mark(pfn, order, (byte)(Parked | (movable ? Movable : 0)));
                Count += 1 << order;
            }

            Array.Reverse(lists[index], 0, lengths[index]);
        }

        if (lengths[index] == 0)
        {
            return -1;
        }

        var head = lists[index][--lengths[index]];
        Mark(head, order, movable ? Movable : (byte)0);
        Count -= 1 << order;
        return head;
    }

    /// <summary>
    /// free_unref_page: parks a block of a per-cpu order (false for larger ones, which go straight to the buddy
    /// allocator), then trims the lists above pcp-&gt;high.
    /// </summary>
    internal bool Free(int pfn, int order)
    {
        if (order > maxOrder)
        {
            return false;
        }

        var movable = (migrate[pfn] & Movable) != 0;
        Append(Index(order, movable), pfn);
        Mark(pfn, order, (byte)(Parked | (movable ? Movable : 0)));
        Count += 1 << order;
        if (Count >= High)
        {
            FreeBulk(Batch);
        }

        return true;
    }

    /// <summary>drain_all_pages / drain_local_pages: every parked block back to the buddy allocator.</summary>
    internal void DrainAll() => FreeBulk(int.MaxValue);

    /// <summary>free_pcppages_bulk: the oldest blocks first, list by list.</summary>
    private void FreeBulk(int blocks)
    {
        for (var i = 0; i < lists.Length && blocks > 0; i++)
        {
            var list = lists[i];
            var order = i % (MaxPcpOrder + 1);
            var take = Math.Min(blocks, lengths[i]);
            for (var j = 0; j < take; j++)
            {
                var pfn = list[j];
                Mark(pfn, order, (byte)(migrate[pfn] & Movable));
                buddy.FreeBlock(pfn, order);
                Count -= 1 << order;
            }

            lengths[i] -= take;
            Array.Copy(list, take, list, 0, lengths[i]);
            blocks -= take;
        }
    }

    private int Index(int order, bool movable) => (perMigratetype && movable ? MaxPcpOrder + 1 : 0) + order;

    /// <summary>Adds a block at the young end of list <paramref name="index"/>.</summary>
    private void Append(int index, int pfn)
    {
        var list = lists[index];
        var length = lengths[index];
        if (length == list.Length)
        {
            Array.Resize(ref lists[index], 2 * length);
            list = lists[index];
        }

        list[length] = pfn;
        lengths[index] = length + 1;
    }

    private void Mark(int pfn, int order, byte value)
    {
        for (var i = 0; i < 1 << order; i++)
        {
            migrate[pfn + i] = value;
        }
    }
}
