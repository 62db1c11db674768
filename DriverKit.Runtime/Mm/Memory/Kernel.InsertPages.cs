using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: vm_insert_pages (5.7) — <see cref="VmInsertPage"/> for <paramref name="num"/> pages from
    /// <paramref name="addr"/> on, one PTE after the other. The whole range must lie in the vma (-EFAULT, nothing
    /// mapped). A vma without VM_MIXEDMAP gets it, under the same BUG_ONs as vm_insert_page: the mmap lock must be held
    /// for write (-&gt;mmap) and the vma must not be VM_PFNMAP. Each page is checked as it is reached
    /// (insert_page_in_batch_locked): at the first refusal (-EINVAL for an unsuitable page, -EBUSY for an occupied
    /// PTE) the pages before it stay mapped and the call returns the error.
    /// </summary>
    /// <param name="vma">The vma.</param>
    /// <param name="addr">The user address of the first page.</param>
    /// <param name="pages">The driver's pages (<c>struct page **</c>).</param>
    /// <param name="num">In: how many pages to map. Out: how many were not mapped (0 when all were).</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <returns>0, or the negative errno of the refusal.</returns>
    /// <exception cref="EraMismatchException">Before 5.7.</exception>
    /// <exception cref="KernelBugException">The BUG_ONs of a vma without VM_MIXEDMAP.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="num"/> is larger than the array (the kernel would read past it).</exception>
    public int VmInsertPages(VmArea vma, UserAddr addr, IReadOnlyList<Page> pages, ref ulong num, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(VmInsertPages));
        CheckVma(vma);
        ArgumentNullException.ThrowIfNull(pages);
        if (num > (ulong)pages.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(num), $"*num is {num} but the array holds {pages.Count} page(s): vm_insert_pages would read past its end");
        }

        for (var i = 0; i < (int)num; i++)
        {
            // A NULL entry oopses in page_folio() once reached; refused up front so that nothing is mapped.
            if (pages[i].IsNull)
            {
                throw new ArgumentNullException(nameof(pages), $"pages[{i}] is a NULL struct page");
            }

            CheckPage(pages[i]);
        }

        var site = Sites.Intern(caller, file, line);

        // vm_insert_pages: end_addr = addr + (*num * PAGE_SIZE) - 1; the range must lie inside the vma.
        var bytes = num << PageShift;
        if (addr < vma.Start || (num >> (64 - PageShift)) != 0 || addr.Value + bytes < addr.Value || addr.Value + bytes > vma.End.Value)
        {
            return NoteMappingResult(-Errno.EFAULT, "vm_insert_pages", site);
        }

        var flags = vma.RawFlags;
        Pfn? first = num > 0 ? new Pfn((ulong)pages[0].Index) : null;
        if ((flags & VmFlags.MixedMap) == 0)
        {
            // BUG_ON(mmap_read_trylock(vma->vm_mm)): the caller must hold the mmap lock for write (in ->mmap).
            if (!WriteLockedByCurrent(vma.Mm))
            {
                throw BugOn("mm/memory.c", "vm_insert_pages", Policy.MmapReadTrylockText, "INV-09", "DK0011", first, vma.ToString(), Sites.Site(site));
            }

            // BUG_ON(vma->vm_flags & VM_PFNMAP).
            if ((flags & VmFlags.PfnMap) != 0)
            {
                throw BugOn("mm/memory.c", "vm_insert_pages", "vma->vm_flags & VM_PFNMAP", "INV-09", "DK0009", first, vma.ToString(), Sites.Site(site));
            }

            // vm_flags_set(vma, VM_MIXEDMAP), even when *num is 0.
            vma.RawFlags |= VmFlags.MixedMap;
            if (Strict && (ClassificationInputs & VmFlags.MixedMap) != 0)
            {
                CheckFlipOfMappedVma(vma, "vm_insert_pages set VM_MIXEDMAP");
            }
        }

        // insert_pages: "Defer page refcount checking till we're about to map that page."
        var total = num;
        for (var i = 0UL; i < total; i++)
        {
            var ret = InsertPageCore(vma, addr + (i << PageShift), pages[(int)i], site, PteInstaller.VmInsertPage);
            if (ret < 0)
            {
                num = total - i;
                return NoteMappingResult(ret, "vm_insert_pages", site);
            }
        }

        num = 0;
        return 0;
    }
}
