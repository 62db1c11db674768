namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: handle_mm_fault → handle_pte_fault, entered from the MMU on a missing or read-only
    /// translation (arch/x86/mm/fault.c: do_user_addr_fault decides SIGSEGV first). Runs with the mmap lock held
    /// for read. <paramref name="force"/> is GUP's FOLL_FORCE (ptrace, /proc/pid/mem): check_vma_flags has vetted the
    /// vma, so access_error is skipped and a write to a read-only private vma breaks COW into a read-only PTE.
    /// </summary>
    internal AccessResult HandleMmFault(MmStruct mm, ulong addr, bool write, bool force = false)
    {
        var page = addr & ~(PageSize - 1);
        var vma = mm.Vmas.FindVma(addr);
        if (vma is null || vma.Start.Value > addr)
        {
            return new AccessResult(Signal.SIGSEGV, SiCode.SEGV_MAPERR, new UserAddr(addr), null);
        }

        // arch/x86/mm/fault.c: access_error.
        var flags = vma.RawFlags;
        if (!force && (write ? (flags & VmFlags.Write) == 0 : (flags & (VmFlags.Read | VmFlags.Write | VmFlags.Exec)) == 0))
        {
            return new AccessResult(Signal.SIGSEGV, SiCode.SEGV_ACCERR, new UserAddr(addr), null);
        }

        var pte = mm.GetPte(page);
        if (Pte.IsNone(pte))
        {
            if (!PteAlloc(mm, page))
            {
                return FaultSignal(VmFaultResult.Oom, addr);
            }

            var result = vma.IsAnonymous ? DoAnonymousPage(vma, page, write) : DoFault(vma, page, write);
            return result == VmFaultResult.None || result == VmFaultResult.NoPage ? AccessResult.Ok : FaultSignal(result, addr);
        }

        if (Pte.IsSwap(pte))
        {
            var result = DoSwapPage(vma, page, pte, write);
            return result == VmFaultResult.None ? AccessResult.Ok : FaultSignal(result, addr);
        }

        if (write && !Pte.IsWritable(pte))
        {
            var result = DoWpPage(vma, page, pte);
            return result == VmFaultResult.None ? AccessResult.Ok : FaultSignal(result, addr);
        }

        return AccessResult.Ok;
    }

    private static AccessResult FaultSignal(VmFaultResult result, ulong addr)
    {
        if ((result & VmFaultResult.Oom) != 0)
        {
            return new AccessResult(Signal.SIGKILL, 0, new UserAddr(addr), null);
        }

        if ((result & VmFaultResult.Sigsegv) != 0)
        {
            return new AccessResult(Signal.SIGSEGV, SiCode.SEGV_ACCERR, new UserAddr(addr), null);
        }

        return new AccessResult(Signal.SIGBUS, SiCode.BUS_ADRERR, new UserAddr(addr), null);
    }

    /// <summary>
    /// mm/memory.c: do_anonymous_page. A read maps the zero page (special, refcounted, or not at all, per era); a
    /// write, or an era without an anonymous zero page, gets a new zeroed page whose reference the PTE keeps.
    /// </summary>
    private VmFaultResult DoAnonymousPage(VmArea vma, ulong addr, bool write)
    {
        if (!write)
        {
            var prot = vma.PageProt with { Writable = false };
            switch (Policy.AnonReadFault)
            {
                case AnonReadFault.ZeroPageSpecial:
                    MapSpecialPte(vma, addr, (ulong)ZeroPfn, prot, write: false, PteInstaller.ZeroPage);
                    return VmFaultResult.None;
                case AnonReadFault.ZeroPageRefcounted:
                    MapNormalPte(vma, addr, ZeroPfn, prot, write: false, PteInstaller.ZeroPage, PteRef.Take);
                    return VmFaultResult.None;
            }
        }

        var pfn = AllocBlock(Gfp.HighUserMovable | Gfp.Zero, 0, AnonOwner, CallSites.Kernel, ownerHolder: false);
        if (pfn < 0)
        {
            return VmFaultResult.Oom;
        }

        MapNormalPte(vma, addr, pfn, vma.PageProt with { Writable = (vma.RawFlags & VmFlags.Write) != 0 }, write, PteInstaller.AnonFault, PteRef.Inherit);
        AddNewPageToLru(vma, pfn);
        return VmFaultResult.None;
    }

    private int anonOwner = -1;

    private int AnonOwner => anonOwner >= 0 ? anonOwner : anonOwner = Sites.Owner("anon");

    /// <summary>The owner id of anonymous memory.</summary>
    internal int AnonOwnerId => AnonOwner;

    /// <summary>
    /// mm/memory.c: do_fault — a file or driver vma. Calls the driver's -&gt;fault (or legacy -&gt;nopage) and maps
    /// what it returns: do_read_fault, do_cow_fault (private write) or do_shared_fault. Without a handler: SIGBUS
    /// from 4.2, anonymous pages before (2.6.11 do_no_page → do_anonymous_page, even in a MAP_SHARED vma).
    /// </summary>
    private VmFaultResult DoFault(VmArea vma, ulong addr, bool write)
    {
        var ops = vma.RawOps;
        if (vma.File?.Inode.Device is null && vma.File is not null && ops is null)
        {
            return ShmemFault(vma, addr, write);
        }

        var hasHandler = ops?.Fault is not null || ops?.NoPage is not null;
        if (!hasHandler && ops?.NoPfn is not null)
        {
            // handle_pte_fault 2.6.19 – 2.6.26: ->fault/->nopage first, then ->nopfn.
            return DoNoPfn(vma, addr, write);
        }

        if (!hasHandler)
        {
            var sigbus = ops is null ? Policy.FileVmaWithoutOpsSigbus : Policy.NoFaultHandlerSigbus;
            if (sigbus)
            {
                return VmFaultResult.Sigbus;
            }

            if (Strict)
            {
                Record(new Report(ReportKind.Simulator, "INV-15",
                    $"DKSIM INV-15: fault at {addr:x} in device vma without a fault handler: the kernel maps an anonymous page inside the device mapping", Era)
                {
                    Vma = vma.ToString(),
                    Process = CurrentProcessText,
                    RuleId = "DK0015",
                });
            }

            return DoAnonymousPage(vma, addr, write);
        }

        var cow = write && vma.IsCowMapping;
        var (result, pfn) = CallFaultHandler(vma, addr, write && !cow);
        if (result != VmFaultResult.None || pfn < 0)
        {
            return result;
        }

        if (cow)
        {
            // do_cow_fault: copy the driver's page into a new anonymous page and drop the handler's reference.
            var copy = AllocBlock(Gfp.HighUserMovable, 0, AnonOwner, CallSites.Kernel, ownerHolder: false);
            if (copy < 0)
            {
                ReleaseFaultReference(pfn);
                return VmFaultResult.Oom;
            }

            CopyFrame((ulong)pfn, copy);
            ReleaseFaultReference(pfn);
            MapNormalPte(vma, addr, copy, vma.PageProt with { Writable = (vma.RawFlags & VmFlags.Write) != 0 }, write: true, PteInstaller.Cow, PteRef.Inherit); // maybe_mkwrite
            AddNewPageToLru(vma, copy);
            return VmFaultResult.None;
        }

        var how = ops!.Fault is not null ? PteInstaller.Fault : PteInstaller.NoPage;

        // finish_fault → set_pte_range: mk_pte with vm_page_prot (read-only in a write-notify vma), maybe_mkwrite on a write.
        var prot = write ? vma.PageProt with { Writable = (vma.RawFlags & VmFlags.Write) != 0 } : vma.PageProt;
        if (write && ops.PageMkwrite is not null)
        {
            VmFaultResult mk;
            try
            {
                mk = CallPageMkwrite(vma, addr, pfn);
            }
            catch (KernelBugException)
            {
                // An oops in ->page_mkwrite: the fault never maps the page, so the handler's reference is dropped.
                ReleaseFaultReference(pfn);
                throw;
            }

            if (mk != VmFaultResult.None)
            {
                ReleaseFaultReference(pfn);
                return mk;
            }
        }

        if (IsSpecialByVmaRule(vma, pfn))
        {
            // 2.6.15-rc1 do_no_page: VM_RESERVED → no rmap, no rss, but the ->nopage reference stays (S1).
            // ≤ 2.6.14: a PG_reserved page is mapped the same way (page_add_file_rmap returns early).
            MapSpecialPte(vma, addr, (ulong)pfn, prot, write, how);
            Ledger.Relabel(Mem.CompoundHead(pfn), HolderKind.FaultInFlight, HolderKind.FaultLeaked);
        }
        else
        {
            MapNormalPte(vma, addr, pfn, prot, write, how, PteRef.ConsumeFault, lastHandlerSite);
        }

        if (write)
        {
            // do_shared_fault → fault_dirty_shared_page: set_page_dirty on the page just written.
            MarkSharedPageDirty(pfn);
        }

        MlockIfLocked(vma, pfn);
        return VmFaultResult.None;
    }

    /// <summary>mm/memory.c: fault_dirty_shared_page (and its 2.6.19 – 4.5 predecessors) — set_page_dirty on a shared page a write fault made writable.</summary>
    private void MarkSharedPageDirty(int pfn)
    {
        if (Policy.SharedWriteFaultDirtiesPage)
        {
            Mem.Set(Mem.CompoundHead(pfn), PageFlags.Dirty);
        }
    }

    /// <summary>True when the era's rule makes a PTE of this page in this vma special at install (E0 reserved, E1 VM_RESERVED).</summary>
    private bool IsSpecialByVmaRule(VmArea vma, int pfn) => Policy.SpecialPteRule switch
    {
        SpecialPteRule.PageReserved => Mem.Has(pfn, PageFlags.Reserved),
        SpecialPteRule.VmaReserved => (vma.RawFlags & VmFlags.Reserved) != 0,
        _ => false,
    };

    private int lastHandlerSite;

    /// <summary>
    /// A fault handler is serving an offset past what -&gt;mmap accepted (the vma grew with mremap): what goes wrong inside it is
    /// DKMM015's outcome, whatever the failing check is about.
    /// </summary>
    private bool handlerPastMmap;

    /// <summary>The struct vm_fault the next -&gt;fault call gets (see <see cref="VmFault.Reset"/>).</summary>
    private VmFault? spareVmFault;

    /// <summary>mm/memory.c: __do_fault — calls -&gt;fault or -&gt;nopage in driver context and validates the page it returns.</summary>
    private (VmFaultResult Result, int Pfn) CallFaultHandler(VmArea vma, ulong addr, bool write)
    {
        var ops = vma.RawOps!;
        var faultFlags = (write ? FaultFlags.Write : FaultFlags.None) | FaultFlags.User;
        var vmf = spareVmFault ?? new VmFault(vma, new UserAddr(addr), 0, faultFlags);
        spareVmFault = null; // a fault raised from inside the handler gets its own instance
        vmf.Reset(vma, new UserAddr(addr), vma.PgoffOf(new UserAddr(addr)), faultFlags);
        VmFaultResult result;
        Page page;
        var outerPastMmap = handlerPastMmap;
        handlerPastMmap = GrownPast(vma, new UserAddr(addr));
        using (EnterDriver(vma.Driver, ContextKind.Fault, MmapLockMode.Read))
        {
            try
            {
                if (ops.Fault is not null)
                {
                    result = ops.Fault(vmf);
                    page = vmf.Page;
                }
                else
                {
                    page = ops.NoPage!(vma, new UserAddr(addr));
                    result = page.IsNoPageOom ? VmFaultResult.Oom : page.IsNull ? VmFaultResult.Sigbus : VmFaultResult.None;
                }
            }
            catch (Exception e) when (IsDriverCrash(e))
            {
                throw DriverCrash(e, vma.ToString());
            }
            finally
            {
                spareVmFault = vmf;
                handlerPastMmap = outerPastMmap;
            }
        }

        if ((result & (VmFaultResult.Oom | VmFaultResult.Sigbus | VmFaultResult.Sigsegv | VmFaultResult.HwPoison)) != 0)
        {
            return (result & ~VmFaultResult.Major, -1);
        }

        if ((result & VmFaultResult.NoPage) != 0)
        {
            return (VmFaultResult.NoPage, -1);
        }

        if (page.IsNull)
        {
            // A handler that returns 0 without a page: the kernel would dereference NULL.
            throw BugOn("mm/memory.c", "__do_fault", "!vmf->page", "INV-12", "DK0012", vma: vma.ToString());
        }

        var pfn = CheckPage(page);
        lastHandlerSite = Ledger.Of(Mem.CompoundHead(pfn)).LastOrDefault(h => h.Kind == HolderKind.FaultInFlight).Site;
        if (Strict)
        {
            // INV-15: the page a handler picks by vmf->pgoff must be one the driver owns (a pgoff beyond its object).
            CheckRegion(vma, (ulong)pfn, 1, ops.Fault is not null ? "->fault" : "->nopage", lastHandlerSite, new UserAddr(addr));
        }

        if (Mem.RefCount[Mem.CompoundHead(pfn)] <= 0)
        {
            // A free page past the offsets ->mmap accepted: the handler indexed beyond its object after an mremap growth.
            throw Refuse("INV-12", $"fault handler returned pfn {pfn:x5} at refcount 0 (a free page or an unsplit tail) for {addr:x}", GrownPast(vma, new UserAddr(addr)) ? "DK0015" : "DK0012", pfn);
        }

        if ((result & VmFaultResult.Locked) == 0 && Mem.Has(pfn, PageFlags.Locked))
        {
            // __do_fault: folio_lock() on a page the handler still holds locked never returns.
            throw Refuse("INV-08", $"fault handler returned pfn {pfn:x5} locked without VM_FAULT_LOCKED: __do_fault's lock_page deadlocks", "DK0006", pfn);
        }

        if ((result & VmFaultResult.Locked) != 0)
        {
            if (!Mem.Has(pfn, PageFlags.Locked) && Config.DebugVm)
            {
                throw VmBugOnPage(pfn, "!folio_test_locked(folio)", "INV-08", "DK0006");
            }

            Mem.Clear(pfn, PageFlags.Locked); // finish_fault's caller unlocks the page.
        }

        if (Mem.Mapping[pfn] == MemMap.AnonMapping || Mem.Type[pfn] != PageType.None)
        {
            Record(new Report(ReportKind.Simulator, "INV-12",
                $"DKSIM INV-12: fault handler returned {(Mem.Type[pfn] != PageType.None ? Mem.Type[pfn].ToString().ToLowerInvariant() : "anonymous")} pfn {pfn:x5}; the kernel maps it without checking", Era)
            {
                Pfn = new Pfn((ulong)pfn),
                Vma = vma.ToString(),
                RuleId = "DK0010",
            });
        }

        return (VmFaultResult.None, pfn);
    }

    /// <summary>Drops the fault handler's reference when the page is not mapped after all.</summary>
    private void ReleaseFaultReference(int pfn)
    {
        var head = Mem.CompoundHead(pfn);
        Ledger.RemoveOne(head, HolderKind.FaultInFlight);
        PutPageRef(head);
    }

    private VmFaultResult CallPageMkwrite(VmArea vma, ulong addr, int pfn)
    {
        var vmf = new VmFault(vma, new UserAddr(addr), vma.PgoffOf(new UserAddr(addr)), FaultFlags.Write | FaultFlags.User)
        {
            Page = new Page(Mem, pfn),
        };
        var ret = CallDriver(vma.Driver, ContextKind.Fault, MmapLockMode.Read, () => vma.RawOps!.PageMkwrite!(vmf), vma);

        // mm/memory.c: do_page_mkwrite returns with the page locked when ->page_mkwrite said VM_FAULT_LOCKED; the
        // caller (fault_dirty_shared_page after do_shared_fault / wp_page_shared) unlocks it once the PTE is made.
        if ((ret & VmFaultResult.Locked) != 0 && Mem.Has(pfn, PageFlags.Locked))
        {
            Mem.Clear(pfn, PageFlags.Locked);
            lockSites.Remove(pfn);
        }

        return ret & ~(VmFaultResult.Locked | VmFaultResult.Major);
    }

    /// <summary>
    /// mm/memory.c: do_wp_page — a write to a present read-only PTE: reuse an exclusive anonymous page, make a
    /// shared mapping writable (page_mkwrite, wp_pfn_shared), or copy (wp_page_copy, also from special PTEs).
    /// </summary>
    private VmFaultResult DoWpPage(VmArea vma, ulong addr, ulong pte)
    {
        if (Policy.WpPageBugOnReserved && (vma.RawFlags & VmFlags.Reserved) != 0)
        {
            throw BugOn("mm/memory.c", "do_wp_page", "vma->vm_flags & VM_RESERVED", "INV-04", "DK0004", new Pfn(Pte.PfnOf(pte)), vma.ToString());
        }

        var page = VmNormalPage(vma, addr, pte);

        // The zero page is never made writable: even in a shared vma (≤ 4.17 anonymous fallback) a write copies it.
        var shared = (vma.RawFlags & VmFlags.Shared) != 0 && Pte.PfnOf(pte) != (ulong)ZeroPfn;
        if (shared)
        {
            if (page >= 0 && vma.RawOps?.PageMkwrite is not null)
            {
                Mem.RefCount[Mem.CompoundHead(page)]++;
                Ledger.Add(Mem.CompoundHead(page), HolderKind.FaultInFlight, CallSites.Kernel);
                VmFaultResult mk;
                try
                {
                    mk = CallPageMkwrite(vma, addr, page);
                }
                finally
                {
                    ReleaseFaultReference(page);
                }

                if (mk != VmFaultResult.None)
                {
                    return mk;
                }
            }

            vma.Mm.SetPte(addr, pte | Pte.Write | Pte.Dirty | Pte.Accessed);
            if (page >= 0)
            {
                // wp_page_shared → fault_dirty_shared_page (wp_pfn_shared has no page to dirty).
                MarkSharedPageDirty(page);
            }

            return VmFaultResult.None;
        }

        if (WpCanReuse(page))
        {
            // wp_page_reuse: the only user of an anonymous page keeps it (maybe_mkwrite: writable only in a VM_WRITE vma;
            // a FOLL_FORCE write to a read-only private vma leaves the PTE read-only).
            vma.Mm.SetPte(addr, pte | ((vma.RawFlags & VmFlags.Write) != 0 ? Pte.Write : 0) | Pte.Dirty | Pte.Accessed);
            return VmFaultResult.None;
        }

        return WpPageCopy(vma, addr, pte, page);
    }

    /// <summary>
    /// do_wp_page's test for reusing an anonymous page in place: its only mapping (reuse_swap_page) up to 5.7;
    /// 5.8 – 5.18 also no other reference (page_count == 1, so a GUP-held page is copied); from 5.19 PG_anon_exclusive,
    /// else the refcount test after draining the lru_add batch, which then makes the page exclusive again.
    /// </summary>
    private bool WpCanReuse(int page)
    {
        if (page < 0 || Mem.Mapping[page] != MemMap.AnonMapping)
        {
            return false;
        }

        var head = Mem.CompoundHead(page);
        if (Policy.WpReuseByExclusive)
        {
            if (Mem.Has(page, PageFlags.AnonExclusive))
            {
                return true;
            }

            if (Mem.RefCount[head] > 3)
            {
                return false;
            }

            if (!Mem.Has(page, PageFlags.Lru))
            {
                Lru.Drain();
            }

            if (Mem.RefCount[head] != 1 + SwapCacheRefs(page))
            {
                return false;
            }

            Mem.Set(page, PageFlags.AnonExclusive);
            return true;
        }

        if (!Policy.WpReuseNeedsSoleReference)
        {
            return Mem.MapCount[page] == 1;
        }

        if (Policy.WpDrainsLruBatch && !Mem.Has(page, PageFlags.Lru))
        {
            Lru.Drain();
        }

        return Mem.MapCount[page] == 1 && Mem.RefCount[head] == 1 + SwapCacheRefs(page);
    }

    /// <summary>mm/memory.c: wp_page_copy — a private copy of the frame the PTE maps (normal or special).</summary>
    private VmFaultResult WpPageCopy(VmArea vma, ulong addr, ulong pte, int page)
    {
        var copy = AllocBlock(Gfp.HighUserMovable, 0, AnonOwner, CallSites.Kernel, ownerHolder: false);
        if (copy < 0)
        {
            return VmFaultResult.Oom;
        }

        var raw = Pte.PfnOf(pte);
        if (raw == (ulong)ZeroPfn)
        {
            Mem.Data[copy] = null;
        }
        else
        {
            CopyFrame(raw, copy);
        }

        var mm = vma.Mm;
        if (raw < (ulong)Mem.Count)
        {
            var rec = Rmap.Remove(Mem, (int)raw, mm.Id, addr);
            ReportFlipIfChanged(vma, addr, (int)raw, rec, page >= 0, "COW");
        }

        if (page >= 0)
        {
            RemoveRmap(vma, addr, pte, page);
            AddRss(mm, page, -1);
            mm.SetPte(addr, 0);
            PutPageRef(Mem.CompoundHead(page));
        }

        MapNormalPte(vma, addr, copy, vma.PageProt with { Writable = (vma.RawFlags & VmFlags.Write) != 0 }, write: true, PteInstaller.Cow, PteRef.Inherit); // maybe_mkwrite
        AddNewPageToLru(vma, copy);
        return VmFaultResult.None;
    }

    /// <summary>Copies a frame's contents (RAM or device memory) into a RAM frame (copy_user_highpage / __wp_page_copy_user).</summary>
    internal void CopyFrame(ulong source, int target)
    {
        if (source < (ulong)Mem.Count)
        {
            var data = Mem.Data[(int)source];
            Mem.Data[target] = data is null ? null : (byte[])data.Clone();
            return;
        }

        var buffer = new byte[PageSize];
        ReadPhys(source, 0, buffer);
        Mem.Data[target] = buffer;
    }

    /// <summary>mm/memory.c: do_swap_page — reads a swapped-out page back into a new frame.</summary>
    private VmFaultResult DoSwapPage(VmArea vma, ulong addr, ulong pte, bool write)
    {
        var slot = Pte.SwapSlot(pte);
        var pfn = AllocBlock(Gfp.HighUserMovable, 0, AnonOwner, CallSites.Kernel, ownerHolder: false);
        if (pfn < 0)
        {
            return VmFaultResult.Oom;
        }

        Swap.ReadInto(slot, pfn);
        var exclusive = Swap.Free(slot);
        vma.Mm.SwapEntries--;
        vma.Mm.SetPte(addr, 0);
        MapNormalPte(vma, addr, pfn, vma.PageProt with { Writable = exclusive && (vma.RawFlags & VmFlags.Write) != 0 }, write && exclusive, PteInstaller.SwapIn, PteRef.Inherit);
        Lru.Add(pfn);
        if (write && !exclusive)
        {
            return DoWpPage(vma, addr, vma.Mm.GetPte(addr));
        }

        return VmFaultResult.None;
    }

    private int SwapCacheRefs(int page) => Mem.Has(page, PageFlags.SwapCache) ? 1 : 0;

    /// <summary>
    /// mm/mlock.c: mlock_vma_page — pages faulted into a VM_LOCKED vma become unevictable (2.6.28 and later); from
    /// 5.18 mlock_vma_folio → mlock_folio queues an order-0 page on the mlock batch, which holds a reference until it
    /// drains (a PTE-mapped large folio is left alone there; DriverKit still sets its PG_mlocked).
    /// </summary>
    private void MlockIfLocked(VmArea vma, int pfn)
    {
        if ((vma.RawFlags & VmFlags.Locked) != 0 && Policy.HasUnevictableLru)
        {
            Mem.Set(pfn, PageFlags.Mlocked);
            if (Policy.HasMlockBatch && !Mem.IsCompound(pfn))
            {
                Lru.AddMlock(pfn, isNew: false);
            }
            else
            {
                Lru.Cull(pfn);
            }
        }
    }

    /// <summary>
    /// mm/swap.c: folio_add_lru_vma — a new anonymous page of a VM_LOCKED vma goes to the mlock batch instead of
    /// lru_add (mlock_new_folio, 5.18+; it is PG_mlocked at once); before, it is added to the LRU and mlocked.
    /// </summary>
    private void AddNewPageToLru(VmArea vma, int pfn)
    {
        if (Policy.HasMlockBatch && (vma.RawFlags & VmFlags.Locked) != 0)
        {
            Mem.Set(pfn, PageFlags.Mlocked);
            Lru.AddMlock(pfn, isNew: true);
            return;
        }

        Lru.Add(pfn);
        MlockIfLocked(vma, pfn);
    }
}
