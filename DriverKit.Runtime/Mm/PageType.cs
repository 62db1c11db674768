namespace DriverKit.Runtime;

/// <summary>The page type that overlays <c>_mapcount</c> in newer kernels (page_has_type), plus the buddy marker.</summary>
public enum PageType : byte
{
    /// <summary>An ordinary page.</summary>
    None = 0,

    /// <summary>PG_buddy: the head of a free block in the buddy allocator.</summary>
    Buddy = 1,

    /// <summary>PG_slab / PGTY_slab: a slab page holding kmalloc objects.</summary>
    Slab = 2,

    /// <summary>PGTY_large_kmalloc: a kmalloc too large for a slab cache.</summary>
    LargeKmalloc = 3,
}
