namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: __pte_alloc — the leaf table a fault at <paramref name="addr"/> needs. The tables are host memory, but
    /// each stands for a page-table page the kernel takes from the free memory (pte_alloc_one, GFP_PGTABLE_USER): once the
    /// machine's live tables would need more frames than are free, direct reclaim runs, and if it frees too little the
    /// allocation fails and the fault returns VM_FAULT_OOM (do_anonymous_page, __do_fault: "if (pte_alloc(...)) return
    /// VM_FAULT_OOM"). A huge MAP_POPULATE of zero-page PTEs therefore stops where the real machine's RAM ends.
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

        if (needed == 0 || PageTablePool.Live + needed <= FreePageCount)
        {
            return true;
        }

        Lru.Reclaim(PageTablePool.Live + needed - FreePageCount, directReclaim: true);
        return PageTablePool.Live + needed <= FreePageCount;
    }
}
