namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: __pte_alloc — the leaf table a fault at <paramref name="addr"/> needs. The tables are host memory, but
    /// each stands for a page-table page the kernel takes from the free memory (pte_alloc_one, GFP_PGTABLE_USER): once the
    /// machine's live tables would need more frames than are free, direct reclaim runs, and if it frees too little the
    /// allocation fails and the fault returns VM_FAULT_OOM (do_anonymous_page, __do_fault: "if (pte_alloc(...)) return
    /// VM_FAULT_OOM"). A huge MAP_POPULATE of zero-page PTEs therefore stops where the real machine's RAM ends; remap_pfn_range
    /// and vm_insert_page (get_locked_pte) fail with -ENOMEM the same way.
    /// </summary>
    internal bool PteAlloc(MmStruct mm, ulong addr) => PteAllocRange(mm, addr, addr + 1);

    /// <summary>
    /// <see cref="PteAlloc"/> for every leaf table [<paramref name="start"/>, <paramref name="end"/>) lacks, checked before
    /// any is taken: false when they do not fit in the free memory even after direct reclaim.
    /// </summary>
    internal bool PteAllocRange(MmStruct mm, ulong start, ulong end)
    {
        // More tables than the machine has frames can never fit: stop counting there.
        var limit = (long)Mem.Count + 1;
        var needed = 0L;
        for (var a = start & ~(PageTable.LeafSpan - 1); a < end && needed < limit; a += PageTable.LeafSpan)
        {
            if (!mm.PageTable.HasLeaf(a))
            {
                needed++;
            }
        }

        return TablesFit(needed);
    }

    /// <summary>
    /// mm/memory.c: copy_pte_range → pte_alloc_map_lock — the leaf tables fork's copy of <paramref name="src"/> takes in
    /// <paramref name="child"/>: one for every leaf of the parent that maps something in the vma (copy_page_range skips
    /// the empty ones), checked before any is taken. False when they do not fit: the copy fails with -ENOMEM.
    /// </summary>
    internal bool PteAllocForCopy(MmStruct child, VmArea src)
    {
        var needed = 0L;
        var addr = src.Start.Value;
        var end = src.End.Value;
        while (src.Mm.PageTable.Next(ref addr, end, out _))
        {
            if (!child.PageTable.HasLeaf(addr))
            {
                needed++;
            }

            addr = (addr | (PageTable.LeafSpan - 1)) + 1;
        }

        return TablesFit(needed);
    }

    /// <summary>Whether <paramref name="needed"/> more tables fit in the free memory, after direct reclaim if they do not at first.</summary>
    private bool TablesFit(long needed)
    {
        if (needed == 0 || PageTablePool.Live + needed <= FreePageCount)
        {
            return true;
        }

        Lru.Reclaim(PageTablePool.Live + needed - FreePageCount, directReclaim: true);
        return PageTablePool.Live + needed <= FreePageCount;
    }
}
