namespace DriverKit.Runtime;

/// <summary>
/// The frame table (mem_map): one entry per RAM frame, stored as parallel arrays so a frame costs a few dozen
/// bytes and no object. Fields with disjoint lifetimes share storage as in struct page: a free block's list links
/// reuse the owner/site words of an allocated page.
/// </summary>
internal sealed class MemMap
{
    /// <summary>Marks "no frame" in link fields.</summary>
    internal const int None = -1;

    /// <summary>Marks a frame that is on no LRU list (in <see cref="LruPrev"/>).</summary>
    internal const int NotOnLru = -2;

    /// <summary>Mapping value of anonymous pages (PAGE_MAPPING_ANON).</summary>
    internal const int AnonMapping = -1;

    internal MemMap(int frames)
    {
        Count = frames;
        Flags = new ulong[frames];
        RefCount = new int[frames];
        MapCount = new int[frames];
        Mapping = new int[frames];
        Index = new uint[frames];
        Type = new PageType[frames];
        Order = new byte[frames];
        Migrate = new byte[frames];
        Head = new int[frames];
        OwnerOrNext = new int[frames];
        SiteOrPrev = new int[frames];
        Generation = new uint[frames];
        Data = new byte[]?[frames];
        RmapFirst = new int[frames];
        Array.Fill(RmapFirst, None);
        LruNext = new int[frames];
        LruPrev = new int[frames];
        Array.Fill(LruPrev, NotOnLru);
        for (var i = 0; i < frames; i++)
        {
            Head[i] = i;
        }
    }

    /// <summary>Number of RAM frames (pfn 0 … Count-1 are RAM).</summary>
    internal readonly int Count;

    /// <summary>PageFlags bits.</summary>
    internal readonly ulong[] Flags;

    /// <summary>page_count (_refcount).</summary>
    internal readonly int[] RefCount;

    /// <summary>Number of PTE mappings accounted in _mapcount (the kernel stores this minus one).</summary>
    internal readonly int[] MapCount;

    /// <summary>page-&gt;mapping: 0 NULL, <see cref="AnonMapping"/> anonymous, &gt; 0 an address_space id.</summary>
    internal readonly int[] Mapping;

    /// <summary>page-&gt;index: the file offset in pages of a page-cache page.</summary>
    internal readonly uint[] Index;

    /// <summary>Page type (buddy, slab, …).</summary>
    internal readonly PageType[] Type;

    /// <summary>Order of a free block (buddy head), of a compound page (head), or of an allocation (first page).</summary>
    internal readonly byte[] Order;

    /// <summary>The migratetype the frame's block was allocated as, and whether it is parked on a per-cpu list (<see cref="PerCpuPages"/>).</summary>
    internal readonly byte[] Migrate;

    /// <summary>The first frame of the allocation or compound page this frame belongs to (itself for heads and order-0 pages).</summary>
    internal readonly int[] Head;

    /// <summary>Allocated: owner id. Free block head: next block in the free list.</summary>
    internal readonly int[] OwnerOrNext;

    /// <summary>Allocated: allocation call-site id. Free block head: previous block in the free list.</summary>
    internal readonly int[] SiteOrPrev;

    /// <summary>Bumped on every allocation, so a stale PTE to a re-owned frame is recognisable (INV-06).</summary>
    internal readonly uint[] Generation;

    /// <summary>Frame contents, allocated on first write; null reads as zeros.</summary>
    internal readonly byte[]?[] Data;

    /// <summary>First record of the frame's reverse-map list (normal and special PTEs), or <see cref="None"/>.</summary>
    internal readonly int[] RmapFirst;

    /// <summary>page-&gt;lru: the next frame on the LRU list (toward the newest), or <see cref="None"/>.</summary>
    internal readonly int[] LruNext;

    /// <summary>page-&gt;lru: the previous frame on the LRU list, <see cref="None"/> at the oldest, <see cref="NotOnLru"/> off the list.</summary>
    internal readonly int[] LruPrev;

    internal bool Has(int pfn, PageFlags flag) => (Flags[pfn] & (ulong)flag) != 0;

    internal void Set(int pfn, PageFlags flag) => Flags[pfn] |= (ulong)flag;

    internal void Clear(int pfn, PageFlags flag) => Flags[pfn] &= ~(ulong)flag;

    /// <summary>True for the head of a __GFP_COMP compound page.</summary>
    internal bool IsCompoundHead(int pfn) => Has(pfn, PageFlags.Head);

    /// <summary>True for a tail page of a compound page.</summary>
    internal bool IsCompoundTail(int pfn) => Head[pfn] != pfn && Has(Head[pfn], PageFlags.Head);

    /// <summary>True for a page of a compound page, head or tail (PageCompound).</summary>
    internal bool IsCompound(int pfn) => IsCompoundHead(pfn) || IsCompoundTail(pfn);

    /// <summary>The frame that holds the refcount for <paramref name="pfn"/> (compound_head).</summary>
    internal int CompoundHead(int pfn) => IsCompoundTail(pfn) ? Head[pfn] : pfn;

    /// <summary>Bytes of metadata per frame (for the benchmark's memory target).</summary>
    internal static int BytesPerFrame =>
        sizeof(ulong) + 3 * sizeof(int) + sizeof(uint) + sizeof(PageType) + 2 * sizeof(byte) + 4 * sizeof(int) + sizeof(uint) + IntPtr.Size + 2 * sizeof(int);
}
