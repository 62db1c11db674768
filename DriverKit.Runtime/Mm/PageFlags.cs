namespace DriverKit.Runtime;

/// <summary>
/// struct page flags (include/linux/page-flags.h) plus the page-type bits that share the word in DriverKit's frame
/// table. Bit values are DriverKit's own, not the kernel's PG_* bit numbers nor /proc/kpageflags' KPF_* ones.
/// </summary>
[Flags]
public enum PageFlags : ulong
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>PG_locked: "Page is locked. Don't touch." A lock for I/O and page-cache sync, not a pin.</summary>
    Locked = 1UL << 0,

    /// <summary>PG_referenced: recently accessed (reclaim aging).</summary>
    Referenced = 1UL << 1,

    /// <summary>PG_uptodate: contents are valid.</summary>
    Uptodate = 1UL << 2,

    /// <summary>PG_dirty: contents must be written back.</summary>
    Dirty = 1UL << 3,

    /// <summary>PG_lru: on an LRU list.</summary>
    Lru = 1UL << 4,

    /// <summary>PG_active: on the active LRU list.</summary>
    Active = 1UL << 5,

    /// <summary>PG_reserved: special page owned by its allocator or a driver; see the era policy for what the VM does with it.</summary>
    Reserved = 1UL << 6,

    /// <summary>PG_private: private data (buffer heads) attached.</summary>
    Private = 1UL << 7,

    /// <summary>PG_private_2: second private bit (fscache).</summary>
    Private2 = 1UL << 8,

    /// <summary>PG_writeback: under writeback I/O.</summary>
    Writeback = 1UL << 9,

    /// <summary>PG_head: the head page of a compound page (__GFP_COMP).</summary>
    Head = 1UL << 10,

    /// <summary>PG_swapcache: in the swap cache.</summary>
    SwapCache = 1UL << 11,

    /// <summary>PG_swapbacked: backed by swap (anonymous or shmem).</summary>
    SwapBacked = 1UL << 12,

    /// <summary>PG_unevictable: on the unevictable LRU (2.6.28 and later).</summary>
    Unevictable = 1UL << 13,

    /// <summary>PG_mlocked: mapped by a VM_LOCKED vma (2.6.28 and later).</summary>
    Mlocked = 1UL << 14,

    /// <summary>PG_hwpoison: hardware memory error.</summary>
    HwPoison = 1UL << 15,

    /// <summary>PG_error: I/O error.</summary>
    Error = 1UL << 16,

    /// <summary>The page belongs to the LRU generation machinery (LRU_GEN_MASK); never set by drivers.</summary>
    LruGen = 1UL << 17,

    /// <summary>PG_anon_exclusive (5.19): this anonymous page is mapped by exactly one process and may be reused on write; it shares PG_mappedtodisk's bit.</summary>
    AnonExclusive = 1UL << 18,
}

/// <summary>Bit numbers of /proc/kpageflags (include/uapi/linux/kernel-page-flags.h), for the fidelity tests' comparisons.</summary>
internal static class KPageFlags
{
    /// <summary>KPF_LOCKED.</summary>
    public const int Locked = 0;

    /// <summary>KPF_REFERENCED.</summary>
    public const int Referenced = 2;

    /// <summary>KPF_UPTODATE.</summary>
    public const int Uptodate = 3;

    /// <summary>KPF_DIRTY.</summary>
    public const int Dirty = 4;

    /// <summary>KPF_LRU.</summary>
    public const int Lru = 5;

    /// <summary>KPF_ACTIVE.</summary>
    public const int Active = 6;

    /// <summary>KPF_SLAB.</summary>
    public const int Slab = 7;

    /// <summary>KPF_MMAP: mapped into some process.</summary>
    public const int Mmap = 11;

    /// <summary>KPF_ANON.</summary>
    public const int Anon = 12;

    /// <summary>KPF_SWAPCACHE.</summary>
    public const int SwapCache = 13;

    /// <summary>KPF_SWAPBACKED.</summary>
    public const int SwapBacked = 14;

    /// <summary>KPF_COMPOUND_HEAD.</summary>
    public const int CompoundHead = 15;

    /// <summary>KPF_COMPOUND_TAIL.</summary>
    public const int CompoundTail = 16;

    /// <summary>KPF_BUDDY: free in the buddy allocator.</summary>
    public const int Buddy = 10;

    /// <summary>KPF_NOPAGE: no struct page (hole or MMIO).</summary>
    public const int NoPage = 20;

    /// <summary>KPF_UNEVICTABLE.</summary>
    public const int Unevictable = 18;

    /// <summary>KPF_MLOCKED.</summary>
    public const int Mlocked = 33;

    /// <summary>KPF_RESERVED.</summary>
    public const int Reserved = 32;

    /// <summary>KPF_MAPPEDTODISK: PG_mappedtodisk, which PG_anon_exclusive aliases on anonymous pages.</summary>
    public const int MappedToDisk = 34;
}
