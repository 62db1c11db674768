namespace DriverKit.Runtime;

/// <summary>open(2) flags.</summary>
[Flags]
public enum OpenFlags
{
    /// <summary>O_RDONLY.</summary>
    ReadOnly = 0,

    /// <summary>O_WRONLY.</summary>
    WriteOnly = 1,

    /// <summary>O_RDWR.</summary>
    ReadWrite = 2,
}

/// <summary>f_mode bits derived from the open flags.</summary>
[Flags]
public enum FMode
{
    /// <summary>No access.</summary>
    None = 0,

    /// <summary>FMODE_READ.</summary>
    Read = 1,

    /// <summary>FMODE_WRITE.</summary>
    Write = 2,
}

/// <summary>struct address_space: the vmas mapping an inode (i_mmap) and, for shmem files, its page cache.</summary>
public sealed class AddressSpace
{
    internal AddressSpace(int id, Inode host)
    {
        Id = id;
        Host = host;
    }

    /// <summary>The id pages of this mapping carry in page-&gt;mapping.</summary>
    internal int Id { get; }

    /// <summary>mapping-&gt;host: the inode this mapping belongs to.</summary>
    public Inode Host { get; }

    /// <summary>i_mmap: every vma that maps this inode.</summary>
    internal HashSet<VmArea> Vmas { get; } = new();

    /// <summary>Page cache of a shmem file: pgoff → pfn.</summary>
    internal Dictionary<ulong, int> Pages { get; } = new();

    /// <summary>Swapped-out shmem pages: pgoff → swap slot.</summary>
    internal Dictionary<ulong, int> SwapSlots { get; } = new();
}

/// <summary>struct inode: a device node or a shmem (memfd) file.</summary>
public sealed class Inode
{
    internal Inode(Kernel kernel, string path, int mappingId, CharDevice? device)
    {
        Kernel = kernel;
        Path = path;
        Device = device;
        Mapping = new AddressSpace(mappingId, this);
    }

    /// <summary>The kernel the inode lives in.</summary>
    public Kernel Kernel { get; }

    /// <summary>i_pipe: the pipe behind a pipe inode, else null.</summary>
    internal Pipe? Pipe { get; init; }

    /// <summary>The path it was opened by.</summary>
    public string Path { get; }

    /// <summary>i_mapping: the inode's address space.</summary>
    public AddressSpace Mapping { get; }

    /// <summary>i_private: driver data.</summary>
    public object? PrivateData { get; set; }

    /// <summary>file-&gt;f_pos: the position read(2) and write(2) start at and advance.</summary>
    public long Pos { get; set; }

    /// <summary>The character device of the node (i_cdev), or null for a shmem file.</summary>
    public CharDevice? Device { get; }

    /// <summary>i_size of a shmem file in bytes.</summary>
    public ulong Size { get; internal set; }
}

/// <summary>struct file: one open of an inode, shared by fork.</summary>
public sealed class OpenFile
{
    internal OpenFile(Inode inode, FMode mode, OpenFlags flags)
    {
        Inode = inode;
        Mode = mode;
        Flags = flags;
        Count = 1;
    }

    /// <summary>The inode (f_inode).</summary>
    public Inode Inode { get; }

    /// <summary>f_mode.</summary>
    public FMode Mode { get; }

    /// <summary>f_flags.</summary>
    public OpenFlags Flags { get; }

    /// <summary>private_data: driver data of this open.</summary>
    public object? PrivateData { get; set; }

    /// <summary>file-&gt;f_pos: the position read(2) and write(2) start at and advance.</summary>
    public long Pos { get; set; }

    /// <summary>f_mapping.</summary>
    public AddressSpace Mapping => Inode.Mapping;

    /// <summary>The kernel the file lives in.</summary>
    public Kernel Kernel => Inode.Kernel;

    /// <summary>f_count: file descriptors and vmas referencing this file.</summary>
    internal int Count { get; set; }
}

/// <summary>A registered character device node (register_chrdev / misc_register + device node).</summary>
public sealed class CharDevice
{
    internal CharDevice(string path, FileOperations fops, int owner)
    {
        Path = path;
        Fops = fops;
        Owner = owner;
    }

    /// <summary>The device path (e.g. "/dev/scullp").</summary>
    public string Path { get; }

    /// <summary>cdev-&gt;ops: the driver's file operations.</summary>
    public FileOperations Fops { get; }

    /// <summary>The inode of the node (one per device).</summary>
    public Inode Inode { get; internal set; } = null!;

    internal int Owner { get; }

    /// <summary>
    /// The driver's -&gt;mmap refused a writable mapping (-EPERM or -EACCES on a vma with VM_WRITE): the strict checker then
    /// reports an mprotect that makes one of its mappings writable (INV-15, VM_MAYWRITE left set).
    /// </summary>
    internal bool RefusedWritableMapping { get; set; }

    /// <summary>False after <see cref="Kernel.UnregisterChrdev"/>.</summary>
    public bool Registered { get; internal set; } = true;

    /// <summary>Open struct files of this node (each pins the module: fops-&gt;owner's refcount).</summary>
    internal int OpenFiles { get; set; }
}
