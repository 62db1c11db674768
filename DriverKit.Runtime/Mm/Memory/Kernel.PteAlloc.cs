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
    internal bool PteAlloc(MmStruct mm, ulong addr)
    {
        if (mm.PageTable.HasLeaf(addr) || PageTablePool.Live < FreePageCount)
        {
            return true;
        }

        Lru.Reclaim(PageTablePool.Live - FreePageCount + 1, directReclaim: true);
        return PageTablePool.Live < FreePageCount;
    }
}
