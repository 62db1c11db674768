namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/mmap.c: SYSCALL_DEFINE1(brk) — moves the program break. Below start_brk nothing changes; shrinking unmaps
    /// the freed pages; growing is refused when it would come within a page of the next vma's start gap or when
    /// check_brk_limits / do_brk_flags refuse it (mlock_future_check under mlockall(MCL_FUTURE)), and otherwise extends
    /// the brk vma (or adds one: VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | def_flags), populating it when def_flags has
    /// VM_LOCKED. Returns the new break, or the old one on failure.
    /// </summary>
    internal SysResult<UserAddr> DoBrk(Process p, ulong brk)
    {
        var mm = p.Mm;
        var origBrk = mm.Brk.Value;
        if (brk < mm.StartBrk.Value || brk > MmStruct.TaskSize)
        {
            return SysResult<UserAddr>.Ok(mm.Brk);
        }

        var newBrk = PageAlign(brk);
        var oldBrk = PageAlign(origBrk);
        if (newBrk == oldBrk)
        {
            mm.Brk = new UserAddr(brk);
            return SysResult<UserAddr>.Ok(mm.Brk);
        }

        if (brk <= origBrk)
        {
            // "Always allow shrinking brk": do_vma_munmap of [newbrk, oldbrk).
            mm.Brk = new UserAddr(brk);
            DoMunmap(mm, newBrk, oldBrk - newBrk);
            return SysResult<UserAddr>.Ok(mm.Brk);
        }

        // check_brk_limits: get_unmapped_area(MAP_FIXED) → security_mmap_addr refuses a heap below mmap_min_addr (a
        // process spawned without a program image has start_brk 0).
        if (oldBrk < MmStruct.MinAddr)
        {
            return SysResult<UserAddr>.Ok(mm.Brk);
        }

        var next = mm.Vmas.FindVma(oldBrk);
        if (next is not null && newBrk + PageSize > VmStartGap(next))
        {
            return SysResult<UserAddr>.Ok(mm.Brk);
        }

        var pages = (long)((newBrk - oldBrk) >> PageShift);
        if ((mm.DefFlags & VmFlags.Locked) != 0 && !MlockAllowed(p, mm.LockedVm + pages))
        {
            return SysResult<UserAddr>.Ok(mm.Brk);
        }

        // do_brk_flags: a new anonymous vma that vma_merge joins to the brk vma below it.
        var flags = VmFlags.Read | VmFlags.Write | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec | VmFlags.Account | mm.DefFlags;
        var vma = new VmArea(mm, new UserAddr(oldBrk), new UserAddr(newBrk), flags, oldBrk >> PageShift, null);
        InsertVma(vma);
        mm.TotalVm += pages;
        if ((flags & VmFlags.Locked) != 0)
        {
            mm.LockedVm += pages;
        }

        vma = TryMerge(vma);
        mm.Brk = new UserAddr(brk);
        if ((mm.DefFlags & VmFlags.Locked) != 0)
        {
            // brk's success path: mm_populate(oldbrk, newbrk - oldbrk).
            _ = Populate(p, vma, oldBrk, newBrk);
        }

        return SysResult<UserAddr>.Ok(mm.Brk);
    }

    /// <summary>vm_start_gap: a VM_GROWSDOWN vma claims the era's stack_guard_gap below its start.</summary>
    private ulong VmStartGap(VmArea vma)
    {
        var start = vma.Start.Value;
        var gap = Policy.StackGuardGap;
        return (vma.RawFlags & VmFlags.GrowsDown) == 0 ? start : start > gap ? start - gap : 0;
    }
}
