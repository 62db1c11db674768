namespace DriverKit.Runtime;

/// <summary>The eras of docs/kernel-semantics.md §2: the periods between the changes that matter to driver mmap code.</summary>
/// <remarks>This file is compiled into DriverKit.Runtime and, linked, into DriverKit.Analyzers.</remarks>
public enum Era
{
    /// <summary>≤ 2.6.14: PG_reserved is the per-page "not refcounted" switch.</summary>
    E0,

    /// <summary>2.6.15-rc1 and -rc2: PageReserved removed from the core; VM_RESERVED means "don't refcount or rmap this vma".</summary>
    E1,

    /// <summary>
    /// The 2.6.15-rc2-gitN snapshots before -rc3: VM_UNPAGED, set by remap_pfn_range; VM_RESERVED cosmetic again.
    /// No tagged release had it (the spec's "rc2/rc3" was corrected against the kernel history).
    /// </summary>
    E2,

    /// <summary>2.6.15-rc3 – 2.6.25: VM_PFNMAP and vm_normal_page(); vm_insert_page (-rc4).</summary>
    E3,

    /// <summary>2.6.26 – 3.6: VM_MIXEDMAP, vm_insert_mixed, pte_special; -&gt;nopage gone.</summary>
    E4,

    /// <summary>3.7 – 5.x: VM_RESERVED and VM_INSERTPAGE removed; remap_pfn_range sets IO|PFNMAP|DONTEXPAND|DONTDUMP.</summary>
    E5,

    /// <summary>6.x: folios, vm_flags_set(), check_pages_enabled.</summary>
    E6,

    /// <summary>7.x: VMA_REMAP_FLAGS, mmap_prepare, zap_special_vma_range.</summary>
    E7,
}
