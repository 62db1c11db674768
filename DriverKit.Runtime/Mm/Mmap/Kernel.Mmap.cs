namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// include/linux/mm.h: PAGE_ALIGN — <paramref name="len"/> rounded up to a multiple of PAGE_SIZE. Like the kernel's
    /// ALIGN it wraps to 0 when the rounding overflows (which mmap and friends read as "the length wrapped").
    /// </summary>
    /// <param name="len">Bytes.</param>
    public static ulong PageAlign(ulong len) => len > ulong.MaxValue - (PageSize - 1) ? 0 : (len + PageSize - 1) & ~(PageSize - 1);

    /// <summary>
    /// mm/mmap.c: do_mmap + mmap_region. Validates the request, places the vma, calls the driver's -&gt;mmap with
    /// the mmap lock held for write, then applies the era's post-mmap rules (driver-set VM_LOCKED, the 2.6.15-rc1
    /// VM_RESERVED private-writable refusal). Every failure leaves the address space as it was.
    /// </summary>
    internal SysResult<UserAddr> DoMmap(Process p, ulong addr, ulong len, Prot prot, MapFlags flags, int fd, ulong offset)
    {
        var mm = p.Mm;
        if ((offset & (PageSize - 1)) != 0 || len == 0)
        {
            return SysResult<UserAddr>.Error(Errno.EINVAL);
        }

        if ((prot & ~(Prot.Read | Prot.Write | Prot.Exec)) != 0)
        {
            return SysResult<UserAddr>.Error(Errno.EINVAL);
        }

        len = PageAlign(len);
        if (len == 0 || len > MmStruct.TaskSize)
        {
            return SysResult<UserAddr>.Error(Errno.ENOMEM);
        }

        var pgoff = offset >> PageShift;
        if (pgoff + (len >> PageShift) < pgoff)
        {
            return SysResult<UserAddr>.Error(Errno.EOVERFLOW);
        }

        OpenFile? file = null;
        if ((flags & MapFlags.Anonymous) == 0 && !p.Files.TryGetValue(fd, out file))
        {
            return SysResult<UserAddr>.Error(Errno.EBADF);
        }

        // do_mmap: the MAP_TYPE switch — MAP_SHARED or MAP_PRIVATE; MAP_SHARED_VALIDATE (4.15) only for files, where
        // flags outside LEGACY_MAP_MASK are -EOPNOTSUPP; anything else is -EINVAL.
        var type = (MapFlags)((uint)flags & MapTypeMask);
        if (type == MapFlags.SharedValidate && file is not null && Policy.HasMapSharedValidate)
        {
            if (((uint)flags & ~LegacyMapMask) != 0)
            {
                return SysResult<UserAddr>.Error(Errno.EOPNOTSUPP);
            }

            type = MapFlags.Shared;
        }
        else if (type is not (MapFlags.Shared or MapFlags.Private))
        {
            return SysResult<UserAddr>.Error(Errno.EINVAL);
        }

        // do_mmap: a file without ->mmap (a pipe) is -ENODEV.
        if (file?.Inode.Pipe is not null)
        {
            return SysResult<UserAddr>.Error(Errno.ENODEV);
        }

        // mm/mmap.c: file_mmap_ok — the last page must stay below the file's maximum size (ULONG_MAX for devices).
        var maxSize = file?.Inode.Device is null ? (ulong)long.MaxValue : ulong.MaxValue;
        if (file is not null && (len > maxSize || pgoff > (maxSize - len) >> PageShift))
        {
            return SysResult<UserAddr>.Error(Errno.EOVERFLOW);
        }

        // mm/mmap.c: calc_vm_prot_bits | calc_vm_flag_bits | def_flags | VM_MAY*.
        var vmFlags = ProtToVmFlags(prot) | mm.DefFlags | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec;
        if ((flags & MapFlags.Locked) != 0)
        {
            vmFlags |= VmFlags.Locked;
        }

        if ((flags & MapFlags.GrowsDown) != 0)
        {
            vmFlags |= VmFlags.GrowsDown;
        }

        if ((vmFlags & VmFlags.Locked) != 0 && !MlockAllowed(p, mm.LockedVm + (long)(len >> PageShift)))
        {
            return SysResult<UserAddr>.Error(Errno.EAGAIN);
        }

        if (file is not null)
        {
            if ((file.Mode & FMode.Read) == 0)
            {
                return SysResult<UserAddr>.Error(Errno.EACCES);
            }

            if (type != MapFlags.Private)
            {
                if ((prot & Prot.Write) != 0 && (file.Mode & FMode.Write) == 0)
                {
                    return SysResult<UserAddr>.Error(Errno.EACCES);
                }

                vmFlags |= VmFlags.Shared | VmFlags.MayShare;
                if ((file.Mode & FMode.Write) == 0)
                {
                    vmFlags &= ~(VmFlags.MayWrite | VmFlags.Shared);
                }
            }

            if (file.Inode.Device is { } dev && (!dev.Registered || dev.Fops.Mmap is null))
            {
                return SysResult<UserAddr>.Error(Errno.ENODEV);
            }
        }
        else if (type != MapFlags.Private)
        {
            vmFlags |= VmFlags.Shared | VmFlags.MayShare;
        }

        if ((flags & MapFlags.NoReserve) != 0 && Policy.FlagExists(VmFlags.NoReserve))
        {
            // do_mmap: "We honor MAP_NORESERVE if allowed to overcommit" (VM_NORESERVE from 2.6.27).
            vmFlags |= VmFlags.NoReserve;
        }

        if (AccountableMapping(vmFlags, flags))
        {
            // mm/util.c: __vm_enough_memory, OVERCOMMIT_GUESS — a private writable mapping larger than all of RAM and
            // swap together can never be backed: -ENOMEM at mmap time.
            if (len >> PageShift > (ulong)TotalRamPages + (ulong)Config.SwapPages)
            {
                return SysResult<UserAddr>.Error(Errno.ENOMEM);
            }

            vmFlags |= VmFlags.Account;
        }

        var placed = GetUnmappedArea(mm, addr, len, flags);
        if (placed.Errno != 0)
        {
            return SysResult<UserAddr>.Error(placed.Errno);
        }

        var start = placed.Value;
        if ((flags & MapFlags.Fixed) != 0)
        {
            var unmapped = DoMunmap(mm, start, len);
            if (unmapped.Errno != 0)
            {
                return SysResult<UserAddr>.Error(unmapped.Errno);
            }
        }

        if (file is null && type != MapFlags.Private)
        {
            // mm/shmem.c: shmem_zero_setup — a shared anonymous mapping is backed by an unlinked shmem file.
            file = CreateShmemFile("dev/zero", len);
        }
        else if (file is not null)
        {
            file.Count++;
        }

        var vma = new VmArea(mm, new UserAddr(start), new UserAddr(start + len), vmFlags, pgoff, file);
        InsertVma(vma);
        var flagsBeforeDriver = vma.RawFlags;
        if (file?.Inode.Device is { } device)
        {
            int ret;
            failedMappingCall = null;
            try
            {
                ret = CallDriver(device.Owner, ContextKind.Mmap, MmapLockMode.Write, () => device.Fops.Mmap!(file, vma), vma);
            }
            catch
            {
                failedMappingCall = null;
                UnmapRegionOnError(vma);
                throw;
            }

            CheckMmapResult(vma, ret);
            if ((ret == -Errno.EPERM || ret == -Errno.EACCES) && (vma.RawFlags & VmFlags.Write) != 0)
            {
                device.RefusedWritableMapping = true;
            }

            if (ret != 0)
            {
                // mm/mmap.c: mmap_region error path — unmap_region + fput, no ->close.
                UnmapRegionOnError(vma);
                return SysResult<UserAddr>.Error(ret < 0 ? -ret : Errno.EINVAL);
            }

            vma.Opened = true;
            vma.ExposedPgoffEnd = pgoff + vma.Pages;
        }

        if (Policy.ReservedPrivateWritableRefused && (vma.RawFlags & (VmFlags.Shared | VmFlags.Write | VmFlags.Reserved)) == (VmFlags.Write | VmFlags.Reserved))
        {
            // 2.6.15-rc1 do_mmap_pgoff: printk, then ->close, then -EACCES.
            Printk($"program {p.Comm} is using MAP_PRIVATE, PROT_WRITE mmap of VM_RESERVED memory, which is deprecated. Please report this to linux-kernel@vger.kernel.org");
            CloseVma(vma);
            UnmapRegionOnError(vma);
            return SysResult<UserAddr>.Error(Errno.EACCES);
        }

        // mm/mmap.c: mmap_region → vma_set_page_prot: write-notify vmas get read-only PTEs (vma_wants_writenotify).
        ApplyWriteNotify(vma);
        mm.TotalVm += (long)vma.Pages;
        var populateLocked = AfterMmapLocked(vma, flagsBeforeDriver);
        if (populateLocked || ((flags & MapFlags.Populate) != 0 && (vma.RawFlags & VmFlags.Locked) == 0))
        {
            _ = Populate(p, vma, vma.Start.Value, vma.End.Value);
        }

        if (vma.IsAnonymous)
        {
            vma = TryMerge(vma);
        }

        return SysResult<UserAddr>.Ok(new UserAddr(start));
    }

    /// <summary>mm/mmap.c: vma_set_page_prot — vm_page_prot without the write bit when vma_wants_writenotify; the memory type is kept (pgprot_modify).</summary>
    private void ApplyWriteNotify(VmArea vma)
    {
        if (Policy.WantsWriteNotify(vma.RawFlags, vma.RawOps?.PageMkwrite is not null))
        {
            vma.PageProt = vma.PageProt with { Writable = false };
        }
    }

    private const uint MapTypeMask = 0x0f;

    /// <summary>include/linux/mman.h: LEGACY_MAP_MASK, the flags MAP_SHARED_VALIDATE accepts without a file's say-so.</summary>
    private const uint LegacyMapMask = 0x01 | 0x02 | 0x10 | 0x20 | 0x0800 | 0x1000 | 0x4000000 | 0x100 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x40000;

    /// <summary>
    /// mm/mmap.c: accountable_mapping — a private writable mapping without VM_NORESERVE is charged to the commit
    /// limit and marked VM_ACCOUNT (≤ 2.6.26, before VM_NORESERVE existed: unless MAP_NORESERVE was given).
    /// </summary>
    private static bool AccountableMapping(VmFlags vmFlags, MapFlags flags)
        => (vmFlags & (VmFlags.NoReserve | VmFlags.Shared | VmFlags.Write)) == VmFlags.Write && (flags & MapFlags.NoReserve) == 0;

    /// <summary>
    /// What the core does with VM_LOCKED left on the vma after -&gt;mmap (S3): ≤ 2.6.27 do_mmap_pgoff re-reads
    /// vm_flags and charges locked_vm (then make_pages_present, whose GUP fails on VM_IO); 2.6.28 and later clear
    /// VM_LOCKED_MASK from special vmas and charge only the others. Returns whether the lock makes the mapping populated.
    /// </summary>
    private bool AfterMmapLocked(VmArea vma, VmFlags callerFlags)
    {
        var addedByDriver = vma.RawFlags & ~callerFlags;
        if ((vma.RawFlags & (VmFlags.Locked | VmFlags.LockOnFault)) == 0)
        {
            return false;
        }

        if (Strict && (addedByDriver & (VmFlags.Locked | VmFlags.LockOnFault)) != 0)
        {
            Record(new Report(ReportKind.Simulator, "INV-13",
                $"DKSIM INV-13: the driver's ->mmap set {Proc.VmFlagsText(Policy, vma.RawFlags & (VmFlags.Locked | VmFlags.LockOnFault))} on {vma.Brief}: VM_LOCKED is the user's mlock state ({(Policy.DriverLockedHandling == DriverLockedHandling.ChargeLockedVm ? "charged to locked_vm here" : "stripped from special vmas here")})", Era)
            {
                Vma = vma.ToString(),
                Process = CurrentProcessText,
                RuleId = "DK0001",
            });
        }

        if (Policy.DriverLockedHandling == DriverLockedHandling.StripFromSpecial && (vma.RawFlags & (Policy.SpecialMask | VmFlags.HugeTlb)) != 0)
        {
            // mm/mmap.c: do_mmap sets *populate from the caller's VM_LOCKED before ->mmap (3.9+; before,
            // mlock_vma_pages_range's make_pages_present looked at the flags ->mmap left), and __mm_populate skips
            // only VM_IO|VM_PFNMAP: a VM_MIXEDMAP vma is populated although VM_LOCKED is stripped.
            var decidedBy = Policy.MmapPopulatesFromCallerFlags ? callerFlags : vma.RawFlags;
            vma.RawFlags &= ~(VmFlags.Locked | VmFlags.LockOnFault);
            return (decidedBy & VmFlags.Locked) != 0;
        }

        vma.Mm.LockedVm += (long)vma.Pages;
        return (vma.RawFlags & VmFlags.LockOnFault) == 0;
    }

    /// <summary>
    /// mm/gup.c: populate_vma_page_range / make_pages_present — faults the range in and returns get_user_pages'
    /// errno (0, EFAULT, or ENOMEM when the fault ran out of memory), which only mlock reports (VM_IO fails GUP).
    /// </summary>
    internal int Populate(Process p, VmArea vma, ulong start, ulong end)
    {
        if ((vma.RawFlags & Policy.GupRejectMask) != 0)
        {
            return 0;
        }

        // mm/gup.c: populate_vma_page_range — FOLL_WRITE only for a private writable vma, so its COW happens now; a
        // shared vma is populated by read faults and its pages stay clean.
        var write = (vma.RawFlags & (VmFlags.Write | VmFlags.Shared)) == VmFlags.Write;
        for (var a = start; a < end; a += PageSize)
        {
            var pte = vma.Mm.GetPte(a);
            if (!(Pte.IsPresent(pte) && (!write || Pte.IsWritable(pte))) && HandleMmFault(vma.Mm, a, write) is { IsOk: false } failed)
            {
                // vm_fault_to_errno: VM_FAULT_OOM is -ENOMEM, SIGBUS/SIGSEGV are -EFAULT.
                return failed.Signal == Signal.SIGKILL ? Errno.ENOMEM : Errno.EFAULT;
            }

            // populate_vma_page_range: FOLL_TOUCH marks each page accessed.
            if (VmNormalPage(vma, a, vma.Mm.GetPte(a), report: false) is var page and >= 0)
            {
                Lru.MarkAccessed(page);
            }
        }

        // Before 5.18 follow_page_mask's FOLL_MLOCK drained lru_add to mlock each page; 5.18 dropped FOLL_MLOCK and
        // ends populate_vma_page_range with lru_add_drain, which also empties the mlock batch (mlock_folio's
        // references go, new pages reach the unevictable list). Only a later fault leaves the batch holding them.
        Lru.Drain();
        return 0;
    }

    internal static VmFlags ProtToVmFlags(Prot prot) =>
        ((prot & Prot.Read) != 0 ? VmFlags.Read : 0) |
        ((prot & Prot.Write) != 0 ? VmFlags.Write : 0) |
        ((prot & Prot.Exec) != 0 ? VmFlags.Exec : 0);

    /// <summary>mm/mmap.c: get_unmapped_area (top-down) with MAP_FIXED / MAP_FIXED_NOREPLACE handling.</summary>
    private static SysResult<ulong> GetUnmappedArea(MmStruct mm, ulong hint, ulong len, MapFlags flags)
    {
        if ((flags & (MapFlags.Fixed | MapFlags.FixedNoReplace)) != 0)
        {
            if ((hint & (PageSize - 1)) != 0)
            {
                return SysResult<ulong>.Error(Errno.EINVAL);
            }

            if (hint > MmStruct.TaskSize - len || hint < MmStruct.MinAddr)
            {
                return SysResult<ulong>.Error(hint < MmStruct.MinAddr ? Errno.EPERM : Errno.ENOMEM);
            }

            if ((flags & MapFlags.FixedNoReplace) != 0 && (flags & MapFlags.Fixed) == 0 && mm.Vmas.AnyOverlap(hint, hint + len))
            {
                return SysResult<ulong>.Error(Errno.EEXIST);
            }

            return SysResult<ulong>.Ok(hint);
        }

        hint &= ~(PageSize - 1);
        if (hint >= MmStruct.MinAddr && hint <= MmStruct.TaskSize - len && !mm.Vmas.AnyOverlap(hint, hint + len))
        {
            return SysResult<ulong>.Ok(hint);
        }

        var found = FindGapTopDown(mm, len, MmStruct.MmapBase);
        return found == 0 ? SysResult<ulong>.Error(Errno.ENOMEM) : SysResult<ulong>.Ok(found);
    }

    /// <summary>mm/mmap.c: unmapped_area_topdown — the highest gap of <paramref name="len"/> bytes below <paramref name="high"/>.</summary>
    private static ulong FindGapTopDown(MmStruct mm, ulong len, ulong high)
    {
        var vmas = mm.Vmas.All;
        for (var i = vmas.Count - 1; i >= 0; i--)
        {
            var v = vmas[i];
            if (v.Start.Value >= high)
            {
                continue;
            }

            if (v.End.Value <= high && high - v.End.Value >= len)
            {
                return high - len;
            }

            high = Math.Min(high, v.Start.Value);
        }

        return high >= MmStruct.MinAddr + len ? high - len : 0;
    }

    internal void InsertVma(VmArea vma)
    {
        vma.Mm.Vmas.Insert(vma);
        vma.File?.Mapping.Vmas.Add(vma);
    }

    /// <summary>Undoes a vma whose -&gt;mmap failed: zap whatever it installed, unlink, drop the file reference; no -&gt;close.</summary>
    private void UnmapRegionOnError(VmArea vma)
    {
        ZapRange(vma, vma.Start.Value, vma.End.Value);
        vma.Mm.Vmas.Remove(vma);
        vma.File?.Mapping.Vmas.Remove(vma);
        if (vma.File is { } f)
        {
            Fput(f);
        }
    }

    /// <summary>
    /// mm/mmap.c: do_munmap / do_vmi_munmap — split the vmas at the range ends, zap their PTEs, close and free
    /// them. Unmapping nothing succeeds.
    /// </summary>
    internal SysResult DoMunmap(MmStruct mm, ulong start, ulong len)
    {
        if ((start & (PageSize - 1)) != 0 || start > MmStruct.TaskSize || len > MmStruct.TaskSize - start)
        {
            return SysResult.Error(Errno.EINVAL);
        }

        len = PageAlign(len);
        if (len == 0)
        {
            return SysResult.Error(Errno.EINVAL);
        }

        var end = start + len;
        var victims = mm.Vmas.Overlapping(start, end);
        if (victims.Count == 0)
        {
            return new SysResult(0);
        }

        // Splits first, so a refused split (->may_split) leaves everything unchanged.
        var err = SplitEdges(mm, start, end);
        if (err != 0)
        {
            return SysResult.Error(err);
        }

        foreach (var vma in mm.Vmas.Overlapping(start, end))
        {
            RemoveVma(vma);
        }

        return new SysResult(0);
    }

    /// <summary>unmap_region + remove_vma for one whole vma: zap, unaccount, unlink, -&gt;close, fput.</summary>
    internal void RemoveVma(VmArea vma)
    {
        var mm = vma.Mm;
        ZapRange(vma, vma.Start.Value, vma.End.Value);
        if ((vma.RawFlags & VmFlags.Locked) != 0)
        {
            mm.LockedVm -= (long)vma.Pages;
        }

        mm.TotalVm -= (long)vma.Pages;
        mm.Vmas.Remove(vma);
        vma.File?.Mapping.Vmas.Remove(vma);
        try
        {
            CloseVma(vma);
        }
        finally
        {
            // An oops in ->close kills the task, but the vma is already gone: its file reference goes with it.
            if (vma.File is { } f)
            {
                Fput(f);
            }
        }
    }

    /// <summary>vm_ops-&gt;close, with the INV-18 check that this vma instance was opened.</summary>
    private void CloseVma(VmArea vma)
    {
        if (vma.Closed)
        {
            return;
        }

        vma.Closed = true;
        if (vma.RawOps?.Close is not { } close)
        {
            return;
        }

        if (!vma.Opened && Strict)
        {
            Record(new Report(ReportKind.Simulator, "INV-18",
                $"DKSIM INV-18: ->close on {vma.Brief} without a matching ->open (the vma came from fork, a split or mremap, and the driver has no .open)", Era)
            {
                Vma = vma.ToString(),
                Process = CurrentProcessText,
                RuleId = "DK0018",
            });
        }

        CallDriver(vma.Driver, ContextKind.VmClose, null, () => close(vma), vma);
    }

    /// <summary>vm_ops-&gt;open on a new vma instance (fork copy, split piece, mremap copy).</summary>
    private void OpenVma(VmArea vma)
    {
        if (vma.RawOps?.Open is { } open)
        {
            // kernel/fork.c: dup_mmap holds the new mm's mmap lock for write (mmap_write_lock_nested) while it copies.
            var child = !ReferenceEquals(vma.Mm, CurrentProcess?.Mm) && foreignWriteHolds.Add(vma.Mm);
            try
            {
                CallDriver(vma.Driver, ContextKind.VmOpen, null, () => open(vma), vma);
            }
            finally
            {
                if (child)
                {
                    foreignWriteHolds.Remove(vma.Mm);
                }
            }

            vma.Opened = true;
        }
        else
        {
            vma.Opened = false;
        }
    }

    /// <summary>
    /// Splits <paramref name="vma"/> so that one vma covers exactly its part of [start, end) (the split_vma calls at
    /// the head of do_vmi_munmap, mprotect_fixup, madvise_update_vma and mlock_fixup). Returns 0 or a positive errno;
    /// <paramref name="inner"/> is the vma covering the range afterwards.
    /// </summary>
    internal int SplitToRange(VmArea vma, ulong start, ulong end, out VmArea inner)
    {
        inner = vma;
        if (vma.Start.Value < start)
        {
            var err = SplitVma(vma, start);
            if (err != 0)
            {
                return err;
            }

            inner = vma.Mm.Vmas.Containing(start)!;
        }

        return inner.End.Value > end ? SplitVma(inner, end) : 0;
    }

    /// <summary>Splits the vmas at both edges of [start, end) (munmap, mprotect); a refused split leaves everything unchanged.</summary>
    internal int SplitEdges(MmStruct mm, ulong start, ulong end)
    {
        var err = SplitToRange(mm.Vmas.Overlapping(start, end)[0], start, end, out _);
        return err != 0 ? err : SplitToRange(mm.Vmas.Overlapping(start, end)[^1], start, end, out _);
    }

    /// <summary>
    /// mm/mmap.c: __split_vma — asks -&gt;may_split, then makes [addr, end) a new vma that gets -&gt;open. Returns 0 or
    /// a positive errno. PTEs stay where they are: the page table belongs to the mm, not to vmas.
    /// </summary>
    internal int SplitVma(VmArea vma, ulong addr)
    {
        if (vma.RawOps?.MaySplit is { } maySplit)
        {
            var err = CallDriver(vma.Driver, ContextKind.VmOpen, null, () => maySplit(vma, new UserAddr(addr)), vma);

            if (err != 0)
            {
                return err < 0 ? -err : Errno.EINVAL;
            }
        }

        var upper = CloneVma(vma, vma.Mm, new UserAddr(addr), vma.End, vma.PgoffOf(new UserAddr(addr)));
        vma.End = new UserAddr(addr);
        vma.Mm.Vmas.Invalidate();
        InsertVma(upper);
        OpenVma(upper);
        return 0;
    }

    /// <summary>A copy of <paramref name="vma"/> with new bounds (vm_area_dup): same flags, ops, private data, file (with a reference).</summary>
    internal VmArea CloneVma(VmArea vma, MmStruct mm, UserAddr start, UserAddr end, ulong pgoff)
    {
        var copy = new VmArea(mm, start, end, vma.RawFlags, pgoff, vma.File)
        {
            PageProt = vma.PageProt,
            PrivateData = vma.PrivateData,
            HasAnonVma = vma.HasAnonVma,
            PatTracked = vma.PatTracked,
            ExposedPgoffEnd = vma.ExposedPgoffEnd,
        };
        copy.RawOps = vma.RawOps;
        if (vma.File is { } f)
        {
            f.Count++;
        }

        return copy;
    }

    /// <summary>
    /// mm/mmap.c: vma_merge for the simple cases DriverKit needs: an anonymous or same-file vma joins a neighbour
    /// with identical flags and contiguous offsets. VM_SPECIAL vmas and vmas whose ops have -&gt;close never merge.
    /// </summary>
    internal VmArea TryMerge(VmArea vma)
    {
        var prev = vma.Mm.Vmas.Previous(vma);
        if (prev is not null && CanMerge(prev, vma))
        {
            Absorb(prev, vma);
            vma = prev;
        }

        var next = vma.Mm.Vmas.NextOf(vma);
        if (next is not null && CanMerge(vma, next))
        {
            Absorb(vma, next);
        }

        return vma;
    }

    /// <summary>vma_merge's removal of the right-hand vma: <paramref name="keep"/> grows over <paramref name="gone"/>, which drops its file reference.</summary>
    private static void Absorb(VmArea keep, VmArea gone)
    {
        keep.Mm.Vmas.Remove(gone);
        gone.File?.Mapping.Vmas.Remove(gone);
        keep.End = gone.End;
        keep.HasAnonVma |= gone.HasAnonVma;
        keep.Mm.Vmas.Invalidate();
        if (gone.File is { } f)
        {
            f.Count--;
        }
    }

    private bool CanMerge(VmArea a, VmArea b) =>
        a.End == b.Start &&
        a.RawFlags == b.RawFlags &&
        ReferenceEquals(a.File, b.File) &&
        ReferenceEquals(a.RawOps, b.RawOps) &&
        a.RawOps?.Close is null &&
        ReferenceEquals(a.PrivateData, b.PrivateData) &&
        a.PageProt == b.PageProt &&
        (a.RawFlags & Policy.SpecialMask) == 0 &&
        (a.File is null || a.PgoffOf(a.End) == b.RawPgoff);
}
