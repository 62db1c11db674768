namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>The advice values <see cref="DoMadviseLater"/> handles (those added from 2.6.16 on).</summary>
    private static bool IsLaterAdvice(Advice advice) => advice is Advice.Free or Advice.Remove or Advice.Cold or Advice.PageOut
        or Advice.PopulateRead or Advice.PopulateWrite or Advice.DontNeedLocked;

    /// <summary>
    /// mm/madvise.c: madvise_behavior_valid — an advice value the configured kernel does not know is -EINVAL. Strict mode
    /// reports it as a use of a constant the kernel lacks (DK1001), as for the other rows of <see cref="KernelAvailability"/>.
    /// </summary>
    private bool AdviceMissing(Advice advice)
    {
        if (Policy.MissingApi("Advice." + advice) is not { } missing)
        {
            return false;
        }

        return Strict ? throw new EraMismatchException(missing + ".", "DK1001") : true;
    }

    /// <summary>
    /// mm/madvise.c: madvise_walk_vmas for the later advice — applied vma by vma in address order, stopping at the
    /// first error; MADV_POPULATE_* faults the whole range in itself (madvise_populate). A hole gives -ENOMEM after
    /// the mapped parts are done ([start, end) is page aligned and not empty).
    /// </summary>
    private SysResult DoMadviseLater(Process p, ulong start, ulong end, Advice advice)
    {
        if (advice is Advice.PopulateRead or Advice.PopulateWrite)
        {
            return MadvisePopulate(p, start, end, advice == Advice.PopulateWrite);
        }

        return WalkVmas(p, start, end, (vma, from, to) => advice switch
        {
            Advice.Free => MadviseFree(vma, from, to),
            Advice.Remove => MadviseRemove(vma, from, to),
            Advice.DontNeedLocked => MadviseDontNeedLocked(vma, from, to),
            _ => MadviseColdOrPageOut(vma, from, to, advice == Advice.PageOut),
        });
    }

    /// <summary>
    /// mm/madvise.c: madvise_free_single_vma — private anonymous memory only (-EINVAL on VM_LOCKED, VM_PFNMAP, file or
    /// shmem vmas); madvise_free_pte_range makes each exclusively mapped page clean and old and queues it as lazy-free
    /// (folio_mark_lazyfree): reclaim then drops it without swap unless it is written again first.
    /// </summary>
    private int MadviseFree(VmArea vma, ulong start, ulong end)
    {
        if ((vma.RawFlags & (VmFlags.Locked | VmFlags.PfnMap | VmFlags.HugeTlb)) != 0 || !vma.IsAnonymous)
        {
            return Errno.EINVAL;
        }

        Lru.Drain();
        ForEachExclusivePage(vma, start, end, (addr, pte, page) =>
        {
            if ((pte & (Pte.Dirty | Pte.Accessed)) != 0)
            {
                vma.Mm.SetPte(addr, pte & ~(Pte.Dirty | Pte.Accessed));
            }

            Mem.Clear(page, PageFlags.Dirty);
            Lru.MarkLazyFree(page);
        });
        vma.Mm.Tlb.FlushRange(start >> PageShift, end >> PageShift);
        return 0;
    }

    /// <summary>
    /// mm/madvise.c: madvise_remove — -EINVAL on VM_LOCKED or without a file, -EACCES unless shared and writable; then
    /// vfs_fallocate(FALLOC_FL_PUNCH_HOLE): shmem drops the pages (shmem_fallocate), a character device is -ENODEV
    /// (-ENOSYS from vmtruncate_range before 3.5, when madvise_remove went through do_fallocate).
    /// </summary>
    private int MadviseRemove(VmArea vma, ulong start, ulong end)
    {
        if ((vma.RawFlags & VmFlags.Locked) != 0 || vma.File is null)
        {
            return Errno.EINVAL;
        }

        if ((vma.RawFlags & (VmFlags.Shared | VmFlags.Write)) != (VmFlags.Shared | VmFlags.Write))
        {
            return Errno.EACCES;
        }

        var inode = vma.File.Inode;
        if (!shmemMappings.ContainsKey(inode.Mapping.Id))
        {
            return Policy.MadviseRemoveUnsupportedErrno;
        }

        var first = vma.PgoffOf(new UserAddr(start));
        ShmemTruncateRange(inode, first, first + ((end - start) >> PageShift));
        return 0;
    }

    /// <summary>
    /// mm/madvise.c: madvise_dontneed_free_valid_vma — MADV_DONTNEED_LOCKED is MADV_DONTNEED without the VM_LOCKED
    /// refusal (VM_PFNMAP is still -EINVAL); the zapped pages of a locked vma are munlocked (page_remove_rmap).
    /// </summary>
    private int MadviseDontNeedLocked(VmArea vma, ulong start, ulong end)
    {
        if ((vma.RawFlags & Policy.MadviseDontNeedRejectMask & ~(VmFlags.Locked | VmFlags.HugeTlb)) != 0)
        {
            return Errno.EINVAL;
        }

        ZapRange(vma, start, end);
        return 0;
    }

    /// <summary>
    /// mm/madvise.c: madvise_cold / madvise_pageout — -EINVAL unless can_madv_lru_vma (no VM_LOCKED, VM_PFNMAP,
    /// VM_HUGETLB); madvise_cold_or_pageout_pte_range ages each exclusively mapped page (PTE old, PG_referenced
    /// cleared), then deactivates it (COLD) or reclaims it at once (PAGEOUT, reclaim_pages). Pages off the LRU
    /// (driver pages) are left alone, as the 6.1 recording shows.
    /// </summary>
    private int MadviseColdOrPageOut(VmArea vma, ulong start, ulong end, bool pageOut)
    {
        if ((vma.RawFlags & (VmFlags.Locked | VmFlags.PfnMap | VmFlags.HugeTlb)) != 0)
        {
            return Errno.EINVAL;
        }

        Lru.Drain();
        ForEachExclusivePage(vma, start, end, (addr, pte, page) =>
        {
            // Pages off the LRU keep their young PTE and PG_referenced (6.1: a driver page is referenced at munmap).
            if (!Mem.Has(page, PageFlags.Lru) || Mem.Has(page, PageFlags.Unevictable))
            {
                return;
            }

            if ((pte & Pte.Accessed) != 0)
            {
                vma.Mm.SetPte(addr, pte & ~Pte.Accessed);
            }

            Mem.Clear(page, PageFlags.Referenced);

            if (pageOut)
            {
                Lru.PageOut(page);
            }
            else
            {
                // mm/swap.c: deactivate_page.
                Mem.Clear(page, PageFlags.Active);
            }
        });
        vma.Mm.Tlb.FlushRange(start >> PageShift, end >> PageShift);
        return 0;
    }

    /// <summary>Each normal page mapped by a present PTE of [start, end) that no other PTE maps (page_mapcount 1).</summary>
    private void ForEachExclusivePage(VmArea vma, ulong start, ulong end, Action<ulong, ulong, int> visit)
    {
        var addr = start;
        while (vma.Mm.PageTable.Next(ref addr, end, out var pte))
        {
            if (Pte.IsPresent(pte) && !Pte.IsSwap(pte) && VmNormalPage(vma, addr, pte, report: false) is var page and >= 0 && Mem.MapCount[page] == 1)
            {
                visit(addr, pte, page);
            }

            addr += PageSize;
        }
    }

    /// <summary>
    /// mm/madvise.c: madvise_populate → mm/gup.c: faultin_vma_page_range — get_user_pages without FOLL_FORCE over
    /// each vma (FOLL_TOUCH, FOLL_WRITE for POPULATE_WRITE): check_vma_flags refusing the vma (VM_IO/VM_PFNMAP, no
    /// permission) is -EINVAL, a failing fault -EFAULT (-ENOMEM when out of memory), a hole -ENOMEM. FOLL_TOUCH with
    /// FOLL_WRITE dirties a page whose PTE is not dirty yet (follow_page_pte).
    /// </summary>
    private SysResult MadvisePopulate(Process p, ulong start, ulong end, bool write)
    {
        var mm = p.Mm;
        for (var addr = start; addr < end; addr += PageSize)
        {
            var vma = mm.Vmas.FindVma(addr);
            if (vma is null || vma.Start.Value > addr)
            {
                return SysResult.Error(Errno.ENOMEM);
            }

            if ((vma.RawFlags & Policy.GupRejectMask) != 0 || (vma.RawFlags & (write ? VmFlags.Write : VmFlags.Read)) == 0)
            {
                return SysResult.Error(Errno.EINVAL);
            }

            var pte = mm.GetPte(addr);
            if (!Pte.IsHardwarePresent(pte) || (write && !Pte.IsWritable(pte)))
            {
                var fault = HandleMmFault(mm, addr, write);
                if (!fault.IsOk)
                {
                    return SysResult.Error(fault.Signal == Signal.SIGKILL ? Errno.ENOMEM : Errno.EFAULT);
                }

                pte = mm.GetPte(addr);
            }

            var page = VmNormalPage(vma, addr, pte, report: false);
            if (page < 0)
            {
                continue;
            }

            if (write && (pte & Pte.Dirty) == 0)
            {
                Mem.Set(page, PageFlags.Dirty);
            }

            Lru.MarkAccessed(page);
        }

        return new SysResult(0);
    }
}
