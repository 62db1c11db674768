namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    internal string CurrentCommForLog => CurrentComm;

    /// <summary>
    /// Memory pressure on demand (the simulator's kswapd): reclaims up to <paramref name="pages"/> pages from the
    /// LRU lists to swap. Returns how many were reclaimed.
    /// </summary>
    /// <param name="pages">How many pages to try to free.</param>
    public long Reclaim(long pages)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pages);
        return Lru.Reclaim(pages, directReclaim: false);
    }

    /// <summary>mm/rmap.c: folio_referenced — clears the accessed bit of every PTE mapping the page; true if any was set.</summary>
    internal bool ClearYoung(int pfn)
    {
        var young = false;
        for (var rec = Mem.RmapFirst[pfn]; rec != MemMap.None; rec = Rmap.Next(rec))
        {
            if (MmById(Rmap.Mm(rec)) is not { } mm)
            {
                continue;
            }

            ref var slot = ref mm.PageTable.Slot(Rmap.Addr(rec));
            if ((slot & Pte.Accessed) != 0)
            {
                slot &= ~Pte.Accessed;
                mm.Tlb.FlushPage(Rmap.Addr(rec) >> PageShift);
                young = true;
            }
        }

        return young;
    }

    /// <summary>True when a PTE mapping the page is dirty (try_to_unmap_one's pte_dirty test of a lazy-free page).</summary>
    internal bool AnyPteDirty(int pfn)
    {
        for (var rec = Mem.RmapFirst[pfn]; rec != MemMap.None; rec = Rmap.Next(rec))
        {
            if (MmById(Rmap.Mm(rec)) is { } mm && (mm.GetPte(Rmap.Addr(rec)) & Pte.Dirty) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>mm/rmap.c: try_to_unmap_one's refusal — any vma mapping the page that the era says must not be unmapped.</summary>
    internal bool CanUnmapAll(int pfn)
    {
        for (var rec = Mem.RmapFirst[pfn]; rec != MemMap.None; rec = Rmap.Next(rec))
        {
            var vma = MmById(Rmap.Mm(rec))?.Vmas.Containing(Rmap.Addr(rec));
            if (vma is null || (vma.RawFlags & Policy.TryToUnmapRefuseMask) != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// try_to_unmap: every PTE of an anonymous page becomes a swap entry; a shmem page's PTEs are just cleared (the
    /// page cache keeps the swap entry). Slot -1 discards a lazy-free anonymous page: its PTEs are just cleared.
    /// Returns how many PTEs now refer to the slot.
    /// </summary>
    internal int UnmapToSwap(int pfn, int slot)
    {
        var uses = 0;
        var shmem = Mem.Mapping[pfn] > 0;
        while (Mem.RmapFirst[pfn] != MemMap.None)
        {
            var rec = Mem.RmapFirst[pfn];
            var mm = MmById(Rmap.Mm(rec))!;
            var addr = Rmap.Addr(rec);
            Rmap.Remove(Mem, pfn, mm.Id, addr);
            mm.SetPte(addr, shmem || slot < 0 ? 0 : Pte.MakeSwap(slot));
            Mem.MapCount[pfn]--;
            AddRss(mm, pfn, -1);
            Mem.RefCount[pfn]--;
            if (!shmem && slot >= 0)
            {
                mm.SwapEntries++;
                uses++;
            }
        }

        if (Mem.Mapping[pfn] == MemMap.AnonMapping)
        {
            Lru.Remove(pfn);
            FreeThePage(pfn, 0);
        }

        return uses;
    }

    /// <summary>shmem_writepage: the cache entry becomes the swap slot, and the page leaves the cache.</summary>
    internal void MoveShmemPageToSwap(int pfn, int slot)
    {
        var mapping = shmemMappings[Mem.Mapping[pfn]];
        var pgoff = (ulong)Mem.Index[pfn];
        mapping.Pages.Remove(pgoff);
        mapping.SwapSlots[pgoff] = slot;
        DropFromPageCache(pfn);
    }
}
