namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>fs/read_write.c: MAX_RW_COUNT — INT_MAX rounded down to a page: longer reads and writes are cut to it.</summary>
    internal const ulong MaxRwCount = int.MaxValue & ~(PageSize - 1);

    /// <summary>
    /// include/linux/uaccess.h: copy_to_user — copies <paramref name="from"/> to the current task's user memory at
    /// <paramref name="to"/> through its page tables, faulting pages in (COW, a driver's -&gt;fault) as the MMU would; a
    /// fault that cannot be resolved is caught by the exception table (no signal): the copy stops there.
    /// </summary>
    /// <param name="to">The user destination.</param>
    /// <param name="from">The kernel bytes.</param>
    /// <returns>The number of bytes NOT copied: 0 on success; all of them when access_ok fails (the range leaves user space).</returns>
    /// <exception cref="InvalidOperationException">Called outside process context (no current task).</exception>
    public ulong CopyToUser(UserAddr to, ReadOnlySpan<byte> from) => CopyUser(to.Value, default, from, write: true);

    /// <summary>
    /// include/linux/uaccess.h: copy_from_user — copies user memory of the current task at <paramref name="from"/> into
    /// <paramref name="to"/>, faulting pages in; the bytes it could not read are zeroed (the kernel's tail memset).
    /// </summary>
    /// <param name="to">The kernel buffer.</param>
    /// <param name="from">The user source.</param>
    /// <returns>The number of bytes NOT copied: 0 on success.</returns>
    /// <exception cref="InvalidOperationException">Called outside process context (no current task).</exception>
    public ulong CopyFromUser(Span<byte> to, UserAddr from)
    {
        var left = CopyUser(from.Value, to, default, write: false);
        to[(to.Length - (int)left)..].Clear();
        return left;
    }

    private ulong CopyUser(ulong addr, Span<byte> dest, ReadOnlySpan<byte> src, bool write)
    {
        var p = CurrentProcess ?? throw new InvalidOperationException(
            $"{(write ? "copy_to_user" : "copy_from_user")} needs process context (current->mm): call it from a driver's read, write or ioctl.");
        var length = write ? src.Length : dest.Length;

        // access_ok: the whole range below TASK_SIZE_MAX.
        if ((ulong)length > MmStruct.TaskSize || addr > MmStruct.TaskSize - (ulong)length)
        {
            return (ulong)length;
        }

        var done = 0;
        while (done < length)
        {
            var a = addr + (ulong)done;
            var offset = (int)(a & (PageSize - 1));
            var chunk = Math.Min(length - done, (int)PageSize - offset);

            // The access faults like a user access (arch/x86/mm/fault.c: do_user_addr_fault from kernel mode); an
            // unresolved fault goes to the exception fixup, which returns what is left.
            if (!p.Translate(a, write, out var pfn).IsOk)
            {
                break;
            }

            if (write)
            {
                WritePhys(pfn, offset, src.Slice(done, chunk));
            }
            else
            {
                ReadPhys(pfn, offset, dest.Slice(done, chunk));
            }

            done += chunk;
        }

        return (ulong)(length - done);
    }

    /// <summary>
    /// fs/read_write.c: ksys_read/ksys_write → vfs_read/vfs_write — -EBADF for a bad descriptor or one not opened for the
    /// access (FMODE_READ/FMODE_WRITE), -EINVAL without a -&gt;read/-&gt;write, -EFAULT when the buffer fails access_ok;
    /// the count is cut to MAX_RW_COUNT; the driver's hook runs with the file position, which is stored back when the call
    /// does not fail.
    /// </summary>
    internal SysResult VfsReadWrite(Process p, int fd, ulong buf, ulong count, bool write)
    {
        if (!p.Files.TryGetValue(fd, out var file) || (file.Mode & (write ? FMode.Write : FMode.Read)) == 0)
        {
            return SysResult.Error(Errno.EBADF);
        }

        if (file.Inode.Pipe is { } pipe)
        {
            return count > MmStruct.TaskSize || buf > MmStruct.TaskSize - count ? SysResult.Error(Errno.EFAULT)
                : write ? PipeWrite(pipe, buf, Math.Min(count, MaxRwCount)) : PipeRead(pipe, buf, Math.Min(count, MaxRwCount));
        }

        var fops = file.Inode.Device?.Fops;
        var read = fops?.Read;
        var writeHook = fops?.Write;
        if (write ? writeHook is null : read is null)
        {
            return SysResult.Error(Errno.EINVAL);
        }

        if (count > MmStruct.TaskSize || buf > MmStruct.TaskSize - count)
        {
            return SysResult.Error(Errno.EFAULT);
        }

        count = Math.Min(count, MaxRwCount);
        var pos = file.Pos;
        var ret = CallDriver(file.Inode.Device!.Owner, write ? ContextKind.Write : ContextKind.Read, MmapLockMode.None,
            () => write ? writeHook!(file, new UserAddr(buf), count, ref pos) : read!(file, new UserAddr(buf), count, ref pos));
        CheckMmapLocksReleased(p);
        if (ret >= 0)
        {
            file.Pos = pos;
        }

        return new SysResult(ret);
    }
}
