namespace DriverKit.Runtime;

/// <summary>Allocation flags (include/linux/gfp.h). The combinations drivers use are named as in the kernel.</summary>
[Flags]
public enum Gfp : uint
{
    /// <summary>No flags (like GFP_NOWAIT without reclaim).</summary>
    None = 0,

    /// <summary>__GFP_DMA: ZONE_DMA (accepted; the simulator has one zone).</summary>
    Dma = 0x1,

    /// <summary>__GFP_HIGHMEM (accepted; the simulator has one zone).</summary>
    HighMem = 0x2,

    /// <summary>__GFP_DMA32 (accepted; the simulator has one zone).</summary>
    Dma32 = 0x4,

    /// <summary>__GFP_MOVABLE: the page can be migrated (user memory); it comes from and returns to the movable per-cpu lists.</summary>
    Movable = 0x8,

    /// <summary>__GFP_RECLAIM: the allocation may reclaim memory and sleep.</summary>
    Reclaim = 0x400,

    /// <summary>__GFP_IO.</summary>
    Io = 0x40,

    /// <summary>__GFP_FS.</summary>
    Fs = 0x80,

    /// <summary>__GFP_HARDWALL (user allocations).</summary>
    Hardwall = 0x100000,

    /// <summary>__GFP_NOWARN: no allocation-failure warning.</summary>
    NoWarn = 0x200,

    /// <summary>__GFP_ZERO: return zeroed memory.</summary>
    Zero = 0x100,

    /// <summary>__GFP_COMP: make a compound page (head + tails) of a high-order allocation.</summary>
    Comp = 0x4000,

    /// <summary>__GFP_HIGH / GFP_ATOMIC's access to reserves.</summary>
    High = 0x20,

    /// <summary>GFP_KERNEL.</summary>
    Kernel = Reclaim | Io | Fs,

    /// <summary>GFP_ATOMIC: no sleeping, no reclaim.</summary>
    Atomic = High,

    /// <summary>GFP_USER.</summary>
    User = Reclaim | Io | Fs | Hardwall,

    /// <summary>GFP_HIGHUSER.</summary>
    HighUser = User | HighMem,

    /// <summary>GFP_HIGHUSER_MOVABLE: anonymous and page-cache memory of user processes.</summary>
    HighUserMovable = HighUser | Movable,
}
