namespace DriverKit.Analyzers.Engine;

/// <summary>The DriverKit.Runtime functions the rules know, by kernel name.</summary>
internal enum KernelApi
{
    None,
    VmFlagsSet,
    VmFlagsClear,
    RemapPfnRange,
    IoRemapPfnRange,
    VmIomapMemory,
    RemapVmallocRange,
    VmInsertPage,
    VmMapPages,
    VmfInsertPfn,
    VmfInsertMixed,
    SplitPage,
    SetPageReserved,
    ClearPageReserved,
    FreePages,
    FreePage,
    Kfree,
    Vfree,
    VirtToPage,
    VmallocToPage,
    PfnToPage,
    LockPage,
    TrylockPage,
    UnlockPage,
    SetPageLocked,
    GetPage,
    PutPage,
    GetUserPages,
    PinUserPages,
    UnpinUserPages,
    DmaSubmit,
}

/// <summary>What a runtime function's result is, for the value analysis.</summary>
internal enum ValueRole
{
    /// <summary>Not a function the value analysis knows.</summary>
    None,

    /// <summary>New memory: the call site is the memory's identity (alloc_pages, kmalloc, vmalloc, …).</summary>
    Allocation,

    /// <summary>The same memory seen through another kind of address (virt_to_page, page_to_pfn, …): the first argument's memory.</summary>
    Conversion,

    /// <summary>pfn_to_page: the first argument's memory, which may be device or boot memory rather than the allocator's.</summary>
    DeviceConversion,
}
