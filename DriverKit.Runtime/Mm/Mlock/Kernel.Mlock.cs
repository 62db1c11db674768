namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>The process's default RLIMIT_MEMLOCK.</summary>
    internal ulong DefaultMemlockLimit => Config.DefaultMemlockLimit ?? Policy.DefaultMemlockLimit;

    /// <summary>mm/mlock.c: can_do_mlock + the RLIMIT_MEMLOCK comparison (CAP_IPC_LOCK bypasses it).</summary>
    internal static bool MlockAllowed(Process p, long lockedPages) => p.CapIpcLock || (ulong)lockedPages <= p.MemlockLimit >> PageShift;

    /// <summary>
    /// mm/mlock.c: do_mlock — the RLIMIT_MEMLOCK check counts the requested length (minus pages already locked, from
    /// 4.9) before mlock_fixup decides per vma. ≤ 2.6.27 sets VM_LOCKED and charges even VM_IO vmas (without
    /// populating them); 2.6.28 and later skip VM_SPECIAL vmas entirely — so mlock of a device range can fail with
    /// ENOMEM although nothing would be locked (S3 step 3).
    /// </summary>
    internal SysResult DoMlock(Process p, ulong start, ulong len, bool onFault)
    {
        var mm = p.Mm;
        len = PageAlign(len + (start & (PageSize - 1)));
        start &= ~(PageSize - 1);
        if (start + len < start)
        {
            return SysResult.Error(Errno.EINVAL);
        }

        if (p.MemlockLimit == 0 && !p.CapIpcLock)
        {
            return SysResult.Error(Errno.EPERM);
        }

        var locked = (long)(len >> PageShift);
        if (Policy.MlockLimitSubtractsLocked)
        {
            locked -= LockedPagesIn(mm, start, start + len);
        }

        if (!MlockAllowed(p, locked + mm.LockedVm))
        {
            return SysResult.Error(Errno.ENOMEM);
        }

        var flags = VmFlags.Locked | (onFault ? VmFlags.LockOnFault : VmFlags.None);
        var result = ApplyLockFlags(p, start, start + len, flags, set: true);
        if (!result.IsOk || onFault || len == 0)
        {
            return result;
        }

        // do_mlock: the vmas stay VM_LOCKED and charged whatever __mm_populate returns.
        var err = MmPopulate(p, start, start + len, ignoreErrors: false);
        if (err == 0)
        {
            return result;
        }

        if (!Policy.MlockPosixErrors)
        {
            return SysResult.Error(err);
        }

        // mm/mlock.c: __mlock_posix_error_return.
        return SysResult.Error(err == Errno.EFAULT ? Errno.ENOMEM : err == Errno.ENOMEM ? Errno.EAGAIN : err);
    }

    /// <summary>
    /// mm/gup.c: __mm_populate — faults in (FOLL_TOUCH) every vma of the range except VM_IO/VM_PFNMAP ones, also
    /// special vmas mlock_fixup left unlocked (a VM_MIXEDMAP mapping is populated but not VM_LOCKED); then the
    /// vmas that did become VM_LOCKED get their pages mlocked. mlock stops at the first error and returns it;
    /// mlockall and mmap ignore errors.
    /// </summary>
    private int MmPopulate(Process p, ulong start, ulong end, bool ignoreErrors)
    {
        foreach (var vma in p.Mm.Vmas.Overlapping(start, end))
        {
            if ((vma.RawFlags & (VmFlags.IO | VmFlags.PfnMap)) != 0 || (vma.RawFlags & VmFlags.LockOnFault) != 0)
            {
                continue;
            }

            var err = Populate(p, vma, Math.Max(start, vma.Start.Value), Math.Min(end, vma.End.Value));
            if ((vma.RawFlags & VmFlags.Locked) != 0)
            {
                SetMlockedBits(vma, true);
            }

            if (err != 0 && !ignoreErrors)
            {
                return err;
            }
        }

        return 0;
    }

    /// <summary>mm/mlock.c: munlock.</summary>
    internal SysResult DoMunlock(Process p, ulong start, ulong len)
    {
        len = PageAlign(len + (start & (PageSize - 1)));
        start &= ~(PageSize - 1);
        return start + len < start ? SysResult.Error(Errno.EINVAL) : ApplyLockFlags(p, start, start + len, VmFlags.Locked | VmFlags.LockOnFault, set: false);
    }

    /// <summary>mm/mlock.c: mlockall — MCL_FUTURE sets mm-&gt;def_flags; MCL_CURRENT locks every vma (limit: total_vm).</summary>
    internal SysResult DoMlockAll(Process p, MlockAllFlags flags)
    {
        var mm = p.Mm;
        if (flags == 0 || (flags & ~(MlockAllFlags.Current | MlockAllFlags.Future | MlockAllFlags.OnFault)) != 0 || flags == MlockAllFlags.OnFault)
        {
            return SysResult.Error(Errno.EINVAL);
        }

        if (p.MemlockLimit == 0 && !p.CapIpcLock)
        {
            return SysResult.Error(Errno.EPERM);
        }

        if ((flags & MlockAllFlags.Current) != 0 && !MlockAllowed(p, mm.TotalVm))
        {
            return SysResult.Error(Errno.ENOMEM);
        }

        var lockFlags = VmFlags.Locked | ((flags & MlockAllFlags.OnFault) != 0 ? VmFlags.LockOnFault : VmFlags.None);
        mm.DefFlags = (flags & MlockAllFlags.Future) != 0 ? lockFlags : VmFlags.None;
        if ((flags & MlockAllFlags.Current) != 0)
        {
            foreach (var vma in mm.Vmas.All.ToArray())
            {
                MlockFixup(p, vma, vma.Start.Value, vma.End.Value, (vma.RawFlags & ~(VmFlags.Locked | VmFlags.LockOnFault)) | lockFlags);
            }

            if ((flags & MlockAllFlags.OnFault) == 0)
            {
                MmPopulate(p, 0, MmStruct.TaskSize, ignoreErrors: true);
            }
        }

        return new SysResult(0);
    }

    /// <summary>mm/mlock.c: munlockall.</summary>
    internal SysResult DoMunlockAll(Process p)
    {
        p.Mm.DefFlags = VmFlags.None;
        foreach (var vma in p.Mm.Vmas.All.ToArray())
        {
            MlockFixup(p, vma, vma.Start.Value, vma.End.Value, vma.RawFlags & ~(VmFlags.Locked | VmFlags.LockOnFault));
        }

        return new SysResult(0);
    }

    private static long LockedPagesIn(MmStruct mm, ulong start, ulong end)
    {
        long pages = 0;
        foreach (var vma in mm.Vmas.Overlapping(start, end))
        {
            if ((vma.RawFlags & VmFlags.Locked) != 0)
            {
                pages += (long)((Math.Min(end, vma.End.Value) - Math.Max(start, vma.Start.Value)) >> PageShift);
            }
        }

        return pages;
    }

    /// <summary>mm/mlock.c: apply_vma_lock_flags — the range must be mapped without holes (ENOMEM).</summary>
    private SysResult ApplyLockFlags(Process p, ulong start, ulong end, VmFlags flags, bool set)
    {
        // mm/mlock.c: apply_vma_lock_flags — an empty range (a length of 0, or one that page-rounds to 0) changes nothing.
        if (end == start)
        {
            return new SysResult(0);
        }

        var vmas = p.Mm.Vmas.Overlapping(start, end);
        var cursor = start;
        foreach (var vma in vmas)
        {
            if (vma.Start.Value > cursor)
            {
                return SysResult.Error(Errno.ENOMEM);
            }

            cursor = vma.End.Value;
        }

        if (start != end && (vmas.Count == 0 || cursor < end))
        {
            return SysResult.Error(Errno.ENOMEM);
        }

        foreach (var vma in vmas)
        {
            var newFlags = set ? (vma.RawFlags & ~(VmFlags.Locked | VmFlags.LockOnFault)) | flags : vma.RawFlags & ~flags;
            var err = MlockFixup(p, vma, Math.Max(start, vma.Start.Value), Math.Min(end, vma.End.Value), newFlags);
            if (err != 0)
            {
                return SysResult.Error(err);
            }
        }

        return new SysResult(0);
    }

    /// <summary>mm/mlock.c: mlock_fixup — per vma: skip special vmas (2.6.28+), split, set flags, charge locked_vm (the caller populates).</summary>
    private int MlockFixup(Process p, VmArea vma, ulong start, ulong end, VmFlags newFlags)
    {
        // mlock_fixup → mlock_vma_pages_range: lru_add_drain, so fresh pages are on the LRU to be mlocked.
        Lru.Drain();
        if (newFlags == vma.RawFlags)
        {
            return 0;
        }

        var locking = (newFlags & VmFlags.Locked) != 0;
        if (locking && Policy.MlockSkipsSpecialVmas && (vma.RawFlags & (Policy.SpecialMask | VmFlags.HugeTlb)) != 0)
        {
            // "Don't set VM_LOCKED or VM_LOCKONFAULT and don't count."
            return 0;
        }

        var err = SplitToRange(vma, start, end, out vma);
        if (err != 0)
        {
            return err;
        }

        var pages = (long)vma.Pages;
        var wasLocked = (vma.RawFlags & VmFlags.Locked) != 0;
        vma.RawFlags = newFlags;
        if (locking && !wasLocked)
        {
            p.Mm.LockedVm += pages;
        }
        else if (!locking && wasLocked)
        {
            p.Mm.LockedVm -= pages;
        }

        SetMlockedBits(vma, locking);
        TryMerge(vma);
        return 0;
    }

    /// <summary>mlock_vma_page / munlock_vma_page on every normal page the vma maps (2.6.28+).</summary>
    private void SetMlockedBits(VmArea vma, bool locked)
    {
        if (!Policy.HasUnevictableLru)
        {
            return;
        }

        var addr = vma.Start.Value;
        while (vma.Mm.PageTable.Next(ref addr, vma.End.Value, out var pte))
        {
            if (Pte.IsPresent(pte))
            {
                var page = VmNormalPage(vma, addr, pte, report: false);
                if (page >= 0)
                {
                    if (locked)
                    {
                        Mem.Set(page, PageFlags.Mlocked);
                        Lru.Cull(page);
                    }
                    else
                    {
                        Lru.Munlock(page);
                    }
                }
            }

            addr += PageSize;
        }
    }
}
