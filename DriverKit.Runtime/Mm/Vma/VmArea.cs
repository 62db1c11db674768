namespace DriverKit.Runtime;

/// <summary>
/// struct vm_area_struct: one mapping of a process. Drivers set <see cref="Flags"/>, <see cref="Ops"/>,
/// <see cref="PrivateData"/> and <see cref="PageProt"/> in their mmap handler, as in C. Flags and hooks the
/// configured kernel does not have are refused with an <see cref="EraMismatchException"/>.
/// </summary>
public sealed class VmArea
{
    private VmFlags flags;
    private VmOperations? ops;
    private ulong pgoff;

    internal VmArea(MmStruct mm, UserAddr start, UserAddr end, VmFlags flags, ulong pgoff, OpenFile? file)
    {
        Mm = mm;
        Start = start;
        End = end;
        this.flags = flags;
        this.pgoff = pgoff;
        File = file;
        PageProt = PgProt.FromVmFlags(flags);
    }

    /// <summary>vm_mm: the address space this vma belongs to.</summary>
    public MmStruct Mm { get; }

    /// <summary>The kernel of the address space.</summary>
    public Kernel Kernel => Mm.Kernel;

    /// <summary>vm_start (inclusive, page aligned).</summary>
    public UserAddr Start { get; internal set; }

    /// <summary>vm_end (exclusive, page aligned).</summary>
    public UserAddr End { get; internal set; }

    /// <summary>vm_end - vm_start in bytes.</summary>
    public ulong Length => End - Start;

    /// <summary>vma_pages(): the length in pages.</summary>
    public ulong Pages => Length >> Kernel.PageShift;

    /// <summary>
    /// vm_flags. Writing it is the driver's <c>vma-&gt;vm_flags |= …</c>; flags that do not exist in the configured
    /// kernel are refused, and the checker watches writes that change how existing PTEs are classified (INV-04)
    /// or that happen outside the mmap write lock (INV-26).
    /// </summary>
    public VmFlags Flags
    {
        get => flags;
        set
        {
            Kernel.CheckFlagsExist(value & ~flags, "vma->vm_flags");
            Kernel.BeforeDriverFlagsWrite(this, flags, value);
            var before = flags;
            flags = value;
            Kernel.OnDriverFlagsWrite(this, before, value);
        }
    }

    /// <summary>vm_page_prot: the protection new PTEs get (pgprot_noncached for MMIO registers).</summary>
    public PgProt PageProt { get; set; }

    /// <summary>vm_pgoff: offset of vm_start in the mapped object, in pages (remap_pfn_range rewrites it to the pfn for COW mappings).</summary>
    public ulong Pgoff
    {
        get => pgoff;
        set
        {
            var before = pgoff;
            pgoff = value;
            Kernel.OnPgoffWrite(this, before, value);
        }
    }

    /// <summary>vm_file: the mapped file, or null for anonymous memory.</summary>
    public OpenFile? File { get; internal set; }

    /// <summary>
    /// vm_ops: the driver's vm operations. Hooks the configured kernel does not have are refused; a replacement outside
    /// the mmap write lock is noted in strict mode (INV-26).
    /// </summary>
    public VmOperations? Ops
    {
        get => ops;
        set
        {
            Kernel.CheckVmOps(value);
            var before = ops;
            ops = value;
            Kernel.OnDriverOpsWrite(this, before, value);
        }
    }

    /// <summary>vm_private_data.</summary>
    public object? PrivateData { get; set; }

    /// <summary>True for an anonymous vma (no file, no vm_ops: vma_is_anonymous).</summary>
    public bool IsAnonymous => File is null && ops is null;

    /// <summary>is_cow_mapping(): private and may become writable.</summary>
    public bool IsCowMapping => (flags & (VmFlags.Shared | VmFlags.MayWrite)) == VmFlags.MayWrite;

    /// <summary>Core writes that bypass the driver-facing checks.</summary>
    internal VmFlags RawFlags
    {
        get => flags;
        set => flags = value;
    }

    internal ulong RawPgoff
    {
        get => pgoff;
        set => pgoff = value;
    }

    internal VmOperations? RawOps
    {
        get => ops;
        set => ops = value;
    }

    /// <summary>anon_vma is set up (the vma has or had anonymous pages): fork must copy its PTEs.</summary>
    internal bool HasAnonVma { get; set; }

    /// <summary>VM_PAT (VM_PFN_AT_MMAP before 3.7): x86 PAT tracks the memory type of this whole-vma remap (track_pfn_remap).</summary>
    internal bool PatTracked { get; set; }

    /// <summary>Owner id of the driver whose file is mapped (0 for anonymous memory).</summary>
    internal int Driver => File?.Inode.Device?.Owner ?? 0;

    /// <summary>
    /// Checker shadow (no kernel field): the end of the file offsets, in pages, that the driver's -&gt;mmap accepted. A vma that
    /// mremap grew faults beyond it at offsets the driver never saw (DKMM015).
    /// </summary>
    internal ulong ExposedPgoffEnd { get; set; } = ulong.MaxValue;

    /// <summary>INV-18 shadow: how the vma instance came to reference the driver (mmap or open), and whether it was closed.</summary>
    internal bool Opened { get; set; }

    internal bool Closed { get; set; }

    /// <summary>The page offset of <paramref name="addr"/> in the mapped object (linear_page_index).</summary>
    internal ulong PgoffOf(UserAddr addr) => pgoff + ((addr - Start) >> Kernel.PageShift);

    /// <summary>"start-end path": enough to name the vma inside a report's text (its field has the rest).</summary>
    internal string Brief => $"{Start}-{End}{(File is null ? string.Empty : " " + File.Inode.Path)}";

    /// <summary>"start-end perms pgoff" plus flags, for reports.</summary>
    public override string ToString() =>
        $"{Start}-{End} {Proc.VmFlagsText(Kernel.Policy, flags)} pgoff:{pgoff:x}{(File is null ? string.Empty : " " + File.Inode.Path)}";
}
