namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/mremap.c: do_mremap — shrink, grow in place, or move (MREMAP_MAYMOVE). Growth of a VM_DONTEXPAND
    /// (and from 2.6.15-rc6 VM_PFNMAP) vma is -EFAULT; a moved vma keeps vm_pgoff and its PTEs move with it
    /// (special stays special); the copy gets -&gt;open and the old range -&gt;close.
    /// </summary>
    internal SysResult<UserAddr> DoMremap(Process p, ulong oldAddr, ulong oldLen, ulong newLen, MremapFlags flags, ulong newAddr)
    {
        var mm = p.Mm;
        if ((oldAddr & (PageSize - 1)) != 0 || (flags & ~(MremapFlags.MayMove | MremapFlags.Fixed | MremapFlags.DontUnmap)) != 0 ||
            ((flags & MremapFlags.Fixed) != 0 && (flags & MremapFlags.MayMove) == 0) || DontUnmapRefused(flags, oldLen, newLen))
        {
            return SysResult<UserAddr>.Error(Errno.EINVAL);
        }

        oldLen = PageAlign(oldLen);
        newLen = PageAlign(newLen);
        if (newLen == 0 || (oldLen == 0 && (flags & MremapFlags.MayMove) == 0))
        {
            return SysResult<UserAddr>.Error(Errno.EINVAL);
        }

        var moveTo = flags & (MremapFlags.Fixed | MremapFlags.DontUnmap);
        if (moveTo != 0 && ((newAddr & (PageSize - 1)) != 0 || newLen > MmStruct.TaskSize || newAddr > MmStruct.TaskSize - newLen ||
            (newAddr < oldAddr + oldLen && oldAddr < newAddr + newLen)))
        {
            return SysResult<UserAddr>.Error(Errno.EINVAL);
        }

        var vma = mm.Vmas.FindVma(oldAddr);
        if (vma is null || vma.Start.Value > oldAddr)
        {
            return SysResult<UserAddr>.Error(Errno.EFAULT);
        }

        if (moveTo != 0)
        {
            return MremapTo(p, oldAddr, oldLen, newLen, flags, newAddr);
        }

        if (oldLen >= newLen)
        {
            // "Always allow a shrinking remap: that just unmaps the unnecessary pages."
            if (oldLen > newLen)
            {
                var r = DoMunmap(mm, oldAddr + newLen, oldLen - newLen);
                if (r.Errno != 0)
                {
                    return SysResult<UserAddr>.Error(r.Errno);
                }
            }

            return SysResult<UserAddr>.Ok(new UserAddr(oldAddr));
        }

        var err = VmaToResize(p, vma, oldAddr, oldLen, newLen);
        if (err != 0)
        {
            return SysResult<UserAddr>.Error(err);
        }

        var delta = newLen - oldLen;
        if (oldAddr + oldLen == vma.End.Value && vma.End.Value + delta <= MmStruct.TaskSize && !mm.Vmas.AnyOverlap(vma.End.Value, vma.End.Value + delta))
        {
            // vma_expandable: grow in place.
            vma.End = new UserAddr(vma.End.Value + delta);
            mm.Vmas.Invalidate();
            mm.TotalVm += (long)(delta >> PageShift);
            if ((vma.RawFlags & VmFlags.Locked) != 0)
            {
                mm.LockedVm += (long)(delta >> PageShift);
                _ = Populate(p, vma, oldAddr + oldLen, vma.End.Value);
            }

            return SysResult<UserAddr>.Ok(new UserAddr(oldAddr));
        }

        if ((flags & MremapFlags.MayMove) == 0)
        {
            return SysResult<UserAddr>.Error(Errno.ENOMEM);
        }

        var found = FindGapTopDown(mm, newLen, MmStruct.MmapBase);
        return found == 0 ? SysResult<UserAddr>.Error(Errno.ENOMEM) : MoveVma(p, oldAddr, oldLen, newLen, found);
    }

    /// <summary>
    /// mm/mremap.c: mremap_to — unmaps the target first (do_munmap(new_addr)), then the tail of a shrinking source
    /// (a split: -&gt;open, then -&gt;close), and only then checks the source (vma_to_resize): a refused growth leaves the
    /// target unmapped. Same order in every era (do_mremap before 2.6.33's mremap_to split, and the 6.17 rework).
    /// </summary>
    private SysResult<UserAddr> MremapTo(Process p, ulong oldAddr, ulong oldLen, ulong newLen, MremapFlags flags, ulong newAddr)
    {
        var mm = p.Mm;
        var r = (flags & MremapFlags.Fixed) != 0 ? DoMunmap(mm, newAddr, newLen) : new SysResult(0);
        if (r.Errno != 0)
        {
            return SysResult<UserAddr>.Error(r.Errno);
        }

        if (oldLen > newLen)
        {
            r = DoMunmap(mm, oldAddr + newLen, oldLen - newLen);
            if (r.Errno != 0)
            {
                return SysResult<UserAddr>.Error(r.Errno);
            }

            oldLen = newLen;
        }

        // The source may have been split by the unmaps above; look it up again.
        var vma = mm.Vmas.Containing(oldAddr);
        if (vma is null)
        {
            return SysResult<UserAddr>.Error(Errno.EFAULT);
        }

        var err = VmaToResize(p, vma, oldAddr, oldLen, newLen, flags);
        if (err != 0)
        {
            return SysResult<UserAddr>.Error(err);
        }

        if ((flags & MremapFlags.Fixed) == 0)
        {
            // MREMAP_DONTUNMAP without MREMAP_FIXED: new_addr is only a hint to get_unmapped_area.
            newAddr = newAddr != 0 && newAddr >= MmStruct.MinAddr && !mm.Vmas.AnyOverlap(newAddr, newAddr + newLen) ? newAddr : FindGapTopDown(mm, newLen, MmStruct.MmapBase);
            if (newAddr == 0)
            {
                return SysResult<UserAddr>.Error(Errno.ENOMEM);
            }
        }

        return MoveVma(p, oldAddr, oldLen, newLen, newAddr, (flags & MremapFlags.DontUnmap) != 0);
    }

    /// <summary>
    /// mm/mremap.c: do_mremap — MREMAP_DONTUNMAP (5.7) is always a move and never a resize: it needs MREMAP_MAYMOVE and
    /// old_len == new_len as passed (before page rounding). A kernel without it refuses the unknown flag (-EINVAL).
    /// </summary>
    private bool DontUnmapRefused(MremapFlags flags, ulong oldLen, ulong newLen)
    {
        if ((flags & MremapFlags.DontUnmap) == 0)
        {
            return false;
        }

        if (Policy.MissingApi("MremapFlags." + nameof(MremapFlags.DontUnmap)) is { } missing)
        {
            return Strict ? throw new EraMismatchException(missing + ".", "DK1001") : true;
        }

        return (flags & MremapFlags.MayMove) == 0 || oldLen != newLen;
    }

    /// <summary>The pr_warn_once of vma_to_resize has been printed.</summary>
    private bool privateDuplicateWarned;

    /// <summary>
    /// mm/mremap.c: vma_to_resize — old_len 0 duplicates only a shared mapping (private: -EINVAL from 4.14); the old
    /// range must lie in one vma (-EFAULT); growth of VM_DONTEXPAND (and from 2.6.15-rc6 VM_PFNMAP) is -EFAULT, also
    /// for a duplicate; growth of a locked vma must fit RLIMIT_MEMLOCK (-EAGAIN).
    /// </summary>
    private int VmaToResize(Process p, VmArea vma, ulong oldAddr, ulong oldLen, ulong newLen, MremapFlags flags = MremapFlags.None)
    {
        if (oldLen == 0 && (vma.RawFlags & (VmFlags.Shared | VmFlags.MayShare)) == 0 && Policy.MremapRefusesPrivateDuplicate)
        {
            if (!privateDuplicateWarned)
            {
                privateDuplicateWarned = true;
                Printk($"{p.Comm} ({p.Pid}): attempted to duplicate a private mapping with mremap.  This is not supported.");
            }

            return Errno.EINVAL;
        }

        // MREMAP_DONTUNMAP: which vmas the era refuses (EraPolicy.MremapDontUnmapAnyVma).
        if ((flags & MremapFlags.DontUnmap) != 0 && (Policy.MremapDontUnmapAnyVma
                ? (vma.RawFlags & (VmFlags.DontExpand | VmFlags.PfnMap)) != 0
                : !vma.IsAnonymous || (vma.RawFlags & VmFlags.Shared) != 0))
        {
            return Errno.EINVAL;
        }

        if (oldAddr + oldLen > vma.End.Value)
        {
            return Errno.EFAULT;
        }

        if (newLen == oldLen)
        {
            return 0;
        }

        if ((vma.RawFlags & Policy.MremapGrowRejectMask) != 0)
        {
            return Errno.EFAULT;
        }

        return (vma.RawFlags & VmFlags.Locked) != 0 && !MlockAllowed(p, p.Mm.LockedVm + (long)((newLen - oldLen) >> PageShift)) ? Errno.EAGAIN : 0;
    }

    /// <summary>
    /// mm/mremap.c: move_vma — copy_vma (+ -&gt;open), move_page_tables, then unmap the old range (-&gt;close). With
    /// MREMAP_DONTUNMAP the old vma stays, empty, and loses VM_LOCKED/VM_LOCKONFAULT (its next touch faults anew).
    /// </summary>
    private SysResult<UserAddr> MoveVma(Process p, ulong oldAddr, ulong oldLen, ulong newLen, ulong newAddr, bool dontUnmap = false)
    {
        var mm = p.Mm;
        var vma = mm.Vmas.Containing(oldAddr)!;
        var copy = CloneVma(vma, mm, new UserAddr(newAddr), new UserAddr(newAddr + newLen), vma.PgoffOf(new UserAddr(oldAddr)));
        copy.Closed = false;
        InsertVma(copy);

        // Accounted as soon as it is linked, so an oops in ->open leaves a task whose teardown balances.
        mm.TotalVm += (long)(newLen >> PageShift);
        if ((copy.RawFlags & VmFlags.Locked) != 0)
        {
            mm.LockedVm += (long)(newLen >> PageShift);
        }

        OpenVma(copy);

        // move_page_tables: PTEs (and their reverse-map records) follow the vma.
        var moveLen = Math.Min(oldLen, newLen);
        var addr = oldAddr;
        while (mm.PageTable.Next(ref addr, oldAddr + moveLen, out var pte))
        {
            var target = newAddr + (addr - oldAddr);
            mm.SetPte(addr, 0);
            mm.SetPte(target, pte);
            var raw = Pte.PfnOf(pte);
            if (!Pte.IsSwap(pte) && raw < (ulong)Mem.Count)
            {
                var rec = Rmap.Find(Mem, (int)raw, mm.Id, addr);
                if (rec >= 0)
                {
                    Rmap.Move(rec, mm.Id, target);
                }
            }

            addr += PageSize;
        }

        mm.Tlb.FlushAll();
        if (dontUnmap)
        {
            // "We always clear VM_LOCKED[ONFAULT] on the old vma"; the copy carries the locked pages and their charge.
            if ((vma.RawFlags & VmFlags.Locked) != 0)
            {
                mm.LockedVm -= (long)vma.Pages;
            }

            vma.RawFlags &= ~(VmFlags.Locked | VmFlags.LockOnFault);
            return SysResult<UserAddr>.Ok(new UserAddr(newAddr));
        }

        if (oldLen > 0)
        {
            DoMunmap(mm, oldAddr, oldLen);
        }

        if ((copy.RawFlags & VmFlags.Locked) != 0 && newLen > oldLen)
        {
            _ = Populate(p, copy, newAddr + oldLen, newAddr + newLen);
        }

        return SysResult<UserAddr>.Ok(new UserAddr(newAddr));
    }
}
