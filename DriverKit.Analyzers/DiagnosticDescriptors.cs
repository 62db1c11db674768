using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace DriverKit.Analyzers;

/// <summary>
/// The one table of DriverKit's diagnostic descriptors. Default severities are those of the newest kernel era (the
/// default configuration); era-dependent rules report with the configured era's severity (docs/rules/DKxxxx.md).
/// Messages say what was found, the kernel fact behind it, and what to do.
/// </summary>
public static class DiagnosticDescriptors
{
    /// <summary>The folder of the rule pages; each descriptor links to <c>{HelpLinkBase}DKxxxx.md</c>.</summary>
    public const string HelpLinkBase = RepositoryInfo.Url + "/blob/main/docs/rules/";

    /// <summary>DK0001: a driver sets VM_LOCKED or VM_LOCKONFAULT on a VMA.</summary>
    public static readonly DiagnosticDescriptor LockedIoMapping = Create(
        DiagnosticIds.LockedIoMapping,
        "Driver sets VM_LOCKED on a VMA",
        "'{0}' gets {1} from driver code{2}{3}: VM_LOCKED is the process's mlock state, not a driver pin, and in Linux {4} {5}; remove the Locked bit",
        DiagnosticSeverity.Error,
        "VM_LOCKED and VM_LOCKONFAULT belong to mlock(2); a driver never needs them. Together with VM_IO the combination is not sane " +
        "(Andrew Morton, Nov 2004): the kernel never pages out I/O regions. It is an error with VM_IO on the same VMA and a warning otherwise.");

    /// <summary>DK0002: SetPageReserved on allocator memory.</summary>
    public static readonly DiagnosticDescriptor ReservePagesForRemap = Create(
        DiagnosticIds.ReservePagesForRemap,
        "SetPageReserved on allocator memory",
        "SetPageReserved('{0}') is the pre-2.6.15 remap idiom: remap_pfn_range has mapped RAM without PG_reserved since 2.6.15, so in Linux {1} the bit does nothing until it is found at free time; remove the SetPageReserved/ClearPageReserved pair",
        DiagnosticSeverity.Warning,
        "Up to 2.6.14 remap_pfn_range skipped RAM pages that were not PG_reserved, so drivers reserved their buffers. Since 2.6.15 the " +
        "reservation is useless for mapping and dangerous at free (DK0003). Not reported when the configured kernel is 2.6.14 or older.");

    /// <summary>DK0003: memory freed with PG_reserved still set.</summary>
    public static readonly DiagnosticDescriptor ReservedBitLeftAtFree = Create(
        DiagnosticIds.ReservedBitLeftAtFree,
        "PG_reserved still set when the memory is freed",
        "'{0}' frees '{1}', whose pages got SetPageReserved with no ClearPageReserved before the free: in Linux {2} {3}; clear PG_reserved on every page before freeing",
        DiagnosticSeverity.Error,
        "PG_reserved is one of the flags the page allocator checks at free. Depending on the era the page is silently ignored (leaked), " +
        "reported as 'Bad page state' and leaked, or reported when page checks are on.");

    /// <summary>DK0004: VM_RESERVED on a VMA whose fault/nopage handler hands out RAM pages.</summary>
    public static readonly DiagnosticDescriptor ReservedVmaFaultInsert = Create(
        DiagnosticIds.ReservedVmaFaultInsert,
        "VM_RESERVED on a VMA whose fault handler returns RAM pages",
        "'{0}' gets VM_RESERVED while its vm_ops {1} handler '{2}' hands out RAM pages: {3}; use {4} instead",
        DiagnosticSeverity.Error,
        "In 2.6.15-rc1/rc2 the core did not refcount or unmap the pages of a VM_RESERVED VMA, while nopage/fault still took a reference " +
        "for each fault, so every faulted page leaked (LDD3's scullp, ALSA). VM_RESERVED was removed in 3.7.");

    /// <summary>DK0005: VM_RESERVED used anywhere.</summary>
    public static readonly DiagnosticDescriptor VmReservedObsolete = Create(
        DiagnosticIds.VmReservedObsolete,
        "VM_RESERVED is obsolete",
        "VM_RESERVED {0}: {1}; use {2}{3}",
        DiagnosticSeverity.Error,
        "VM_RESERVED was 'a bit of a mystery' in 2.6 (accounting, core dumps, merging) and was removed in 3.7, which said it 'can be " +
        "replaced with VM_IO or pair VM_DONTEXPAND | VM_DONTDUMP'. An error when the configured kernel is 3.7 or newer, a warning before.");

    /// <summary>DK0005 (numeric form): a numeric value cast to VmFlags.</summary>
    public static readonly DiagnosticDescriptor NumericVmFlags = Create(
        DiagnosticIds.VmReservedObsolete,
        "Numeric vm_flags value",
        "'{0}' is a raw vm_flags value ({1}): {2}; name the flags instead",
        DiagnosticSeverity.Warning,
        "vm_flags bits were reused across kernels: VM_RESERVED's 0x80000 is VM_LOCKONFAULT today, VM_INSERTPAGE's 0x02000000 is " +
        "VM_WIPEONFORK. A numeric value silently changes meaning with the kernel; compatibility shims such as " +
        "'#define VM_RESERVED 0x00080000' request lock-on-fault.");

    /// <summary>DK0006: PG_locked used as a pin.</summary>
    public static readonly DiagnosticDescriptor PageLockAsPin = Create(
        DiagnosticIds.PageLockAsPin,
        "PG_locked used as a pin",
        "{0}('{1}') uses PG_locked as a pin{2}: PG_locked is a page-cache lock, not a reference, and unmap, exit and COW drop the page regardless; take a reference instead ({3})",
        DiagnosticSeverity.Warning,
        "lock_page gives exclusive access while a page's contents change; it does not keep a page mapped or allocated (Andrew Morton, " +
        "Nov 2004). Pin with get_page/put_page, or pin_user_pages/unpin_user_pages for user memory under DMA.");

    /// <summary>DK0007: a vmalloc buffer remapped as one physically contiguous pfn range.</summary>
    public static readonly DiagnosticDescriptor RemapVmallocAsContiguous = Create(
        DiagnosticIds.RemapVmallocAsContiguous,
        "vmalloc memory remapped as a contiguous pfn range",
        "{0}('{1}') maps {2} bytes from one pfn of the vmalloc buffer {3}: vmalloc memory is contiguous only virtually, so every page after the first maps whatever frame follows in RAM; {4}",
        DiagnosticSeverity.Error,
        "remap_pfn_range maps pfn, pfn+1, … ; the pages of a vmalloc area are scattered, so a multi-page remap from vmalloc_to_pfn (or " +
        "virt_to_phys of a vmalloc address) exposes unrelated RAM read/write. remap_vmalloc_range (2.6.18+) maps the area page by page.");

    /// <summary>DK0008: a byte address converted to a page frame number without the page shift.</summary>
    public static readonly DiagnosticDescriptor PhysAddrPassedAsPfn = Create(
        DiagnosticIds.PhysAddrPassedAsPfn,
        "Byte address used as a page frame number",
        "new Pfn('{0}') makes a page frame number of a byte address: the frame is {1} times too large and maps memory that is neither the driver's RAM nor its device; shift it right by Kernel.PageShift (or use PhysAddr.ToPfn())",
        DiagnosticSeverity.Error,
        "remap_pfn_range and friends take page frame numbers. DriverKit's typed addresses make passing a PhysAddr a compile error, so the " +
        "mistake survives only in raw round-trips through ulong: new Pfn(phys.Value) instead of new Pfn(phys.Value >> PAGE_SHIFT).");

    /// <summary>DK0008 (slab form): a kmalloc object's page mapped into user space.</summary>
    public static readonly DiagnosticDescriptor SlabPageMapped = Create(
        DiagnosticIds.PhysAddrPassedAsPfn,
        "Slab object mapped into user space",
        "{0}('{1}') maps the page of the kmalloc object {2}: the page holds other slab objects, which user space can now read and write, and the slab may reuse it while it is mapped; allocate whole pages for memory user space maps (AllocPages, GetZeroedPage, VmallocUser)",
        DiagnosticSeverity.Error,
        "A kmalloc object smaller than the largest cache shares its page with unrelated objects. Mapping that page exposes them, and " +
        "nothing keeps the object alive while the mapping exists.");

    /// <summary>DK0009: a refcounted page inserted into a VMA that is VM_PFNMAP.</summary>
    public static readonly DiagnosticDescriptor InsertPageIntoPfnMap = Create(
        DiagnosticIds.InsertPageIntoPfnMap,
        "vm_insert_page into a VM_PFNMAP VMA",
        "{0} inserts a refcounted page into the VMA of '{1}', which {2} makes VM_PFNMAP: one VMA would follow two reference disciplines, and in Linux {3} {4}; map the pfns with VmfInsertMixed on a VM_MIXEDMAP VMA, or expose the pages and the pfns at separate mmap offsets",
        DiagnosticSeverity.Error,
        "A VM_PFNMAP VMA holds PTEs the VM never refcounts; vm_insert_page installs a normal, refcounted PTE. From 3.7 vm_insert_page " +
        "BUG()s on a VM_PFNMAP VMA without VM_MIXEDMAP; before, zap asked vm_normal_page, which called the page special, so its " +
        "reference and mapcount were never dropped. VM_MIXEDMAP is the flag for VMAs that mix both.");

    /// <summary>DK0010: vm_insert_page of a page that is not an individual kernel allocation.</summary>
    public static readonly DiagnosticDescriptor InsertPageUnsuitablePage = Create(
        DiagnosticIds.InsertPageUnsuitablePage,
        "vm_insert_page of a page that is not an individual allocation",
        "{0}('{1}') inserts {2} from {3}: in Linux {4} {5}; {6}",
        DiagnosticSeverity.Error,
        "vm_insert_page wants 'a nice clean individual kernel allocation': a compound page must be allocated with __GFP_COMP, a plain " +
        "high-order block split with split_page, and slab and anonymous pages are refused (or corrupted, before 5.2).");

    /// <summary>DK0010 (return value form): a mapping call's error dropped.</summary>
    public static readonly DiagnosticDescriptor MappingResultIgnored = Create(
        DiagnosticIds.InsertPageUnsuitablePage,
        "Mapping call's result ignored",
        "The result of {0} is ignored: when it fails, '{1}' goes on and the mapping has holes that fault with SIGBUS or show the wrong memory; return the error",
        DiagnosticSeverity.Warning,
        "vm_insert_page, vm_map_pages, remap_pfn_range, io_remap_pfn_range, vm_iomap_memory and remap_vmalloc_range refuse bad pages, " +
        "ranges and offsets with an errno. ->mmap must pass it on, or user space gets a mapping that is partly empty.");

    /// <summary>DK0011: vm_insert_page outside ->mmap on a VMA that is not VM_MIXEDMAP.</summary>
    public static readonly DiagnosticDescriptor InsertPageFromFaultWithoutMixedMap = Create(
        DiagnosticIds.InsertPageFromFaultWithoutMixedMap,
        "vm_insert_page outside ->mmap on a VMA without VM_MIXEDMAP",
        "{0} runs in the {1} handler '{2}' on VMAs that '{3}' never marks VM_MIXEDMAP: {4}; {5}",
        DiagnosticSeverity.Error,
        "vm_insert_page changes vm_flags when VM_MIXEDMAP is missing, which needs the mmap lock held for write: it may run from ->mmap " +
        "only. A fault handler holds the lock for read (or only the VMA lock). From 3.7 the call BUG()s there " +
        "(BUG_ON(mmap_read_trylock)); before, it wrote VM_INSERTPAGE into vm_flags unlocked, a data race. Set VM_MIXEDMAP in ->mmap.");

    /// <summary>DK0012: a fault handler's page handed out without a reference.</summary>
    public static readonly DiagnosticDescriptor FaultPageWithoutReference = Create(
        DiagnosticIds.FaultPageWithoutReference,
        "Fault handler hands out a page without a reference",
        "{0} hands out '{1}' with no reference taken: the PTE owns a reference, which munmap, exit and a refault's unmap drop, so the driver's own reference goes first and the page is freed while the driver still uses it; {2}",
        DiagnosticSeverity.Error,
        "finish_fault consumes a reference of the page it maps, and zap drops one per normal PTE (LDD3: 'the count for the page must " +
        "be incremented, because it is automatically decremented at page unmap'). A fault or nopage handler that returns a page it " +
        "allocated hands over that reference; any other page needs get_page first, or special PTEs (vmf_insert_pfn) instead.");

    /// <summary>DK0013: a fault handler hands out struct-page memory without a reference, trusting VM_RESERVED or VM_IO to make it special.</summary>
    public static readonly DiagnosticDescriptor StructPageSpecialMapping = Create(
        DiagnosticIds.StructPageSpecialMapping,
        "Fault page handed out as if VM_RESERVED or VM_IO made it special",
        "{0} hands out '{1}' with no reference, on VMAs that '{2}' marks {3}: in Linux {4} vm_normal_page looks only at VM_PFNMAP and VM_MIXEDMAP, so the page gets a normal, refcounted PTE and the first unmap drops the driver's own reference; {5}",
        DiagnosticSeverity.Error,
        "Benjamin Herrenschmidt asked in December 2006 how to map struct pages the VM must never refcount, swap or free. Since " +
        "2.6.15-rc3 only VM_PFNMAP (with the linear rule or a non-COW VMA) and VM_MIXEDMAP (with pte_special) make PTEs special; " +
        "VM_RESERVED and VM_IO do not. A page returned from ->fault or ->nopage is always a normal PTE and needs a reference; a page " +
        "the VM must not manage goes in with vmf_insert_pfn on a VM_PFNMAP | VM_IO VMA that refuses private mappings.");

    /// <summary>DK0013 (flip form): a VMA's PTE discipline changed after ->mmap.</summary>
    public static readonly DiagnosticDescriptor DisciplineFlip = Create(
        DiagnosticIds.StructPageSpecialMapping,
        "VMA's PTE discipline changed outside ->mmap",
        "The {2} handler '{3}' {1} on '{0}' after ->mmap, while the VMA may have PTEs: {4}; choose VM_PFNMAP or VM_MIXEDMAP once, in ->mmap",
        DiagnosticSeverity.Error,
        "vm_normal_page decides from the VMA's flags, at every fork and zap, whether a PTE holds a reference. A driver that sets or " +
        "clears VM_PFNMAP or VM_MIXEDMAP while PTEs exist (around a context switch, say) makes fork and unmap disagree with the fault " +
        "that installed the PTE: leaked references, negative mapcounts, pages freed while mapped.");

    /// <summary>DK0014: a user-chosen offset or size decides what is mapped, and nothing bounds it.</summary>
    public static readonly DiagnosticDescriptor UncheckedMmapRange = Create(
        DiagnosticIds.UncheckedMmapRange,
        "User-chosen offset or size mapped unchecked",
        "The {0} '{1}' comes from {2}, which user space chooses, and no check against the buffer's or device's size decides whether it is used{3}: a process can map memory beyond the driver's",
        DiagnosticSeverity.Warning,
        "remap_pfn_range, io_remap_pfn_range, vmf_insert_pfn and vm_insert_page map whatever they are given; a fault handler's page is " +
        "mapped as returned. vm_pgoff, the vma's size, a fault's pgoff (which mremap can grow) and an ioctl's argument must be compared " +
        "with the size of what the driver exposes first, in a way that cannot wrap around. vm_iomap_memory, vm_map_pages and " +
        "remap_vmalloc_range check for the driver.");

    /// <summary>DK0014 (VM_MAYWRITE form): ->mmap refuses writable mappings and leaves VM_MAYWRITE set.</summary>
    public static readonly DiagnosticDescriptor MayWriteLeftSet = Create(
        DiagnosticIds.UncheckedMmapRange,
        "Writable mappings refused but VM_MAYWRITE left set",
        "'{0}' refuses writable mappings but leaves VM_MAYWRITE set: mprotect(PROT_WRITE) makes a read-only mapping writable later; clear it with '{1}'",
        DiagnosticSeverity.Warning,
        "mprotect checks VM_MAYWRITE, not the driver's intent. mmap sets VM_MAYWRITE on every shared mapping of a file opened for " +
        "writing, so a driver that rejects VM_WRITE in ->mmap must clear VM_MAYWRITE too, or user space upgrades the mapping afterwards.");

    /// <summary>DK0015: a fault-handled or page-inserted device mapping without VM_DONTEXPAND.</summary>
    public static readonly DiagnosticDescriptor ExpandableDeviceMapping = Create(
        DiagnosticIds.ExpandableDeviceMapping,
        "Device mapping can grow with mremap",
        "'{0}' {1} and never sets VM_DONTEXPAND: mremap can grow the mapping, and {2}; set it with '{3}'",
        DiagnosticSeverity.Warning,
        "mremap refuses to grow only VM_DONTEXPAND (and VM_PFNMAP) VMAs. remap_pfn_range (3.7+) and remap_vmalloc_range set " +
        "VM_DONTEXPAND; vm_insert_page, vm_map_pages and fault handlers do not. A grown mapping faults at offsets ->mmap never saw: " +
        "a fault handler that indexes by vmf->pgoff reads past its table and maps whatever page is there, and a VMA without a fault " +
        "handler gets SIGBUS (4.2+) or anonymous pages inside the device mapping (before).");

    /// <summary>DK0016: MMIO mapped write-back cacheable.</summary>
    public static readonly DiagnosticDescriptor CacheableMmio = Create(
        DiagnosticIds.CacheableMmio,
        "Device memory mapped cacheable",
        "{0} maps the device window {1} with {2}, which is write-back cacheable: register reads may be speculated or served from the cache and writes merged or lost; {3}",
        DiagnosticSeverity.Warning,
        "vm_page_prot from vm_get_page_prot is write-back cacheable. Device registers need pgprot_noncached (or pgprot_writecombine for " +
        "frame buffers) first. A few platforms map device memory cacheable on purpose: suppress the diagnostic there.");

    /// <summary>DK0016 (RAM form): RAM mapped uncached while the linear map is write-back.</summary>
    public static readonly DiagnosticDescriptor UncachedRam = Create(
        DiagnosticIds.CacheableMmio,
        "RAM mapped uncached",
        "{0} maps RAM from {1} with an uncached or write-combining protection while the kernel's linear map of it stays write-back: two mappings of one page with different memory types; map RAM with vma.PageProt, or use coherent DMA memory",
        DiagnosticSeverity.Warning,
        "x86 PAT forbids aliases of one page with different memory types: a driver that exports RAM uncached must change the linear map " +
        "with set_memory_uc/wc first and restore it before freeing. The APIs for uncached mappings are meant for I/O memory.");

    /// <summary>DK0017: a fault-based mapping of device memory without VM_IO.</summary>
    public static readonly DiagnosticDescriptor MmioWithoutVmIo = Create(
        DiagnosticIds.MmioWithoutVmIo,
        "Fault-based device mapping without VM_IO",
        "{0} maps device memory ({1}) from the {2} handler '{3}' into VMAs that '{4}' never marks VM_IO: get_user_pages, /proc/pid/mem, ptrace and core dumps treat the VMA as memory and may read the device's registers; set it with '{5}'",
        DiagnosticSeverity.Warning,
        "remap_pfn_range sets VM_IO for the driver; a fault handler that inserts device pfns (vmf_insert_pfn, vmf_insert_mixed) must " +
        "set it in ->mmap. VM_IO keeps get_user_pages, access_process_vm, MADV_DOFORK and the core dumper away from memory with side " +
        "effects; VM_DONTDUMP (3.4+) keeps the VMA out of core dumps.");

    /// <summary>DK0018 (close without open): vm_ops whose Close undoes what no Open did.</summary>
    public static readonly DiagnosticDescriptor CloseWithoutOpen = Create(
        DiagnosticIds.FreeWhileMapped,
        "vm_ops with Close and no Open",
        "The vm_ops in '{0}' set Close '{1}' but no Open: fork, a partial munmap or mprotect and mremap make VMAs that get ->close and never ->open, so what Close undoes is undone more often than it was done; add an Open handler that takes the same count or reference",
        DiagnosticSeverity.Warning,
        "->open runs for every VMA the kernel copies or splits from a mapping (dup_mmap, __split_vma, copy_vma); ->close runs for " +
        "each of them. A driver that counts users or pins its buffer in ->mmap and releases in ->close without ->open frees while " +
        "other VMAs still map it. A driver that forbids copies (VM_DONTCOPY) and accounts pieces by size is not reported.");

    /// <summary>DK0018 (free while mapped): memory a mapping call exposed is freed from a path that runs while VMAs map it.</summary>
    public static readonly DiagnosticDescriptor FreedWhileMapped = Create(
        DiagnosticIds.FreeWhileMapped,
        "Mapped memory freed while VMAs may still map it",
        "{0} frees {1}, which {2} maps into user space, in {3} while VMAs may still map it: the user keeps PTEs to frames the allocator hands out again; zap the mappings first (UnmapMappingRange or ZapVmaPtes) or free at the last ->close, counted with ->open",
        DiagnosticSeverity.Warning,
        "remap_pfn_range, io_remap_pfn_range, vm_iomap_memory and vmf_insert_pfn install PTEs that hold no reference. Memory they map " +
        "must outlive every VMA: an ioctl or one VMA's ->close that frees it leaves the other VMAs mapping recycled frames, a " +
        "use-after-free the kernel never reports. ->release is safe (the VMAs pin the file).");

    /// <summary>DK0019: remap_pfn_range of device memory.</summary>
    public static readonly DiagnosticDescriptor RemapPfnForIo = Create(
        DiagnosticIds.RemapPfnForIo,
        "remap_pfn_range of device memory",
        "RemapPfnRange('{0}') maps the device window {1}: device memory goes through io_remap_pfn_range, which {2}; use IoRemapPfnRange{3}",
        DiagnosticSeverity.Warning,
        "io_remap_pfn_range is remap_pfn_range with pgprot_decrypted on most architectures and an I/O-space encoding on others (sparc, " +
        "mips with 64-bit physical addresses). With memory encryption (SME, SEV, TDX) a remap_pfn_range of MMIO carries the encryption bit.");

    /// <summary>DK0020: a pfn mapping that private mappings reach, fault-based or partial.</summary>
    public static readonly DiagnosticDescriptor PartialOrCowPfnMap = Create(
        DiagnosticIds.PartialOrCowPfnMap,
        "Pfn mapping reachable by private mappings",
        "{0} {1}, and '{2}' neither refuses private mappings nor clears VM_MAYWRITE: {3}; refuse them at the top of '{2}' with '{4}'",
        DiagnosticSeverity.Error,
        "A MAP_PRIVATE mapping of a file opened for writing is a COW mapping (VM_MAYWRITE without VM_SHARED), even with PROT_READ. " +
        "COW of a VM_PFNMAP VMA depends on the linear rule (vm_pgoff = pfn of the whole VMA): vmf_insert_pfn BUG()s on a COW " +
        "VM_PFNMAP VMA, and remap_pfn_range of a part of one fails with EINVAL. ->mmap must refuse non-shared mappings or clear " +
        "VM_MAYWRITE; VM_MIXEDMAP with vmf_insert_mixed is the choice when COW is wanted.");

    /// <summary>DK1000: a kernel version setting DriverKit cannot parse; reported once per compilation.</summary>
    public static readonly DiagnosticDescriptor InvalidKernelVersion = new(
        DiagnosticIds.InvalidKernelVersion,
        "Kernel version setting not understood",
        "{0} is '{1}', which is not a kernel version DriverKit knows ({2}); the rules check against Linux {3} instead",
        DiagnosticCategories.Configuration,
        DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        "Every era-dependent rule reads the kernel version from driverkit.kernel_version (.editorconfig or .globalconfig) or the " +
        "DriverKitKernelVersion MSBuild property. A value it cannot parse would silently select the newest kernel.",
        HelpLink(DiagnosticIds.InvalidKernelVersion),
        WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>DK1001: a flag, hook or kernel function the configured kernel does not have.</summary>
    public static readonly DiagnosticDescriptor MissingInKernel = new(
        DiagnosticIds.MissingInKernel,
        "Not in the configured kernel",
        "{0} does not exist in Linux {1}: it exists {2}{3}",
        DiagnosticCategories.Configuration,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true,
        "The driver uses a vm_flags bit, page flag, vm_operations/file_operations hook or kernel function that the kernel named by " +
        "driverkit.kernel_version does not define: the real driver would not compile there, and the runtime throws " +
        "EraMismatchException. Code inside a test of the configured version (kernel.Policy.FlagExists, kernel.Policy.HasFault, " +
        "kernel.Version comparisons) that is false for that kernel is not reported.",
        HelpLink(DiagnosticIds.MissingInKernel));

    /// <summary>Every descriptor, for tests and documentation.</summary>
    public static ImmutableArray<DiagnosticDescriptor> All { get; } = ImmutableArray.Create(
        LockedIoMapping, ReservePagesForRemap, ReservedBitLeftAtFree, ReservedVmaFaultInsert, VmReservedObsolete, NumericVmFlags, PageLockAsPin,
        RemapVmallocAsContiguous, PhysAddrPassedAsPfn, SlabPageMapped, InsertPageIntoPfnMap, InsertPageUnsuitablePage, MappingResultIgnored,
        InsertPageFromFaultWithoutMixedMap, FaultPageWithoutReference, StructPageSpecialMapping, DisciplineFlip, UncheckedMmapRange, MayWriteLeftSet, ExpandableDeviceMapping, CacheableMmio, UncachedRam, MmioWithoutVmIo, CloseWithoutOpen, FreedWhileMapped, RemapPfnForIo, PartialOrCowPfnMap, InvalidKernelVersion, MissingInKernel);

    /// <summary>The help link of a rule id.</summary>
    /// <param name="id">A DKxxxx id.</param>
    public static string HelpLink(string id) => HelpLinkBase + id + ".md";

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity, string description) =>
        new(id, title, message, DiagnosticCategories.Memory, severity, isEnabledByDefault: true, description, HelpLink(id));
}
