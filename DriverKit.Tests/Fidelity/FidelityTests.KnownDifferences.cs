namespace DriverKit.Tests.Fidelity;

public sealed partial class FidelityTests
{
    private const string AllStd = "vm_insert_page|remap_pfn_range|fault_get|insert_pfn|insert_mixed|fault_noget";
    private const string AllPrivate = "insert_page_private|remap_private|remap_private_fork|fault_get_private|insert_mixed_private";
    private const string FlagKeys = "pflags|kpageflags|pm_kpageflags|held_pflags|before_pflags|after_pflags";

    /// <summary>
    /// Where the simulator disagrees with the kernel. Each entry: golden file (<c>File</c>: "linux-" = the Debian 6.1
    /// VM, "host-" = the 6.18 host, "" = both), scenarios / steps / keys ("*" or a "|" list), the shape of the
    /// difference (a <see cref="Tolerance"/>: flag tokens the kernel shows and the simulator lacks or adds, an exact
    /// value pair, an integer offset, or any value), then the kernel's behaviour, the simulator's, the DriverKit.Runtime
    /// function that is wrong and the suggested fix. DriverKit.Runtime is fixed by its owner; when an entry stops
    /// matching, <see cref="EveryKnownDifferenceIsStillObserved"/> fails and the entry must go. Goal: an empty list.
    /// </summary>
    internal static readonly IReadOnlyList<KnownDifference> KnownDifferences =
    [
        // ---- page flags -----------------------------------------------------------------------------------------

        // D4. PG_referenced (mark_page_accessed) is never set.
        new("*", "*", FlagKeys, Tolerance.Tokens(missing: ["referenced"]),
            Kernel: "folio_mark_accessed() (mm/swap.c) runs on mapped pages from zap_pte_range() for a young PTE (child exit, munmap, " +
                "the unmap after a failed ->mmap) and from follow_page_pte() with FOLL_TOUCH (get_user_pages; __mm_populate from mlock); " +
                "not from pin_user_pages or get_user_pages_fast (no FOLL_TOUCH in 6.1). The first call sets PG_referenced, the next " +
                "clears it again (the activation branch for a page that is not on an LRU list) — e.g. driver pages \"\" → child exit " +
                "\"referenced\" → mlock \"\" → gup \"referenced\" → pin/gup_fast unchanged → unmap \"\"",
            Simulator: "PG_referenced is never set on driver or anonymous pages",
            Function: "Kernel.ZapPte (mm/memory.c zap_pte_range), Kernel.Gup (mm/gup.c follow_page_pte FOLL_TOUCH), Kernel.Populate",
            Fix: "add MarkPageAccessed(pfn) with the 6.1 folio_mark_accessed rule (set PG_referenced; if already set and not " +
                "unevictable/active: activate if on the LRU, clear PG_referenced) and call it from ZapPte for PTEs with Pte.Accessed " +
                "(unless VM_SEQ_READ), from Gup/Populate (FOLL_TOUCH), not from PinUserPages; add a get_user_pages_fast entry point " +
                "that does not touch (DkfidDriver uses GetUserPages for it today)"),

        // D5. Per-cpu page lists: freed pages are not in the buddy allocator.
        new(AllStd + "|" + AllPrivate + "|fault_cycles|locked_io|insert_page_nosplit|remap_reserved_clear", "close", "pflags|kpageflags",
            Tolerance.Tokens(extra: ["buddy", "inbuddy"]),
            Kernel: "order-0 pages freed by __free_page (and order ≤ 3 blocks, pcp_allowed_order) go to the per-cpu free lists " +
                "(free_unref_page → free_unref_page_commit): not PageBuddy, not inside a free buddy block, /proc/kpageflags shows no " +
                "\"buddy\"; the freed block comes back LIFO on the next allocation",
            Simulator: "FreeThePage hands every block straight to the buddy allocator, where it merges: \"buddy|inbuddy\"/\"inbuddy\", " +
                "kpageflags \"buddy\"",
            Function: "Kernel.FreeThePage → BuddyAllocator.FreeBlock (mm/page_alloc.c free_unref_page / free_the_page)",
            Fix: "model the pcp lists for orders ≤ PAGE_ALLOC_COSTLY_ORDER (order 0 only before 5.13): a LIFO list per order " +
                "that AllocBlock serves first, drained to the buddy allocator above pcp->high (or on demand)"),
        new("close_no_open", "child_exit|touch_after|munmap|close", "pflags|kpageflags", Tolerance.Tokens(extra: ["buddy", "inbuddy"]),
            Kernel: "the buffer freed by the driver's .close at the child's exit sits on the per-cpu lists (see D5)",
            Simulator: "the 4 pages are merged into the buddy allocator",
            Function: "Kernel.FreeThePage → BuddyAllocator.FreeBlock (free_unref_page)",
            Fix: "as D5"),
        new("close_no_open_split", "munmap_mid|touch|munmap|close", "pflags|kpageflags", Tolerance.Tokens(extra: ["buddy", "inbuddy"]),
            Kernel: "the buffer freed by .close of the unmapped middle piece sits on the per-cpu lists (see D5)",
            Simulator: "the 4 pages are merged into the buddy allocator",
            Function: "Kernel.FreeThePage → BuddyAllocator.FreeBlock (free_unref_page)",
            Fix: "as D5"),
        new("reserved_free", "o0_clear|o0_noclear|o1_clear", "after_pflags|kpageflags", Tolerance.Tokens(extra: ["buddy", "inbuddy"]),
            Kernel: "__free_pages of an order-0 or order-1 block goes to the per-cpu lists (pcp_allowed_order): after the free the " +
                "pages are neither PageBuddy nor inside a free block, and the probe allocation gets the same block back",
            Simulator: "the block is merged into the buddy allocator (\"buddy|inbuddy\", kpageflags \"buddy\")",
            Function: "Kernel.FreeThePage → BuddyAllocator.FreeBlock (free_unref_page)",
            Fix: "as D5"),
        new("reserved_free", "o0_clear|o0_noclear", "after_inbuddy", Tolerance.Values("[false]", "[true]"),
            Kernel: "an order-0 page freed to the per-cpu list is not inside a free buddy block",
            Simulator: "the page is in the buddy allocator",
            Function: "Kernel.FreeThePage (free_unref_page)",
            Fix: "as D5"),
        new("reserved_free", "o1_clear", "after_inbuddy", Tolerance.Values("[false,false]", "[true,true]"),
            Kernel: "an order-1 block freed to the per-cpu lists (order ≤ 3 since 5.13) is not inside a free buddy block",
            Simulator: "the block is in the buddy allocator",
            Function: "Kernel.FreeThePage (free_unref_page)",
            Fix: "as D5"),

        // D6. Flags of new anonymous pages.
        new("gup_anon|insert_page_private|fault_get_private|insert_mixed_private", "*", "pm_kpageflags|held_pflags",
            Tolerance.Tokens(missing: ["uptodate", "swapbacked"]),
            Kernel: "a new anonymous page (do_anonymous_page, wp_page_copy, do_cow_fault) gets PG_uptodate (__SetPageUptodate) and " +
                "PG_swapbacked (page_add_new_anon_rmap → __SetPageSwapBacked)",
            Simulator: "anonymous pages carry only page->mapping = anon (kpageflags \"mmap|anon\")",
            Function: "Kernel.MapNormalPte for PteInstaller.AnonFault/Cow (callers DoAnonymousPage, WpPageCopy, DoFault's COW path)",
            Fix: "set PageFlags.Uptodate | PageFlags.SwapBacked when a page becomes anonymous (and clear them in the free path)"),

        // D7. PG_anon_exclusive (aliases PG_mappedtodisk, hence kpageflags "mappedtodisk").
        new("gup_anon|insert_page_private|fault_get_private|insert_mixed_private", "*", "pm_kpageflags", Tolerance.Tokens(missing: ["mappedtodisk"]),
            Kernel: "page_add_new_anon_rmap() marks a new anonymous page PageAnonExclusive (PG_anon_exclusive = PG_mappedtodisk, so " +
                "/proc/kpageflags reports \"mappedtodisk\"); fork's copy_present_pte → page_try_dup_anon_rmap() clears it on the " +
                "shared page, and it is not set again when the child exits",
            Simulator: "there is no anon-exclusive state",
            Function: "Kernel.MapNormalPte (anon install), Kernel.CopyPageRange (mm/memory.c copy_present_pte)",
            Fix: "add PageFlags.AnonExclusive: set for new anonymous pages (fault, COW, swap-in when exclusive), cleared by fork's " +
                "copy; use it in DoWpPage's 5.19+ reuse rule; report it as KPF_MAPPEDTODISK"),

        // D8. The per-cpu LRU add batch holds a reference on a fresh anonymous page.
        new("gup_anon", "gup|pin|gup_fast", "held_refcount|after_refcount", Tolerance.Offset(1),
            Kernel: "a just-faulted anonymous page waits in the per-cpu lru_add folio batch (folio_add_lru), which holds a page " +
                "reference until the batch drains: refcount 2 with one mapping, 3 while get_user_pages holds it, 1026 while pinned " +
                "(PG_lru not yet set)",
            Simulator: "the page goes on the LRU at once without a batch reference: 1, 2, 1025",
            Function: "LruLists.Add (mm/swap.c folio_add_lru / lru_add_drain)",
            Fix: "model the per-cpu lru_add batch: Add takes a reference and defers PG_lru until a drain (batch full at 15 pages, " +
                "lru_add_drain from fork/mlock/migration/reclaim), dropping the reference then"),

        // ---- fork of a private remap_pfn_range mapping with a COW'd first page ----------------------------------

        // D10. x86 PAT: fork fails.
        new("remap_private", "fork", "errno", Tolerance.Values("\"ENOMEM\"", "0"),
            Kernel: "fork() fails with ENOMEM: copy_page_range() of the VM_PFNMAP|VM_PAT COW vma calls track_pfn_copy() → " +
                "get_pat_info(), whose follow_phys() refuses the anonymous COW page now mapped at vm_start (\"Never return PFNs of " +
                "anon folios in COW mappings\"); for a COW mapping the cache mode cannot be recovered, so it returns -EINVAL, dup_mmap " +
                "fails and copy_mm reports -ENOMEM (x86/mm/pat \"fix VM_PAT handling in COW mappings\", in Debian's 6.1.y). Without a " +
                "COW'd page at vm_start (remap_private_fork) the fork succeeds",
            Simulator: "the fork succeeds and the child gets copies of the PTEs",
            Function: "Kernel.DoFork / Kernel.CopyPageRange (kernel/fork.c dup_mmap, mm/memory.c copy_page_range → track_pfn_copy)",
            Fix: "x86 (VM_PAT, i.e. remap_pfn_range vmas), 6.x: if a COW VM_PFNMAP vma's PTE at vm_start maps a normal (anonymous) " +
                "page, fail DoFork with ENOMEM after ->open on the child's copy, tearing the child's mm down (->close)"),
        new("remap_private", "fork", "vm_close", Tolerance.Values("1", "0"),
            Kernel: "the failed fork's child vma got ->open in dup_mmap and ->close when the half-built mm was torn down",
            Simulator: "the fork succeeded; the child's vma is closed only at its exit",
            Function: "Kernel.DoFork (dup_mmap error path)",
            Fix: "as D10"),
        new("remap_private", "child_start|child_touch|child_write", "(step)", Tolerance.Any(),
            Kernel: "no child: fork failed (D10)",
            Simulator: "the child runs its steps",
            Function: "Kernel.DoFork",
            Fix: "as D10"),
        new("remap_private", "child_exit", "*", Tolerance.Any(),
            Kernel: "no child to wait for (D10): the step only has the driver readback",
            Simulator: "child_status and the parent's snapshot after the child's exit",
            Function: "Kernel.DoFork",
            Fix: "as D10"),
    ];
}
