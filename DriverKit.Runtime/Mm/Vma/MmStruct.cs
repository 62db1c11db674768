namespace DriverKit.Runtime;

/// <summary>struct mm_struct: one address space — vmas, page table, TLB and counters.</summary>
public sealed class MmStruct
{
    /// <summary>TASK_SIZE of x86-64 with 4-level paging.</summary>
    internal const ulong TaskSize = 0x0000_7FFF_FFFF_F000UL;

    /// <summary>Where top-down mmap placement starts (mmap_base: below a 128 MiB stack gap).</summary>
    internal const ulong MmapBase = 0x0000_7F00_0000_0000UL;

    /// <summary>mmap_min_addr.</summary>
    internal const ulong MinAddr = 0x10000UL;

    internal MmStruct(Kernel kernel, int id)
    {
        Kernel = kernel;
        Id = id;
        PageTable = new PageTable(kernel.PageTablePool);
    }

    /// <summary>The kernel the address space lives in.</summary>
    public Kernel Kernel { get; }

    internal int Id { get; }

    internal Process? Owner { get; set; }

    internal VmaSet Vmas { get; } = new();

    internal PageTable PageTable { get; }

    internal Tlb Tlb { get; } = new();

    /// <summary>MM_FILEPAGES: normal PTEs mapping file or driver pages.</summary>
    public long RssFile { get; internal set; }

    /// <summary>MM_ANONPAGES: normal PTEs mapping anonymous pages.</summary>
    public long RssAnon { get; internal set; }

    /// <summary>MM_SHMEMPAGES: normal PTEs mapping shmem pages.</summary>
    public long RssShmem { get; internal set; }

    /// <summary>MM_SWAPENTS: swap PTEs.</summary>
    public long SwapEntries { get; internal set; }

    /// <summary>locked_vm in pages (VmLck).</summary>
    public long LockedVm { get; internal set; }

    /// <summary>total_vm in pages (VmSize).</summary>
    public long TotalVm { get; internal set; }

    /// <summary>start_code: the start of the program text (0 for a process spawned with an empty address space).</summary>
    public UserAddr StartCode { get; internal set; }

    /// <summary>end_code: the end of the program text.</summary>
    public UserAddr EndCode { get; internal set; }

    /// <summary>start_brk: where the heap starts (the page-aligned end of the program image).</summary>
    public UserAddr StartBrk { get; internal set; }

    /// <summary>brk: the program break, moved by brk(2).</summary>
    public UserAddr Brk { get; internal set; }

    /// <summary>start_stack: the initial stack pointer exec left (inside the [stack] vma).</summary>
    public UserAddr StartStack { get; internal set; }

    /// <summary>Where the task holding mmap_lock took it (a system call or the fault path), or null while it is free.</summary>
    internal string? MmapLockHolder { get; set; }

    /// <summary>How the holder took mmap_lock (read or write).</summary>
    internal MmapLockMode MmapLockMode { get; set; }

    /// <summary>mm-&gt;def_flags: VM_LOCKED after mlockall(MCL_FUTURE).</summary>
    internal VmFlags DefFlags { get; set; }

    /// <summary>The vmas in address order (the mm-&gt;mmap list; the maple tree from 6.1).</summary>
    public IReadOnlyList<VmArea> VmAreas => Vmas.All;

    /// <summary>find_vma: the first vma ending above <paramref name="addr"/>.</summary>
    /// <param name="addr">A user address.</param>
    public VmArea? FindVma(UserAddr addr) => Vmas.FindVma(addr.Value);

    /// <summary>vma_lookup (find_vma_intersection before 5.14): the vma containing <paramref name="addr"/>, or null.</summary>
    /// <param name="addr">A user address.</param>
    public VmArea? VmaAt(UserAddr addr) => Vmas.Containing(addr.Value);

    /// <summary>Sets a PTE and drops the stale TLB entry (set_pte_at + flush_tlb_page).</summary>
    internal void SetPte(ulong addr, ulong pte)
    {
        PageTable.Slot(addr) = pte;
        Tlb.FlushPage(addr >> Kernel.PageShift);
    }

    internal ulong GetPte(ulong addr) => PageTable.Get(addr);
}
