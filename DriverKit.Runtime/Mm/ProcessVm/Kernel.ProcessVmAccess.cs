namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>The running task with id <paramref name="pid"/> (kernel/pid.c: find_get_task_by_vpid), or null.</summary>
    internal Process? FindRunningTask(int pid)
    {
        foreach (var p in processes)
        {
            if (p.Pid == pid && p.State == ProcessState.Running)
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>
    /// mm/process_vm_access.c: process_vm_rw_core with one local and one remote iovec — find the task (-ESRCH), then
    /// process_vm_rw_single_vec: pin the remote pages (pin_user_pages_remote from 5.6, get_user_pages_remote before;
    /// FOLL_WRITE for a write, never FOLL_FORCE), copy, and unpin them (dirty after a write). A range GUP refuses (VM_IO,
    /// VM_PFNMAP, no permission, unmapped) ends the copy: the bytes done so far, or -EFAULT when there were none.
    /// </summary>
    internal SysResult ProcessVmRw(int pid, ulong remote, Span<byte> dest, ReadOnlySpan<byte> src, bool write)
    {
        var length = write ? src.Length : dest.Length;
        if (length == 0)
        {
            return new SysResult(0); // process_vm_rw: an empty iovec set returns before the task is looked up
        }

        if (FindRunningTask(pid) is not { } target)
        {
            return SysResult.Error(Errno.ESRCH);
        }

        var pin = Policy.MissingApi("Kernel." + nameof(PinUserPagesRemote)) is null;
        var flags = write ? FollFlags.Write : FollFlags.None;
        var one = new Page[1];
        var copied = 0;
        using (EnterProcess(target, MmapLockMode.Read))
        {
            while (copied < length)
            {
                var a = remote + (ulong)copied;
                if (a < remote || Gup(target.Mm, new UserAddr(a), 1, flags, one, pin, CallSites.Kernel) != 1)
                {
                    break;
                }

                // process_vm_rw_pages: copy_page_to_iter / copy_page_from_iter.
                var page = one[0].Index;
                var offset = (int)(a & (PageSize - 1));
                var chunk = Math.Min(length - copied, (int)PageSize - offset);
                if (write)
                {
                    WritePhys((ulong)page, offset, src.Slice(copied, chunk));
                }
                else
                {
                    ReadPhys((ulong)page, offset, dest.Slice(copied, chunk));
                }

                ReleaseGupPage(page, pin, dirty: write); // unpin_user_pages_dirty_lock(…, vm_write)
                copied += chunk;
            }
        }

        return copied > 0 ? new SysResult(copied) : SysResult.Error(Errno.EFAULT);
    }

    /// <summary>
    /// fs/proc/base.c: mem_rw — a read or write of /proc/&lt;pid&gt;/mem at <paramref name="addr"/>: through a kernel page,
    /// PAGE_SIZE at a time, <see cref="AccessRemoteVm"/> with FOLL_FORCE (and FOLL_WRITE); the first chunk that moves
    /// nothing ends the call, with -EIO when nothing was copied. A task that has exited has no /proc directory: -ESRCH.
    /// </summary>
    internal SysResult MemRw(int pid, ulong addr, Span<byte> dest, ReadOnlySpan<byte> src, bool write)
    {
        if (FindRunningTask(pid) is not { } target)
        {
            return SysResult.Error(Errno.ESRCH);
        }

        var count = write ? src.Length : dest.Length;
        var page = new byte[PageSize]; // __get_free_page(GFP_KERNEL)
        var flags = FollFlags.Force | (write ? FollFlags.Write : FollFlags.None);
        var copied = 0;
        while (count > 0)
        {
            var thisLen = Math.Min(count, (int)PageSize);
            if (write)
            {
                src.Slice(copied, thisLen).CopyTo(page);
            }

            thisLen = AccessRemoteVm(target.Mm, addr, page, thisLen, flags);
            if (thisLen == 0)
            {
                return copied == 0 ? SysResult.Error(Errno.EIO) : new SysResult(copied);
            }

            if (!write)
            {
                page.AsSpan(0, thisLen).CopyTo(dest[copied..]);
            }

            addr += (ulong)thisLen;
            copied += thisLen;
            count -= thisLen;
        }

        return new SysResult(copied);
    }
}
