namespace DriverKit.Runtime;

/// <summary>mmap/mprotect protection (PROT_*).</summary>
[Flags]
public enum Prot
{
    /// <summary>PROT_NONE.</summary>
    None = 0,

    /// <summary>PROT_READ.</summary>
    Read = 1,

    /// <summary>PROT_WRITE.</summary>
    Write = 2,

    /// <summary>PROT_EXEC.</summary>
    Exec = 4,
}

/// <summary>mmap flags (MAP_*).</summary>
[Flags]
public enum MapFlags
{
    /// <summary>No flags (invalid on its own: one of Shared or Private is required).</summary>
    None = 0,

    /// <summary>MAP_SHARED.</summary>
    Shared = 0x01,

    /// <summary>MAP_PRIVATE.</summary>
    Private = 0x02,

    /// <summary>MAP_SHARED_VALIDATE (4.15): MAP_SHARED for files, with unknown flags refused (EOPNOTSUPP).</summary>
    SharedValidate = 0x03,

    /// <summary>MAP_FIXED.</summary>
    Fixed = 0x10,

    /// <summary>MAP_ANONYMOUS.</summary>
    Anonymous = 0x20,

    /// <summary>MAP_GROWSDOWN.</summary>
    GrowsDown = 0x100,

    /// <summary>MAP_LOCKED.</summary>
    Locked = 0x2000,

    /// <summary>MAP_NORESERVE.</summary>
    NoReserve = 0x4000,

    /// <summary>MAP_POPULATE.</summary>
    Populate = 0x8000,

    /// <summary>MAP_FIXED_NOREPLACE (4.17 and later).</summary>
    FixedNoReplace = 0x100000,
}

/// <summary>mremap flags (MREMAP_*).</summary>
[Flags]
public enum MremapFlags
{
    /// <summary>Resize in place only.</summary>
    None = 0,

    /// <summary>MREMAP_MAYMOVE.</summary>
    MayMove = 1,

    /// <summary>MREMAP_FIXED (requires MayMove).</summary>
    Fixed = 2,

    /// <summary>
    /// MREMAP_DONTUNMAP (5.7 and later; requires MayMove and old_len == new_len): the pages move, the old range stays
    /// mapped and empty. Private anonymous mappings only until 5.13, then any but VM_DONTEXPAND|VM_PFNMAP ones.
    /// </summary>
    DontUnmap = 4,
}

/// <summary>madvise advice (MADV_*).</summary>
public enum Advice
{
    /// <summary>MADV_NORMAL.</summary>
    Normal = 0,

    /// <summary>MADV_RANDOM.</summary>
    Random = 1,

    /// <summary>MADV_SEQUENTIAL.</summary>
    Sequential = 2,

    /// <summary>MADV_WILLNEED.</summary>
    WillNeed = 3,

    /// <summary>MADV_DONTNEED: drop the range's pages; the next touch refaults.</summary>
    DontNeed = 4,

    /// <summary>MADV_FREE (4.5 and later): lazy free of private anonymous pages; reclaim drops them unless written again.</summary>
    Free = 8,

    /// <summary>MADV_REMOVE (2.6.16 and later): punch a hole in the shmem file behind a shared writable mapping.</summary>
    Remove = 9,

    /// <summary>MADV_DONTFORK: sets VM_DONTCOPY.</summary>
    DontFork = 10,

    /// <summary>MADV_DOFORK: clears VM_DONTCOPY (refused on VM_IO).</summary>
    DoFork = 11,

    /// <summary>MADV_DONTDUMP: sets VM_DONTDUMP (3.4 and later).</summary>
    DontDump = 16,

    /// <summary>MADV_DODUMP: clears VM_DONTDUMP.</summary>
    DoDump = 17,

    /// <summary>MADV_WIPEONFORK (4.14 and later, private anonymous only).</summary>
    WipeOnFork = 18,

    /// <summary>MADV_KEEPONFORK.</summary>
    KeepOnFork = 19,

    /// <summary>MADV_COLD (5.4 and later): deactivate the range's private LRU pages.</summary>
    Cold = 20,

    /// <summary>MADV_PAGEOUT (5.4 and later): reclaim the range's private LRU pages now.</summary>
    PageOut = 21,

    /// <summary>MADV_POPULATE_READ (5.14 and later): fault the range in readable, as get_user_pages would.</summary>
    PopulateRead = 22,

    /// <summary>MADV_POPULATE_WRITE (5.14 and later): fault the range in writable (COW broken, pages dirty).</summary>
    PopulateWrite = 23,

    /// <summary>MADV_DONTNEED_LOCKED (5.18 and later): MADV_DONTNEED that also zaps VM_LOCKED ranges.</summary>
    DontNeedLocked = 24,
}

/// <summary>mlockall flags (MCL_*).</summary>
[Flags]
public enum MlockAllFlags
{
    /// <summary>MCL_CURRENT.</summary>
    Current = 1,

    /// <summary>MCL_FUTURE.</summary>
    Future = 2,

    /// <summary>MCL_ONFAULT (4.4 and later).</summary>
    OnFault = 4,
}
