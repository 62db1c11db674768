namespace DriverKit.Runtime;

/// <summary>
/// The LRU lists and page reclaim (mm/vmscan.c: shrink_folio_list, mm/rmap.c: try_to_unmap). Only anonymous and
/// shmem pages are ever on them: driver pages (alloc_pages, vmalloc, kmalloc, inserted or remapped) never are,
/// so VM_LOCKED, VM_IO or PG_reserved never did anything to keep them from being swapped (INV-24).
/// </summary>
internal sealed class LruLists
{
    private readonly Kernel kernel;
    private readonly LinkedList<int> list = new();
    private readonly Dictionary<int, LinkedListNode<int>> nodes = new();

    internal LruLists(Kernel kernel) => this.kernel = kernel;

    internal long AnonCount { get; private set; }

    internal long FileCount { get; private set; }

    internal long ReclaimedTotal { get; private set; }

    internal long SwappedOutTotal { get; private set; }

    internal IEnumerable<int> Pages => list;

    /// <summary>lru_cache_add: the page joins the inactive end (PG_lru).</summary>
    internal void Add(int pfn)
    {
        if (nodes.ContainsKey(pfn))
        {
            return;
        }

        nodes[pfn] = list.AddLast(pfn);
        kernel.Mem.Set(pfn, PageFlags.Lru);
        if (kernel.Mem.Mapping[pfn] > 0)
        {
            FileCount++;
        }
        else
        {
            AnonCount++;
        }
    }

    /// <summary>Removes a page that is being freed (__page_cache_release).</summary>
    internal void Remove(int pfn)
    {
        if (!nodes.Remove(pfn, out var node))
        {
            return;
        }

        list.Remove(node);
        kernel.Mem.Clear(pfn, PageFlags.Lru | PageFlags.Active);
        if (kernel.Mem.Mapping[pfn] > 0)
        {
            FileCount--;
        }
        else
        {
            AnonCount--;
        }
    }

    /// <summary>
    /// Reclaims up to <paramref name="target"/> pages, oldest first, swapping them out: pages that are locked,
    /// mlocked, referenced (second chance), mapped by a vma try_to_unmap refuses (VM_LOCKED; VM_RESERVED up to
    /// 2.6.15-rc2), or held by anyone but their mappings and cache (GUP, pins, drivers) are kept.
    /// </summary>
    internal long Reclaim(long target, bool directReclaim)
    {
        if (kernel.Swap.Capacity == 0)
        {
            return 0;
        }

        long reclaimed = 0;
        var scan = list.Count * 2;
        var node = list.First;
        while (node is not null && reclaimed < target && scan-- > 0)
        {
            var next = node.Next;
            var pfn = node.Value;
            switch (TryReclaim(pfn))
            {
                case Outcome.Reclaimed:
                    reclaimed++;
                    break;
                case Outcome.Rotate:
                    list.Remove(node);
                    list.AddLast(node);
                    break;
            }

            node = next;
        }

        ReclaimedTotal += reclaimed;
        if (directReclaim && reclaimed > 0)
        {
            kernel.Printk($"{kernel.CurrentCommForLog}: direct reclaim freed {reclaimed} pages");
        }

        return reclaimed;
    }

    private enum Outcome
    {
        Kept,
        Rotate,
        Reclaimed,
    }

    private Outcome TryReclaim(int pfn)
    {
        var mem = kernel.Mem;
        if (mem.Has(pfn, PageFlags.Locked) || mem.Has(pfn, PageFlags.Mlocked) || mem.Has(pfn, PageFlags.Unevictable))
        {
            return Outcome.Kept;
        }

        if (mem.Has(pfn, PageFlags.Referenced) || kernel.ClearYoung(pfn))
        {
            mem.Clear(pfn, PageFlags.Referenced);
            return Outcome.Rotate;
        }

        var cacheRef = mem.Mapping[pfn] > 0 ? 1 : 0;
        if (mem.RefCount[pfn] != mem.MapCount[pfn] + cacheRef)
        {
            // folio_ref_freeze fails: someone outside the page tables (GUP, a pin, a driver) holds the page.
            return Outcome.Kept;
        }

        if (!kernel.CanUnmapAll(pfn))
        {
            if (kernel.Policy.HasUnevictableLru)
            {
                mem.Set(pfn, PageFlags.Mlocked);
            }

            return Outcome.Kept;
        }

        var slot = kernel.Swap.Alloc();
        if (slot < 0)
        {
            return Outcome.Kept;
        }

        kernel.Swap.WriteFrom(slot, pfn);
        var uses = kernel.UnmapToSwap(pfn, slot);
        SwappedOutTotal++;
        if (cacheRef == 1)
        {
            kernel.MoveShmemPageToSwap(pfn, slot);
        }
        else if (uses == 0)
        {
            kernel.Swap.Free(slot);
        }
        else
        {
            kernel.Swap.SetCount(slot, uses);
        }

        return Outcome.Reclaimed;
    }
}
