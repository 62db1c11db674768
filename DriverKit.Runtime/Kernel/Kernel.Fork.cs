namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// kernel/fork.c: copy_process + dup_mmap. The child gets every vma except VM_DONTCOPY ones, with
    /// VM_LOCKED/VM_LOCKONFAULT cleared and locked_vm 0; VM_WIPEONFORK vmas come empty; PTEs are copied only where
    /// the era's rule says (every vma ≤ 2.6.13; VM_COPY_ON_FORK-style flags or an anon_vma later), otherwise the
    /// child refaults; -&gt;open is called on each child vma after its PTEs are copied.
    /// </summary>
    internal SysResult<Process> DoFork(Process parent)
    {
        var child = NewProcess(parent.Comm, parent);
        foreach (var (fd, file) in parent.Files)
        {
            file.Count++;
            child.Files[fd] = file;
        }

        child.CopyFdCounter(parent);
        var mm = child.Mm;

        // dup_mm: the child's mm_struct starts as a copy of the parent's, layout included.
        mm.StartCode = parent.Mm.StartCode;
        mm.EndCode = parent.Mm.EndCode;
        mm.StartBrk = parent.Mm.StartBrk;
        mm.Brk = parent.Mm.Brk;
        mm.StartStack = parent.Mm.StartStack;
        var failed = 0;
        foreach (var vma in parent.Mm.Vmas.All.ToArray())
        {
            if ((vma.RawFlags & VmFlags.DontCopy) != 0)
            {
                continue;
            }

            var copy = CloneVma(vma, mm, vma.Start, vma.End, vma.RawPgoff);
            copy.RawFlags &= ~(VmFlags.Locked | VmFlags.LockOnFault);
            InsertVma(copy);
            mm.TotalVm += (long)copy.Pages;
            if ((vma.RawFlags & VmFlags.WipeOnFork) != 0)
            {
                copy.HasAnonVma = false;
            }
            else if (Policy.ForkCopiesEveryVma || (vma.RawFlags & Policy.ForkCopyMask) != 0 || vma.HasAnonVma)
            {
                failed = TrackPfnCopy(vma);
                if (failed == 0 && !PteAllocForCopy(mm, vma))
                {
                    failed = Errno.ENOMEM;
                }

                if (failed == 0)
                {
                    CopyPageRange(copy, vma);
                }
            }

            try
            {
                using (EnterProcess(child, MmapLockMode.Write, "dup_mmap"))
                {
                    OpenVma(copy);
                }
            }
            catch (KernelBugException)
            {
                // An oops in ->open kills the parent in the middle of copy_process: the child never runs, and the
                // simulator tears its half-built mm down so that no half-made task is left behind.
                DiscardChild(child);
                throw;
            }

            if (failed != 0)
            {
                // dup_mmap failed: mmput tears the half-built mm down (->close on every copied vma) and copy_mm
                // turns the error into -ENOMEM; no pid was allocated yet.
                DiscardChild(child);
                return SysResult<Process>.Error(Errno.ENOMEM);
            }
        }

        return SysResult<Process>.Ok(child);
    }

    /// <summary>copy_process error path: the half-built child's mm is torn down and the task forgotten.</summary>
    private void DiscardChild(Process child)
    {
        using (EnterProcess(child, MmapLockMode.Write))
        {
            try
            {
                DoExit(child, 0);
            }
            catch (KernelBugException)
            {
                // A ->close that oopsed during the teardown: DoExit finished without it, and the child goes anyway.
            }
        }

        DiscardProcess(child);
    }

    /// <summary>
    /// arch/x86/mm/pat/memtype.c: track_pfn_copy — a VM_PAT vma's memory type is looked up from the PTE at
    /// vm_start: no PTE there is -EINVAL (with a WARN), and from 6.1 (see <see cref="EraPolicy.PatRefusesAnonCowFork"/>)
    /// so is an anonymous COW page, whose pfn says nothing about the device's memory type.
    /// </summary>
    private int TrackPfnCopy(VmArea vma)
    {
        if (!vma.PatTracked)
        {
            return 0;
        }

        var pte = vma.Mm.GetPte(vma.Start.Value);
        if (!Pte.IsPresent(pte))
        {
            Printk($"WARNING: track_pfn_copy: no PTE at the start of {vma}");
            return Errno.EINVAL;
        }

        var page = VmNormalPage(vma, vma.Start.Value, pte, report: false);
        return Policy.PatRefusesAnonCowFork && vma.IsCowMapping && page >= 0 && Mem.Mapping[page] == MemMap.AnonMapping ? Errno.EINVAL : 0;
    }

    /// <summary>
    /// mm/memory.c: copy_page_range → copy_one_pte / copy_present_pte. A normal PTE gives the child +1 refcount and
    /// +1 mapcount; a special PTE is copied bare; writable PTEs of COW mappings are write-protected in both.
    /// </summary>
    private void CopyPageRange(VmArea dst, VmArea src)
    {
        var parent = src.Mm;
        var child = dst.Mm;
        var cow = src.IsCowMapping;
        var end = src.End.Value;
        var addr = src.Start.Value;
        var writeProtected = false;

        // Leaf table by leaf table (copy_pte_range), skipping absent tables; PTEs are read and written in place and the
        // child's rss counters gathered, then added once (add_mm_rss_vec).
        var rss = default(RssDelta);
        try
        {
            while (parent.PageTable.Next(ref addr, end, out _))
            {
                var leaf = parent.PageTable.LeafAt(addr, create: false)!;
                var childLeaf = child.PageTable.LeafAt(addr, create: true)!;
                var limit = Math.Min(end, (addr | (PageTable.LeafSpan - 1)) + 1);
                for (; addr < limit; addr += PageSize)
                {
                    var i = PageTable.IndexOf(addr);
                    var pte = leaf[i];
                    if (pte == 0)
                    {
                        continue;
                    }

                    if (Pte.IsSwap(pte))
                    {
                        Swap.Duplicate(Pte.SwapSlot(pte));
                        rss.Swap++;
                        childLeaf[i] = pte;
                        continue;
                    }

                    var raw = Pte.PfnOf(pte);
                    var page = VmNormalPage(src, addr, pte);
                    if (raw < (ulong)Mem.Count)
                    {
                        var rec = Rmap.Find(Mem, (int)raw, parent.Id, addr);
                        // ReportFlipIfChanged written out: as a call (even one marked for inlining) it cost this per-PTE loop about 9 %.
                        if (rec >= 0 && Rmap.Normal(rec) != page >= 0)
                        {
                            ReportFlipAtVisit(src, addr, (int)raw, Rmap.Installer(rec), Rmap.Normal(rec), "fork");
                        }
                    }

                    // A pin takes references beyond the mappings, so a page whose refcount does not exceed its mapcount
                    // is not pinned and the ledger lookup can be skipped.
                    if (page >= 0 && cow && Policy.ForkCopiesPinnedPagesEarly && Mem.Mapping[page] == MemMap.AnonMapping &&
                        Mem.RefCount[Mem.CompoundHead(page)] > Mem.MapCount[page] && Ledger.Has(Mem.CompoundHead(page), HolderKind.Pin))
                    {
                        // copy_present_page: the page may be DMA-pinned; the child gets its own copy now, the parent keeps the original writable.
                        var copy = AllocBlock(Gfp.HighUserMovable, 0, AnonOwner, CallSites.Kernel, ownerHolder: false);
                        if (copy >= 0)
                        {
                            CopyFrame((ulong)page, copy);
                            MapNormalPte(dst, addr, copy, dst.PageProt with { Writable = true }, write: (pte & Pte.Dirty) != 0, PteInstaller.Cow, PteRef.Inherit);
                            Lru.Add(copy);
                            continue;
                        }
                    }

                    if (cow && Pte.IsWritable(pte))
                    {
                        pte &= ~Pte.Write;
                        leaf[i] = pte;
                        writeProtected = true;
                    }

                    var childPte = (src.RawFlags & VmFlags.Shared) != 0 ? pte & ~Pte.Dirty : pte;
                    childPte &= ~Pte.Accessed;
                    if (page >= 0)
                    {
                        // copy_present_pte → page_try_dup_anon_rmap: a shared anonymous page is no longer exclusive.
                        Mem.Flags[page] &= ~(ulong)PageFlags.AnonExclusive;
                        Mem.RefCount[Mem.CompoundHead(page)]++;
                        Mem.MapCount[page]++;
                        rss.Add(Mem.Mapping[page], +1);
                        Rmap.Add(Mem, page, child.Id, addr, PteInstaller.ForkCopy, isNormal: true);
                    }
                    else if (raw < (ulong)Mem.Count)
                    {
                        Rmap.Add(Mem, (int)raw, child.Id, addr, PteInstaller.ForkCopy, isNormal: false);
                    }

                    childLeaf[i] = childPte;
                }
            }
        }
        finally
        {
            rss.ApplyTo(child);
        }

        if (writeProtected)
        {
            // flush_tlb_mm after write-protecting the parent's PTEs.
            parent.Tlb.FlushRange(src.Start.PageNumber, src.End.PageNumber);
        }

        dst.HasAnonVma = src.HasAnonVma;
    }

    /// <summary>
    /// kernel/exit.c: do_exit → exit_mm/exit_mmap (every vma unmapped and closed) and exit_files, then
    /// kernel/fork.c: check_mm (3.4+: "BUG: Bad rss-counter state").
    /// </summary>
    internal void DoExit(Process p, int code)
    {
        // PF_EXITING: from here on the task makes no system call of its own (a ->close that tries gets -ESRCH).
        p.State = ProcessState.Exited;
        p.ExitCode = code;
        var mm = p.Mm;
        KernelBugException? oops = null;
        foreach (var vma in mm.Vmas.All.ToArray())
        {
            try
            {
                RemoveVma(vma);
            }
            catch (KernelBugException e)
            {
                // An oops in ->close while exiting ("Fixing recursive fault"): the teardown goes on without it.
                oops ??= e;
            }
        }

        foreach (var file in p.Files.Values.ToArray())
        {
            try
            {
                Fput(file);
            }
            catch (KernelBugException e)
            {
                oops ??= e;
            }
        }

        p.Files.Clear();
        CheckMm(mm);
        mms.Remove(mm.Id);
        mm.PageTable.Release();
        if (Strict)
        {
            Checker.CheckQuiescence($"exit of {p}");
        }

        if (oops is not null)
        {
            p.KilledBy ??= oops.Report;
            throw oops;
        }
    }

    /// <summary>kernel/fork.c: check_mm — every rss counter must be back to zero when the mm goes away (INV-21).</summary>
    private void CheckMm(MmStruct mm)
    {
        ReadOnlySpan<(string Name, long Value)> counters =
        [
            ("MM_FILEPAGES", mm.RssFile),
            ("MM_ANONPAGES", mm.RssAnon),
            ("MM_SWAPENTS", mm.SwapEntries),
            ("MM_SHMEMPAGES", mm.RssShmem),
        ];
        for (var i = 0; i < counters.Length; i++)
        {
            var (name, value) = counters[i];
            if (value == 0)
            {
                continue;
            }

            var kernelSees = Policy.HasRssCounterCheck;
            var text = !kernelSees
                ? $"DKSIM INV-21: rss counter {name} of the exiting mm is {value}, not 0 (this kernel has no check_mm)"
                : Policy.RssCounterCheckNamesType
                    ? $"BUG: Bad rss-counter state mm:{mm.Id:x16} type:{name} val:{value}"
                    : $"BUG: Bad rss-counter state mm:{mm.Id:x16} idx:{i} val:{value}";
            Record(new Report(kernelSees ? ReportKind.Kernel : ReportKind.Simulator, "INV-21", text, Era)
            {
                Reason = "rss counter not zero at mm teardown",
                Process = mm.Owner?.ToString(),
                RuleId = "DK0013",
            });
        }
    }
}
