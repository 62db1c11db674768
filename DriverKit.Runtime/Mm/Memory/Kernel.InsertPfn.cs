using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: vmf_insert_pfn (vm_insert_pfn before 4.17) — from a fault handler, maps <paramref name="pfn"/>
    /// at <paramref name="addr"/> with a special PTE (no refcount). BUG_ON unless exactly one of VM_PFNMAP /
    /// VM_MIXEDMAP is set, on a COW PFNMAP vma, and on a pfn_valid frame in a MIXEDMAP vma. An occupied PTE is left
    /// alone. Returns <see cref="VmFaultResult.NoPage"/>, or SIGBUS for an address outside the vma.
    /// </summary>
    /// <param name="vma">The faulting vma.</param>
    /// <param name="addr">The address to map.</param>
    /// <param name="pfn">The frame.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">One of the BUG_ONs.</exception>
    public VmFaultResult VmfInsertPfn(VmArea vma, UserAddr addr, Pfn pfn, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(VmfInsertPfn));
        CheckVma(vma);
        return InsertPfnProt(vma, addr, pfn, vma.PageProt, Sites.Intern(caller, file, line), "vmf_insert_pfn");
    }

    /// <summary>
    /// mm/memory.c: vmf_insert_mixed (vm_insert_mixed 2.6.26 – 4.19) — maps <paramref name="pfn"/> in a VM_MIXEDMAP
    /// vma. On architectures with pte_special the PTE is special even for a pfn_valid page (no refcount); without
    /// pte_special a pfn_valid page is inserted refcounted like vm_insert_page. A vma without VM_MIXEDMAP is a BUG
    /// through 6.x and SIGBUS in 7.x.
    /// </summary>
    /// <param name="vma">The faulting vma.</param>
    /// <param name="addr">The address to map.</param>
    /// <param name="pfn">The frame (RAM or device).</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public VmFaultResult VmfInsertMixed(VmArea vma, UserAddr addr, Pfn pfn, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(VmfInsertMixed));
        CheckVma(vma);
        var site = Sites.Intern(caller, file, line);
        if ((vma.RawFlags & VmFlags.MixedMap) == 0)
        {
            if (Policy.VmfInsertMixedBadVmaIsSigbus)
            {
                return VmFaultResult.Sigbus;
            }

            throw BugOn("mm/memory.c", "__vm_insert_mixed", "!vm_mixed_ok(vma, pfn)", "INV-10", "DK0017", pfn, vma.ToString(), Sites.Site(site));
        }

        if (addr < vma.Start || addr >= vma.End)
        {
            return VmFaultResult.Sigbus;
        }

        var a = addr.PageDown.Value;
        if (!Pte.IsNone(vma.Mm.GetPte(a)))
        {
            return VmFaultResult.NoPage;
        }

        if (!Policy.UsesPteSpecialBit && PfnValid(pfn))
        {
            // __vm_insert_mixed: !IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL) && pfn_valid → insert_page (refcounted).
            var p = (int)pfn.Value;
            if (Mem.RefCount[Mem.CompoundHead(p)] == 0)
            {
                return VmFaultResult.Sigbus;
            }

            MapNormalPte(vma, a, p, vma.PageProt, write: false, PteInstaller.VmfInsertMixed, PteRef.Take, site);
            return VmFaultResult.NoPage;
        }

        MapSpecialPte(vma, a, pfn.Value, vma.PageProt, write: false, PteInstaller.VmfInsertMixed);
        if (Strict)
        {
            CheckRegion(vma, pfn.Value, 1, "vmf_insert_mixed", site, addr);
        }

        return VmFaultResult.NoPage;
    }

    /// <summary>
    /// mm/memory.c: zap_vma_ptes — removes the PTEs of a range of a VM_PFNMAP vma (does nothing for other vmas or
    /// a range outside the vma), so a driver can take its device memory away before freeing or moving it.
    /// </summary>
    /// <param name="vma">The vma.</param>
    /// <param name="addr">Start of the range.</param>
    /// <param name="size">Length in bytes.</param>
    public void ZapVmaPtes(VmArea vma, UserAddr addr, ulong size)
    {
        CheckVma(vma);
        if ((vma.RawFlags & VmFlags.PfnMap) == 0 || addr < vma.Start || addr.Value + size > vma.End.Value)
        {
            return;
        }

        ZapRange(vma, addr.PageDown.Value, PageAlign(addr.Value + size));
    }

    /// <summary>
    /// mm/memory.c: unmap_mapping_range — zaps every PTE, in every process, that maps file pages
    /// [<paramref name="holeBegin"/>, <paramref name="holeBegin"/> + <paramref name="holeLen"/>) of
    /// <paramref name="mapping"/> (length 0: to the end). Private COW copies survive unless <paramref name="evenCows"/>.
    /// The driver's way to revoke user mappings before freeing what they map.
    /// </summary>
    /// <param name="mapping">The inode's address space (file.Mapping).</param>
    /// <param name="holeBegin">Byte offset in the file.</param>
    /// <param name="holeLen">Length in bytes, 0 for "to the end".</param>
    /// <param name="evenCows">Also zap private (COWed) pages.</param>
    public void UnmapMappingRange(AddressSpace mapping, ulong holeBegin, ulong holeLen, bool evenCows)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        RequireMine(mapping.Host.Kernel, "the mapping", nameof(mapping));
        var first = holeBegin >> PageShift;
        var last = holeLen == 0 ? ulong.MaxValue : first + ((holeLen + PageSize - 1) >> PageShift) - 1;
        foreach (var vma in mapping.Vmas.ToArray())
        {
            var vFirst = vma.RawPgoff;
            var vLast = vma.RawPgoff + vma.Pages - 1;
            if (vLast < first || vFirst > last)
            {
                continue;
            }

            var from = vma.Start.Value + ((Math.Max(first, vFirst) - vFirst) << PageShift);
            var to = vma.Start.Value + ((Math.Min(last, vLast) - vFirst + 1) << PageShift);
            using (EnterProcess(vma.Mm.Owner, MmapLockMode.Read))
            {
                // zap_page_range_single (zap_page_range before 6.3): lru_add_drain first, as unmap_region does.
                Lru.Drain();
                var addr = from;
                while (vma.Mm.PageTable.Next(ref addr, to, out var pte))
                {
                    var raw = Pte.PfnOf(pte);
                    var anon = raw < (ulong)Mem.Count && Mem.Mapping[(int)raw] == MemMap.AnonMapping;
                    if (!anon || evenCows)
                    {
                        ZapPte(vma, addr, pte);
                    }

                    addr += PageSize;
                }

                vma.Mm.Tlb.FlushRange(from >> PageShift, to >> PageShift);
            }
        }
    }
}
