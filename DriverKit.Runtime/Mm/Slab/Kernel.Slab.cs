using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>ZERO_SIZE_PTR: what kmalloc(0) returns; kfree accepts it.</summary>
    public static readonly KernelAddr ZeroSizePtr = new(16);

    /// <summary>
    /// mm/slab_common.c: kmalloc — a linear-map address of <paramref name="size"/> bytes. Up to 8 KiB the object
    /// lives in a shared slab page (page type slab, unsuitable for vm_insert_page and, mapped whole, exposing its
    /// neighbours: DKMM008/010); above, a compound "large kmalloc" allocation. NULL on failure.
    /// </summary>
    /// <param name="size">Bytes.</param>
    /// <param name="gfp">Allocation flags.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public KernelAddr Kmalloc(ulong size, Gfp gfp, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (size == 0)
        {
            return ZeroSizePtr;
        }

        if (size > PageSize << BuddyAllocator.MaxOrder)
        {
            // mm/slab_common.c: beyond KMALLOC_MAX_SIZE the page allocator refuses the order: NULL (and a WARN).
            return default;
        }

        var owner = OwnerFor(file);
        var site = Sites.Intern(caller, file, line);
        var index = SlabAllocator.CacheIndex(size);
        KernelAddr addr;
        if (index >= 0)
        {
            addr = new KernelAddr(Slab.Alloc(index, gfp, owner, site));
        }
        else
        {
            var pages = (size + PageSize - 1) / PageSize;
            var order = 0;
            while ((1UL << order) < pages)
            {
                order++;
            }

            if (order > BuddyAllocator.MaxOrder)
            {
                return default;
            }

            var pfn = AllocBlock(gfp | Gfp.Comp, order, owner, site, ownerHolder: true);
            if (pfn < 0)
            {
                return default;
            }

            Mem.Type[pfn] = PageType.LargeKmalloc;
            addr = new KernelAddr(PageOffset + ((ulong)pfn << PageShift));
            Slab.TrackLarge(addr.Value, owner, site, (int)size);
        }

        if (!addr.IsNull && (gfp & Gfp.Zero) != 0)
        {
            WriteKernel(addr, new byte[size]);
        }

        return addr;
    }

    /// <summary>include/linux/slab.h: kzalloc — zeroed kmalloc.</summary>
    /// <param name="size">Bytes.</param>
    /// <param name="gfp">Allocation flags.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 2.6.14.</exception>
    public KernelAddr Kzalloc(ulong size, Gfp gfp, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(Kzalloc));
        return Kmalloc(size, gfp | Gfp.Zero, caller, file, line);
    }

    /// <summary>
    /// mm/slub.c: kfree — NULL and ZERO_SIZE_PTR are ignored; a double free or an interior slab pointer is refused. An
    /// address outside the slab allocator frees its page (compound page) the era's way: a BUG on an order-0 page up
    /// to 5.13, a VM_BUG_ON (DEBUG_VM) in 5.14/5.15, a WARN then the free from 5.16, a WARN and no free from 6.15.
    /// </summary>
    /// <param name="addr">An address kmalloc returned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">Not a live kmalloc object, where the era's kfree BUGs or the simulator refuses.</exception>
    public void Kfree(KernelAddr addr, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (addr.IsNull || addr == ZeroSizePtr)
        {
            return;
        }

        var site = Sites.Intern(caller, file, line);
        var pfn = CheckPage(VirtToPage(addr));
        if (IsFreeFrame(pfn))
        {
            throw Refuse("INV-01", $"kfree({addr}): the memory was already freed back to the page allocator (double free)", "DK0018", pfn, Sites.Site(site));
        }

        var slab = Slab.SlabOf(pfn);
        if (slab is null)
        {
            FreeLargeKmalloc(pfn, addr, site);
            return;
        }

        if (Slab.EmptiedBy(slab, addr.Value))
        {
            // mm/slub.c: discard_slab → __free_slab → __free_pages: refused before the object is taken back.
            _ = CheckFreePages(slab.Pfn, slab.Order, site);
        }

        if (!Slab.Free(slab, addr.Value))
        {
            throw Refuse("INV-01", $"kfree({addr}): not a live object of {Slab.CacheName(SlabAllocator.CacheIndex((ulong)slab.ObjectSize))} (double free or interior pointer)", "DK0018", pfn, Sites.Site(site));
        }
    }

    /// <summary>
    /// mm/slub.c: free_large_kmalloc (5.17), free_nonslab_page (5.14) and kfree's !PageSlab branch before — the page
    /// of <paramref name="addr"/> is not a slab page: a large kmalloc is freed whole; any other page as the era decides.
    /// </summary>
    private void FreeLargeKmalloc(int pfn, KernelAddr addr, int site)
    {
        var head = Mem.CompoundHead(pfn);
        var compound = Mem.IsCompound(head);
        var kmalloced = Mem.Type[head] == PageType.LargeKmalloc;
        switch (Policy.KfreeNonSlab)
        {
            case KfreeNonSlab.BugUnlessCompound when !compound:
                throw BugOn("mm/slub.c", "kfree", "!PageCompound(page)", "INV-05", "DK0008", new Pfn((ulong)head), site: Sites.Site(site));
            case KfreeNonSlab.VmBugUnlessCompound when !compound && Config.DebugVm:
                throw VmBugOnPage(head, "!PageCompound(page)", "INV-05", "DK0008", Sites.Site(site));
            case KfreeNonSlab.WarnAndFree when !compound:
                WarnOnce("mm/slub.c", "free_large_kmalloc", "order == 0", "INV-05", "DK0008", head, site);
                Printk($"object pointer: 0x{addr.Value:x16}");
                break;
            case KfreeNonSlab.WarnAndKeep when !kmalloced:
                WarnOnce("mm/slub.c", "free_large_kmalloc", "!folio_test_large_kmalloc(folio)", "INV-05", "DK0008", head, site);
                Printk($"page:{PagePointer(head)} refcount:{Mem.RefCount[head]} mapcount:{Mem.MapCount[head]} mapping:{MappingText(head)} index:0x{Mem.Index[head]:x} pfn:0x{head:x}");
                Printk("page dumped because: Not a kmalloc allocation");
                return;
        }

        // Refused before the large kmalloc's bookkeeping changes, as __free_pages would refuse it.
        var order = compound ? Mem.Order[head] : 0;
        var ignored = CheckFreePages(head, order, site);
        if (kmalloced)
        {
            Mem.Type[head] = PageType.None;
            Slab.UntrackLarge(PageOffset + ((ulong)head << PageShift));
        }

        FreeCheckedPagesOwned(head, order, site, ignored);
    }

    /// <summary>Drops the allocator-internal owner reference of a block and frees it (slab and vmalloc pages).</summary>
    internal void ReleaseOwned(int pfn, int order) => FreePagesOwned(pfn, order, Mem.SiteOrPrev[pfn]);
}
