namespace DriverKit.Runtime;

/// <summary>
/// The LRU lists, the per-cpu add batch, and page reclaim (mm/vmscan.c: shrink_folio_list, mm/rmap.c: try_to_unmap). Only anonymous and
/// shmem pages are ever on them: driver pages (alloc_pages, vmalloc, kmalloc, inserted or remapped) never are,
/// so VM_LOCKED, VM_IO or PG_reserved never did anything to keep them from being swapped (INV-24).
/// </summary>
internal sealed class LruLists
{
    private readonly Kernel kernel;
    private readonly LinkedList<int> list = new();
    private readonly Dictionary<int, LinkedListNode<int>> nodes = new();

    /// <summary>mm/swap.c: the per-cpu lru_add batch (one CPU), each entry holding a page reference.</summary>
    private readonly List<int> addBatch = new(16);

    internal LruLists(Kernel kernel) => this.kernel = kernel;

    internal long AnonCount { get; private set; }

    internal long FileCount { get; private set; }

    internal long ReclaimedTotal { get; private set; }

    internal long SwappedOutTotal { get; private set; }

    internal IEnumerable<int> Pages => list;

    /// <summary>True while the page waits in the lru_add batch (it has a batch reference and no PG_lru yet).</summary>
    internal bool InAddBatch(int pfn) => addBatch.Contains(pfn);

    /// <summary>
    /// mm/swap.c: lru_cache_add / folio_add_lru — the page waits in the per-cpu add batch, which takes a reference;
    /// it reaches the LRU (PG_lru) when the batch is full (PAGEVEC_SIZE) or drained.
    /// </summary>
    internal void Add(int pfn)
    {
        if (nodes.ContainsKey(pfn) || addBatch.Contains(pfn))
        {
            return;
        }

        kernel.Mem.RefCount[pfn]++;
        kernel.Ledger.Add(pfn, HolderKind.LruBatch, CallSites.Kernel);
        addBatch.Add(pfn);
        if (addBatch.Count >= kernel.Policy.PagevecSize)
        {
            Drain();
        }
    }

    /// <summary>
    /// mm/swap.c: lru_add_drain — moves the batch onto the LRU and drops the batch's references; a page only the
    /// batch still held is freed without ever being listed (folios_put).
    /// </summary>
    internal void Drain()
    {
        if (addBatch.Count == 0)
        {
            return;
        }

        var pages = addBatch.ToArray();
        addBatch.Clear();
        foreach (var pfn in pages)
        {
            kernel.Ledger.RemoveOne(pfn, HolderKind.LruBatch);
            if (kernel.Mem.RefCount[pfn] == 1)
            {
                kernel.Mem.Clear(pfn, PageFlags.Active);
                kernel.PutPageRef(pfn);
                continue;
            }

            Link(pfn);
            kernel.Mem.RefCount[pfn]--;
        }
    }

    /// <summary>
    /// mm/swap.c: folio_mark_accessed — the first access sets PG_referenced; the next activates an LRU page and
    /// clears the flag. From 3.12 a page off the LRU is treated the same (activated if it waits in the add batch,
    /// __lru_cache_activate_folio), so a driver page's PG_referenced toggles; before, it stays set.
    /// </summary>
    internal void MarkAccessed(int pfn)
    {
        var mem = kernel.Mem;
        if (!mem.Has(pfn, PageFlags.Referenced))
        {
            mem.Set(pfn, PageFlags.Referenced);
            return;
        }

        if (mem.Has(pfn, PageFlags.Unevictable) || mem.Has(pfn, PageFlags.Active))
        {
            return;
        }

        if (nodes.TryGetValue(pfn, out var node))
        {
            // activate_page: to the active list — here, the young end with PG_active.
            list.Remove(node);
            list.AddLast(node);
            mem.Set(pfn, PageFlags.Active);
        }
        else if (!kernel.Policy.MarkAccessedActivatesUnlisted)
        {
            return;
        }
        else if (addBatch.Contains(pfn))
        {
            mem.Set(pfn, PageFlags.Active);
        }

        mem.Clear(pfn, PageFlags.Referenced);
    }

    private void Link(int pfn)
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
        // shrink_inactive_list: lru_add_drain first, so fresh pages can be scanned.
        Drain();
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

        if (mem.Has(pfn, PageFlags.Active))
        {
            // shrink_active_list: an active page is deactivated before it can be reclaimed.
            mem.Clear(pfn, PageFlags.Active);
            return Outcome.Rotate;
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
