using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: vmf_insert_pfn_prot (vm_insert_pfn_prot 4.5 – 4.19, returning an errno) — <see cref="VmfInsertPfn"/>
    /// with the PTE built from <paramref name="prot"/> instead of vm_page_prot, so that a driver can choose the caching
    /// of each page at fault time (a frame buffer's write-combined pages next to uncached registers). The same four
    /// BUG_ONs (exactly one of VM_PFNMAP / VM_MIXEDMAP, no COW VM_PFNMAP vma, no pfn_valid frame in a VM_MIXEDMAP vma);
    /// SIGBUS for an address outside the vma; an occupied PTE is left alone. Returns <see cref="VmFaultResult.NoPage"/>.
    /// </summary>
    /// <param name="vma">The faulting vma.</param>
    /// <param name="addr">The address to map.</param>
    /// <param name="pfn">The frame.</param>
    /// <param name="prot">The protection and memory type of the PTE (<see cref="PgprotWritecombine"/>, <see cref="PgprotNoncached"/>).</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 4.5.</exception>
    /// <exception cref="KernelBugException">One of the BUG_ONs.</exception>
    public VmFaultResult VmfInsertPfnProt(VmArea vma, UserAddr addr, Pfn pfn, PgProt prot, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(VmfInsertPfnProt));
        CheckVma(vma);
        return InsertPfnProt(vma, addr, pfn, prot, Sites.Intern(caller, file, line), "vmf_insert_pfn_prot");
    }

    /// <summary>
    /// mm/memory.c: vmf_insert_pfn_prot, which vmf_insert_pfn calls with vma-&gt;vm_page_prot: the four BUG_ONs, SIGBUS
    /// outside the vma, a special PTE with <paramref name="prot"/> where none is, the strict checks named as
    /// <paramref name="api"/>.
    /// </summary>
    private VmFaultResult InsertPfnProt(VmArea vma, UserAddr addr, Pfn pfn, PgProt prot, int site, string api)
    {
        var flags = vma.RawFlags;
        var pfnMap = (flags & VmFlags.PfnMap) != 0;
        var mixed = (flags & VmFlags.MixedMap) != 0;

        // vmf_insert_pfn_prot: "Technically, architectures with pte_special can avoid all these restrictions".
        const string Function = "vmf_insert_pfn_prot";
        if (!pfnMap && !mixed)
        {
            throw BugOn("mm/memory.c", Function, "!(vma->vm_flags & (VM_PFNMAP|VM_MIXEDMAP))", "INV-10", "DK0017", pfn, vma.ToString(), Sites.Site(site));
        }

        if (pfnMap && mixed)
        {
            throw BugOn("mm/memory.c", Function, "(vma->vm_flags & (VM_PFNMAP|VM_MIXEDMAP)) == (VM_PFNMAP|VM_MIXEDMAP)", "INV-10", "DK0009", pfn, vma.ToString(), Sites.Site(site));
        }

        if (pfnMap && vma.IsCowMapping)
        {
            throw BugOn("mm/memory.c", Function, "(vma->vm_flags & VM_PFNMAP) && is_cow_mapping(vma->vm_flags)", "INV-10", "DK0020", pfn, vma.ToString(), Sites.Site(site));
        }

        if (mixed && PfnValid(pfn))
        {
            throw BugOn("mm/memory.c", Function, "(vma->vm_flags & VM_MIXEDMAP) && pfn_valid(pfn)", "INV-10", "DK0013", pfn, vma.ToString(), Sites.Site(site));
        }

        if (addr < vma.Start || addr >= vma.End)
        {
            return VmFaultResult.Sigbus;
        }

        // pfn_modify_allowed (the L1TF check of 4.19+) only refuses PROT_NONE PTEs of high frames on affected CPUs: the
        // simulated CPU is not affected. track_pfn_insert leaves the driver's memory type in place when PAT agrees.
        var a = addr.PageDown.Value;
        if (Pte.IsNone(vma.Mm.GetPte(a)))
        {
            // insert_pfn: pte_mkspecial(pfn_pte(pfn, prot)).
            MapSpecialPte(vma, a, pfn.Value, prot, write: prot.Writable && CurrentKind == ContextKind.Fault && (vma.RawFlags & VmFlags.Shared) != 0, PteInstaller.VmfInsertPfn);
            if (Strict)
            {
                CheckRemapSource(vma, pfn.Value, 1, api, site);
                CheckRegion(vma, pfn.Value, 1, api, site, addr);
                CheckCacheMode(vma, pfn.Value, prot, api, site);
            }
        }

        return VmFaultResult.NoPage;
    }
}
