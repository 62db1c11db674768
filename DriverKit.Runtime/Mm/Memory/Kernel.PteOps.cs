namespace DriverKit.Runtime;

/// <summary>Where the reference a new normal PTE holds comes from.</summary>
internal enum PteRef
{
    /// <summary>The PTE takes a new reference (get_page): vm_insert_page, fork copies, the refcounted zero page.</summary>
    Take,

    /// <summary>The PTE inherits the allocation reference of a page nobody else holds: anonymous and COW pages.</summary>
    Inherit,

    /// <summary>The PTE consumes the reference the fault handler took for the page it returned (finish_fault).</summary>
    ConsumeFault,
}

public sealed partial class Kernel
{
    /// <summary>
    /// Installs a normal (refcounted, rmapped) PTE: mm/memory.c set_pte_range / insert_page_into_pte_locked /
    /// do_anonymous_page. +1 mapcount, +1 rss of the page's kind, and one reference held by the PTE.
    /// </summary>
    internal void MapNormalPte(VmArea vma, ulong addr, int pfn, PgProt prot, bool write, PteInstaller how, PteRef source, int site = CallSites.Kernel)
    {
        var head = Mem.CompoundHead(pfn);
        switch (source)
        {
            case PteRef.Take:
                Mem.RefCount[head]++;
                break;
            case PteRef.ConsumeFault:
                ConsumeFaultReference(vma, addr, head, site);
                break;
        }

        var anon = how is PteInstaller.AnonFault or PteInstaller.Cow or PteInstaller.SwapIn && Mem.Mapping[pfn] <= 0;
        if (anon)
        {
            // __folio_set_anon / page_add_new_anon_rmap: __SetPageUptodate, __SetPageSwapBacked (2.6.28), and a
            // new page is exclusive to this mm (PG_anon_exclusive, 5.19).
            Mem.Mapping[pfn] = MemMap.AnonMapping;
            Mem.Set(pfn, Policy.NewAnonPageFlags(exclusive: how != PteInstaller.SwapIn));
            vma.HasAnonVma = true;
        }

        Mem.MapCount[pfn]++;
        AddRss(vma.Mm, pfn, +1);
        Rmap.Add(Mem, pfn, vma.Mm.Id, addr, how, isNormal: true);
        var pte = Pte.Make((ulong)pfn, prot, special: false) | Pte.Accessed;
        if (write)
        {
            // maybe_mkwrite: a write fault makes the PTE writable only in a VM_WRITE vma (a FOLL_FORCE write to a
            // read-only private vma gets a dirty, read-only copy).
            pte |= Pte.Dirty | ((vma.RawFlags & VmFlags.Write) != 0 ? Pte.Write : 0);
        }

        vma.Mm.SetPte(addr, pte);
    }

    /// <summary>
    /// Installs a special PTE: no reference, no mapcount, no rss (remap_pte_range, insert_pfn). The special bit is
    /// set on pte_special architectures; elsewhere the vma flags make vm_normal_page call it special. The shadow
    /// reverse map still records it (INV-06).
    /// </summary>
    internal void MapSpecialPte(VmArea vma, ulong addr, ulong pfn, PgProt prot, bool write, PteInstaller how)
    {
        if (pfn < (ulong)Mem.Count)
        {
            Rmap.Add(Mem, (int)pfn, vma.Mm.Id, addr, how, isNormal: false);
        }

        var pte = Pte.Make(pfn, prot, special: Policy.UsesPteSpecialBit) | Pte.Accessed;
        if (write)
        {
            pte |= Pte.Dirty | Pte.Write;
        }

        vma.Mm.SetPte(addr, pte);
    }

    /// <summary>
    /// mm/memory.c: zap_pte_range for one PTE. The era's vm_normal_page decides what the PTE held; a mismatch
    /// with what its installer did is the classification flip of INV-04 (Ben's fear, S2).
    /// </summary>
    internal void ZapPte(VmArea vma, ulong addr, ulong pte)
    {
        var mm = vma.Mm;
        mm.SetPte(addr, 0);
        var rss = default(RssDelta);
        try
        {
            ZapClearedPte(vma, addr, pte, ref rss, FreeChecksFor(0));
        }
        finally
        {
            rss.ApplyTo(mm);
        }
    }

    /// <summary>
    /// Zaps every PTE in [start, end) of <paramref name="vma"/> (unmap_page_range → zap_pmd_range): one leaf table at a
    /// time (zap_pte_range), its PTEs cleared in place, the rss counters updated once per table (add_mm_rss_vec) and the
    /// TLB flushed once for the range (tlb_finish_mmu).
    /// </summary>
    internal void ZapRange(VmArea vma, ulong start, ulong end)
    {
        // unmap_region, exit_mmap, zap_page_range(_single): lru_add_drain first, so zapped pages can be freed at once.
        Lru.Drain();
        var mm = vma.Mm;
        var pt = mm.PageTable;
        var addr = start;
        try
        {
            while (pt.Next(ref addr, end, out _))
            {
                var leaf = pt.LeafAt(addr, create: false)!;
                var limit = Math.Min(end, (addr | (PageTable.LeafSpan - 1)) + 1);
                ZapPteRange(vma, leaf, addr, limit);
                addr = limit;
            }
        }
        finally
        {
            mm.Tlb.FlushRange(start >> PageShift, (end + PageSize - 1) >> PageShift);
        }
    }

    /// <summary>
    /// mm/memory.c: zap_pte_range — the PTEs of one leaf table in [addr, end), counters gathered per table and the
    /// free-time check decisions for its order-0 pages taken once (free_pages_and_swap_cache → free_unref_folios).
    /// The common PTE — an anonymous order-0 page mapped once, its rmap record the frame's first — takes a short path
    /// with the per-vma decisions hoisted; every other PTE goes through <see cref="ZapClearedPte"/>.
    /// </summary>
    private void ZapPteRange(VmArea vma, ulong[] leaf, ulong addr, ulong end)
    {
        var rss = default(RssDelta);
        var checks = FreeChecksFor(0);
        var bySpecialBit = NormalPageBySpecialBit(vma);
        var mem = Mem;
        var frames = (ulong)mem.Count;
        var zeroPfn = (ulong)ZeroPfn;
        var mmId = vma.Mm.Id;
        var rmap = Rmap;
        var rmapFirst = mem.RmapFirst;
        var flags = mem.Flags;
        var mapCount = mem.MapCount;
        var refCount = mem.RefCount;
        var mapping = mem.Mapping;
        var head = mem.Head;
        long anon = 0;
        try
        {
            for (var i = PageTable.IndexOf(addr); addr < end; i++, addr += PageSize)
            {
                var pte = leaf[i];
                if (pte == 0)
                {
                    continue;
                }

                leaf[i] = 0;
                var pfn = Pte.PfnOf(pte);
                if (bySpecialBit && (pte & Pte.Special) == 0 && !Pte.IsSwap(pte) && pfn < frames && pfn != zeroPfn)
                {
                    // vm_normal_page is the pfn. An exclusive anonymous page: page_remove_rmap, rss, put_page.
                    var page = (int)pfn;
                    var rec = rmapFirst[page];
                    if (rec >= 0 && rmap.IsNormalAt(rec, mmId, addr) && mapCount[page] > 0 && mapping[page] == MemMap.AnonMapping
                        && (flags[page] & (ulong)(PageFlags.Mlocked | PageFlags.Head)) == 0 && head[page] == page && refCount[page] > 0)
                    {
                        rmap.RemoveFirst(mem, page, rec);
                        mapCount[page]--;
                        anon++;
                        if (--refCount[page] == 0)
                        {
                            FreeThePage(page, 0, checks);
                        }

                        continue;
                    }
                }

                ZapClearedPte(vma, addr, pte, ref rss, checks);
            }
        }
        finally
        {
            rss.Anon -= anon;
            rss.ApplyTo(vma.Mm);
        }
    }

    /// <summary>
    /// zap_pte_range's work on one PTE already cleared from its table: a swap entry frees its slot; a present PTE drops
    /// its shadow rmap record, and for a normal page (vm_normal_page) its mapcount (page_remove_rmap), rss, mlock,
    /// dirty/accessed state and the PTE's reference (tlb_remove_page → put_page).
    /// </summary>
    private void ZapClearedPte(VmArea vma, ulong addr, ulong pte, ref RssDelta rss, in FreeChecks order0Checks)
    {
        var mm = vma.Mm;
        if (Pte.IsSwap(pte))
        {
            Swap.Free(Pte.SwapSlot(pte));
            rss.Swap--;
            return;
        }

        var raw = Pte.PfnOf(pte);
        var page = VmNormalPage(vma, addr, pte);
        if (raw < (ulong)Mem.Count)
        {
            var rec = Rmap.Remove(Mem, (int)raw, mm.Id, addr);
            ReportFlipIfChanged(vma, addr, (int)raw, rec, page >= 0, "zap");
        }

        if (page < 0)
        {
            return;
        }

        if (Mem.MapCount[page] > 0)
        {
            Mem.MapCount[page]--;
        }
        else
        {
            RemoveRmap(vma, addr, pte, page);
        }

        var flags = Mem.Flags[page];
        if ((flags & (ulong)PageFlags.Mlocked) != 0 && Mem.MapCount[page] == 0)
        {
            // mm/rmap.c: page_remove_rmap → clear_page_mlock (2.6.28–5.x) / munlock_vma_folio (6.x): a page no vma
            // maps any more is no longer mlocked.
            Lru.Munlock(page);
        }

        var mapping = Mem.Mapping[page];
        rss.Add(mapping, -1);
        if (mapping != MemMap.AnonMapping)
        {
            if ((pte & Pte.Dirty) != 0)
            {
                Mem.Set(page, PageFlags.Dirty);
            }

            if ((pte & Pte.Accessed) != 0 && (vma.RawFlags & VmFlags.SeqRead) == 0)
            {
                Lru.MarkAccessed(page);
            }
        }

        var head = Mem.CompoundHead(page);
        if (Mem.RefCount[head] <= 0)
        {
            ReportPutOnZero(page, $"zap of {addr:x} in {vma.Brief}", vma);
            return;
        }

        PutPageRef(head, order0Checks);
    }

    /// <summary>
    /// The rss counters a batch of PTE changes moves (the kernel's int rss[NR_MM_COUNTERS] in zap_pte_range and
    /// copy_pte_range), added to the mm at the end of the batch (add_mm_rss_vec).
    /// </summary>
    internal struct RssDelta
    {
        internal long Anon;
        internal long File;
        internal long Shmem;
        internal long Swap;

        /// <summary>Adds <paramref name="delta"/> to the counter of a page with this page-&gt;mapping (<see cref="MmCounterOf"/>).</summary>
        internal void Add(int mapping, int delta)
        {
            switch (MmCounterOf(mapping))
            {
                case MmCounter.Anon:
                    Anon += delta;
                    break;
                case MmCounter.Shmem:
                    Shmem += delta;
                    break;
                default:
                    File += delta;
                    break;
            }
        }

        /// <summary>add_mm_rss_vec.</summary>
        internal readonly void ApplyTo(MmStruct mm)
        {
            if ((Anon | File | Shmem | Swap) == 0)
            {
                return;
            }

            mm.RssAnon += Anon;
            mm.RssFile += File;
            mm.RssShmem += Shmem;
            mm.SwapEntries += Swap;
        }
    }

    internal void AddRss(MmStruct mm, int pfn, int delta)
    {
        switch (MmCounterOf(Mem.Mapping[pfn]))
        {
            case MmCounter.Anon:
                mm.RssAnon += delta;
                break;
            case MmCounter.Shmem:
                mm.RssShmem += delta;
                break;
            default:
                mm.RssFile += delta;
                break;
        }
    }

    /// <summary>The rss counters of an mm (MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES).</summary>
    internal enum MmCounter
    {
        Anon,
        File,
        Shmem,
    }

    /// <summary>
    /// include/linux/mm.h: mm_counter — which counter a page with this page-&gt;mapping counts in: anonymous pages, shmem
    /// pages (a mapping of a shmem file), every other page as file.
    /// </summary>
    internal static MmCounter MmCounterOf(int mapping) =>
        mapping == MemMap.AnonMapping ? MmCounter.Anon : mapping > 0 ? MmCounter.Shmem : MmCounter.File;

    /// <summary>finish_fault consumes the handler's reference; a handler that took none breaks INV-12 (DKMM012).</summary>
    private void ConsumeFaultReference(VmArea vma, ulong addr, int head, int site)
    {
        if (Ledger.RemoveOne(head, HolderKind.FaultInFlight) is null)
        {
            var hoping = HopesForSpecialPtes(vma);
            Record(new Report(ReportKind.Simulator, "INV-12",
                $"DKSIM INV-12: fault handler returned pfn {head:x5} for {addr:x} without taking a reference; the PTE now holds a reference nobody took, and the first unmap drops the owner's" +
                (hoping ? $" ({((vma.RawFlags & VmFlags.IO) != 0 ? "VM_IO" : "VM_RESERVED")} does not make a PTE special: only VM_PFNMAP and VM_MIXEDMAP do)" : ""), Era)
            {
                Reason = "fault page without reference",
                Pfn = new Pfn((ulong)head),
                Vma = vma.ToString(),
                Process = CurrentProcessText,
                CallSite = Sites.Site(site),
                RuleId = hoping ? "DK0013" : "DK0012",
                Ledger = LedgerText(head),
            });
        }
    }

    /// <summary>
    /// DKMM013, Benjamin Herrenschmidt's case: a vma marked VM_RESERVED or VM_IO (not VM_PFNMAP or VM_MIXEDMAP) whose fault
    /// handler takes no reference, hoping the VM treats its pages as special. From 2.6.15-rc3 vm_normal_page looks only at
    /// VM_PFNMAP/VM_MIXEDMAP (mm/memory.c: vm_normal_page), so the fault's page is a normal, refcounted PTE.
    /// </summary>
    private bool HopesForSpecialPtes(VmArea vma) =>
        Policy.SpecialPteRule is SpecialPteRule.PfnMapLinear or SpecialPteRule.PfnMapMixedMap
        && (vma.RawFlags & (VmFlags.Reserved | VmFlags.IO)) != 0
        && (vma.RawFlags & (VmFlags.PfnMap | VmFlags.MixedMap)) == 0;

    /// <summary>
    /// mm/rmap.c: page_remove_rmap. The mapcount can go negative when a PTE nobody counted is removed (INV-04):
    /// 2.6.29+ print_bad_pte ("BUG: Bad page map"); before, "Eeek! page_mapcount(page) went negative!" and BUG()
    /// under DEBUG_VM only, silence otherwise. The negative count stays, so the free reports "nonzero mapcount".
    /// </summary>
    internal void RemoveRmap(VmArea vma, ulong addr, ulong pte, int page)
    {
        if (--Mem.MapCount[page] >= 0)
        {
            return;
        }

        if (Policy.BadPteNewFormat)
        {
            ReportBadPte(vma, addr, pte, "mapcount went negative");
            return;
        }

        if (Config.DebugVm)
        {
            Printk($"Eeek! page_mapcount(page) went negative! ({Mem.MapCount[page]})");
            throw BugOn("mm/rmap.c", "page_remove_rmap", "page_mapcount(page) < 0", "INV-22", "DK0013", new Pfn((ulong)page), vma.ToString());
        }

        Record(new Report(ReportKind.Simulator, "INV-22",
            $"DKSIM INV-22: mapcount of pfn {page:x5} went negative ({Mem.MapCount[page]}) at {addr:x}; without DEBUG_VM the kernel says nothing", Era)
        {
            Reason = "mapcount went negative",
            Pfn = new Pfn((ulong)page),
            Vma = vma.ToString(),
            Process = CurrentProcessText,
            RuleId = "DK0013",
            Ledger = LedgerText(page),
        });
    }

    /// <summary>A put on a page already at refcount 0 from a core path (zap): VM_BUG_ON with DEBUG_VM, silent corruption otherwise.</summary>
    private void ReportPutOnZero(int page, string where, VmArea vma)
    {
        var text = Config.DebugVm
            ? $"page:{PagePointer(page)} refcount:0 mapcount:{Mem.MapCount[page]}\npage dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)"
            : $"DKSIM INV-01: put_page on pfn {page:x5} at refcount 0 during {where}: the page was already freed (use after free)";
        Record(new Report(Config.DebugVm ? ReportKind.Kernel : ReportKind.Simulator, "INV-01", text, Era)
        {
            Reason = "put_page on refcount 0",
            Pfn = new Pfn((ulong)page),
            Vma = vma.ToString(),
            Process = CurrentProcessText,
            RuleId = "DK0012",
            Ledger = LedgerText(page),
        });
    }
}
