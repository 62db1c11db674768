namespace DriverKit.Runtime;

/// <summary>How the era decides whether a present PTE is "special" (vm_normal_page returns NULL).</summary>
internal enum SpecialPteRule
{
    /// <summary>≤ 2.6.14: <c>!pfn_valid(pfn) || PageReserved(page)</c>; VMA flags are irrelevant.</summary>
    PageReserved,

    /// <summary>2.6.15-rc1: every PTE of a VM_RESERVED vma, and the zero page.</summary>
    VmaReserved,

    /// <summary>2.6.15-rc2/rc3: every PTE of a VM_UNPAGED vma except anonymous (COWed) pages.</summary>
    VmaUnpaged,

    /// <summary>2.6.15 – 2.6.25: VM_PFNMAP with the linear rule (<c>pfn == vm_pgoff + index</c>) or a non-COW vma.</summary>
    PfnMapLinear,

    /// <summary>2.6.26 and later: the PTE's special bit (arches with pte_special) or VM_MIXEDMAP + <c>!pfn_valid</c> and the PFNMAP linear rule.</summary>
    PfnMapMixedMap,
}

/// <summary>What the free path does with a page that still has PG_reserved (DKMM003, INV-05).</summary>
internal enum ReservedFreeBehavior
{
    /// <summary>≤ 2.6.14: <c>__free_pages</c> returns at once for a reserved page: a silent leak.</summary>
    IgnoreSilently,

    /// <summary>2.6.15-rc1/rc2: "Bad page state", then bad_page() clears the flag and the page is freed.</summary>
    ReportAndFree,

    /// <summary>2.6.15-rc3 and later with page checks: "Bad page state" and the page is not freed.</summary>
    ReportAndKeep,

    /// <summary>6.x/7.x without check_pages: PAGE_FLAGS_CHECK_AT_PREP bits are cleared and the page is freed silently.</summary>
    ClearAndFree,
}

/// <summary>What kfree does with an address whose page is neither a slab page nor a large kmalloc (mm/slub.c).</summary>
internal enum KfreeNonSlab
{
    /// <summary>≤ 5.13 kfree: <c>BUG_ON(!PageCompound(page))</c>, then __free_pages of the compound page.</summary>
    BugUnlessCompound,

    /// <summary>5.14 – 5.15 free_nonslab_page: <c>VM_BUG_ON_PAGE(!PageCompound(page))</c> (DEBUG_VM only), then __free_pages.</summary>
    VmBugUnlessCompound,

    /// <summary>5.16 – 6.14 free_nonslab_page / free_large_kmalloc: WARN_ON_ONCE on an order-0 page, "object pointer", then the page is freed.</summary>
    WarnAndFree,

    /// <summary>6.15 and later free_large_kmalloc: WARN_ON_ONCE(!folio_test_large_kmalloc), dump_page "Not a kmalloc allocation", nothing freed.</summary>
    WarnAndKeep,
}

/// <summary>What a read fault in an anonymous vma maps (do_anonymous_page).</summary>
internal enum AnonReadFault
{
    /// <summary>The zero page, not refcounted (reserved frame, or the zero pfn as a special PTE).</summary>
    ZeroPageSpecial,

    /// <summary>2.6.15 – 2.6.23: the zero page, refcounted and file-rmapped ("We still have PageReserved() pages in the page tables").</summary>
    ZeroPageRefcounted,

    /// <summary>2.6.24 – 2.6.31: no zero page for anonymous read faults; a new zeroed page.</summary>
    NewPage,
}

/// <summary>How the ELF core dumper chooses the vmas it writes.</summary>
internal enum CoreDumpSelection
{
    /// <summary>≤ 2.6.22 maydump: not VM_IO/VM_RESERVED; shared only if the file is unlinked (shm); private only with an anon_vma.</summary>
    MayDump,

    /// <summary>2.6.23 maydump with coredump_filter: the anon/mapped × private/shared bits decide.</summary>
    MayDumpFiltered,

    /// <summary>2.6.24 and later vma_dump_size: filter bits, then the ELF-header probe for private file vmas.</summary>
    VmaDumpSize,
}

/// <summary>The ELF-header probe of vma_dump_size for a private file vma at offset 0.</summary>
internal enum ElfHeaderProbe
{
    /// <summary>Before 2.6.24: no probe.</summary>
    None,

    /// <summary>2.6.24 – 5.9: get_user of the first word at vm_start (a user read that can fault).</summary>
    ReadFirstWord,

    /// <summary>5.10 – 5.17: the inode's exec bit decides; no memory is read.</summary>
    ExecBitOnly,

    /// <summary>5.18 and later: the exec bit, else copy_from_user of the ELF magic after the mmap lock is dropped.</summary>
    ExecBitThenRead,
}

/// <summary>What happens to VM_LOCKED that a driver's -&gt;mmap left on its vma (DKMM001, S3).</summary>
internal enum DriverLockedHandling
{
    /// <summary>≤ 2.6.27: do_mmap_pgoff re-reads vm_flags after -&gt;mmap and charges locked_vm (the RLIMIT check already ran).</summary>
    ChargeLockedVm,

    /// <summary>2.6.28 and later: VM_LOCKED is cleared from special vmas and nothing is charged.</summary>
    StripFromSpecial,
}

/// <summary>The text the era's bad_page() prints.</summary>
internal enum BadPageFormat
{
    /// <summary>"Bad page state at &lt;fn&gt; (in process '&lt;comm&gt;', page &lt;ptr&gt;)".</summary>
    AtFunction,

    /// <summary>"Bad page state in process '&lt;comm&gt;'" + "page:&lt;ptr&gt; flags:…".</summary>
    InProcessQuoted,

    /// <summary>"BUG: Bad page state in process &lt;comm&gt;  pfn:&lt;pfn&gt;" + "page dumped because: &lt;reason&gt;".</summary>
    BugPfn,
}

/// <summary>
/// Every era-dependent decision of the simulator and of the analyzers, in one place (docs/kernel-semantics.md §1–§2,
/// corrected by docs/kernel-verification.md where the kernel history disagreed with the spec). No other code
/// compares kernel versions: it asks this type.
/// </summary>
/// <remarks>This file is compiled into DriverKit.Runtime and, linked, into DriverKit.Analyzers.</remarks>
public sealed class EraPolicy
{
    /// <summary>Creates the policy of a kernel version.</summary>
    /// <param name="version">The configured kernel.</param>
    /// <param name="archHasPteSpecial">Whether the simulated architecture has a PTE special bit (x86, arm64, ppc64: yes).</param>
    public EraPolicy(KernelVersion version, bool archHasPteSpecial = true)
    {
        Version = version;
        Era = version.Era;
        ArchHasPteSpecial = archHasPteSpecial;
        key = Key(version.Major, version.Minor, version.Patch, version.ReleaseCandidate, version.GitSnapshot);

        // The decisions the fault, zap and free paths ask per page, taken once.
        SpecialPteRule = Era switch
        {
            Era.E0 => SpecialPteRule.PageReserved,
            Era.E1 => SpecialPteRule.VmaReserved,
            Era.E2 => SpecialPteRule.VmaUnpaged,
            Era.E3 => SpecialPteRule.PfnMapLinear,
            _ => SpecialPteRule.PfnMapMixedMap,
        };
        UsesPteSpecialBit = ArchHasPteSpecial && AtLeast(2, 6, 27);
        freeChecksWithoutCheckPages = !AtLeast(6, 4);
        FreeChecksTailsFirst = AtLeast(4, 7);
        FlagsCheckedAtFree = ComputeFlagsCheckedAtFree();
        newAnonFlags = PageFlags.Uptodate | (AtLeast(2, 6, 28) ? PageFlags.SwapBacked : PageFlags.None);
        newExclusiveAnonFlags = newAnonFlags | (AtLeast(5, 19) ? PageFlags.AnonExclusive : PageFlags.None);
        foreach (var row in KernelAvailability.All)
        {
            if (row.ExistsIn(version))
            {
                continue;
            }

            missing.Add((row.Kind, row.Name));
            if (row.Kind == ApiKind.VmFlag && Enum.TryParse<VmFlags>(row.Name, out var flag))
            {
                missingFlags |= flag;
            }
        }
    }

    /// <summary>What the configured kernel lacks, by kind and member name: asked on every kernel call, so no string is built.</summary>
    private readonly HashSet<(ApiKind Kind, string Name)> missing = new();

    private readonly ulong key;

    /// <summary>The flags the configured kernel does not define.</summary>
    private readonly VmFlags missingFlags;

    /// <summary>The version packed into one comparable number: major, minor, patch, release candidate (final = highest), snapshot.</summary>
    private static ulong Key(int major, int minor, int patch, int rc, int git) =>
        ((ulong)(uint)major << 56) | ((ulong)(uint)(minor & 0xff) << 48) | ((ulong)(uint)(patch & 0xffff) << 32) | ((ulong)(uint)Math.Min(rc, 0xffff) << 16) | (uint)(git & 0xffff);

    /// <summary>The configured kernel version.</summary>
    public KernelVersion Version { get; }

    /// <summary>The era of <see cref="Version"/>.</summary>
    public Era Era { get; }

    /// <summary>Whether the architecture has pte_special (only meaningful from 2.6.27, see <see cref="UsesPteSpecialBit"/>).</summary>
    public bool ArchHasPteSpecial { get; }

    /// <summary>A short description such as "2.6.15-rc1 (era E1)" for messages.</summary>
    public string Describe() => $"{Version} (era {Era})";

    private bool AtLeast(int major, int minor, int patch = 0, int rc = 0) => key >= Key(major, minor, patch, rc == 0 ? 0xffff : rc, 0);

    /// <summary>2.6.15-rc6 (4d7672b4624, 1ff8038988a): VM_PFNMAP joins GUP, mremap and VM_SPECIAL checks, VM_INSERTPAGE the fork rule.</summary>
    private bool PfnMapFullyWired => AtLeast(2, 6, 15, rc: 6);

    /// <summary>2.6.15-rc3 (689bcebfda1): a PG_reserved page at free is reported and kept; before, bad_page() cleared and freed it.</summary>
    private bool ReservedKeptAtFree => key > Key(2, 6, 15, 2, 0);

    // ---- vm_normal_page ---------------------------------------------------------------------------------------

    /// <summary>The rule vm_normal_page (or its open-coded predecessors) applies (§1.1).</summary>
    internal SpecialPteRule SpecialPteRule { get; }

    /// <summary>
    /// True when PTEs carry a special bit that vm_normal_page consults: a pte_special architecture from 2.6.27.
    /// HAVE_PTE_SPECIAL came in 2.6.26, but only s390 defined __HAVE_ARCH_PTE_SPECIAL there; x86 and powerpc
    /// followed in 2.6.27 (git grep of v2.6.26 / v2.6.27), so an x86 2.6.26 classifies by the vma flags.
    /// </summary>
    internal bool UsesPteSpecialBit { get; }

    /// <summary>
    /// What an anonymous read fault maps (mm/memory.c: do_anonymous_page): ≤ 2.6.14 the reserved zero page;
    /// 2.6.15-rc1 – 2.6.23 the zero page refcounted and file-rmapped; 2.6.24 – 2.6.31 a new page; 2.6.32 on the
    /// zero pfn as a special PTE.
    /// </summary>
    internal AnonReadFault AnonReadFault
    {
        get
        {
            if (Era == Era.E0)
            {
                return AnonReadFault.ZeroPageSpecial;
            }

            if (!AtLeast(2, 6, 24))
            {
                return AnonReadFault.ZeroPageRefcounted;
            }

            return AtLeast(2, 6, 32) ? AnonReadFault.ZeroPageSpecial : AnonReadFault.NewPage;
        }
    }

    /// <summary>2.6.29 and later print "BUG: Bad page map in process …" (print_bad_pte); before, "Bad pte = …".</summary>
    internal bool BadPteNewFormat => AtLeast(2, 6, 29);

    /// <summary>2.6.24 – 2.6.25 print "Bad pte" for a !pfn_valid PTE in a non-PFNMAP vma only with DEBUG_VM.</summary>
    internal bool BadPteReportNeedsDebugVm => AtLeast(2, 6, 24) && Era == Era.E3;

    // ---- flags and hooks that exist -----------------------------------------------------------------------------

    /// <summary>The kernels in which <paramref name="flag"/> (a single flag) exists, in words (<see cref="KernelAvailability"/>).</summary>
    /// <param name="flag">One VmFlags bit.</param>
    public static string FlagHistory(VmFlags flag) => KernelAvailability.Of(flag)?.History ?? "in every supported kernel";

    /// <summary>True when <paramref name="flag"/> (a single flag) exists in the configured kernel (<see cref="KernelAvailability"/>).</summary>
    /// <param name="flag">One VmFlags bit.</param>
    public bool FlagExists(VmFlags flag) => (missingFlags & flag) == 0;

    /// <summary>True when the configured kernel lacks the <paramref name="kind"/> named <paramref name="name"/> (a member name without its type).</summary>
    /// <param name="kind">What kind of symbol.</param>
    /// <param name="name">The member's name, such as <c>VmMapPages</c>.</param>
    internal bool Lacks(ApiKind kind, string name) => missing.Count != 0 && missing.Contains((kind, name));

    /// <summary>True when the configured kernel has <paramref name="member"/> (a row of <see cref="KernelAvailability"/>, <c>Type.Member</c>).</summary>
    /// <param name="member">A member such as <c>VmOperations.Fault</c> or <c>Kernel.VmMapPages</c>.</param>
    public bool Exists(string member) => KernelAvailability.Exists(member, Version);

    /// <summary>The flags of <paramref name="flags"/> that do not exist in the configured kernel.</summary>
    /// <param name="flags">A combination of flags.</param>
    public VmFlags MissingFlags(VmFlags flags) => flags & missingFlags;

    /// <summary>The kernel's name for a flag in the configured era (VM_DONTDUMP was VM_NODUMP in 3.4–3.6).</summary>
    /// <param name="flag">One VmFlags bit.</param>
    public string KernelName(VmFlags flag) => flag switch
    {
        VmFlags.DontDump when AtLeast(3, 4) && !AtLeast(3, 7) => "VM_NODUMP",
        VmFlags.IO => "VM_IO",
        VmFlags.PfnMap => "VM_PFNMAP",
        VmFlags.MixedMap => "VM_MIXEDMAP",
        VmFlags.DontExpand => "VM_DONTEXPAND",
        VmFlags.DontCopy => "VM_DONTCOPY",
        VmFlags.DontDump => "VM_DONTDUMP",
        VmFlags.LockOnFault => "VM_LOCKONFAULT",
        VmFlags.WipeOnFork => "VM_WIPEONFORK",
        VmFlags.InsertPage => "VM_INSERTPAGE",
        VmFlags.AlwaysDump => "VM_ALWAYSDUMP",
        VmFlags.MayRead => "VM_MAYREAD",
        VmFlags.MayWrite => "VM_MAYWRITE",
        VmFlags.MayExec => "VM_MAYEXEC",
        VmFlags.MayShare => "VM_MAYSHARE",
        VmFlags.GrowsDown => "VM_GROWSDOWN",
        VmFlags.SeqRead => "VM_SEQ_READ",
        VmFlags.RandRead => "VM_RAND_READ",
        VmFlags.NoReserve => "VM_NORESERVE",
        VmFlags.HugeTlb => "VM_HUGETLB",
        _ => "VM_" + flag.ToString().ToUpperInvariant(),
    };

    /// <summary>
    /// fs/proc/task_mmu.c: show_smap_vma_flags has an "lf" mnemonic for VM_LOCKONFAULT from 6.2 (8614d6c5eda0 "mm: do
    /// not show fs mm pc for VM_LOCKONFAULT pages", in the mm-stable merge of the 6.2 window); 4.4 – 6.1 print "??".
    /// </summary>
    internal bool SmapsShowsLockOnFault => AtLeast(6, 2);

    /// <summary>The legacy -&gt;nopage hook exists (removed in 2.6.26).</summary>
    public bool HasNoPage => Exists("VmOperations.NoPage");

    /// <summary>
    /// The page-table walker (smaps) skips VM_PFNMAP vmas whole: a9ff785e4437 "walk_page_range should avoid VM_PFNMAP
    /// areas", absent in 3.8.13 and present in 3.13 snapshots; taken as 3.10 [I].
    /// </summary>
    internal bool PageWalkSkipsPfnMap => AtLeast(3, 10);

    // ---- per-cpu page lists (mm/page_alloc.c) --------------------------------------------------------------------

    /// <summary>The largest order freed to the per-cpu lists: 0 (free_hot_cold_page / free_unref_page), 3 from 5.13 (pcp_allowed_order, PAGE_ALLOC_COSTLY_ORDER).</summary>
    internal int PcpMaxOrder => AtLeast(5, 13) ? 3 : 0;

    /// <summary>Per-cpu lists are kept per migratetype from 2.6.24 (grouping pages by mobility): a driver's freed page is not handed to an anonymous fault.</summary>
    internal bool PcpPerMigratetype => AtLeast(2, 6, 24);

    /// <summary>
    /// zone_batchsize: about 0.1% of the zone (capped at 512 KiB, 1 MiB from 5.14 [I]), quartered and clamped to
    /// 2^n - 1, at least 1.
    /// </summary>
    /// <param name="managedPages">The zone's managed pages.</param>
    internal int PcpBatch(int managedPages)
    {
        var batch = Math.Min(managedPages >> 10, AtLeast(5, 14) ? 256 : 128) / 4;
        batch = Math.Max(batch, 1);
        var sum = batch + batch / 2;
        var pow = 1;
        while (pow * 2 <= sum)
        {
            pow *= 2;
        }

        return Math.Max(pow - 1, 1);
    }

    /// <summary>
    /// pcp-&gt;high: 6 × batch (pageset_set_batch) until 5.13; from 5.14 zone_highsize — the zone's low watermark
    /// (min_free_kbytes = √(16 × KiB) clamped to 128 KiB …, plus max(min/4, 0.1%)) for the one CPU, at least 4 × batch.
    /// </summary>
    /// <param name="managedPages">The zone's managed pages.</param>
    /// <param name="batch">pcp-&gt;batch.</param>
    internal int PcpHigh(int managedPages, int batch)
    {
        if (!AtLeast(5, 14))
        {
            return 6 * batch;
        }

        var minFreeKb = Math.Min(Math.Max((int)Math.Sqrt(managedPages * 4.0 * 16), 128), 262144);
        var minPages = minFreeKb / 4;
        var low = minPages + Math.Max(minPages / 4, managedPages * 10 / 10000);
        return Math.Max(low, batch * 4);
    }

    /// <summary>PAGEVEC_SIZE, the lru_add batch length: 14 through 4.13, 15 by 4.18 (taken as 4.15) [I].</summary>
    internal int PagevecSize => AtLeast(4, 15) ? 15 : 14;

    /// <summary>
    /// mark_page_accessed activates (and clears PG_referenced on) pages that are not on an LRU list — in practice:
    /// the referenced bit of a driver page toggles. 059285a25f30 (absent in 3.8.13, present in 3.13), taken as 3.12 [I].
    /// </summary>
    internal bool MarkAccessedActivatesUnlisted => AtLeast(3, 12);

    /// <summary>do_wp_page drains the local lru_add batch before judging a page by its refcount (d4c470970d45, 5.18 [M]).</summary>
    internal bool WpDrainsLruBatch => AtLeast(5, 18);

    /// <summary>MAP_SHARED_VALIDATE exists (4.15); before, MAP_TYPE 3 is -EINVAL.</summary>
    internal bool HasMapSharedValidate => AtLeast(4, 15);

    /// <summary>The -&gt;nopfn hook exists: 2.6.19 – 2.6.26 (include/linux/mm.h of v2.6.19 … v2.6.26, gone in v2.6.27).</summary>
    public bool HasNoPfn => Exists("VmOperations.NoPfn");

    /// <summary>NOPFN_REFAULT exists (2.6.21 – 2.6.26); before, the value is just a pfn.</summary>
    public bool HasNoPfnRefault => Exists("VmOperations.NoPfnRefault");

    /// <summary>2.6.26 do_no_pfn also accepts VM_MIXEDMAP vmas (for non-pfn_valid frames); before, only VM_PFNMAP.</summary>
    internal bool NoPfnAcceptsMixedMap => AtLeast(2, 6, 26);

    /// <summary>The -&gt;fault hook exists (2.6.23 and later).</summary>
    public bool HasFault => Exists("VmOperations.Fault");

    /// <summary>vm_ops-&gt;split (4.15) / -&gt;may_split (5.11) can veto a split; before, it is never called.</summary>
    public bool HasMaySplit => Exists("VmOperations.MaySplit");

    /// <summary>vm_insert_page exists (2.6.15-rc4 and later).</summary>
    public bool HasVmInsertPage => Exists("Kernel.VmInsertPage");

    /// <summary>vm_map_pages exists (5.0 and later).</summary>
    public bool HasVmMapPages => Exists("Kernel.VmMapPages");

    /// <summary>vm_insert_pfn / vmf_insert_pfn exists (vm_insert_pfn 2.6.21; the vmf_ form from 4.17).</summary>
    public bool HasVmfInsertPfn => Exists("Kernel.VmfInsertPfn");

    /// <summary>vm_insert_mixed / vmf_insert_mixed exists (2.6.26 and later).</summary>
    public bool HasVmfInsertMixed => Exists("Kernel.VmfInsertMixed");

    /// <summary>pin_user_pages and FOLL_PIN exist (5.6 and later).</summary>
    public bool HasPinUserPages => Exists("Kernel.PinUserPages");

    /// <summary>What one pin adds to an order-0 page's refcount: GUP_PIN_COUNTING_BIAS (1024) from 5.7, a plain reference in 5.6.</summary>
    internal int PinBias => AtLeast(5, 7) ? 1024 : 1;

    /// <summary>The default RLIMIT_MEMLOCK of a process: 64 KiB before 5.16, 8 MiB after (MLOCK_LIMIT).</summary>
    internal ulong DefaultMemlockLimit => AtLeast(5, 16) ? 8UL << 20 : 64UL << 10;

    /// <summary>
    /// When a write fault may reuse an anonymous page instead of copying it (do_wp_page): before 5.8 when it is
    /// mapped once (reuse_swap_page), 5.8 – 5.18 only when nothing else holds a reference (page_count == 1, so a
    /// GUP-held page is copied), from 5.19 when it is exclusive to this mm (PG_anon_exclusive).
    /// </summary>
    internal bool WpReuseNeedsSoleReference => AtLeast(5, 8) && !AtLeast(5, 19);

    /// <summary>5.19 and later: do_wp_page reuses a PG_anon_exclusive page without looking at counts (6c287605fd56).</summary>
    internal bool WpReuseByExclusive => AtLeast(5, 19);

    /// <summary>5.9 and later: fork copies a possibly-DMA-pinned anonymous page for the child at once (copy_present_page), so the parent keeps the pinned page.</summary>
    internal bool ForkCopiesPinnedPagesEarly => AtLeast(5, 9);

    /// <summary>The PG_mlocked/PG_unevictable machinery exists (2.6.28 and later).</summary>
    internal bool HasUnevictableLru => AtLeast(2, 6, 28);

    // ---- remap_pfn_range and friends ----------------------------------------------------------------------------

    /// <summary>≤ 2.6.14 remap_pte_range silently skips <c>pfn_valid &amp;&amp; !PageReserved</c> frames (the root of DKMM002).</summary>
    internal bool RemapSkipsUnreservedRam => Era == Era.E0;

    /// <summary>The flags remap_pfn_range ORs into the vma (§2.1).</summary>
    internal VmFlags RemapPfnRangeFlags => Era switch
    {
        Era.E0 or Era.E1 => VmFlags.IO | VmFlags.Reserved,
        Era.E2 => VmFlags.IO | VmFlags.Reserved | VmFlags.Unpaged,
        Era.E3 or Era.E4 => VmFlags.IO | VmFlags.Reserved | VmFlags.PfnMap,
        _ => VmFlags.IO | VmFlags.PfnMap | VmFlags.DontExpand | VmFlags.DontDump,
    };

    /// <summary>
    /// The flags remap_vmalloc_range ORs into the vma: VM_RESERVED from its introduction in 2.6.18 to 3.6,
    /// VM_DONTEXPAND | VM_DONTDUMP from 3.7 (mm/vmalloc.c of v2.6.18, v2.6.35-rc1, 3.7.2).
    /// </summary>
    internal VmFlags RemapVmallocRangeFlags => Era >= Era.E5 ? VmFlags.DontExpand | VmFlags.DontDump : VmFlags.Reserved;

    /// <summary>x86 PAT tracks whole-vma remaps and fork copies the tracking (track_pfn_vma_new/copy, 2.6.29).</summary>
    internal bool PatTracksRemaps => AtLeast(2, 6, 29);

    /// <summary>
    /// track_pfn_copy refuses a COW VM_PAT vma whose first page is an anonymous COW copy ("Never return PFNs of anon
    /// folios in COW mappings", x86/mm/pat "fix VM_PAT handling in COW mappings", 6.9 and the 6.1.y/6.6.y stable
    /// lines): fork fails with ENOMEM. Observed on Debian 6.1.0-56; DriverKit applies it from 6.1 [I].
    /// </summary>
    internal bool PatRefusesAnonCowFork => AtLeast(6, 1);

    /// <summary>2.6.15-rc3 and later: remap_pfn_range on a COW vma must cover it whole and sets vm_pgoff = pfn.</summary>
    internal bool RemapCowNeedsWholeVma => Era >= Era.E3;

    /// <summary>7.x zaps a partially built remap range when remap_pfn_range fails.</summary>
    internal bool RemapZapsPartialOnError => Era >= Era.E7;

    /// <summary>
    /// mm/mremap.c: which vmas MREMAP_DONTUNMAP refuses. 5.7 – 5.12 take private anonymous vmas only; 5.13 ("mm: extend
    /// MREMAP_DONTUNMAP to non-anonymous mappings") takes any vma but VM_DONTEXPAND | VM_PFNMAP ones.
    /// </summary>
    internal bool MremapDontUnmapAnyVma => AtLeast(5, 13);

    /// <summary>mm/madvise.c: MADV_DODUMP refuses a VM_SPECIAL vma from 3.7 (before, the flag is simply cleared).</summary>
    internal bool MadviseDoDumpRefusesSpecial => Era >= Era.E5;

    /// <summary>
    /// mm/madvise.c, madvise_remove on a file without fallocate: ENODEV (19) from 3.5 (madvise_remove by vfs_fallocate),
    /// ENOSYS (38) before. Numbers, as this file also compiles into the analyzers, which have no Errno.
    /// </summary>
    internal int MadviseRemoveUnsupportedErrno => AtLeast(3, 5) ? 19 : 38;

    /// <summary>mm/memory.c: remap_pfn_range_internal WARNs on an unaligned address in 7.x (WARN_ON_ONCE(!PAGE_ALIGNED(addr))).</summary>
    internal bool RemapWarnsUnalignedAddress => Era >= Era.E7;

    /// <summary>
    /// SetPageReserved on allocator memory is DriverKit's INV-07 from 2.6.15, when remap_pfn_range stopped needing it; up to
    /// 2.6.14 it was the required idiom.
    /// </summary>
    internal bool ReservingAllocatorPagesIsObsolete => Era >= Era.E1;

    /// <summary>
    /// mm/page_alloc.c: up to 2.6.14 free_pages_check does not look at PG_reserved, so the bit survives on the free page
    /// until prep_new_page trips over it; later kernels clear the frame's flags when it is freed.
    /// </summary>
    internal bool FreeKeepsReservedBit => Era == Era.E0;

    /// <summary>
    /// vm_insert_page marks the vma: VM_MIXEDMAP from 3.7, VM_INSERTPAGE from 2.6.15-rc6 ("Make sure we copy pages inserted
    /// with vm_insert_page() on fork", 4d7672b4624), nothing in 2.6.15-rc4/rc5, where fork leaves the inserted pages out of
    /// the child.
    /// </summary>
    internal VmFlags VmInsertPageSetsFlag => Era >= Era.E5 ? VmFlags.MixedMap : PfnMapFullyWired ? VmFlags.InsertPage : VmFlags.None;

    /// <summary>3.7 and later: vm_insert_page BUG()s on a VM_PFNMAP vma and, without VM_MIXEDMAP, outside the mmap write lock.</summary>
    internal bool VmInsertPageBugChecks => Era >= Era.E5;

    /// <summary>
    /// The condition vm_insert_page's lock BUG_ON prints: <c>down_read_trylock(&amp;vma-&gt;vm_mm-&gt;mmap_sem)</c> from 3.7,
    /// <c>mmap_read_trylock(vma-&gt;vm_mm)</c> from 5.8 (the mmap locking API, include/linux/mmap_lock.h).
    /// </summary>
    public string MmapReadTrylockText => AtLeast(5, 8) ? "mmap_read_trylock(vma->vm_mm)" : "down_read_trylock(&vma->vm_mm->mmap_sem)";

    /// <summary>vm_insert_page refuses slab pages (5.2; absent in 5.0.1) and, from 6.10, every typed page.</summary>
    internal bool VmInsertPageRejectsSlab => AtLeast(5, 2);

    /// <summary>
    /// kernel/dma/mapping.c: dma_alloc_attrs refuses __GFP_COMP with WARN_ON_ONCE and NULL from 6.2 ("dma-mapping: reject
    /// __GFP_COMP in dma_alloc_attrs"); before, the flag reached the allocator and the simulator drops it as dma_direct does.
    /// </summary>
    internal bool DmaAllocRejectsComp => AtLeast(6, 2);

    /// <summary>
    /// include/linux/mm.h: vm_flags is const from 6.3; vm_flags_set/clear/reset write it and assert the mmap write lock
    /// (mmap_assert_write_locked(vma-&gt;vm_mm): lockdep, and VM_BUG_ON_MM with DEBUG_VM). Before, a plain store.
    /// </summary>
    internal bool VmFlagsAssertWriteLocked => AtLeast(6, 3);

    /// <summary>vm_insert_page refuses large-kmalloc and other typed pages (page_has_type, 6.10 and later).</summary>
    internal bool VmInsertPageRejectsTypedPages => AtLeast(6, 10);

    /// <summary>vmf_insert_mixed with a vma lacking VM_MIXEDMAP: BUG_ON through 6.x, VM_FAULT_SIGBUS in 7.x.</summary>
    internal bool VmfInsertMixedBadVmaIsSigbus => Era >= Era.E7;

    // ---- mmap, mlock, mremap, madvise, GUP, fork ----------------------------------------------------------------

    /// <summary>
    /// 2.6.15-rc1/rc2: mmap/mprotect with PROT_WRITE of a MAP_PRIVATE VM_RESERVED vma fails with EACCES and a
    /// "deprecated" printk (mmap also calls -&gt;close). Keys on VM_WRITE, not VM_MAYWRITE.
    /// </summary>
    internal bool ReservedPrivateWritableRefused => Era == Era.E1;

    /// <summary>What happens to driver-set VM_LOCKED after -&gt;mmap (S3).</summary>
    internal DriverLockedHandling DriverLockedHandling => AtLeast(2, 6, 28) ? DriverLockedHandling.StripFromSpecial : DriverLockedHandling.ChargeLockedVm;

    /// <summary>≥ 2.6.28: mlock() skips special vmas (no VM_LOCKED, no charge); before, it set and charged them but did not populate VM_IO.</summary>
    internal bool MlockSkipsSpecialVmas => AtLeast(2, 6, 28);

    /// <summary>
    /// mm/mlock.c: __mlock_posix_error_return — a failed populate is reported as POSIX wants (-EFAULT becomes -ENOMEM,
    /// -ENOMEM becomes -EAGAIN): 9978ad583e10 "mlock: make mlock error return Posixly Correct", 2.6.28. Before, mlock
    /// returned make_pages_present's get_user_pages error as it was [I].
    /// </summary>
    internal bool MlockPosixErrors => AtLeast(2, 6, 28);

    /// <summary>
    /// mm/mmap.c: do_mmap decides to populate from the caller's vm_flags (VM_LOCKED from MAP_LOCKED or mm-&gt;def_flags)
    /// before -&gt;mmap runs (bebeb3d68b24 "mm: introduce mm_populate() for populating new vmas", 3.9 [I]); 2.6.28 – 3.8
    /// mlock_vma_pages_range made the pages of a special vma present from the flags -&gt;mmap left.
    /// </summary>
    internal bool MmapPopulatesFromCallerFlags => AtLeast(3, 9);

    /// <summary>
    /// mm/mlock.c: mlock_folio / mlock_new_folio — a page being mlocked waits in the per-cpu mlock batch, which holds
    /// a reference until lru_add_drain or a full batch (2fbb0c10d1e8 "mm/munlock: mlock_page() munlock_page() batch
    /// by pagevec", 5.18); populate_vma_page_range's closing lru_add_drain empties it, so only pages faulted in
    /// later (an MLOCK_ONFAULT range, a locked vma's user faults) keep the reference. Before, mlock_vma_page moved it
    /// at once and follow_page_mask's FOLL_MLOCK drained the lru_add batch while populating.
    /// </summary>
    internal bool HasMlockBatch => AtLeast(5, 18);

    /// <summary>
    /// mm/mremap.c: vma_to_resize refuses to duplicate (old_len 0) a private mapping with -EINVAL (dba58d3b8c50
    /// "mm/mremap: fail map duplication attempts for private mappings", 4.14); before, a fresh copy was made.
    /// </summary>
    internal bool MremapRefusesPrivateDuplicate => AtLeast(4, 14);

    /// <summary>
    /// mm/swap.c: release_pages list_add()s each page it frees onto pages_to_free, so free_unref_page_list (2.6.x
    /// __pagevec_free counted down) hands them to the per-cpu lists in reverse batch order and the next allocations
    /// get them back in batch order; 6.9's folios_put_refs → free_unref_folios frees in batch order.
    /// </summary>
    internal bool ReleasePagesFreesInReverse => !AtLeast(6, 9);

    /// <summary>
    /// include/linux/mm.h: stack_guard_gap — the bytes below a VM_GROWSDOWN vma that vm_start_gap keeps free (256 pages
    /// from 4.12, 1be7107fbe18 "mm: larger stack guard gap, between vmas"); before, brk and mmap left no gap.
    /// </summary>
    internal ulong StackGuardGap => AtLeast(4, 12) ? 256UL * 4096 : 0;

    /// <summary>Newer kernels subtract already-mlocked pages of the range from the RLIMIT_MEMLOCK check (count_mm_mlocked_page_nr, 4.9) [M].</summary>
    internal bool MlockLimitSubtractsLocked => AtLeast(4, 9);

    /// <summary>VM_SPECIAL: never merged, never mlocked (docs/kernel-verification.md Q7).</summary>
    internal VmFlags SpecialMask
    {
        get
        {
            if (!PfnMapFullyWired)
            {
                return VmFlags.IO | VmFlags.DontCopy | VmFlags.DontExpand | VmFlags.Reserved;
            }

            if (!AtLeast(2, 6, 17))
            {
                return VmFlags.IO | VmFlags.DontCopy | VmFlags.DontExpand | VmFlags.Reserved | VmFlags.PfnMap;
            }

            if (Era <= Era.E4)
            {
                return VmFlags.IO | VmFlags.DontExpand | VmFlags.Reserved | VmFlags.PfnMap;
            }

            return AtLeast(3, 14) ? VmFlags.IO | VmFlags.DontExpand | VmFlags.PfnMap | VmFlags.MixedMap : VmFlags.IO | VmFlags.DontExpand | VmFlags.PfnMap;
        }
    }

    /// <summary>Flags that make get_user_pages fail with EFAULT (check_vma_flags and predecessors).</summary>
    internal VmFlags GupRejectMask => Era switch
    {
        Era.E1 => VmFlags.IO | VmFlags.Reserved,
        _ when PfnMapFullyWired => VmFlags.IO | VmFlags.PfnMap,
        _ => VmFlags.IO,
    };

    /// <summary>The errno GUP returns for a special PTE in a vma it does not reject (VM_MIXEDMAP): -EEXIST on 6.1 (fidelity), -EFAULT before [M].</summary>
    internal int GupSpecialPteErrno => AtLeast(6, 0) ? 17 : 14;

    /// <summary>Flags that make mremap growth fail with EFAULT.</summary>
    internal VmFlags MremapGrowRejectMask => PfnMapFullyWired ? VmFlags.DontExpand | VmFlags.PfnMap : VmFlags.DontExpand;

    /// <summary>Flags that make MADV_DONTNEED fail with EINVAL.</summary>
    internal VmFlags MadviseDontNeedRejectMask => Era switch
    {
        Era.E0 => VmFlags.Locked | VmFlags.HugeTlb,
        Era.E1 => VmFlags.Locked | VmFlags.HugeTlb | VmFlags.Reserved,
        _ when PfnMapFullyWired => VmFlags.Locked | VmFlags.PfnMap | VmFlags.HugeTlb,
        _ => VmFlags.Locked | VmFlags.HugeTlb,
    };

    /// <summary>≤ 2.6.13: fork copies the PTEs of every vma (the lazy-copy skip arrived in 2.6.14-rc1).</summary>
    internal bool ForkCopiesEveryVma => !AtLeast(2, 6, 14);

    /// <summary>Flags for which fork copies PTEs even without an anon_vma (VM_COPY_ON_FORK and predecessors, Q7).</summary>
    internal VmFlags ForkCopyMask
    {
        get
        {
            if (Era <= Era.E1)
            {
                return VmFlags.HugeTlb | VmFlags.Reserved;
            }

            if (Era == Era.E2)
            {
                return VmFlags.HugeTlb | VmFlags.Reserved | VmFlags.Unpaged;
            }

            if (!PfnMapFullyWired)
            {
                return VmFlags.HugeTlb | VmFlags.PfnMap;
            }

            return Era <= Era.E4 ? VmFlags.HugeTlb | VmFlags.PfnMap | VmFlags.InsertPage : VmFlags.HugeTlb | VmFlags.PfnMap | VmFlags.MixedMap;
        }
    }

    // ---- core dumps (fs/binfmt_elf.c maydump / vma_dump_size, fs/coredump.c from 5.10) -------------------------

    /// <summary>
    /// Flags that keep a vma out of a core dump: VM_IO|VM_RESERVED up to 3.6 ("Do not dump I/O mapped devices or
    /// special mappings"), VM_IO from 3.7 (314e51b98 killed VM_RESERVED); VM_NODUMP/VM_DONTDUMP from 3.4.
    /// </summary>
    internal VmFlags DumpSkipMask => (Era >= Era.E5 ? VmFlags.IO : VmFlags.IO | VmFlags.Reserved) | (AtLeast(3, 4) ? VmFlags.DontDump : VmFlags.None);

    /// <summary>The dumper's vma selection: maydump (≤ 2.6.22), maydump with coredump_filter (2.6.23), vma_dump_size (2.6.24, 82df39738ba9).</summary>
    internal CoreDumpSelection CoreDumpSelection => !AtLeast(2, 6, 23) ? CoreDumpSelection.MayDump : !AtLeast(2, 6, 24) ? CoreDumpSelection.MayDumpFiltered : CoreDumpSelection.VmaDumpSize;

    /// <summary>/proc/&lt;pid&gt;/coredump_filter exists (a1b59e802f84, 2.6.23).</summary>
    public bool HasCoredumpFilter => Exists("Process.CoredumpFilter");

    /// <summary>
    /// The coredump_filter bits the kernel keeps: 4 in 2.6.23 (anon/mapped × private/shared), ELF headers 2.6.24,
    /// hugetlb 2.6.28, DAX 4.4.
    /// </summary>
    internal uint CoredumpFilterMask => AtLeast(4, 4) ? 0x1FFu : AtLeast(2, 6, 28) ? 0x7Fu : AtLeast(2, 6, 24) ? 0x1Fu : 0xFu;

    /// <summary>
    /// MMF_DUMP_FILTER_DEFAULT: anon private + anon shared (2.6.23); + hugetlb private (2.6.28); + ELF headers once
    /// CONFIG_CORE_DUMP_DEFAULT_ELF_HEADERS defaults to y (2.6.37).
    /// </summary>
    internal uint DefaultCoredumpFilter => AtLeast(2, 6, 37) ? 0x33u : AtLeast(2, 6, 28) ? 0x23u : 0x3u;

    /// <summary>
    /// The ELF-header probe of a private file vma at offset 0 that nothing else selected: none before 2.6.24;
    /// get_user of the first word at vm_start 2.6.24 – 5.9 (VM_READ required from 2.6.29, 92dc07b1f988); the
    /// inode's exec bit alone 5.10 – 5.17 (429a22e776a2); exec bit, else copy_from_user of the magic 5.18+ (84158b7f6a06).
    /// </summary>
    internal ElfHeaderProbe ElfHeaderProbe =>
        !AtLeast(2, 6, 24) ? ElfHeaderProbe.None
        : !AtLeast(5, 10) ? ElfHeaderProbe.ReadFirstWord
        : !AtLeast(5, 18) ? ElfHeaderProbe.ExecBitOnly
        : ElfHeaderProbe.ExecBitThenRead;

    /// <summary>MMF_DUMP_ELF_HEADERS as a coredump_filter bit (2.6.24); 0 before, so the probe never runs.</summary>
    internal uint ElfHeadersFilterBit => AtLeast(2, 6, 24) ? 1u << 4 : 0u;

    /// <summary>The header probe requires VM_READ (2.6.29 "elf core dump: fix get_user use").</summary>
    internal bool ElfHeaderProbeNeedsRead => AtLeast(2, 6, 29);

    /// <summary>
    /// How the dumper's page lookup treats an empty PTE: faults it in, or leaves a hole. Anonymous vmas: ZERO_PAGE
    /// hole through 2.6.23 (FOLL_ANON), a real zeroed page 2.6.24 – 2.6.25 (557ed1fa2620 removed ZERO_PAGE), a hole
    /// again from 2.6.26 (89f5b7da2a6b). Other vmas fault, except that get_dump_page (2.6.32, f3e8fccd06d2) only
    /// faults where the vma has a -&gt;fault handler.
    /// </summary>
    /// <param name="anonymous">The vma is anonymous.</param>
    /// <param name="hasFaultHandler">The vma's ops have -&gt;fault (or -&gt;nopage).</param>
    internal bool DumpFaultsIn(bool anonymous, bool hasFaultHandler)
    {
        if (anonymous)
        {
            return AtLeast(2, 6, 24) && !AtLeast(2, 6, 26);
        }

        return !AtLeast(2, 6, 32) || hasFaultHandler;
    }

    /// <summary>Flags with which try_to_unmap refuses a vma (SWAP_FAIL): VM_LOCKED, and VM_RESERVED up to 2.6.15-rc2.</summary>
    internal VmFlags TryToUnmapRefuseMask => Era <= Era.E1 ? VmFlags.Locked | VmFlags.Reserved : VmFlags.Locked;

    /// <summary>4.2 (and 4.1.15+): a fault in a vma with vm_ops but no -&gt;fault is SIGBUS; before, the core mapped anonymous pages there.</summary>
    internal bool NoFaultHandlerSigbus => AtLeast(4, 2) || (Version.Major == 4 && Version.Minor == 1 && Version.Patch >= 15);

    /// <summary>4.18 and later (dummy_vm_ops): a file vma whose -&gt;mmap left vm_ops NULL SIGBUSes; before, it counted as anonymous.</summary>
    internal bool FileVmaWithoutOpsSigbus => AtLeast(4, 18);

    /// <summary>
    /// mm/mmap.c: vma_wants_writenotify — a shared writable vma whose vm_ops has -&gt;page_mkwrite gets a read-only
    /// vm_page_prot after -&gt;mmap (and after mprotect), so the first write to every page reaches -&gt;page_mkwrite:
    /// from 2.6.18 (9637a5efd4fb added page_mkwrite with this write-protection in do_mmap_pgoff; 2.6.19's
    /// vma_wants_writenotify kept it).
    /// </summary>
    /// <param name="flags">The vma's flags.</param>
    /// <param name="hasPageMkwrite">The vma's vm_ops has -&gt;page_mkwrite.</param>
    internal bool WantsWriteNotify(VmFlags flags, bool hasPageMkwrite)
        => hasPageMkwrite && AtLeast(2, 6, 18) && (flags & (VmFlags.Write | VmFlags.Shared)) == (VmFlags.Write | VmFlags.Shared);

    /// <summary>
    /// A write fault on a page of a shared file or driver vma sets PG_dirty at once (do_shared_fault / do_wp_page →
    /// set_page_dirty, fault_dirty_shared_page from 4.6): from 2.6.19 ("mm: tracking shared dirty pages",
    /// d08b3851da41); before, only the PTE's dirty bit was set and zap moved it to the page at unmap.
    /// </summary>
    internal bool SharedWriteFaultDirtiesPage => AtLeast(2, 6, 19);

    /// <summary>2.6.15-rc1 – 2.6.25 (BUG_ON in do_wp_page): a write fault on a VM_RESERVED PTE in 2.6.15-rc1/rc2.</summary>
    internal bool WpPageBugOnReserved => Era == Era.E1;

    // ---- the free path ------------------------------------------------------------------------------------------

    /// <summary>What freeing a page with PG_reserved does (§2.2 row "forget ClearPageReserved", corrected by Q6/Q10).</summary>
    /// <param name="checkPages">Whether check_pages (or DEBUG_VM) is on; matters only from 6.4.</param>
    internal ReservedFreeBehavior ReservedFree(bool checkPages)
    {
        if (Era == Era.E0)
        {
            return ReservedFreeBehavior.IgnoreSilently;
        }

        if (!FreeChecksRun(checkPages))
        {
            return ReservedFreeBehavior.ClearAndFree;
        }

        return ReservedKeptAtFree ? ReservedFreeBehavior.ReportAndKeep : ReservedFreeBehavior.ReportAndFree;
    }

    /// <summary>Whether the free-time checks (bad_page) run at all: 6.4 and later only when check_pages is on (DEBUG_VM counts).</summary>
    /// <param name="checkPages">Whether check_pages (or DEBUG_VM) is on.</param>
    internal bool FreeChecksRun(bool checkPages) => checkPages || freeChecksWithoutCheckPages;

    /// <summary>Before 6.4 the free-time checks run whatever check_pages says.</summary>
    private readonly bool freeChecksWithoutCheckPages;

    /// <summary>
    /// 4.7 – 6.3 without DEBUG_VM or debug_pagealloc: a block freed to the per-cpu lists (order 0; orders ≤ 3 from
    /// 5.13) has its head's flags cleared without the check (free_pcp_prepare with check_free false; the deferred
    /// bulkfree check then finds nothing), while tail pages are checked one by one. Seen on Debian 6.1: an order-0
    /// page freed with PG_reserved is not reported, order-1 tails and order-4 heads are.
    /// </summary>
    /// <param name="order">The order of the freed block.</param>
    /// <param name="debugVm">CONFIG_DEBUG_VM.</param>
    /// <param name="debugPagealloc">debug_pagealloc=on.</param>
    internal bool PcpFreeSkipsHeadCheck(int order, bool debugVm, bool debugPagealloc)
    {
        if (debugVm || debugPagealloc || !AtLeast(4, 7) || AtLeast(6, 4))
        {
            return false;
        }

        return AtLeast(5, 13) ? order <= 3 : order == 0;
    }

    /// <summary>
    /// 4.7 and later (free_pages_prepare's separate tail loop) check the tail pages of a block before its head;
    /// earlier kernels walk the block from its first page [M: the 4.7 boundary].
    /// </summary>
    internal bool FreeChecksTailsFirst { get; }

    /// <summary>
    /// Whether bad_page() leaves the page out of the allocator: ≤ 2.6.15-rc2 it fixes every page up and frees it;
    /// 2.6.15-rc3 – 2.6.28 it keeps only PG_reserved pages; 2.6.29 and later keep every bad page.
    /// </summary>
    /// <param name="reserved">Whether the bad page had PG_reserved.</param>
    internal bool BadPageKeepsPage(bool reserved) => ReservedKeptAtFree && (reserved || AtLeast(2, 6, 29));

    /// <summary>The bad_page() message format of the era (Q10).</summary>
    internal BadPageFormat BadPageFormat
    {
        get
        {
            if (!AtLeast(2, 6, 16))
            {
                return BadPageFormat.AtFunction;
            }

            return AtLeast(2, 6, 29) ? BadPageFormat.BugPfn : BadPageFormat.InProcessQuoted;
        }
    }

    /// <summary>
    /// The flags a page gets when it becomes anonymous: PG_uptodate in every era, PG_swapbacked from the split LRU
    /// (2.6.28), PG_anon_exclusive from 5.19 for pages nobody else maps (not for swap-ins, whose exclusivity the
    /// swap entry would have to carry).
    /// </summary>
    /// <param name="exclusive">The page is new to this mm (anonymous fault, COW copy).</param>
    internal PageFlags NewAnonPageFlags(bool exclusive) => exclusive ? newExclusiveAnonFlags : newAnonFlags;

    /// <summary><see cref="NewAnonPageFlags"/> of a page that is not, and of one that is, exclusive to its mm.</summary>
    private readonly PageFlags newAnonFlags, newExclusiveAnonFlags;

    /// <summary>
    /// kfree of a page the slab allocator does not own: BUG_ON(!PageCompound) in kfree up to 5.13 (under SLAB, the
    /// default before 2.6.23, virt_to_cache of such a page also oopses [I]); VM_BUG_ON_PAGE in free_nonslab_page from
    /// 5.14 (f227f0faf63b, 5.14-rc3); WARN_ON_ONCE plus "object pointer" from 5.16 (Kefeng Wang's "replace
    /// VM_BUG_ON_PAGE with WARN_ON_ONCE", posted for 5.16 [I]; free_large_kmalloc tests order == 0 from 5.17);
    /// PGTY_large_kmalloc and the "Not a kmalloc allocation" early return from 6.15 (Matthew Wilcox's fix for the
    /// 6.14 TLS oops, March 2025 [I]).
    /// </summary>
    internal KfreeNonSlab KfreeNonSlab =>
        !AtLeast(5, 14) ? KfreeNonSlab.BugUnlessCompound
        : !AtLeast(5, 16) ? KfreeNonSlab.VmBugUnlessCompound
        : !AtLeast(6, 15) ? KfreeNonSlab.WarnAndFree
        : KfreeNonSlab.WarnAndKeep;

    /// <summary>
    /// Why the free-time check rejects a slab page handed to __free_pages: PG_slab is one of the flags checked at
    /// free (free_pages_check, PAGE_FLAGS_CHECK_AT_FREE) through 6.9; from 6.10 slab is a page type overlaying
    /// _mapcount, so the mapcount test fires; from 6.17 free_pages_prepare resets any page type first ("let page
    /// freeing clear any set page type", June 2025) and the page is freed like any other. Null: no complaint.
    /// </summary>
    internal string? SlabPageBadReason =>
        !AtLeast(6, 10) ? "PAGE_FLAGS_CHECK_AT_FREE flag(s) set"
        : !AtLeast(6, 17) ? "nonzero mapcount"
        : null;

    /// <summary>The flags checked at free (PAGE_FLAGS_CHECK_AT_FREE and predecessors).</summary>
    internal PageFlags FlagsCheckedAtFree { get; }

    private PageFlags ComputeFlagsCheckedAtFree()
    {
        var f = PageFlags.Lru | PageFlags.Locked | PageFlags.Private | PageFlags.Writeback | PageFlags.Active | PageFlags.SwapCache;
        if (Era >= Era.E1)
        {
            f |= PageFlags.Reserved;
        }

        if (AtLeast(2, 6, 28))
        {
            f |= PageFlags.Unevictable | PageFlags.Mlocked;
        }

        if (Era >= Era.E6)
        {
            f |= PageFlags.Private2 | PageFlags.LruGen;
        }

        return f;
    }

    /// <summary>check_mm's "BUG: Bad rss-counter state" exists (3.4); from 5.4 it names the counter ("type:MM_FILEPAGES").</summary>
    internal bool HasRssCounterCheck => AtLeast(3, 4);

    /// <summary>check_mm names the counter type (5.4 and later) instead of its index.</summary>
    internal bool RssCounterCheckNamesType => AtLeast(5, 4);

    /// <summary>
    /// Null when the configured kernel has <paramref name="member"/> (<c>Type.Member</c>, a row of
    /// <see cref="KernelAvailability"/>); else why not, with when it existed and what replaces it.
    /// </summary>
    /// <param name="member">A member such as <c>Kernel.VmMapPages</c> or <c>VmOperations.Fault</c>.</param>
    public string? MissingApi(string member) =>
        KernelAvailability.Find(member) is { } row && !row.ExistsIn(Version) ? row.Explain(Describe()) : null;
}
