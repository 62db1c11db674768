using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: vm_insert_page — maps one individual kernel page at <paramref name="addr"/> with a normal,
    /// refcounted PTE (+1 refcount, +1 mapcount, file rss). Refuses anonymous pages and refcount-0 tails (-EINVAL),
    /// slab pages from 5.2 and typed pages from 6.10 (-EINVAL), an address outside the vma (-EFAULT) and an
    /// occupied PTE (-EBUSY). Sets VM_INSERTPAGE (≤ 3.6) or VM_MIXEDMAP (3.7+); from 3.7 a VM_PFNMAP vma, or a
    /// call without VM_MIXEDMAP outside -&gt;mmap (the mmap lock not held for write), is a kernel BUG.
    /// </summary>
    /// <param name="vma">The vma.</param>
    /// <param name="addr">A user address inside the vma.</param>
    /// <param name="page">The page.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 2.6.15-rc4.</exception>
    /// <exception cref="KernelBugException">The 3.7+ BUG_ONs.</exception>
    public int VmInsertPage(VmArea vma, UserAddr addr, Page page, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(VmInsertPage));
        var site = Sites.Intern(caller, file, line);
        return NoteMappingResult(InsertPageCore(vma, addr, page, site, PteInstaller.VmInsertPage), "vm_insert_page", site);
    }

    private int InsertPageCore(VmArea vma, UserAddr addr, Page page, int site, PteInstaller how)
    {
        CheckVma(vma);
        var pfn = CheckPage(page);
        if (addr < vma.Start || addr >= vma.End)
        {
            return -Errno.EFAULT;
        }

        if (Strict)
        {
            // INV-15 first: a page past the driver's memory is the finding even when the kernel then refuses it as free.
            CheckRegion(vma, (ulong)pfn, 1, "vm_insert_page", site, addr);
        }

        // validate_page_before_insert.
        var unsuitable = Mem.Mapping[pfn] == MemMap.AnonMapping ? "an anonymous page"
            : Mem.RefCount[Mem.CompoundHead(pfn)] == 0 ? "a page with refcount 0 (free, or a tail of a high-order block allocated without __GFP_COMP and never split)"
            : (Mem.Type[pfn] == PageType.Slab && Policy.VmInsertPageRejectsSlab) || (Mem.Type[pfn] != PageType.None && Policy.VmInsertPageRejectsTypedPages)
                ? $"a {Mem.Type[pfn].ToString().ToLowerInvariant()} page"
                : null;
        if (unsuitable is not null)
        {
            if (Strict)
            {
                // The kernel only returns -EINVAL; the simulator names the page so that the refusal is not lost when ignored.
                RecordMappingFinding("INV-09",
                    $"DKSIM INV-09: vm_insert_page refused pfn {pfn:x5}, {unsuitable}: -EINVAL",
                    vma, (ulong)pfn, site, "DK0010");
            }

            return -Errno.EINVAL;
        }

        if (Mem.Type[pfn] != PageType.None && Strict)
        {
            RecordMappingFinding("INV-09",
                $"DKSIM INV-09: vm_insert_page of {Mem.Type[pfn].ToString().ToLowerInvariant()} pfn {pfn:x5}: rmap will write the page's mapcount word, which the allocator uses",
                vma, (ulong)pfn, site, "DK0010");
        }

        var flags = vma.RawFlags;
        if (Policy.VmInsertPageBugChecks)
        {
            if ((flags & VmFlags.MixedMap) == 0)
            {
                // vm_insert_page: BUG_ON(mmap_read_trylock(vma->vm_mm)) (down_read_trylock(&mm->mmap_sem) before 5.8) — the caller must hold the lock for write.
                if (!WriteLockedByCurrent(vma.Mm))
                {
                    throw BugOn("mm/memory.c", "vm_insert_page", Policy.MmapReadTrylockText, "INV-09", "DK0011", new Pfn((ulong)pfn), vma.ToString(), Sites.Site(site));
                }

                if ((flags & VmFlags.PfnMap) != 0)
                {
                    throw BugOn("mm/memory.c", "vm_insert_page", "vma->vm_flags & VM_PFNMAP", "INV-09", "DK0009", new Pfn((ulong)pfn), vma.ToString(), Sites.Site(site));
                }
            }
        }
        else if (Strict && Policy.VmInsertPageSetsFlag != VmFlags.None && (flags & Policy.VmInsertPageSetsFlag) == 0 && !WriteLockedByCurrent(vma.Mm))
        {
            RecordMappingFinding("INV-26",
                $"DKSIM INV-26: vm_insert_page from {CurrentKind} context sets {Policy.KernelName(Policy.VmInsertPageSetsFlag)} on {vma.Brief}{WhoseVma(vma)} without the mmap write lock\n  a data race; a BUG_ON from 3.7",
                vma, (ulong)pfn, site, "DK0011");
        }

        if (!Policy.VmInsertPageBugChecks && (flags & VmFlags.PfnMap) != 0 && Strict)
        {
            RecordMappingFinding("INV-04",
                $"DKSIM INV-04: vm_insert_page into VM_PFNMAP {vma.Brief}: the PTE is installed normal, but vm_normal_page may call it special at zap (leak + stuck mapcount)",
                vma, (ulong)pfn, site, "DK0009");
        }

        // insert_page → get_locked_pte: the leaf table comes from the free memory; none left is -ENOMEM.
        var a = addr.PageDown.Value;
        if (!PteAlloc(vma.Mm, a))
        {
            return -Errno.ENOMEM;
        }

        if (!Pte.IsNone(vma.Mm.GetPte(a)))
        {
            return -Errno.EBUSY;
        }

        var before = vma.RawFlags;
        vma.RawFlags |= Policy.VmInsertPageSetsFlag;
        if (Strict && before != vma.RawFlags && (ClassificationInputs & (before ^ vma.RawFlags)) != 0)
        {
            CheckFlipOfMappedVma(vma, $"vm_insert_page set {Policy.KernelName(Policy.VmInsertPageSetsFlag)}");
        }

        MapNormalPte(vma, a, pfn, vma.PageProt, write: false, how, PteRef.Take, site);
        return 0;
    }

    /// <summary>
    /// mm/memory.c: vm_map_pages — vm_insert_page for every page of the vma from <paramref name="pages"/>,
    /// starting at vm_pgoff; -ENXIO when the vma asks for more pages than the array has after vm_pgoff (5.0+).
    /// </summary>
    /// <param name="vma">The vma.</param>
    /// <param name="pages">The driver's pages.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public int VmMapPages(VmArea vma, IReadOnlyList<Page> pages, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(VmMapPages));
        CheckVma(vma);
        ArgumentNullException.ThrowIfNull(pages);
        var site = Sites.Intern(caller, file, line);
        var count = vma.Pages;
        var offset = vma.RawPgoff;
        var num = (ulong)pages.Count;
        if (offset >= num || count > num - offset)
        {
            return NoteMappingResult(-Errno.ENXIO, "vm_map_pages", site);
        }

        for (var i = 0UL; i < count; i++)
        {
            var ret = InsertPageCore(vma, vma.Start + (i << PageShift), pages[(int)(offset + i)], site, PteInstaller.VmInsertPage);
            if (ret < 0)
            {
                return NoteMappingResult(ret, "vm_map_pages", site);
            }
        }

        return 0;
    }

    /// <summary>
    /// mm/vmalloc.c: remap_vmalloc_range — maps a vmalloc_user() area page by page (vmalloc_to_page + vm_insert_page)
    /// from page offset <paramref name="pgoff"/>; -EINVAL for memory not from vmalloc_user or a range past its end.
    /// Sets the era's flags (<see cref="EraPolicy.RemapVmallocRangeFlags"/>): VM_RESERVED up to 3.6, VM_DONTEXPAND|VM_DONTDUMP after.
    /// </summary>
    /// <param name="vma">The vma (mapped whole).</param>
    /// <param name="addr">The vmalloc_user() address.</param>
    /// <param name="pgoff">Page offset into the area.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public int RemapVmallocRange(VmArea vma, VmallocAddr addr, ulong pgoff, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(RemapVmallocRange));
        CheckVma(vma);
        var site = Sites.Intern(caller, file, line);
        var area = VmallocSpace.Find(addr);
        if (area is null || !area.UserMap)
        {
            ExplainRefusal(vma, site, area is null
                ? $"{addr} is not the start of a vmalloc area"
                : $"the area at {addr} was not allocated with vmalloc_user (no VM_USERMAP)");
            return NoteMappingResult(-Errno.EINVAL, "remap_vmalloc_range", site);
        }

        var start = (addr - area.Start) / PageSize + pgoff;
        if (pgoff > (ulong)area.Pfns.Length || start + vma.Pages > (ulong)area.Pfns.Length)
        {
            ExplainRefusal(vma, site, $"{vma.Pages} page(s) from page {pgoff} run past the area's {area.Pfns.Length}");
            return NoteMappingResult(-Errno.EINVAL, "remap_vmalloc_range", site);
        }

        for (var i = 0UL; i < vma.Pages; i++)
        {
            var ret = InsertPageCore(vma, vma.Start + (i << PageShift), new Page(Mem, area.Pfns[start + i]), site, PteInstaller.VmInsertPage);
            if (ret < 0)
            {
                return NoteMappingResult(ret, "remap_vmalloc_range", site);
            }
        }

        vma.RawFlags |= Policy.RemapVmallocRangeFlags;
        return 0;
    }

    /// <summary>Strict mode: why remap_vmalloc_range said -EINVAL, which the kernel never says (INV-11).</summary>
    private void ExplainRefusal(VmArea vma, int site, string why)
    {
        if (Strict)
        {
            Record(new Report(ReportKind.Simulator, "INV-11", $"DKSIM INV-11: remap_vmalloc_range refused: {why}: -EINVAL", Era)
            {
                Vma = vma.ToString(),
                CallSite = Sites.Site(site),
                RuleId = "DK0007",
            });
        }
    }
}
