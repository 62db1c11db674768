namespace DriverKit.Runtime;

/// <summary>
/// Which kernels have each flag, hook and function DriverKit models: one table that both the runtime (an
/// <c>EraMismatchException</c> when a driver uses a symbol its kernel lacks) and the analyzers (DK1001 at build
/// time, DK0005 for VM_RESERVED) read. Every <see cref="VmFlags"/> and <see cref="PageFlags"/> member and every
/// <c>VmOperations</c> and <c>FileOperations</c> hook has a row; functions have one where some supported
/// kernel lacks them. Dates are of the mainline release that first had (or first lacked) the symbol in
/// include/linux/mm.h, include/linux/page-flags.h, include/linux/fs.h or the function's file.
/// </summary>
/// <remarks>This file is compiled into DriverKit.Runtime and, linked, into DriverKit.Analyzers.</remarks>
public static class KernelAvailability
{
    private static readonly ApiAvailability[] Rows =
    {
        // ---- vm_flags (include/linux/mm.h) ---------------------------------------------------------------------------
        Always(ApiKind.VmFlag, "VmFlags.None", "0"),
        Always(ApiKind.VmFlag, "VmFlags.Read", "VM_READ"),
        Always(ApiKind.VmFlag, "VmFlags.Write", "VM_WRITE"),
        Always(ApiKind.VmFlag, "VmFlags.Exec", "VM_EXEC"),
        Always(ApiKind.VmFlag, "VmFlags.Shared", "VM_SHARED"),
        Always(ApiKind.VmFlag, "VmFlags.MayRead", "VM_MAYREAD"),
        Always(ApiKind.VmFlag, "VmFlags.MayWrite", "VM_MAYWRITE"),
        Always(ApiKind.VmFlag, "VmFlags.MayExec", "VM_MAYEXEC"),
        Always(ApiKind.VmFlag, "VmFlags.MayShare", "VM_MAYSHARE"),
        Always(ApiKind.VmFlag, "VmFlags.GrowsDown", "VM_GROWSDOWN"),
        Always(ApiKind.VmFlag, "VmFlags.Locked", "VM_LOCKED"),
        Always(ApiKind.VmFlag, "VmFlags.IO", "VM_IO"),
        Always(ApiKind.VmFlag, "VmFlags.SeqRead", "VM_SEQ_READ"),
        Always(ApiKind.VmFlag, "VmFlags.RandRead", "VM_RAND_READ"),
        Always(ApiKind.VmFlag, "VmFlags.DontCopy", "VM_DONTCOPY"),
        Always(ApiKind.VmFlag, "VmFlags.DontExpand", "VM_DONTEXPAND"),
        Always(ApiKind.VmFlag, "VmFlags.Account", "VM_ACCOUNT"),
        Always(ApiKind.VmFlag, "VmFlags.HugeTlb", "VM_HUGETLB"),
        Row(ApiKind.VmFlag, "VmFlags.PfnMap", "VM_PFNMAP", "2.6.15-rc3", null,
            "before it, remap_pfn_range marks the vma itself (VM_RESERVED; VM_UNPAGED in the 2.6.15-rc2 snapshots)"),
        Row(ApiKind.VmFlag, "VmFlags.MixedMap", "VM_MIXEDMAP", "2.6.26", null,
            "use VM_PFNMAP with vm_insert_pfn for frames without struct page, or vm_insert_page alone"),
        Row(ApiKind.VmFlag, "VmFlags.DontDump", "VM_DONTDUMP", "3.4", null,
            "VM_IO or VM_RESERVED also keep the vma out of core dumps", "from 3.4 (as VM_NODUMP until 3.6)"),
        Row(ApiKind.VmFlag, "VmFlags.LockOnFault", "VM_LOCKONFAULT", "4.4", null, "mlock the range (VM_LOCKED) instead"),
        Row(ApiKind.VmFlag, "VmFlags.WipeOnFork", "VM_WIPEONFORK", "4.14", null, "VM_DONTCOPY leaves the child without the vma"),
        Row(ApiKind.VmFlag, "VmFlags.NoReserve", "VM_NORESERVE", "2.6.27", null, null),
        Row(ApiKind.VmFlag, "VmFlags.Reserved", "VM_RESERVED", null, "3.7", "use VM_IO, or VM_DONTEXPAND | VM_DONTDUMP", "up to 3.6"),
        Row(ApiKind.VmFlag, "VmFlags.Unpaged", "VM_UNPAGED", "2.6.15-rc2-git1", "2.6.15-rc3", "use VM_PFNMAP (2.6.15-rc3 and later)",
            "only in the 2.6.15-rc2-gitN snapshots"),
        Row(ApiKind.VmFlag, "VmFlags.InsertPage", "VM_INSERTPAGE", "2.6.15-rc6", "3.7",
            "from 3.7 vm_insert_page sets VM_MIXEDMAP itself, which fork copies", "from 2.6.15-rc6 to 3.6"),
        Row(ApiKind.VmFlag, "VmFlags.Shm", "VM_SHM", null, "2.6.18", "nothing replaces it (it is 0 from 2.6.15)", "up to 2.6.17"),
        Row(ApiKind.VmFlag, "VmFlags.AlwaysDump", "VM_ALWAYSDUMP", "2.6.20", "3.4",
            "from 3.4 vmas are dumped unless VM_DONTDUMP is set", "from 2.6.20 to 3.3"),

        // ---- page flags (include/linux/page-flags.h) -----------------------------------------------------------------
        Always(ApiKind.PageFlag, "PageFlags.None", "0"),
        Always(ApiKind.PageFlag, "PageFlags.Locked", "PG_locked"),
        Always(ApiKind.PageFlag, "PageFlags.Referenced", "PG_referenced"),
        Always(ApiKind.PageFlag, "PageFlags.Uptodate", "PG_uptodate"),
        Always(ApiKind.PageFlag, "PageFlags.Dirty", "PG_dirty"),
        Always(ApiKind.PageFlag, "PageFlags.Lru", "PG_lru"),
        Always(ApiKind.PageFlag, "PageFlags.Active", "PG_active"),
        Always(ApiKind.PageFlag, "PageFlags.Reserved", "PG_reserved"),
        Always(ApiKind.PageFlag, "PageFlags.Private", "PG_private"),
        Always(ApiKind.PageFlag, "PageFlags.Writeback", "PG_writeback"),
        Always(ApiKind.PageFlag, "PageFlags.Head", "PG_head"),
        Always(ApiKind.PageFlag, "PageFlags.SwapCache", "PG_swapcache"),
        Row(ApiKind.PageFlag, "PageFlags.Private2", "PG_private_2", "2.6.30", null, null),
        Row(ApiKind.PageFlag, "PageFlags.SwapBacked", "PG_swapbacked", "2.6.28", null, "PageAnon tells anonymous pages apart"),
        Row(ApiKind.PageFlag, "PageFlags.Unevictable", "PG_unevictable", "2.6.28", null, "mlocked pages stay on the normal LRU lists"),
        Row(ApiKind.PageFlag, "PageFlags.Mlocked", "PG_mlocked", "2.6.28", null, "VM_LOCKED on the vma is all there is"),
        Row(ApiKind.PageFlag, "PageFlags.HwPoison", "PG_hwpoison", "2.6.32", null, null),
        Row(ApiKind.PageFlag, "PageFlags.Error", "PG_error", null, "6.12", "report I/O errors through the folio or the mapping (mapping_set_error)"),
        Row(ApiKind.PageFlag, "PageFlags.LruGen", "LRU_GEN_MASK", "6.1", null, null),
        Row(ApiKind.PageFlag, "PageFlags.AnonExclusive", "PG_anon_exclusive", "5.19", null, null),

        // ---- struct vm_operations_struct (include/linux/mm.h) --------------------------------------------------------
        Always(ApiKind.VmOperationsHook, "VmOperations.Open", "->open"),
        Always(ApiKind.VmOperationsHook, "VmOperations.Close", "->close"),
        Row(ApiKind.VmOperationsHook, "VmOperations.NoPage", "->nopage", null, "2.6.26", "use ->fault (2.6.23 and later), which sets vmf->page"),
        Row(ApiKind.VmOperationsHook, "VmOperations.NoPfn", "->nopfn", "2.6.19", "2.6.27", "use ->fault with vm_insert_pfn"),
        Row(ApiKind.VmOperationsHook, "VmOperations.Fault", "->fault", "2.6.23", null, "use ->nopage, which returns the page"),
        Row(ApiKind.VmOperationsHook, "VmOperations.PageMkwrite", "->page_mkwrite", "2.6.18", null, null),
        Row(ApiKind.VmOperationsHook, "VmOperations.MaySplit", "->may_split", "4.15", null,
            "nothing can veto a split; refuse partial munmap/mprotect effects in ->open/->close", "from 4.15 (as ->split until 5.10)"),
        // "access_process_vm device memory infrastructure" (Rik van Riel, 28b2ee20c7cb), 2.6.27, with generic_access_phys.
        Row(ApiKind.VmOperationsHook, "VmOperations.Access", "->access", "2.6.27", null,
            "ptrace and /proc/<pid>/mem cannot reach a VM_IO/VM_PFNMAP vma at all"),
        Row(ApiKind.Constant, "VmOperations.NoPfnRefault", "NOPFN_REFAULT", "2.6.21", "2.6.27", "the value would be mapped as a pfn; return NOPFN_SIGBUS or a pfn"),

        // ---- struct file_operations (include/linux/fs.h) -------------------------------------------------------------
        Always(ApiKind.FileOperationsHook, "FileOperations.Open", "->open"),
        Always(ApiKind.FileOperationsHook, "FileOperations.Release", "->release"),
        Always(ApiKind.FileOperationsHook, "FileOperations.Mmap", "->mmap"),
        Always(ApiKind.FileOperationsHook, "FileOperations.Ioctl", "->unlocked_ioctl"),
        Always(ApiKind.FileOperationsHook, "FileOperations.Read", "->read"),
        Always(ApiKind.FileOperationsHook, "FileOperations.Write", "->write"),
        Always(ApiKind.FileOperationsHook, "FileOperations.Poll", "->poll"),

        // ---- functions a driver calls ---------------------------------------------------------------------------------
        Row(ApiKind.Function, "Kernel.VmInsertPage", "vm_insert_page", "2.6.15-rc4", null, "map the pages with remap_pfn_range, or hand them out from ->nopage"),
        Row(ApiKind.Function, "Kernel.VmMapPages", "vm_map_pages", "5.0", null, "call vm_insert_page for each page, checking vm_pgoff and the length yourself"),
        Row(ApiKind.Function, "Kernel.RemapVmallocRange", "remap_vmalloc_range", "2.6.18", null, "insert each vmalloc_to_page() page, or hand them out from ->nopage"),
        Row(ApiKind.Function, "Kernel.VmallocUser", "vmalloc_user", "2.6.18", null, "use vmalloc and clear the memory"),
        Row(ApiKind.Function, "Kernel.VmIomapMemory", "vm_iomap_memory", "3.9", null, "use io_remap_pfn_range after checking vm_pgoff and the length against the window"),
        Row(ApiKind.Function, "Kernel.VmfInsertPfn", "vmf_insert_pfn", "2.6.21", null, "use remap_pfn_range in ->mmap", "from 2.6.21 (as vm_insert_pfn until 4.17)"),
        Row(ApiKind.Function, "Kernel.VmfInsertMixed", "vmf_insert_mixed", "2.6.26", null, "use vm_insert_pfn on a VM_PFNMAP vma", "from 2.6.26 (as vm_insert_mixed until 4.17)"),
        Row(ApiKind.Function, "Kernel.GetUserPagesFast", "get_user_pages_fast", "2.6.27", null, "use get_user_pages under the mmap lock"),
        Row(ApiKind.Function, "Kernel.PinUserPages", "pin_user_pages", "5.6", null, "use get_user_pages and put_page"),
        Row(ApiKind.Function, "Kernel.UnpinUserPages", "unpin_user_pages", "5.6", null, "put_page each page"),
        Row(ApiKind.Function, "Kernel.UnpinUserPagesDirtyLock", "unpin_user_pages_dirty_lock", "5.6", null, "set_page_dirty_lock and put_page each page"),
        Row(ApiKind.Function, "Kernel.Kzalloc", "kzalloc", "2.6.14", null, "use kmalloc and memset"),
        Row(ApiKind.Function, "Kernel.Vzalloc", "vzalloc", "2.6.37", null, "use vmalloc and memset"),
        Always(ApiKind.Function, "Kernel.DmaAllocCoherent", "dma_alloc_coherent"),
        Always(ApiKind.Function, "Kernel.DmaFreeCoherent", "dma_free_coherent"),

        // Generic since 3.6 (commit 64ccc9c033c6, "common: dma-mapping: add support for generic dma_mmap_* calls");
        // ARM had its own dma_mmap_coherent earlier, x86 (the simulated machine) did not.
        Row(ApiKind.Function, "Kernel.DmaMmapCoherent", "dma_mmap_coherent", "3.6", null,
            "remap_pfn_range the buffer (virt_to_phys(cpu_addr) >> PAGE_SHIFT) after checking vm_pgoff and the length"),
        Row(ApiKind.Function, "Kernel.PciAllocConsistent", "pci_alloc_consistent", null, "5.18",
            "use dma_alloc_coherent(&pdev->dev, size, &handle, GFP_KERNEL)", "until its removal in 5.18 (include/linux/pci-dma-compat.h)"),
        Row(ApiKind.Function, "Kernel.PciFreeConsistent", "pci_free_consistent", null, "5.18",
            "use dma_free_coherent(&pdev->dev, size, cpu_addr, handle)", "until its removal in 5.18 (include/linux/pci-dma-compat.h)"),
        Always(ApiKind.Function, "Kernel.Ioremap", "ioremap"),
        Always(ApiKind.Function, "Kernel.CopyToUser", "copy_to_user"),
        Always(ApiKind.Function, "Kernel.CopyFromUser", "copy_from_user"),
        Always(ApiKind.Function, "Kernel.Iounmap", "iounmap"),
        Always(ApiKind.Function, "Kernel.Readb", "readb"),
        Always(ApiKind.Function, "Kernel.Readl", "readl"),
        Always(ApiKind.Function, "Kernel.Writeb", "writeb"),
        Always(ApiKind.Function, "Kernel.Writel", "writel"),
        Row(ApiKind.Function, "Kernel.Kvmalloc", "kvmalloc", "4.12", null, "try kmalloc with __GFP_NOWARN and fall back to vmalloc yourself"),
        Row(ApiKind.Function, "Kernel.Kvfree", "kvfree", "3.15", null, "test is_vmalloc_addr() and call vfree or kfree"),
        Always(ApiKind.Function, "Kernel.Vmalloc32", "vmalloc_32"),

        // Added with vmalloc_user and remap_vmalloc_range (2.6.18).
        Row(ApiKind.Function, "Kernel.Vmalloc32User", "vmalloc_32_user", "2.6.18", null, "use vmalloc_32 and clear the memory"),
        Always(ApiKind.Function, "Kernel.Vmap", "vmap"),
        Always(ApiKind.Function, "Kernel.Vunmap", "vunmap"),
        Always(ApiKind.Function, "Kernel.GetOrder", "get_order"),
        Always(ApiKind.Function, "Kernel.PageAlign", "PAGE_ALIGN"),

        // ---- functions every supported kernel has (2.6.10 on) ------------------------------------------------------
        Always(ApiKind.Function, "Kernel.AllocPage", "alloc_page"),
        Always(ApiKind.Function, "Kernel.AllocPages", "alloc_pages"),
        Always(ApiKind.Function, "Kernel.GetFreePages", "__get_free_pages"),
        Always(ApiKind.Function, "Kernel.GetZeroedPage", "get_zeroed_page"),
        Always(ApiKind.Function, "Kernel.FreePage", "free_page"),
        Always(ApiKind.Function, "Kernel.FreePages", "free_pages"),
        Always(ApiKind.Function, "Kernel.GetPage", "get_page"),
        Always(ApiKind.Function, "Kernel.PutPage", "put_page"),
        Always(ApiKind.Function, "Kernel.PageCount", "page_count"),
        Always(ApiKind.Function, "Kernel.PageMapcount", "page_mapcount"),
        Always(ApiKind.Function, "Kernel.PageReserved", "PageReserved"),
        Always(ApiKind.Function, "Kernel.SetPageReserved", "SetPageReserved"),
        Always(ApiKind.Function, "Kernel.ClearPageReserved", "ClearPageReserved"),
        Always(ApiKind.Function, "Kernel.PageLocked", "PageLocked"),
        Always(ApiKind.Function, "Kernel.LockPage", "lock_page"),
        Always(ApiKind.Function, "Kernel.UnlockPage", "unlock_page"),
        Always(ApiKind.Function, "Kernel.Kmalloc", "kmalloc"),
        Always(ApiKind.Function, "Kernel.Kfree", "kfree"),
        Always(ApiKind.Function, "Kernel.Vmalloc", "vmalloc"),
        Always(ApiKind.Function, "Kernel.Vfree", "vfree"),
        Always(ApiKind.Function, "Kernel.VmallocToPage", "vmalloc_to_page"),
        Always(ApiKind.Function, "Kernel.VmallocToPfn", "vmalloc_to_pfn"),
        Always(ApiKind.Function, "Kernel.VirtToPage", "virt_to_page"),
        Always(ApiKind.Function, "Kernel.VirtToPhys", "virt_to_phys"),
        Always(ApiKind.Function, "Kernel.PhysToVirt", "phys_to_virt"),
        Always(ApiKind.Function, "Kernel.PageAddress", "page_address"),
        Always(ApiKind.Function, "Kernel.PageToPfn", "page_to_pfn"),
        Always(ApiKind.Function, "Kernel.PageToPhys", "page_to_phys"),
        Always(ApiKind.Function, "Kernel.PfnToPage", "pfn_to_page"),
        Always(ApiKind.Function, "Kernel.PfnValid", "pfn_valid"),
        Always(ApiKind.Function, "Kernel.PgprotNoncached", "pgprot_noncached"),
        Always(ApiKind.Function, "Kernel.RemapPfnRange", "remap_pfn_range"),
        Always(ApiKind.Function, "Kernel.UnmapMappingRange", "unmap_mapping_range"),
        Always(ApiKind.Function, "Kernel.GetUserPages", "get_user_pages"),
        Always(ApiKind.Function, "Kernel.Memset", "memset"),
        Always(ApiKind.Function, "Kernel.RegisterChrdev", "register_chrdev"),
        Always(ApiKind.Function, "Kernel.UnregisterChrdev", "unregister_chrdev"),
        Always(ApiKind.Function, "Kernel.MiscRegister", "misc_register"),
        Always(ApiKind.Function, "Kernel.MiscDeregister", "misc_deregister"),
        Always(ApiKind.Function, "Kernel.PciResourceStart", "pci_resource_start"),
        Always(ApiKind.Function, "Kernel.PciResourceLen", "pci_resource_len"),
        Row(ApiKind.Function, "Kernel.VmFlagsSet", "vm_flags_set", null, null, null,
            "in every supported kernel (vm_flags_set from 6.3; before it, a write of vma->vm_flags)"),
        Row(ApiKind.Function, "Kernel.VmFlagsClear", "vm_flags_clear", null, null, null,
            "in every supported kernel (vm_flags_clear from 6.3; before it, a write of vma->vm_flags)"),
        Row(ApiKind.Function, "Kernel.MmapWriteLock", "mmap_write_lock", null, null, null,
            "in every supported kernel (mmap_write_lock from 5.8; down_write(&mm->mmap_sem) before)"),
        Row(ApiKind.Function, "Kernel.MmapWriteUnlock", "mmap_write_unlock", null, null, null,
            "in every supported kernel (mmap_write_unlock from 5.8; up_write(&mm->mmap_sem) before)"),
        Row(ApiKind.Function, "Kernel.GetUserPagesRemote", "get_user_pages_remote", null, null, null,
            "in every supported kernel (get_user_pages_remote from 4.6; get_user_pages(tsk, mm, …) before)"),
        // Commit 8cd3984d81d5 ("mm/memory.c: add vm_insert_pages()"), in 5.7: its fix 7f70c2a68a51 went to 5.7.y stable.
        Row(ApiKind.Function, "Kernel.VmInsertPages", "vm_insert_pages", "5.7", null, "call vm_insert_page for each page"),

        // "mm: Add vm_insert_pfn_prot()" (Andy Lutomirski, for the 4.5 vDSO pvclock page); the vm_fault_t form
        // vmf_insert_pfn_prot ("mm: Introduce vmf_insert_pfn_prot", Matthew Wilcox, posted after 4.19-rc1) took its place in 4.20.
        Row(ApiKind.Function, "Kernel.VmfInsertPfnProt", "vmf_insert_pfn_prot", "4.5", null,
            "set the memory type in vma->vm_page_prot in ->mmap and use vm_insert_pfn", "from 4.5 (as vm_insert_pfn_prot, returning an errno, until 4.20)"),

        // "mm/gup: introduce pin_user_pages*() and FOLL_PIN" (John Hubbard), 5.6, with pin_user_pages.
        Row(ApiKind.Function, "Kernel.PinUserPagesFast", "pin_user_pages_fast", "5.6", null, "use get_user_pages_fast and put_page"),
        Row(ApiKind.Function, "Kernel.PinUserPagesRemote", "pin_user_pages_remote", "5.6", null, "use get_user_pages_remote and put_page"),

        // The mmap locking API ("mmap locking API: initial implementation as rwsem wrappers", Michel Lespinasse), 5.8, named
        // the rwsem every kernel has; like mmap_write_lock the call stands for down_read/up_read before it.
        Row(ApiKind.Function, "Kernel.MmapReadLock", "mmap_read_lock", null, null, null,
            "in every supported kernel (mmap_read_lock from 5.8; down_read(&mm->mmap_sem) before)"),
        Row(ApiKind.Function, "Kernel.MmapReadUnlock", "mmap_read_unlock", null, null, null,
            "in every supported kernel (mmap_read_unlock from 5.8; up_read(&mm->mmap_sem) before)"),

        // The ->access implementation for remapped device memory, added with the hook (2.6.27, CONFIG_HAVE_IOREMAP_PROT).
        Row(ApiKind.Function, "Kernel.GenericAccessPhys", "generic_access_phys", "2.6.27", null,
            "without ->access ptrace cannot read the registers; give the debugger an ioctl"),

        // ---- what a test program uses --------------------------------------------------------------------------------
        // madvise advice (include/uapi/asm-generic/mman-common.h): a kernel without one returns -EINVAL (madvise_behavior_valid).
        Row(ApiKind.Constant, "Advice.Remove", "MADV_REMOVE", "2.6.16", null, "ftruncate or fallocate(FALLOC_FL_PUNCH_HOLE) the shmem file"),
        Row(ApiKind.Constant, "Advice.Free", "MADV_FREE", "4.5", null, "MADV_DONTNEED (the pages are dropped at once)"),
        Row(ApiKind.Constant, "Advice.Cold", "MADV_COLD", "5.4", null, "nothing deactivates pages on request; leave them to reclaim"),
        Row(ApiKind.Constant, "Advice.PageOut", "MADV_PAGEOUT", "5.4", null, "nothing reclaims pages on request; MADV_DONTNEED drops them"),
        Row(ApiKind.Constant, "Advice.PopulateRead", "MADV_POPULATE_READ", "5.14", null, "touch each page, or MAP_POPULATE at mmap"),
        Row(ApiKind.Constant, "Advice.PopulateWrite", "MADV_POPULATE_WRITE", "5.14", null, "write each page, or MAP_POPULATE at mmap"),
        Row(ApiKind.Constant, "Advice.DontNeedLocked", "MADV_DONTNEED_LOCKED", "5.18", null, "munlock the range, then MADV_DONTNEED"),
        // include/uapi/linux/mman.h; "mm/mremap: add MREMAP_DONTUNMAP to mremap()" (Brian Geffon, e346b3813067), 5.7.
        Row(ApiKind.Constant, "MremapFlags.DontUnmap", "MREMAP_DONTUNMAP", "5.7", null, "mmap a new range and copy, or mremap with MAYMOVE and map the old range again"),
        Always(ApiKind.UserInterface, "Process.Pipe", "pipe"),
        Always(ApiKind.UserInterface, "Process.Poll", "poll"),
        Row(ApiKind.UserInterface, "Process.CoredumpFilter", "/proc/<pid>/coredump_filter", "2.6.23", null, null),
        Always(ApiKind.UserInterface, "Process.ReadProcMem", "read of /proc/<pid>/mem"),
        // "proc: enable writing to /proc/pid/mem" (Stephen Wilson, 198214a7ee50), 2.6.39: mem_write was under #ifdef before.
        Row(ApiKind.UserInterface, "Process.WriteProcMem", "write of /proc/<pid>/mem", "2.6.39", null, "use ptrace(PTRACE_POKEDATA)"),
        // "Cross Memory Attach" (Christopher Yeoh, fcf634098c00), 3.2.
        Row(ApiKind.UserInterface, "Process.ProcessVmReadv", "process_vm_readv", "3.2", null, "read /proc/<pid>/mem"),
        Row(ApiKind.UserInterface, "Process.ProcessVmWritev", "process_vm_writev", "3.2", null, "write /proc/<pid>/mem (2.6.39 and later)"),
    };

    private static readonly Dictionary<string, ApiAvailability> ByMember = Rows.ToDictionary(row => row.Member, StringComparer.Ordinal);

    /// <summary>Every row, flags first, then hooks, functions and user interfaces.</summary>
    public static IReadOnlyList<ApiAvailability> All => Rows;

    /// <summary>The row of <paramref name="member"/> (<c>Type.Member</c>), or null when DriverKit does not track its availability.</summary>
    /// <param name="member">A member such as <c>VmFlags.DontDump</c> or <c>Kernel.VmMapPages</c>.</param>
    public static ApiAvailability? Find(string member) => member is not null && ByMember.TryGetValue(member, out var row) ? row : null;

    /// <summary>True when <paramref name="version"/> has <paramref name="member"/>; members without a row exist everywhere.</summary>
    /// <param name="member">A member such as <c>VmFlags.DontDump</c>.</param>
    /// <param name="version">A kernel version.</param>
    public static bool Exists(string member, KernelVersion version) => Find(member)?.ExistsIn(version) ?? true;

    /// <summary>The row of one <see cref="VmFlags"/> bit.</summary>
    /// <param name="flag">One flag.</param>
    public static ApiAvailability? Of(VmFlags flag) => Find("VmFlags." + flag);

    private static ApiAvailability Always(ApiKind kind, string member, string kernelName) => new(kind, member, kernelName, null, null, null, null);

    private static ApiAvailability Row(ApiKind kind, string member, string kernelName, string? since, string? removedIn, string? replacement, string? history = null) =>
        new(kind, member, kernelName, since, removedIn, replacement, history);
}
