namespace DriverKit.Runtime;

/// <summary>file_operations-&gt;open: returns 0 or a negative errno.</summary>
/// <param name="inode">The device inode.</param>
/// <param name="file">The new open file.</param>
public delegate int FileOpenHandler(Inode inode, OpenFile file);

/// <summary>file_operations-&gt;release: called when the last reference to the open file goes.</summary>
/// <param name="inode">The device inode.</param>
/// <param name="file">The file being released.</param>
public delegate int FileReleaseHandler(Inode inode, OpenFile file);

/// <summary>file_operations-&gt;mmap: set up <paramref name="vma"/> (flags, vm_ops, PTEs); returns 0 or a negative errno.</summary>
/// <param name="file">The mapped file.</param>
/// <param name="vma">The new vma, already inserted in the address space.</param>
public delegate int FileMmapHandler(OpenFile file, VmArea vma);

/// <summary>file_operations-&gt;unlocked_ioctl: returns a value or a negative errno.</summary>
/// <param name="file">The open file.</param>
/// <param name="cmd">The command.</param>
/// <param name="arg">The argument (often a user address).</param>
public delegate long FileIoctlHandler(OpenFile file, uint cmd, ulong arg);

/// <summary>
/// file_operations-&gt;read: copy up to <paramref name="count"/> bytes from position <paramref name="pos"/> into the user
/// buffer with <see cref="Kernel.CopyToUser"/> (which faults the user's pages in, and returns what it could not copy), advance
/// <paramref name="pos"/>, and return the number of bytes read, 0 at the end, or a negative errno (-EFAULT for a bad buffer).
/// </summary>
/// <param name="file">The open file.</param>
/// <param name="buffer">The user buffer (char __user *).</param>
/// <param name="count">Its length.</param>
/// <param name="pos">The file position (*ppos); read(2) stores it in <see cref="OpenFile.Pos"/> when the call does not fail.</param>
public delegate long FileReadHandler(OpenFile file, UserAddr buffer, ulong count, ref long pos);

/// <summary>
/// file_operations-&gt;poll: the events the device is ready for now (the poll_table a driver would register its wait
/// queue with is not modelled: poll(2) here never sleeps).
/// </summary>
/// <param name="file">The open file.</param>
public delegate PollEvents FilePollHandler(OpenFile file);

/// <summary>
/// file_operations-&gt;write: take up to <paramref name="count"/> bytes from the user buffer with
/// <see cref="Kernel.CopyFromUser"/>, advance <paramref name="pos"/>, return the number of bytes written or a negative errno.
/// </summary>
/// <param name="file">The open file.</param>
/// <param name="buffer">The user buffer (const char __user *).</param>
/// <param name="count">Its length.</param>
/// <param name="pos">The file position (*ppos).</param>
public delegate long FileWriteHandler(OpenFile file, UserAddr buffer, ulong count, ref long pos);

/// <summary>
/// struct file_operations. Fill it like the C initializer:
/// <code>new FileOperations { Owner = "scullp", Open = ScullpOpen, Release = ScullpRelease, Mmap = ScullpMmap }</code>
/// </summary>
public sealed class FileOperations
{
    /// <summary>An empty table: every hook null, as the fields a C initializer leaves out.</summary>
    public FileOperations()
    {
    }

    /// <summary>The module that provides the operations (THIS_MODULE); owns the pages allocated in them.</summary>
    public string Owner { get; init; } = "driver";

    /// <summary>-&gt;open, or null.</summary>
    public FileOpenHandler? Open { get; init; }

    /// <summary>-&gt;release, or null.</summary>
    public FileReleaseHandler? Release { get; init; }

    /// <summary>-&gt;mmap, or null (mmap of the device then fails with ENODEV).</summary>
    public FileMmapHandler? Mmap { get; init; }

    /// <summary>-&gt;unlocked_ioctl, or null (ENOTTY).</summary>
    public FileIoctlHandler? Ioctl { get; init; }

    /// <summary>-&gt;read, or null (read(2) fails with EINVAL).</summary>
    public FileReadHandler? Read { get; init; }

    /// <summary>-&gt;write, or null (write(2) fails with EINVAL).</summary>
    public FileWriteHandler? Write { get; init; }

    /// <summary>-&gt;poll, or null (poll(2) then reports DEFAULT_POLLMASK: always readable and writable).</summary>
    public FilePollHandler? Poll { get; init; }
}
