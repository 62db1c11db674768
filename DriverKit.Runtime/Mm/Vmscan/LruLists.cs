namespace DriverKit.Runtime;

/// <summary>
/// The LRU lists, the per-cpu add batch, and page reclaim (mm/vmscan.c: shrink_folio_list, mm/rmap.c: try_to_unmap). Only anonymous and
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

    /// <summary>mm/swap.c: the per-cpu lru_add batch (one CPU), each entry holding a page reference.</summary>
    private readonly List<int> addBatch = new(16);

    /// <summary>
    /// mm/mlock.c: the per-cpu mlock_fbatch (5.18+), each entry holding a page reference; New marks mlock_new_folio's
    /// pages, which reach the LRU only when the batch drains. A page can be queued more than once.
    /// </summary>
    private readonly List<(int Pfn, bool New)> mlockBatch = new(16);

    /// <summary>mm/swap.c: the per-cpu lru_lazyfree batch of MADV_FREE (folio_mark_lazyfree), each entry holding a page reference.</summary>
    private readonly List<int> lazyfreeBatch = new(16);

    /// <summary>
    /// Anonymous pages the lazy-free batch has moved to the file list with PG_swapbacked cleared (lru_lazyfree_fn). The
    /// frame table does not hold PG_swapbacked for anonymous pages (/proc/kpageflags derives it), so the set says it.
    /// </summary>
    private readonly HashSet<int> lazyFree = new();

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

    /// <summary>True while the page waits in the lru_add batch (it has a batch reference and no PG_lru yet).</summary>
    internal bool InAddBatch(int pfn) => addBatch.Contains(pfn);

    /// <summary>The references the mlock batch holds on the page.</summary>
    internal int MlockBatchRefs(int pfn)
    {
        var refs = 0;
        foreach (var (queued, _) in mlockBatch)
        {
            refs += queued == pfn ? 1 : 0;
        }

        return refs;
    }

    /// <summary>
    /// mm/mlock.c: mlock_folio (a mapped page of a VM_LOCKED vma) and mlock_new_folio (a new page of one, instead of
    /// lru_add) — folio_get, then the page waits in the mlock batch until lru_add_drain or a full batch.
    /// </summary>
    internal void AddMlock(int pfn, bool isNew)
    {
        kernel.Mem.RefCount[pfn]++;
        mlockBatch.Add((pfn, isNew));
        if (mlockBatch.Count >= kernel.Policy.PagevecSize)
        {
            DrainMlock();
        }
    }

    /// <summary>
    /// mm/mlock.c: mlock_folio_batch — new pages go onto the LRU (the unevictable list in the kernel; reclaim here
    /// skips PG_mlocked), and every entry's reference is dropped: a page only the batch held is freed.
    /// </summary>
    private void DrainMlock()
    {
        foreach (var (pfn, isNew) in mlockBatch)
        {
            if (kernel.Mem.RefCount[pfn] == 1)
            {
                kernel.PutPageRef(pfn);
                continue;
            }

            if (isNew && !Contains(pfn))
            {
                Link(pfn);
            }
            else
            {
                Cull(pfn);
            }

            kernel.Mem.RefCount[pfn]--;
        }

        mlockBatch.Clear();
    }

    /// <summary>
    /// mm/swap.c: lru_cache_add / folio_add_lru — the page waits in the per-cpu add batch, which takes a reference;
    /// it reaches the LRU (PG_lru) when the batch is full (PAGEVEC_SIZE) or drained.
    /// </summary>
    internal void Add(int pfn)
    {
        if (Contains(pfn) || addBatch.Contains(pfn))
        {
            return;
        }

        // The batch's reference is a derived holder of the ledger (InAddBatch), like PTEs: nothing is stored per page.
        kernel.Mem.RefCount[pfn]++;
        addBatch.Add(pfn);
        if (addBatch.Count >= kernel.Policy.PagevecSize)
        {
            Drain();
        }
    }

    /// <summary>
    /// mm/swap.c: lru_add_drain — moves the batch onto the LRU and drops the batch's references; a page only the
    /// batch still held is freed without ever being listed (folios_put). Then mlock_drain_local empties the mlock batch.
    /// </summary>
    internal void Drain()
    {
        for (var i = 0; i < addBatch.Count; i++)
        {
            var pfn = addBatch[i];
            if (kernel.Mem.RefCount[pfn] == 1)
            {
                kernel.Mem.Clear(pfn, PageFlags.Active);
                kernel.PutPageRef(pfn);
                continue;
            }

            Link(pfn);
            kernel.Mem.RefCount[pfn]--;
        }

        addBatch.Clear();
        if (mlockBatch.Count != 0)
        {
            DrainMlock();
        }

        if (lazyfreeBatch.Count != 0)
        {
            DrainLazyFree();
        }
    }

    /// <summary>
    /// mm/swap.c: folio_mark_lazyfree — an anonymous, swap-backed page on the LRU (not in the swap cache, not
    /// unevictable) waits in the lazy-free batch, which takes a reference.
    /// </summary>
    internal void MarkLazyFree(int pfn)
    {
        var mem = kernel.Mem;
        if (!Contains(pfn) || mem.Mapping[pfn] != MemMap.AnonMapping || lazyFree.Contains(pfn)
            || mem.Has(pfn, PageFlags.SwapCache) || mem.Has(pfn, PageFlags.Unevictable))
        {
            return;
        }

        mem.RefCount[pfn]++;
        lazyfreeBatch.Add(pfn);
        if (lazyfreeBatch.Count >= kernel.Policy.PagevecSize)
        {
            DrainLazyFree();
        }
    }

    /// <summary>
    /// mm/swap.c: lru_lazyfree_fn — the page loses PG_active, PG_referenced and PG_swapbacked and goes to the young end
    /// of the (inactive file) list: a clean lazy-free page. The batch's references are dropped.
    /// </summary>
    private void DrainLazyFree()
    {
        var mem = kernel.Mem;
        foreach (var pfn in lazyfreeBatch)
        {
            if (mem.RefCount[pfn] == 1)
            {
                kernel.PutPageRef(pfn);
                continue;
            }

            if (Contains(pfn) && lazyFree.Add(pfn))
            {
                mem.Clear(pfn, PageFlags.Active | PageFlags.Referenced);
                if (pfn != tail)
                {
                    Unlink(pfn);
                    LinkTail(pfn);
                }
            }

            mem.RefCount[pfn]--;
        }

        lazyfreeBatch.Clear();
    }

    /// <summary>An anonymous page MADV_FREE made lazy-free (PG_swapbacked cleared).</summary>
    private bool IsLazyFree(int pfn) => lazyFree.Contains(pfn);

    /// <summary>
    /// mm/vmscan.c: reclaim_pages for MADV_PAGEOUT — the page is isolated and reclaimed regardless of its references;
    /// when it cannot go to swap (no swap space: add_to_swap fails) it is activated and put back through the add batch
    /// (folio_putback_lru), so it is PG_active but not PG_lru until the batch drains.
    /// </summary>
    internal void PageOut(int pfn)
    {
        var outcome = Evict(pfn);
        if (outcome == Outcome.Reclaimed)
        {
            ReclaimedTotal++;
            return;
        }

        if (outcome == Outcome.NoSwap && !kernel.Mem.Has(pfn, PageFlags.Mlocked))
        {
            Remove(pfn);
            kernel.Mem.Set(pfn, PageFlags.Active);
            Add(pfn);
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

        if (Contains(pfn))
        {
            // activate_page: to the active list — here, the young end with PG_active.
            if (pfn != tail)
            {
                Unlink(pfn);
                LinkTail(pfn);
            }

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
        if (Contains(pfn))
        {
            return;
        }

        LinkTail(pfn);
        count++;
        kernel.Mem.Set(pfn, PageFlags.Lru);
        Cull(pfn);
        if (kernel.Mem.Mapping[pfn] > 0)
        {
            FileCount++;
        }
        else
        {
            AnonCount++;
        }
    }

    /// <summary>
    /// mm/vmscan.c: folio_evictable — an mlocked page on the LRU sits on the unevictable list (PG_unevictable, not
    /// PG_active), 2.6.28+: lru_add_fn puts it there when it is listed, mlock_vma_page moves it at once (before
    /// 5.18), mlock_folio_batch's __mlock_folio when the mlock batch drains (5.18+). Pages off the LRU (driver
    /// pages, pages still in a batch) are only PG_mlocked.
    /// </summary>
    internal void Cull(int pfn)
    {
        var mem = kernel.Mem;
        if (kernel.Policy.HasUnevictableLru && Contains(pfn) && mem.Has(pfn, PageFlags.Mlocked))
        {
            mem.Clear(pfn, PageFlags.Active);
            mem.Set(pfn, PageFlags.Unevictable);
        }
    }

    /// <summary>
    /// mm/mlock.c: munlock_folio / __munlock_folio (munlock_vma_page → putback_lru_page before 5.18) — a page that
    /// is no longer mlocked goes back to an evictable list: PG_mlocked and PG_unevictable are cleared.
    /// </summary>
    internal void Munlock(int pfn)
    {
        kernel.Mem.Clear(pfn, PageFlags.Mlocked | PageFlags.Unevictable);
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
        if (lazyFree.Count != 0)
        {
            lazyFree.Remove(pfn);
        }

        kernel.Mem.Clear(pfn, PageFlags.Lru | PageFlags.Active | PageFlags.Unevictable); // __clear_page_lru_flags
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
        // shrink_inactive_list: lru_add_drain first, so fresh pages can be scanned.
        Drain();

        // get_scan_count: without swap the anonymous list is not scanned; lazy-free pages (on the file list) still are.
        var noSwap = kernel.Swap.Capacity == 0;
        long reclaimed = 0;
        var scan = count * 2;
        var pfn = head;
        while (pfn != MemMap.None && reclaimed < target && scan-- > 0)
        {
            var following = next[pfn];
            switch (noSwap && !IsLazyFree(pfn) ? Outcome.Kept : TryReclaim(pfn))
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
        NoSwap,
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

        var evicted = Evict(pfn);
        return evicted == Outcome.NoSwap ? Outcome.Kept : evicted;
    }

    /// <summary>shrink_folio_list past the reference checks: unmap the page and free it, to swap unless it is lazy-free.</summary>
    private Outcome Evict(int pfn)
    {
        var mem = kernel.Mem;
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
                Cull(pfn);
            }

            return Outcome.Kept;
        }

        if (IsLazyFree(pfn))
        {
            // mm/rmap.c: try_to_unmap_one — a clean lazy-free page is discarded; one written since MADV_FREE is
            // swap-backed again and kept.
            if (mem.Has(pfn, PageFlags.Dirty) || kernel.AnyPteDirty(pfn))
            {
                lazyFree.Remove(pfn);
                return Outcome.Kept;
            }

            kernel.UnmapToSwap(pfn, -1);
            return Outcome.Reclaimed;
        }

        var slot = kernel.Swap.Alloc();
        if (slot < 0)
        {
            return Outcome.NoSwap;
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
