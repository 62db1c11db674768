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
