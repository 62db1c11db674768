namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: do_no_pfn (2.6.19 – 2.6.26) — the driver's -&gt;nopfn names a frame and the core maps it with
    /// pfn_pte: no reference, no rmap, so the PTE is special by the vma rule (VM_PFNMAP, not COW). BUG_ON a vma
    /// without VM_PFNMAP (2.6.26: or VM_MIXEDMAP), on a COW PFNMAP vma, and (2.6.26) on a pfn_valid frame in a
    /// MIXEDMAP vma. A PTE that appeared meanwhile is left alone.
    /// </summary>
    private VmFaultResult DoNoPfn(VmArea vma, ulong addr, bool write)
    {
        var flags = vma.RawFlags;
        var pfnMap = (flags & VmFlags.PfnMap) != 0;
        var mixed = Policy.NoPfnAcceptsMixedMap && (flags & VmFlags.MixedMap) != 0;
        if (!pfnMap && !mixed)
        {
            var condition = Policy.NoPfnAcceptsMixedMap ? "!(vma->vm_flags & (VM_PFNMAP|VM_MIXEDMAP))" : "!(vma->vm_flags & VM_PFNMAP)";
            throw BugOn("mm/memory.c", "do_no_pfn", condition, "INV-10", "DK0017", vma: vma.ToString());
        }

        if (pfnMap && vma.IsCowMapping)
        {
            var condition = Policy.NoPfnAcceptsMixedMap ? "(vma->vm_flags & VM_PFNMAP) && is_cow_mapping(vma->vm_flags)" : "is_cow_mapping(vma->vm_flags)";
            throw BugOn("mm/memory.c", "do_no_pfn", condition, "INV-10", "DK0020", vma: vma.ToString());
        }

        var handler = vma.RawOps!.NoPfn!;
        var pfn = CallDriver(vma.Driver, ContextKind.Fault, MmapLockMode.Read, () => handler(vma, new UserAddr(addr)), vma);
        if (mixed && pfn < (ulong)Mem.Count && PfnValid(new Pfn(pfn)))
        {
            throw BugOn("mm/memory.c", "do_no_pfn", "(vma->vm_flags & VM_MIXEDMAP) && pfn_valid(pfn)", "INV-10", "DK0013", new Pfn(pfn), vma.ToString());
        }

        switch (pfn)
        {
            case VmOperations.NoPfnOom:
                return VmFaultResult.Oom;
            case VmOperations.NoPfnSigbus:
                return VmFaultResult.Sigbus;
            case VmOperations.NoPfnRefault when Policy.HasNoPfnRefault:
                return VmFaultResult.NoPage;
            case VmOperations.NoPfnRefault:
                throw new EraMismatchException(Policy.MissingApi("VmOperations." + nameof(VmOperations.NoPfnRefault)) + ".", "DK1001");
        }

        if (pfn > Pte.PfnMask >> PageShift)
        {
            throw Refuse("INV-10", $"->nopfn returned pfn {pfn:x} for {addr:x}, beyond the physical address width: pfn_pte would truncate it", "DK0008");
        }

        if (Pte.IsNone(vma.Mm.GetPte(addr)))
        {
            MapSpecialPte(vma, addr, pfn, vma.PageProt, write, PteInstaller.NoPfn);
        }

        return VmFaultResult.NoPage;
    }
}
