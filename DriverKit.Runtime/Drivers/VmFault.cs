namespace DriverKit.Runtime;

/// <summary>vm_fault_t: the result of a fault handler (include/linux/mm_types.h VM_FAULT_*).</summary>
[Flags]
public enum VmFaultResult
{
    /// <summary>Success: <see cref="VmFault.Page"/> holds the page, with a reference for the PTE.</summary>
    None = 0,

    /// <summary>VM_FAULT_OOM.</summary>
    Oom = 0x1,

    /// <summary>VM_FAULT_SIGBUS.</summary>
    Sigbus = 0x2,

    /// <summary>VM_FAULT_MAJOR.</summary>
    Major = 0x4,

    /// <summary>VM_FAULT_HWPOISON.</summary>
    HwPoison = 0x10,

    /// <summary>VM_FAULT_SIGSEGV.</summary>
    Sigsegv = 0x40,

    /// <summary>VM_FAULT_NOPAGE: the handler installed the PTE itself (vmf_insert_*).</summary>
    NoPage = 0x100,

    /// <summary>VM_FAULT_LOCKED: the returned page is locked.</summary>
    Locked = 0x200,

    /// <summary>VM_FAULT_RETRY.</summary>
    Retry = 0x400,
}

/// <summary>Fault flags (FAULT_FLAG_*).</summary>
[Flags]
public enum FaultFlags
{
    /// <summary>A read fault.</summary>
    None = 0,

    /// <summary>FAULT_FLAG_WRITE.</summary>
    Write = 0x1,

    /// <summary>FAULT_FLAG_USER: from user mode.</summary>
    User = 0x40,

    /// <summary>FAULT_FLAG_REMOTE: GUP on behalf of another context.</summary>
    Remote = 0x80,
}

/// <summary>struct vm_fault: what a -&gt;fault handler gets.</summary>
public sealed class VmFault
{
    internal VmFault(VmArea vma, UserAddr address, ulong pgoff, FaultFlags flags) => Reset(vma, address, pgoff, flags);

    /// <summary>
    /// Makes this instance describe a new fault. The kernel's struct vm_fault lives on the faulting task's stack,
    /// so it is only valid during the handler call; the simulator reuses one instance per machine the same way, so
    /// the fault path allocates nothing.
    /// </summary>
    internal void Reset(VmArea vma, UserAddr address, ulong pgoff, FaultFlags flags)
    {
        Vma = vma;
        Address = address;
        Pgoff = pgoff;
        Flags = flags;
        Page = default;
    }

    /// <summary>vmf-&gt;vma: the faulting vma.</summary>
    public VmArea Vma { get; private set; } = null!;

    /// <summary>vmf-&gt;address: the faulting address, page aligned.</summary>
    public UserAddr Address { get; private set; }

    /// <summary>vmf-&gt;pgoff: the page offset in the mapped object, vm_pgoff + (address - vm_start) / PAGE_SIZE.</summary>
    public ulong Pgoff { get; private set; }

    /// <summary>vmf-&gt;flags: FAULT_FLAG_* of the fault.</summary>
    public FaultFlags Flags { get; private set; }

    /// <summary>vmf-&gt;page: set by the handler to the page to map (with a reference the PTE consumes).</summary>
    public Page Page { get; set; }

    /// <summary>The kernel this fault runs on.</summary>
    public Kernel Kernel => Vma.Kernel;
}
