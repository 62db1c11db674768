namespace DriverKit.Analyzers;

/// <summary>
/// The ids of DriverKit's diagnostics. DKMM0nn in docs/kernel-semantics.md §3 is DK00nn here; ids are never reused.
/// </summary>
public static class DiagnosticIds
{
    /// <summary>DK0001: VM_LOCKED (or VM_LOCKONFAULT) set by a driver, an error together with VM_IO.</summary>
    public const string LockedIoMapping = "DK0001";

    /// <summary>DK0002: SetPageReserved on allocator memory, the pre-2.6.15 remap idiom.</summary>
    public const string ReservePagesForRemap = "DK0002";

    /// <summary>DK0003: PG_reserved still set when the memory is freed.</summary>
    public const string ReservedBitLeftAtFree = "DK0003";

    /// <summary>DK0004: VM_RESERVED on a VMA whose fault or nopage handler hands out RAM pages.</summary>
    public const string ReservedVmaFaultInsert = "DK0004";

    /// <summary>DK0005: VM_RESERVED anywhere, and numeric vm_flags values.</summary>
    public const string VmReservedObsolete = "DK0005";

    /// <summary>DK0006: PG_locked used as a pin.</summary>
    public const string PageLockAsPin = "DK0006";

    /// <summary>DK0007: a vmalloc buffer remapped as one physically contiguous pfn range.</summary>
    public const string RemapVmallocAsContiguous = "DK0007";

    /// <summary>DK0008: a byte address used as a page frame number, or a slab object's page mapped to user space.</summary>
    public const string PhysAddrPassedAsPfn = "DK0008";

    /// <summary>DK0009: vm_insert_page or vm_map_pages on a VMA that is VM_PFNMAP.</summary>
    public const string InsertPageIntoPfnMap = "DK0009";

    /// <summary>DK0010: vm_insert_page of a page that is not an individual kernel allocation, or its result ignored.</summary>
    public const string InsertPageUnsuitablePage = "DK0010";

    /// <summary>DK0011: vm_insert_page from a fault handler (or another path outside ->mmap) on a VMA that ->mmap never marks VM_MIXEDMAP.</summary>
    public const string InsertPageFromFaultWithoutMixedMap = "DK0011";

    /// <summary>DK0012: a fault or nopage handler hands out a page without taking the reference the PTE will own.</summary>
    public const string FaultPageWithoutReference = "DK0012";

    /// <summary>DK0013: struct-page memory the driver hopes the VM treats as special (VM_RESERVED/VM_IO without a reference), or a VMA whose discipline flips.</summary>
    public const string StructPageSpecialMapping = "DK0013";

    /// <summary>DK0014: a user-chosen offset or size mapped without a check, or writable mappings refused with VM_MAYWRITE left set.</summary>
    public const string UncheckedMmapRange = "DK0014";

    /// <summary>DK0015: a device mapping with a fault handler or inserted pages that mremap may grow (no VM_DONTEXPAND).</summary>
    public const string ExpandableDeviceMapping = "DK0015";

    /// <summary>DK0016: MMIO mapped cacheable, or RAM mapped uncached.</summary>
    public const string CacheableMmio = "DK0016";

    /// <summary>DK0017: a fault handler inserts MMIO pfns into a VMA whose ->mmap never sets VM_IO.</summary>
    public const string MmioWithoutVmIo = "DK0017";

    /// <summary>DK0018: a mapping's lifetime broken: vm_ops with ->close and no ->open, or mapped memory freed while VMAs may map it.</summary>
    public const string FreeWhileMapped = "DK0018";

    /// <summary>DK0019: remap_pfn_range of device memory instead of io_remap_pfn_range.</summary>
    public const string RemapPfnForIo = "DK0019";

    /// <summary>DK0020: a VM_PFNMAP mapping that private (COW) mappings reach: vmf_insert_pfn on it, or remap_pfn_range of a part of it.</summary>
    public const string PartialOrCowPfnMap = "DK0020";

    /// <summary>DK1000: the kernel version setting (<c>driverkit.kernel_version</c>, <c>DriverKitKernelVersion</c>) is not understood.</summary>
    public const string InvalidKernelVersion = "DK1000";

    /// <summary>DK1001: a flag, hook or kernel function the configured kernel does not have.</summary>
    public const string MissingInKernel = "DK1001";
}
