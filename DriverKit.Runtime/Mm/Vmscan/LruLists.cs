namespace DriverKit.Runtime;

/// <summary>
/// The LRU lists and page reclaim (mm/vmscan.c: shrink_folio_list, mm/rmap.c: try_to_unmap). Only anonymous and
/// shmem pages are ever on them: driver pages (alloc_pages, vmalloc, kmalloc, inserted or remapped) never are,
/// so VM_LOCKED, VM_IO or PG_reserved never did anything to keep them from being swapped (INV-24).
/// </summary>
internal sealed class LruLists
{
    private readonly Kernel kernel;

    // The list lives in the frame table (page->lru): MemMap.LruNext/LruPrev, oldest at head. Nothing is allocated
    // per page.
    private readonly int[] next;
    private readonly int[] prev;
    private int head = MemMap.None;
    private int tail = MemMap.None;
    private long count;

    internal LruLists(Kernel kernel)
    {
        this.kernel = kernel;
        next = kernel.Mem.LruNext;
        prev = kernel.Mem.LruPrev;
    }

    internal long AnonCount { get; private set; }

    internal long FileCount { get; private set; }

    internal long ReclaimedTotal { get; private set; }

    internal long SwappedOutTotal { get; private set; }

    /// <summary>The pages on the list, oldest first.</summary>
    internal IEnumerable<int> Pages
    {
        get
        {
            for (var p = head; p != MemMap.None; p = next[p])
            {
                yield return p;
            }
        }
    }

    private bool Contains(int pfn) => prev[pfn] != MemMap.NotOnLru;

    /// <summary>lru_cache_add: the page joins the inactive end (PG_lru).</summary>
    internal void Add(int pfn)
    {
        if (Contains(pfn))
        {
            return;
        }

        LinkTail(pfn);
        count++;
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
        if (!Contains(pfn))
        {
            return;
        }

        Unlink(pfn);
        count--;
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

    private void LinkTail(int pfn)
    {
        prev[pfn] = tail;
        next[pfn] = MemMap.None;
        if (tail == MemMap.None)
        {
            head = pfn;
        }
        else
        {
            next[tail] = pfn;
        }

        tail = pfn;
    }

    private void Unlink(int pfn)
    {
        var n = next[pfn];
        var p = prev[pfn];
        if (p == MemMap.None)
        {
            head = n;
        }
        else
        {
            next[p] = n;
        }

        if (n == MemMap.None)
        {
            tail = p;
        }
        else
        {
            prev[n] = p;
        }

        prev[pfn] = MemMap.NotOnLru;
        next[pfn] = MemMap.None;
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
        var scan = count * 2;
        var pfn = head;
        while (pfn != MemMap.None && reclaimed < target && scan-- > 0)
        {
            var following = next[pfn];
            switch (TryReclaim(pfn))
            {
                case Outcome.Reclaimed:
                    reclaimed++;
                    break;
                case Outcome.Rotate:
                    if (pfn != tail)
                    {
                        Unlink(pfn);
                        LinkTail(pfn);
                    }
                    else
                    {
                        following = MemMap.None; // the last page went to the tail it was at: the walk is over
                    }

                    break;
            }

            // A page taken off the list meanwhile ends the walk, as a removed LinkedListNode's Next (null) did.
            pfn = following != MemMap.None && Contains(following) ? following : MemMap.None;
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
