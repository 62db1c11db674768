namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: vm_normal_page (and its open-coded ≤ 2.6.14 predecessors in copy_one_pte, zap_pte_range,
    /// page_add_file_rmap). Returns the pfn of the struct page the PTE refcounts, or -1 when the PTE is special:
    /// the core VM then touches no refcount, mapcount or rss for it. The era policy picks the rule (§1.1).
    /// </summary>
    internal int VmNormalPage(VmArea vma, ulong addr, ulong pte, bool report = true)
    {
        var pfnLong = Pte.PfnOf(pte);
        var valid = pfnLong < (ulong)Mem.Count;
        var pfn = valid ? (int)pfnLong : -1;
        var flags = vma.RawFlags;
        if (Config.WhatIfVmReservedSpecial && (flags & VmFlags.Reserved) != 0)
        {
            return -1;
        }

        switch (Policy.SpecialPteRule)
        {
            case SpecialPteRule.PageReserved:
                // 2.6.11 copy_one_pte / zap_pte_range: if (!pfn_valid(pfn) || PageReserved(page)) skip.
                return valid && !Mem.Has(pfn, PageFlags.Reserved) ? pfn : -1;

            case SpecialPteRule.VmaReserved:
                // 2.6.15-rc1/rc2 (Piggin, "mm: core remove PageReserved"): every PTE of a VM_RESERVED vma is
                // special; the zero page is refcounted like any page; a bad pfn elsewhere is print_bad_pte.
                if ((flags & VmFlags.Reserved) != 0)
                {
                    return -1;
                }

                return valid ? pfn : BadPteSpecial(vma, addr, pte, report);

            case SpecialPteRule.VmaUnpaged:
                // 0b14c179 "unpaged: VM_UNPAGED", ee498ed7 "unpaged: anon in VM_UNPAGED".
                if ((flags & VmFlags.Unpaged) != 0)
                {
                    return valid && Mem.Mapping[pfn] == MemMap.AnonMapping ? pfn : -1;
                }

                return valid ? pfn : BadPteSpecial(vma, addr, pte, report);

            case SpecialPteRule.PfnMapLinear:
                // 2.6.20 vm_normal_page: the linear rule, or any PTE of a non-COW PFNMAP vma.
                if ((flags & VmFlags.PfnMap) != 0 && IsLinearOrNonCow(vma, addr, pfnLong))
                {
                    return -1;
                }

                if (!valid)
                {
                    return report && (!Policy.BadPteReportNeedsDebugVm || Config.DebugVm) ? BadPteSpecial(vma, addr, pte, report) : -1;
                }

                return pfn;

            default:
                if (Policy.UsesPteSpecialBit)
                {
                    // __vm_normal_page with CONFIG_ARCH_HAS_PTE_SPECIAL.
                    if (Pte.IsSpecial(pte))
                    {
                        if ((flags & (VmFlags.PfnMap | VmFlags.MixedMap)) != 0 || pfn == ZeroPfn)
                        {
                            return -1;
                        }

                        return BadPteSpecial(vma, addr, pte, report);
                    }

                    if (pfn == ZeroPfn)
                    {
                        return -1;
                    }

                    return valid ? pfn : BadPteSpecial(vma, addr, pte, report);
                }

                if ((flags & VmFlags.MixedMap) != 0)
                {
                    return valid && pfn != ZeroPfn ? pfn : -1;
                }

                if ((flags & VmFlags.PfnMap) != 0 && IsLinearOrNonCow(vma, addr, pfnLong))
                {
                    return -1;
                }

                if (pfn == ZeroPfn)
                {
                    return -1;
                }

                return valid ? pfn : BadPteSpecial(vma, addr, pte, report);
        }
    }

    /// <summary>
    /// Whether <see cref="VmNormalPage"/> in <paramref name="vma"/> is decided by the PTE alone (__vm_normal_page with
    /// CONFIG_ARCH_HAS_PTE_SPECIAL): a PTE without the special bit maps the normal page of its pfn, unless that is the
    /// zero page or beyond RAM. Lets a loop over one vma's PTEs take the decision once.
    /// </summary>
    internal bool NormalPageBySpecialBit(VmArea vma) =>
        Policy.SpecialPteRule == SpecialPteRule.PfnMapMixedMap && Policy.UsesPteSpecialBit
        && !(Config.WhatIfVmReservedSpecial && (vma.RawFlags & VmFlags.Reserved) != 0);

    private static bool IsLinearOrNonCow(VmArea vma, ulong addr, ulong pfn)
        => pfn == vma.RawPgoff + ((addr - vma.Start.Value) >> PageShift) || !vma.IsCowMapping;

    /// <summary>mm/memory.c: print_bad_pte — a PTE that is neither a normal page nor a legitimate special one (INV-22).</summary>
    private int BadPteSpecial(VmArea vma, ulong addr, ulong pte, bool report)
    {
        if (report)
        {
            ReportBadPte(vma, addr, pte, "special or invalid pfn in a vma without VM_PFNMAP/VM_MIXEDMAP");
        }

        return -1;
    }

    internal void ReportBadPte(VmArea vma, ulong addr, ulong pte, string reason)
    {
        var text = Policy.BadPteNewFormat
            ? $"BUG: Bad page map in process {CurrentComm}  pte:{pte:x16} pmd:{(addr >> 21):x16}\naddr:{addr:x16} vm_flags:{(ulong)vma.RawFlags:x8} anon_vma:{(vma.HasAnonVma ? "set" : "0000000000000000")} mapping:{(vma.File is null ? "0000000000000000" : "set")} index:{vma.PgoffOf(new UserAddr(addr)):x}"
            : $"Bad pte = {pte:x8}, process = {CurrentComm}, vm_flags = {(ulong)vma.RawFlags:x}, vaddr = {addr:x}";
        Record(new Report(ReportKind.Kernel, "INV-22", text, Era)
        {
            Reason = reason,
            Pfn = new Pfn(Pte.PfnOf(pte)),
            Vma = vma.ToString(),
            Process = CurrentProcessText,
            RuleId = "DK0013",
        });
    }
}
