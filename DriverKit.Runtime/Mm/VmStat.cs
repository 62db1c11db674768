namespace DriverKit.Runtime;

/// <summary>vmstat-style counters of one machine (/proc/vmstat, /proc/buddyinfo).</summary>
/// <param name="FreePages">Free frames: the buddy allocator's (nr_free_pages) plus those parked on the per-cpu lists.</param>
/// <param name="FreeBlocksPerOrder">/proc/buddyinfo: free blocks of each order 0 … 10.</param>
/// <param name="PagesAllocated">pgalloc: frames handed out since boot.</param>
/// <param name="PagesFreed">pgfree: frames returned since boot.</param>
/// <param name="LruAnon">Pages on the anonymous LRU.</param>
/// <param name="LruFile">Pages on the file (shmem) LRU.</param>
/// <param name="SwapUsed">Swap slots in use.</param>
/// <param name="PagesReclaimed">pgsteal: pages reclaimed.</param>
/// <param name="PagesSwappedOut">pswpout: pages written to swap.</param>
public sealed record VmStat(
    long FreePages,
    IReadOnlyList<int> FreeBlocksPerOrder,
    long PagesAllocated,
    long PagesFreed,
    long LruAnon,
    long LruFile,
    int SwapUsed,
    long PagesReclaimed,
    long PagesSwappedOut)
{
    /// <summary>Frames parked on the per-cpu lists (free, but not in the buddy allocator or /proc/buddyinfo).</summary>
    public long PerCpuPages { get; init; }
}

/// <summary>What a frame is used for, as tools/mm/page-types reports it.</summary>
public enum FrameState
{
    /// <summary>In the buddy allocator.</summary>
    Free,

    /// <summary>Reserved at boot (kernel image, ISA hole).</summary>
    BootReserved,

    /// <summary>Allocated by a driver or the kernel, not mapped to user space.</summary>
    DriverOwned,

    /// <summary>Mapped by at least one user PTE (normal or special).</summary>
    UserMapped,

    /// <summary>Carries PG_reserved set by its owner.</summary>
    Reserved,

    /// <summary>Kept out of the allocator by bad_page, or still owned by a driver that has been unloaded.</summary>
    Leaked,

    /// <summary>A slab page.</summary>
    Slab,

    /// <summary>An anonymous or shmem page.</summary>
    UserMemory,
}

public sealed partial class Kernel
{
    /// <summary>The state of every RAM frame (page-types style), for dumps and the runner's picture.</summary>
    public FrameState[] PageTypes()
    {
        var states = new FrameState[Mem.Count];
        var anon = AnonOwnerId;
        var shmem = ShmemOwnerId;
        for (var p = 0; p < Mem.Count; p++)
        {
            var head = Mem.Head[p];
            states[p] =
                IsFreeFrame(p) ? FrameState.Free :
                LeakedAtFree.Contains(p) || unloadedOwners.Contains(Mem.OwnerOrNext[head]) ? FrameState.Leaked :
                Mem.OwnerOrNext[head] == BootOwner ? FrameState.BootReserved :
                Mem.Has(p, PageFlags.Reserved) ? FrameState.Reserved :
                Mem.Type[head] == PageType.Slab ? FrameState.Slab :
                Mem.OwnerOrNext[head] == anon || Mem.OwnerOrNext[head] == shmem ? FrameState.UserMemory :
                Mem.RmapFirst[p] != MemMap.None ? FrameState.UserMapped :
                FrameState.DriverOwned;
        }

        return states;
    }

    private readonly HashSet<int> unloadedOwners = new();

    /// <summary>After its driver unloads, anything it still owns can never be freed: page-types calls it leaked.</summary>
    internal void NoteUnloaded(int owner) => unloadedOwners.Add(owner);

    /// <summary>The module of <paramref name="owner"/> was loaded again.</summary>
    internal void NoteLoaded(int owner) => unloadedOwners.Remove(owner);

    /// <summary>Whether the module of <paramref name="owner"/> was unloaded.</summary>
    internal bool IsUnloaded(int owner) => unloadedOwners.Contains(owner);

    /// <summary>A page-types style summary: the number of frames in each state.</summary>
    public IReadOnlyDictionary<FrameState, int> PageTypesSummary()
    {
        var counts = new Dictionary<FrameState, int>();
        foreach (var s in PageTypes())
        {
            counts[s] = counts.GetValueOrDefault(s) + 1;
        }

        return counts;
    }
}
