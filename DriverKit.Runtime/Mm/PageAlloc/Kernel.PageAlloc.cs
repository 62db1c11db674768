using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>Kernel virtual address of the linear map's first byte (PAGE_OFFSET on x86-64).</summary>
    internal const ulong PageOffset = 0xffff888000000000UL;

    private long allocCount;
    private long freeCount;

    /// <summary>
    /// mm/page_alloc.c: alloc_pages. Allocates 2^<paramref name="order"/> physically contiguous frames. The first
    /// page gets refcount 1; without <see cref="Gfp.Comp"/> the tail pages stay at refcount 0 (not individually
    /// refcountable until <see cref="SplitPage"/>); with it they become compound tails. Returns NULL on failure.
    /// </summary>
    /// <param name="gfp">Allocation flags.</param>
    /// <param name="order">0 … 10.</param>
    /// <param name="caller">Filled in by the compiler: the calling member.</param>
    /// <param name="file">Filled in by the compiler: the calling file.</param>
    /// <param name="line">Filled in by the compiler: the calling line.</param>
    /// <exception cref="ArgumentOutOfRangeException">The order is outside 0 … 10.</exception>
    public Page AllocPages(Gfp gfp, int order, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckOrder(order);
        var pfn = AllocBlock(gfp, order, OwnerFor(file), Sites.Intern(caller, file, line), ownerHolder: true);
        return pfn < 0 ? default : new Page(Mem, pfn);
    }

    /// <summary>include/linux/gfp.h: alloc_page — an order-0 <see cref="AllocPages"/>.</summary>
    /// <param name="gfp">Allocation flags.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public Page AllocPage(Gfp gfp, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => AllocPages(gfp, 0, caller, file, line);

    /// <summary>mm/page_alloc.c: __get_free_pages — <see cref="AllocPages"/> returning the linear-map address (NULL on failure).</summary>
    /// <param name="gfp">Allocation flags.</param>
    /// <param name="order">0 … 10.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public KernelAddr GetFreePages(Gfp gfp, int order, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var page = AllocPages(gfp, order, caller, file, line);
        return page.IsNull ? default : PageAddress(page);
    }

    /// <summary>mm/page_alloc.c: get_zeroed_page.</summary>
    /// <param name="gfp">Allocation flags (__GFP_ZERO is added).</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public KernelAddr GetZeroedPage(Gfp gfp, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => GetFreePages(gfp | Gfp.Zero, 0, caller, file, line);

    /// <summary>
    /// mm/page_alloc.c: __free_pages. Drops the caller's reference; when it was the last, the block goes back to
    /// the allocator through the era's free-time checks (bad_page). In ≤ 2.6.14 a PG_reserved page is ignored. A page
    /// of a live slab fails those checks (PG_slab, then the slab page type, until 6.17); a vmalloc page passes them.
    /// </summary>
    /// <param name="page">The first page of the allocation.</param>
    /// <param name="order">The order it was allocated with.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">Double free, or freeing a page at refcount 0.</exception>
    public void FreePages(Page page, int order, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckOrder(order);
        var pfn = CheckPage(page);
        var site = Sites.Intern(caller, file, line);
        if (Strict && VmallocSpace.Regions.FirstOrDefault(r => Array.IndexOf(r.Pfns, pfn) >= 0) is { } region)
        {
            // A vmalloc page has no flag or page type the free path checks, in any era: the kernel frees it here, and
            // vfree frees it a second time later.
            NoteFreeFinding(pfn, $"__free_pages(pfn {pfn:x5}), a page of the live vmalloc area at {region.Start}: the kernel frees it without a check, and vfree will free it again",
                "vmalloc page freed with __free_pages", "DK0018", Sites.Site(site));
        }

        FreePagesOwned(pfn, order, site);
    }

    /// <summary>mm/page_alloc.c: free_pages — <see cref="FreePages(Page,int,string,string,int)"/> by linear-map address; NULL is ignored.</summary>
    /// <param name="addr">Address returned by <see cref="GetFreePages"/>.</param>
    /// <param name="order">The order it was allocated with.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public void FreePages(KernelAddr addr, int order, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (addr.IsNull)
        {
            return;
        }

        FreePages(VirtToPage(addr), order, caller, file, line);
    }

    /// <summary>include/linux/gfp.h: __free_page — an order-0 <see cref="FreePages(Page,int,string,string,int)"/>.</summary>
    /// <param name="page">The page.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public void FreePage(Page page, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => FreePages(page, 0, caller, file, line);

    /// <summary>include/linux/gfp.h: free_page — an order-0 free by address; NULL is ignored.</summary>
    /// <param name="addr">The page's linear-map address.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public void FreePage(KernelAddr addr, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => FreePages(addr, 0, caller, file, line);

    /// <summary>
    /// mm/page_alloc.c: split_page. Makes each subpage of a non-compound order-n allocation an individual page with
    /// refcount 1, so each can be mapped with vm_insert_page and freed with __free_page.
    /// </summary>
    /// <param name="page">The first page of the allocation.</param>
    /// <param name="order">Its order.</param>
    /// <exception cref="KernelBugException">The page is compound (VM_BUG_ON_PAGE(PageCompound)) or not an allocated head of that order.</exception>
    public void SplitPage(Page page, int order)
    {
        CheckOrder(order);
        var pfn = CheckPage(page);
        if (Mem.IsCompound(pfn))
        {
            throw VmBugOnPage(pfn, "PageCompound(page)", "INV-25", "DK0010");
        }

        if (IsFreeFrame(pfn) || Mem.Head[pfn] != pfn || Mem.Order[pfn] != order || Mem.RefCount[pfn] == 0)
        {
            throw Refuse("INV-25", $"split_page(pfn {pfn:x5}, order {order}) on a page that is not the allocated head of an order-{order} block", "DK0010", pfn);
        }

        // mm/page_alloc.c: split_page → set_page_refcounted on every tail.
        for (var i = 1; i < 1 << order; i++)
        {
            Mem.RefCount[pfn + i] = 1;
            Mem.Head[pfn + i] = pfn + i;
            Mem.Order[pfn + i] = 0;
            Ledger.Add(pfn + i, HolderKind.Owner, Mem.SiteOrPrev[pfn]);
        }

        Mem.Order[pfn] = 0;
    }

    /// <summary>include/linux/mm.h: get_page — takes a reference.</summary>
    /// <param name="page">The page (tails count on their compound head).</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">The page is free or an unsplit tail (refcount ≤ 0).</exception>
    public void GetPage(Page page, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var pfn = Mem.CompoundHead(CheckPage(page));
        var site = Sites.Intern(caller, file, line);
        if (Mem.RefCount[pfn] <= 0)
        {
            throw VmBugOnPage(pfn, "page_ref_count(page) <= 0", "INV-01", "DK0012", Sites.Site(site));
        }

        Mem.RefCount[pfn]++;
        Ledger.Add(pfn, CurrentKind == ContextKind.Fault ? HolderKind.FaultInFlight : HolderKind.Other, site);
    }

    /// <summary>
    /// mm/swap.c: put_page — drops a reference; the last one frees the page (order 0, or the whole compound page).
    /// In ≤ 2.6.14 put_page ignores PG_reserved pages.
    /// </summary>
    /// <param name="page">The page.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">The refcount is already 0.</exception>
    public void PutPage(Page page, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var pfn = Mem.CompoundHead(CheckPage(page));
        var site = Sites.Intern(caller, file, line);
        if (Policy.SpecialPteRule == SpecialPteRule.PageReserved && Mem.Has(pfn, PageFlags.Reserved))
        {
            return; // mm/swap.c (2.6.11): put_page: if (!PageReserved(page) && put_page_testzero(page))
        }

        if (Mem.RefCount[pfn] <= 0)
        {
            throw VmBugOnPage(pfn, "page_ref_count(page) == 0", "INV-01", "DK0012", Sites.Site(site));
        }

        RefuseUnheldReference(pfn, $"put_page(pfn {pfn:x5})", PutKinds, site);
        Ledger.RemoveOne(pfn, PutKinds);
        PutPageRef(pfn);
    }

    /// <summary>include/linux/mm.h: page_count.</summary>
    /// <param name="page">The page.</param>
    public int PageCount(Page page) => Mem.RefCount[Mem.CompoundHead(CheckPage(page))];

    /// <summary>include/linux/mm.h: page_mapcount — PTE mappings of the page (the kernel's _mapcount + 1).</summary>
    /// <param name="page">The page.</param>
    public int PageMapcount(Page page) => Mem.MapCount[CheckPage(page)];

    /// <summary>include/linux/page-flags.h: PageReserved.</summary>
    /// <param name="page">The page.</param>
    public bool PageReserved(Page page) => Mem.Has(CheckPage(page), PageFlags.Reserved);

    /// <summary>
    /// include/linux/page-flags.h: SetPageReserved. Refused on compound pages (PF_NO_COMPOUND). The pre-2.6.15
    /// idiom for remap_pfn_range; since 2.6.15 it only makes the later free fail its checks (DKMM002/003).
    /// </summary>
    /// <param name="page">The page.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">The page is compound, or free.</exception>
    public void SetPageReserved(Page page, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => ChangeReserved(page, set: true, Sites.Intern(caller, file, line));

    /// <summary>include/linux/page-flags.h: ClearPageReserved (PF_NO_COMPOUND).</summary>
    /// <param name="page">The page.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">The page is compound, or free.</exception>
    public void ClearPageReserved(Page page, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => ChangeReserved(page, set: false, Sites.Intern(caller, file, line));

    private void ChangeReserved(Page page, bool set, int site)
    {
        var pfn = CheckPage(page);
        if (Mem.IsCompound(pfn))
        {
            // PAGEFLAG(Reserved, reserved, PF_NO_COMPOUND): VM_BUG_ON_PGFLAGS(PageCompound(page)).
            throw VmBugOnPage(pfn, "PageCompound(page) (PF_NO_COMPOUND)", "INV-07", "DK0002", Sites.Site(site));
        }

        if (IsFreeFrame(pfn))
        {
            throw Refuse("INV-07", $"{(set ? "SetPageReserved" : "ClearPageReserved")} on free pfn {pfn:x5}: the page is not owned by the caller", "DK0002", pfn, Sites.Site(site));
        }

        if (set && Policy.SpecialPteRule == SpecialPteRule.PageReserved && Mem.RmapFirst[pfn] != MemMap.None)
        {
            ReportClassificationFlip(pfn, "PG_reserved set on a page that PTEs map (≤ 2.6.14 classification input changed)");
        }

        if (set && Strict && Policy.ReservingAllocatorPagesIsObsolete && Mem.OwnerOrNext[Mem.Head[pfn]] != BootOwner)
        {
            Record(new Report(ReportKind.Simulator, "INV-07",
                $"DKSIM INV-07: SetPageReserved on allocator pfn {pfn:x5}: since 2.6.15 remap_pfn_range does not need it, and the page must be cleared again before it is freed", Era)
            {
                Pfn = new Pfn((ulong)pfn),
                CallSite = Sites.Site(site),
                RuleId = "DK0002",
            });
        }

        if (set)
        {
            Mem.Set(pfn, PageFlags.Reserved);
            reservedSites[pfn] = site;
        }
        else
        {
            Mem.Clear(pfn, PageFlags.Reserved);
            reservedSites.Remove(pfn);
        }
    }

    private readonly Dictionary<int, int> reservedSites = new();

    /// <summary>include/linux/mm.h: pfn_valid — true when the pfn has a struct page (RAM), false for holes and MMIO.</summary>
    /// <param name="pfn">The frame number.</param>
    public bool PfnValid(Pfn pfn) => pfn.Value < (ulong)Mem.Count;

    /// <summary>include/asm-generic/memory_model.h: page_to_pfn.</summary>
    /// <param name="page">The page.</param>
    public Pfn PageToPfn(Page page) => new((ulong)CheckPage(page));

    /// <summary>include/asm-generic/memory_model.h: pfn_to_page.</summary>
    /// <param name="pfn">A RAM frame number.</param>
    /// <exception cref="ArgumentOutOfRangeException">The pfn has no struct page (beyond RAM or MMIO).</exception>
    public Page PfnToPage(Pfn pfn)
    {
        if (!PfnValid(pfn))
        {
            throw new ArgumentOutOfRangeException(nameof(pfn), $"pfn {pfn} has no struct page: RAM is pfn 0-{Mem.Count - 1:x5} (pfn_valid is false)");
        }

        return new Page(Mem, (int)pfn.Value);
    }

    /// <summary>include/linux/mm.h: page_address — the linear-map address of a page.</summary>
    /// <param name="page">The page.</param>
    public KernelAddr PageAddress(Page page) => new(PageOffset + ((ulong)CheckPage(page) << PageShift));

    /// <summary>include/linux/mm.h: virt_to_page — the page of a linear-map address.</summary>
    /// <param name="addr">A linear-map address (kmalloc, __get_free_pages).</param>
    /// <exception cref="ArgumentException">The address is not in the linear map of RAM.</exception>
    public Page VirtToPage(KernelAddr addr) => PfnToPage(VirtToPhys(addr).ToPfn());

    /// <summary>arch/x86/include/asm/io.h: virt_to_phys — only for linear-map addresses (not vmalloc, not ioremap).</summary>
    /// <param name="addr">A linear-map address.</param>
    /// <exception cref="ArgumentException">The address is not in the linear map of RAM.</exception>
    public PhysAddr VirtToPhys(KernelAddr addr)
    {
        if (addr.Value < PageOffset || addr.Value - PageOffset >= (ulong)Mem.Count << PageShift)
        {
            throw new ArgumentException($"virt_to_phys({addr}): not a linear-map address of RAM (PAGE_OFFSET {PageOffset:x16}, {Mem.Count} frames)", nameof(addr));
        }

        return new PhysAddr(addr.Value - PageOffset);
    }

    /// <summary>arch/x86/include/asm/io.h: phys_to_virt (__va).</summary>
    /// <param name="addr">A physical address in RAM.</param>
    /// <exception cref="ArgumentException">The address is not in RAM.</exception>
    public KernelAddr PhysToVirt(PhysAddr addr)
    {
        if (addr.Value >= (ulong)Mem.Count << PageShift)
        {
            throw new ArgumentException($"phys_to_virt({addr}): beyond RAM", nameof(addr));
        }

        return new KernelAddr(PageOffset + addr.Value);
    }

    /// <summary>page_to_phys.</summary>
    /// <param name="page">The page.</param>
    public PhysAddr PageToPhys(Page page) => PageToPfn(page).ToPhysAddr();

    internal int CheckPage(Page page)
    {
        if (page.IsNull)
        {
            throw new ArgumentNullException(nameof(page), "NULL struct page");
        }

        if (!ReferenceEquals(page.Map, Mem))
        {
            throw new ArgumentException("The page belongs to another simulated machine.", nameof(page));
        }

        return page.Index;
    }

    private static void CheckOrder(int order)
    {
        if ((uint)order > BuddyAllocator.MaxOrder)
        {
            throw new ArgumentOutOfRangeException(nameof(order), $"order {order} is outside 0-{BuddyAllocator.MaxOrder} (MAX_ORDER)");
        }
    }

    /// <summary>
    /// mm/page_alloc.c: get_page_from_freelist + prep_new_page. Returns the first pfn or -1. With
    /// <paramref name="ownerHolder"/> the allocation reference is booked to the owner; without, the caller books it
    /// (an anonymous page's reference becomes its PTE's).
    /// </summary>
    internal int AllocBlock(Gfp gfp, int order, int owner, int site, bool ownerHolder)
    {
        while (true)
        {
            var pfn = TakeBlock(order, gfp);
            if (pfn < 0)
            {
                // __alloc_pages_slowpath: drain_all_pages, then direct reclaim.
                Pcp.DrainAll();
                pfn = TakeBlock(order, gfp);
            }

            if (pfn < 0 && (gfp & Gfp.Reclaim) != 0 && Lru.Reclaim(1L << order, directReclaim: true) > 0)
            {
                pfn = TakeBlock(order, gfp);
            }

            if (pfn < 0)
            {
                if ((gfp & Gfp.NoWarn) == 0)
                {
                    Printk($"{CurrentComm}: page allocation failure: order:{order}, mode:0x{(uint)gfp:x}");
                }

                return -1;
            }

            if (PrepNewPage(pfn, order))
            {
                Prep(pfn, order, gfp, owner, site);
                if (ownerHolder)
                {
                    Ledger.Add(pfn, HolderKind.Owner, site);
                }

                allocCount += 1L << order;
                return pfn;
            }
        }
    }

    /// <summary>mm/page_alloc.c: rmqueue — the per-cpu lists for small orders, the buddy allocator otherwise.</summary>
    private int TakeBlock(int order, Gfp gfp)
    {
        var movable = (gfp & Gfp.Movable) != 0;
        var pfn = Pcp.Alloc(order, movable);
        if (pfn < 0)
        {
            pfn = Buddy.AllocBlock(order);
        }

        if (pfn >= 0)
        {
            var migrate = movable ? PerCpuPages.Movable : (byte)0;
            if (order == 0)
            {
                Mem.Migrate[pfn] = migrate;
            }
            else
            {
                Array.Fill(Mem.Migrate, migrate, pfn, 1 << order);
            }
        }

        return pfn;
    }

    /// <summary>True when the frame is free: in the buddy allocator or parked on a per-cpu list.</summary>
    internal bool IsFreeFrame(int pfn) => Buddy.IsFree(pfn) || Pcp.Contains(pfn);

    /// <summary>
    /// mm/page_alloc.c: drain_all_pages — returns every block parked on the per-cpu lists to the buddy allocator,
    /// as memory hotplug, compaction and allocation failure do. Afterwards the buddy allocator holds every free frame.
    /// </summary>
    public void DrainAllPages() => Pcp.DrainAll();

    /// <summary>mm/page_alloc.c: check_new_page — a page leaving the allocator must carry no flags; a bad one is reported and left out (leaked).</summary>
    private bool PrepNewPage(int pfn, int order)
    {
        var ok = true;
        for (var i = 0; i < 1 << order; i++)
        {
            var p = pfn + i;
            if (Mem.Flags[p] != 0 || Mem.MapCount[p] != 0 || Mem.Mapping[p] != 0 || Mem.RefCount[p] != 0)
            {
                BadPage(p, Mem.Flags[p] != 0 ? "PAGE_FLAGS_CHECK_AT_PREP flag(s) set" : "nonzero _refcount", "prep_new_page", "INV-05", Mem.Has(p, PageFlags.Reserved) ? "DK0003" : null);
                ok = false;
            }
        }

        return ok;
    }

    private void Prep(int pfn, int order, Gfp gfp, int owner, int site)
    {
        var compound = order > 0 && (gfp & Gfp.Comp) != 0;
        var zero = (gfp & Gfp.Zero) != 0;
        for (var i = 0; i < 1 << order; i++)
        {
            var p = pfn + i;
            Mem.Flags[p] = 0;
            Mem.RefCount[p] = i == 0 ? 1 : 0;
            Mem.Head[p] = pfn;
            Mem.Order[p] = 0;
            Mem.OwnerOrNext[p] = owner;
            Mem.SiteOrPrev[p] = site;
            Mem.Generation[p]++;
            if (zero)
            {
                Mem.Data[p] = null;
            }
        }

        Mem.Order[pfn] = (byte)order;
        if (compound)
        {
            Mem.Set(pfn, PageFlags.Head);
        }
    }

    /// <summary>Drops one reference from the compound head <paramref name="pfn"/>; frees the page at zero (put_page_testzero + __put_page).</summary>
    internal void PutPageRef(int pfn)
    {
        if (--Mem.RefCount[pfn] == 0)
        {
            FreeThePage(pfn, Mem.IsCompoundHead(pfn) ? Mem.Order[pfn] : 0);
        }
    }

    /// <summary>
    /// <see cref="PutPageRef(int)"/> from a batch (zap_pte_range → free_pages_and_swap_cache): an order-0 page freed by the last
    /// reference uses the check decisions the batch took once.
    /// </summary>
    private void PutPageRef(int pfn, in FreeChecks order0Checks)
    {
        if (--Mem.RefCount[pfn] == 0)
        {
            if (Mem.IsCompoundHead(pfn))
            {
                FreeThePage(pfn, Mem.Order[pfn]);
            }
            else
            {
                FreeThePage(pfn, 0, order0Checks);
            }
        }
    }

    /// <summary>The holders a put_page can be dropping, in the order the ledger takes them.</summary>
    private static readonly HolderKind[] PutKinds = [HolderKind.Other, HolderKind.FaultInFlight, HolderKind.FaultLeaked, HolderKind.Owner, HolderKind.Gup];

    /// <summary>The holders a __free_pages can be dropping (an order-0 __free_page of a GUP page is a put_page).</summary>
    private static readonly HolderKind[] FreeKinds = [HolderKind.Owner, HolderKind.Other, HolderKind.FaultInFlight, HolderKind.FaultLeaked, HolderKind.Gup];

    /// <summary>
    /// A put that would drop a reference none of <paramref name="kinds"/> holds: the rest belong to PTEs, pins or caches.
    /// The kernel decrements the count anyway (put_page_testzero) and frees the page under them later; the simulator
    /// reports it at the call and refuses it (INV-01, docs/kernel-semantics.md: "S-report at the first bad put").
    /// </summary>
    private void RefuseUnheldReference(int head, string call, ReadOnlySpan<HolderKind> kinds, int site)
    {
        foreach (var kind in kinds)
        {
            if (Ledger.Has(head, kind))
            {
                return;
            }
        }

        throw Refuse("INV-01",
            $"{call} drops one of the page's {Mem.RefCount[head]} reference(s), but the caller holds none of them (no allocation, get_page, fault or get_user_pages reference is left): the real kernel would drop one that a PTE, pin or cache holds and free the page under it; operation refused",
            "DK0018", head, Sites.Site(site));
    }

    /// <summary>
    /// __free_pages' checks before it touches anything: a refused free throws, and the block is left as it was.
    /// Returns true when the era ignores the page (PG_reserved ≤ 2.6.14).
    /// </summary>
    internal bool CheckFreePages(int pfn, int order, int site)
    {
        if (IsFreeFrame(pfn))
        {
            throw VmBugOnPage(pfn, "PageBuddy(page): freeing a page that is already free", "INV-01", "DK0018", Sites.Site(site));
        }

        if (Mem.IsCompoundTail(pfn) || Mem.RefCount[pfn] == 0)
        {
            throw VmBugOnPage(pfn, "page_ref_count(page) == 0", "INV-01", "DK0012", Sites.Site(site));
        }

        if (Mem.Order[pfn] != order)
        {
            throw Refuse("INV-05", $"__free_pages(pfn {pfn:x5}, order {order}) of an order-{Mem.Order[pfn]} allocation would free the wrong frames", "DK0018", pfn, Sites.Site(site));
        }

        // mm/page_alloc.c (2.6.11): __free_pages: if (!PageReserved(page) && put_page_testzero(page)) — nothing happens.
        if (Policy.ReservedFree(CheckPages) == ReservedFreeBehavior.IgnoreSilently && Mem.Has(pfn, PageFlags.Reserved))
        {
            return true;
        }

        RefuseUnheldReference(pfn, $"__free_pages(pfn {pfn:x5}, order {order})", FreeKinds, site);
        return false;
    }

    /// <summary>__free_pages for a caller that owns the allocation reference.</summary>
    private void FreePagesOwned(int pfn, int order, int site) => FreeCheckedPagesOwned(pfn, order, site, CheckFreePages(pfn, order, site));

    /// <summary>
    /// <see cref="FreePagesOwned"/> once <see cref="CheckFreePages"/> has passed, with its answer (<paramref name="ignored"/>:
    /// the era ignores the page).
    /// </summary>
    private void FreeCheckedPagesOwned(int pfn, int order, int site, bool ignored)
    {
        if (ignored)
        {
            NoteFreeFinding(pfn, $"__free_pages ignored PG_reserved pfn {pfn:x5} (≤ 2.6.14): the page is leaked without a message", "PG_reserved at free", "DK0003", Sites.Site(site));
            return;
        }

        Ledger.RemoveOne(pfn, FreeKinds);
        if (--Mem.RefCount[pfn] == 0)
        {
            FreeThePage(pfn, order);
        }
    }

    /// <summary>True when check_pages or DEBUG_VM makes 6.4+ free-time checks run.</summary>
    private bool CheckPages => Config.CheckPages || Config.DebugVm;

    /// <summary>vmstat-style counters (/proc/vmstat and /proc/buddyinfo).</summary>
    public VmStat VmStat()
    {
        var perOrder = new int[BuddyAllocator.MaxOrder + 1];
        for (var o = 0; o <= BuddyAllocator.MaxOrder; o++)
        {
            perOrder[o] = Buddy.FreeBlocks(o);
        }

        return new VmStat(Buddy.FreePages + Pcp.Count, perOrder, allocCount, freeCount, Lru.AnonCount, Lru.FileCount, Swap.Used, Lru.ReclaimedTotal, Lru.SwappedOutTotal) { PerCpuPages = Pcp.Count };
    }
}
