namespace DriverKit.Runtime;

/// <summary>vm_operations_struct-&gt;open: a new vma references the driver's mapping (fork copy, split, mremap move).</summary>
/// <param name="vma">The new vma.</param>
public delegate void VmOpenHandler(VmArea vma);

/// <summary>vm_operations_struct-&gt;close: a vma goes away (munmap, exit, each piece of a split).</summary>
/// <param name="vma">The vma being removed.</param>
public delegate void VmCloseHandler(VmArea vma);

/// <summary>vm_operations_struct-&gt;fault (2.6.23 and later): provide the page at <see cref="VmFault.Pgoff"/>.</summary>
/// <param name="vmf">The fault: set <see cref="VmFault.Page"/> (with a reference taken) and return 0, or install the PTE yourself and return <see cref="VmFaultResult.NoPage"/>.</param>
public delegate VmFaultResult VmFaultHandler(VmFault vmf);

/// <summary>
/// vm_operations_struct-&gt;nopage (≤ 2.6.25): return the page for <paramref name="address"/> with a reference taken,
/// default (NOPAGE_SIGBUS) or <see cref="Page.NoPageOom"/>.
/// </summary>
/// <param name="vma">The faulting vma.</param>
/// <param name="address">The faulting address.</param>
public delegate Page VmNoPageHandler(VmArea vma, UserAddr address);

/// <summary>
/// vm_operations_struct-&gt;nopfn (2.6.19 – 2.6.26): return the frame to map at <paramref name="address"/> in a
/// VM_PFNMAP vma (no reference is taken), or <see cref="VmOperations.NoPfnSigbus"/>, <see cref="VmOperations.NoPfnOom"/>,
/// <see cref="VmOperations.NoPfnRefault"/> (2.6.21 and later).
/// </summary>
/// <param name="vma">The faulting vma.</param>
/// <param name="address">The faulting address, page aligned.</param>
public delegate ulong VmNoPfnHandler(VmArea vma, UserAddr address);

/// <summary>vm_operations_struct-&gt;page_mkwrite: a read-only shared page is about to become writable.</summary>
/// <param name="vmf">The fault.</param>
public delegate VmFaultResult VmPageMkwriteHandler(VmFault vmf);

/// <summary>vm_operations_struct-&gt;may_split: return 0 to allow splitting the vma at <paramref name="address"/>, or a negative errno.</summary>
/// <param name="vma">The vma to split.</param>
/// <param name="address">The split point.</param>
public delegate int VmMaySplitHandler(VmArea vma, UserAddr address);

/// <summary>
/// vm_operations_struct-&gt;access (2.6.27 and later): access_remote_vm (ptrace, /proc/&lt;pid&gt;/mem) asks the driver to
/// copy bytes of a vma that get_user_pages refuses (VM_IO, VM_PFNMAP). <see cref="Kernel.GenericAccessPhys"/> is the
/// kernel's implementation for a remap_pfn_range'd register window.
/// </summary>
/// <param name="vma">The vma.</param>
/// <param name="address">The first user address to access (not page aligned).</param>
/// <param name="buffer">The kernel buffer: the bytes to write, or where the bytes read go; its length is the <c>len</c> asked for (it may span pages).</param>
/// <param name="write">The access writes (FOLL_WRITE).</param>
/// <returns>The number of bytes accessed (at most the buffer's length), or 0 or a negative errno to stop the access.</returns>
public delegate int VmAccessHandler(VmArea vma, UserAddr address, Span<byte> buffer, bool write);

/// <summary>
/// struct vm_operations_struct. Fill it like the C initializer:
/// <code>new VmOperations { Open = ScullpVmaOpen, Close = ScullpVmaClose, Fault = ScullpVmaFault }</code>
/// Hooks that do not exist in the configured kernel (<see cref="KernelAvailability"/>: NoPage after 2.6.25, NoPfn outside 2.6.19 – 2.6.26, Fault before 2.6.23, PageMkwrite before 2.6.18, Access before 2.6.27, MaySplit before 4.15) are refused when
/// the vma's <see cref="VmArea.Ops"/> is set.
/// </summary>
public sealed class VmOperations
{
    /// <summary>An empty table: every hook null, as the fields a C initializer leaves out.</summary>
    public VmOperations()
    {
    }

    /// <summary>-&gt;open, or null.</summary>
    public VmOpenHandler? Open { get; init; }

    /// <summary>-&gt;close, or null.</summary>
    public VmCloseHandler? Close { get; init; }

    /// <summary>-&gt;fault, or null.</summary>
    public VmFaultHandler? Fault { get; init; }

    /// <summary>-&gt;nopage (legacy), or null.</summary>
    public VmNoPageHandler? NoPage { get; init; }

    /// <summary>NOPFN_SIGBUS: the -&gt;nopfn result that sends SIGBUS.</summary>
    public const ulong NoPfnSigbus = ulong.MaxValue;

    /// <summary>NOPFN_OOM: the -&gt;nopfn result for an allocation failure.</summary>
    public const ulong NoPfnOom = ulong.MaxValue - 1;

    /// <summary>NOPFN_REFAULT (2.6.21 and later): the handler installed nothing; the access is retried.</summary>
    public const ulong NoPfnRefault = ulong.MaxValue - 2;

    /// <summary>-&gt;nopfn (2.6.19 – 2.6.26), or null.</summary>
    public VmNoPfnHandler? NoPfn { get; init; }

    /// <summary>-&gt;page_mkwrite, or null.</summary>
    public VmPageMkwriteHandler? PageMkwrite { get; init; }

    /// <summary>-&gt;may_split, or null.</summary>
    public VmMaySplitHandler? MaySplit { get; init; }

    /// <summary>-&gt;access (2.6.27 and later), or null: access_remote_vm's way into a VM_IO/VM_PFNMAP vma.</summary>
    public VmAccessHandler? Access { get; init; }

    /// <summary>Each hook by its member name, and whether the driver set it (the rows of <see cref="KernelAvailability"/>).</summary>
    internal IEnumerable<(string Hook, bool Set)> Hooks =>
    [
        (nameof(Open), Open is not null),
        (nameof(Close), Close is not null),
        (nameof(NoPage), NoPage is not null),
        (nameof(NoPfn), NoPfn is not null),
        (nameof(Fault), Fault is not null),
        (nameof(PageMkwrite), PageMkwrite is not null),
        (nameof(MaySplit), MaySplit is not null),
        (nameof(Access), Access is not null),
    ];
}
