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
        if ((oldAddr & (PageSize - 1)) != 0 || (flags & ~(MremapFlags.MayMove | MremapFlags.Fixed)) != 0 ||
            ((flags & MremapFlags.Fixed) != 0 && (flags & MremapFlags.MayMove) == 0))
        {
            return SysResult<UserAddr>.Error(Errno.EINVAL);
        }

        oldLen = PageAlign(oldLen);
        newLen = PageAlign(newLen);
        if (newLen == 0 || (oldLen == 0 && (flags & MremapFlags.MayMove) == 0))
        {
            return SysResult<UserAddr>.Error(Errno.EINVAL);
        }

        if ((flags & MremapFlags.Fixed) != 0 && ((newAddr & (PageSize - 1)) != 0 || newLen > MmStruct.TaskSize || newAddr > MmStruct.TaskSize - newLen ||
            (newAddr < oldAddr + oldLen && oldAddr < newAddr + newLen)))
        {
            return SysResult<UserAddr>.Error(Errno.EINVAL);
        }

        var vma = mm.Vmas.FindVma(oldAddr);
        if (vma is null || vma.Start.Value > oldAddr)
        {
            return SysResult<UserAddr>.Error(Errno.EFAULT);
        }

        if (oldLen == 0)
        {
            // Duplicate a shared mapping (old_len 0): refused for private and special vmas.
            if ((vma.RawFlags & VmFlags.MayShare) == 0 || (vma.RawFlags & (VmFlags.DontExpand | VmFlags.PfnMap)) != 0)
            {
                return SysResult<UserAddr>.Error(Errno.EINVAL);
            }

            return MoveOrCopy(p, vma, oldAddr, 0, newLen, flags, newAddr);
        }

        if (oldAddr + oldLen > vma.End.Value)
        {
            return SysResult<UserAddr>.Error(Errno.EFAULT);
        }

        if ((flags & MremapFlags.Fixed) != 0)
        {
            if (newLen > oldLen && (vma.RawFlags & Policy.MremapGrowRejectMask) != 0)
            {
                return SysResult<UserAddr>.Error(Errno.EFAULT);
            }

            return MoveOrCopy(p, vma, oldAddr, oldLen, newLen, flags, newAddr);
        }

        if (newLen <= oldLen)
        {
            if (newLen < oldLen)
            {
                var r = DoMunmap(mm, oldAddr + newLen, oldLen - newLen);
                if (r.Errno != 0)
                {
                    return SysResult<UserAddr>.Error(r.Errno);
                }
            }

            return SysResult<UserAddr>.Ok(new UserAddr(oldAddr));
        }

        if ((vma.RawFlags & Policy.MremapGrowRejectMask) != 0)
        {
            return SysResult<UserAddr>.Error(Errno.EFAULT);
        }

        var delta = newLen - oldLen;
        if ((vma.RawFlags & VmFlags.Locked) != 0 && !MlockAllowed(p, mm.LockedVm + (long)(delta >> PageShift)))
        {
            return SysResult<UserAddr>.Error(Errno.EAGAIN);
        }

        if (oldAddr + oldLen == vma.End.Value && vma.End.Value + delta <= MmStruct.TaskSize && !mm.Vmas.AnyOverlap(vma.End.Value, vma.End.Value + delta))
        {
            // vma_expandable: grow in place.
            vma.End = new UserAddr(vma.End.Value + delta);
            mm.Vmas.Invalidate();
            mm.TotalVm += (long)(delta >> PageShift);
            if ((vma.RawFlags & VmFlags.Locked) != 0)
            {
                mm.LockedVm += (long)(delta >> PageShift);
                Populate(p, vma, oldAddr + oldLen, vma.End.Value);
            }

            return SysResult<UserAddr>.Ok(new UserAddr(oldAddr));
        }

        if ((flags & MremapFlags.MayMove) == 0)
        {
            return SysResult<UserAddr>.Error(Errno.ENOMEM);
        }

        return MoveOrCopy(p, vma, oldAddr, oldLen, newLen, flags, newAddr);
    }

    /// <summary>mm/mremap.c: move_vma — copy_vma (+ -&gt;open), move_page_tables, then unmap the old range (-&gt;close).</summary>
    private SysResult<UserAddr> MoveOrCopy(Process p, VmArea vma, ulong oldAddr, ulong oldLen, ulong newLen, MremapFlags flags, ulong newAddr)
    {
        var mm = p.Mm;
        if ((flags & MremapFlags.Fixed) != 0)
        {
            var r = DoMunmap(mm, newAddr, newLen);
            if (r.Errno != 0)
            {
                return SysResult<UserAddr>.Error(r.Errno);
            }
        }
        else
        {
            var found = FindGapTopDown(mm, newLen, MmStruct.MmapBase);
            if (found == 0)
            {
                return SysResult<UserAddr>.Error(Errno.ENOMEM);
            }

            newAddr = found;
        }

        // The old range may have been split by the unmap above; look it up again.
        vma = mm.Vmas.Containing(oldAddr)!;
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
        if (oldLen > 0)
        {
            DoMunmap(mm, oldAddr, oldLen);
        }

        if ((copy.RawFlags & VmFlags.Locked) != 0 && newLen > oldLen)
        {
            Populate(p, copy, newAddr + oldLen, newAddr + newLen);
        }

        return SysResult<UserAddr>.Ok(new UserAddr(newAddr));
    }
}
