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

    ];
}
