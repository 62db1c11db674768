namespace DriverKit.Runtime;

/// <summary>
/// VMA flags (<c>vm_flags</c>, include/linux/mm.h). Flags that exist in today's kernels carry today's bit values;
/// flags that were removed and whose bit was later reused (VM_RESERVED → VM_LOCKONFAULT, VM_INSERTPAGE →
/// VM_WIPEONFORK, VM_UNPAGED/VM_SHM → VM_PFNMAP) live above bit 32 so every flag of every era is distinct here.
/// <see cref="EraPolicy.FlagExists(VmFlags)"/> says which exist in the configured kernel.
/// </summary>
/// <remarks>This file is compiled into DriverKit.Runtime and, linked, into DriverKit.Analyzers.</remarks>
[Flags]
public enum VmFlags : ulong
{
    /// <summary>No flags.</summary>
    None = 0,

    /// <summary>VM_READ: the mapping is readable.</summary>
    Read = 0x1,

    /// <summary>VM_WRITE: the mapping is writable.</summary>
    Write = 0x2,

    /// <summary>VM_EXEC: the mapping is executable.</summary>
    Exec = 0x4,

    /// <summary>VM_SHARED: MAP_SHARED with write access to the file.</summary>
    Shared = 0x8,

    /// <summary>VM_MAYREAD: mprotect may add PROT_READ.</summary>
    MayRead = 0x10,

    /// <summary>VM_MAYWRITE: mprotect may add PROT_WRITE. Private + MAYWRITE = a COW mapping.</summary>
    MayWrite = 0x20,

    /// <summary>VM_MAYEXEC: mprotect may add PROT_EXEC.</summary>
    MayExec = 0x40,

    /// <summary>VM_MAYSHARE: MAP_SHARED.</summary>
    MayShare = 0x80,

    /// <summary>VM_GROWSDOWN: a stack that grows down.</summary>
    GrowsDown = 0x100,

    /// <summary>VM_PFNMAP (2.6.15 final and later): "Page-ranges managed without struct page, just pure PFN".</summary>
    PfnMap = 0x400,

    /// <summary>VM_LOCKED: mlock'd; pages are not reclaimed. Set by mlock/mlockall/MAP_LOCKED, never by drivers.</summary>
    Locked = 0x2000,

    /// <summary>VM_IO: memory-mapped I/O or similar; GUP, core dump and mlock keep away.</summary>
    IO = 0x4000,

    /// <summary>VM_SEQ_READ: madvise(MADV_SEQUENTIAL).</summary>
    SeqRead = 0x8000,

    /// <summary>VM_RAND_READ: madvise(MADV_RANDOM).</summary>
    RandRead = 0x10000,

    /// <summary>VM_DONTCOPY: do not copy this vma on fork (MADV_DONTFORK).</summary>
    DontCopy = 0x20000,

    /// <summary>VM_DONTEXPAND: cannot expand with mremap().</summary>
    DontExpand = 0x40000,

    /// <summary>VM_LOCKONFAULT (4.4 and later): lock pages as they fault. Reuses VM_RESERVED's old bit.</summary>
    LockOnFault = 0x80000,

    /// <summary>VM_ACCOUNT: the vma is charged to overcommit accounting.</summary>
    Account = 0x100000,

    /// <summary>VM_NORESERVE: no swap space reserved (MAP_NORESERVE).</summary>
    NoReserve = 0x200000,

    /// <summary>VM_HUGETLB: a hugetlbfs mapping.</summary>
    HugeTlb = 0x400000,

    /// <summary>VM_WIPEONFORK (4.14 and later): the child gets this vma empty. Reuses VM_INSERTPAGE's old bit.</summary>
    WipeOnFork = 0x2000000,

    /// <summary>VM_DONTDUMP (3.7 and later; VM_NODUMP in 3.4–3.6): not included in a core dump.</summary>
    DontDump = 0x4000000,

    /// <summary>VM_MIXEDMAP (2.6.26 and later): can contain struct-page and pure-PFN pages.</summary>
    MixedMap = 0x10000000,

    /// <summary>VM_RESERVED (≤ 3.6, kernel bit 0x80000): per era "a bit of a mystery" (see docs/kernel-semantics.md §1.2).</summary>
    Reserved = 1UL << 40,

    /// <summary>VM_UNPAGED (2.6.15-rc2/rc3 only, kernel bit 0x400): pages managed without map count.</summary>
    Unpaged = 1UL << 41,

    /// <summary>VM_INSERTPAGE (2.6.15 – 3.6, kernel bit 0x02000000): set by vm_insert_page; makes fork copy PTEs.</summary>
    InsertPage = 1UL << 42,

    /// <summary>VM_SHM (≤ 2.6.14, kernel bit 0x400): "shared memory area, don't swap out"; 0 from 2.6.15.</summary>
    Shm = 1UL << 43,

    /// <summary>VM_ALWAYSDUMP (2.6.20 – 3.3): always include in a core dump.</summary>
    AlwaysDump = 1UL << 44,
}
