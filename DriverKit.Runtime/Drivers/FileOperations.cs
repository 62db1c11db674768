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
}
