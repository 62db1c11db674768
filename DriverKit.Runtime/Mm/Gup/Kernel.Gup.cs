using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

/// <summary>FOLL_* flags of get_user_pages / pin_user_pages.</summary>
[Flags]
public enum FollFlags
{
    /// <summary>Read access.</summary>
    None = 0,

    /// <summary>FOLL_WRITE: the caller (or its device) will write; breaks COW first.</summary>
    Write = 0x01,

    /// <summary>FOLL_FORCE: ignore the vma's write permission (ptrace).</summary>
    Force = 0x10,

    /// <summary>FOLL_LONGTERM: the pin may last indefinitely (RDMA, vfio).</summary>
    LongTerm = 0x100,
}

public sealed partial class Kernel
{
    /// <summary>
    /// mm/gup.c: get_user_pages — takes a reference (FOLL_GET) on each page behind [start, start + n pages) of the
    /// current process, faulting pages in first. Vmas with the era's VM_IO/VM_PFNMAP (VM_RESERVED in 2.6.15-rc1/rc2)
    /// give -EFAULT; a special PTE the vma does not reject gives -EEXIST/-EFAULT. Returns the number of pages
    /// pinned, or -errno when the first one failed.
    /// </summary>
    /// <param name="start">First user address.</param>
    /// <param name="nrPages">Number of pages.</param>
    /// <param name="flags">FOLL_* flags.</param>
    /// <param name="pages">Receives the pages (may be null to only fault in).</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="InvalidOperationException">Called outside process context (no current task).</exception>
    public long GetUserPages(UserAddr start, int nrPages, FollFlags flags, Page[]? pages, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => Gup(CurrentMm(), start, nrPages, flags, pages, pin: false, Sites.Intern(caller, file, line));

    /// <summary>mm/gup.c: get_user_pages_remote — <see cref="GetUserPages"/> on another process's address space.</summary>
    /// <param name="mm">The address space.</param>
    /// <param name="start">First user address.</param>
    /// <param name="nrPages">Number of pages.</param>
    /// <param name="flags">FOLL_* flags.</param>
    /// <param name="pages">Receives the pages.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public long GetUserPagesRemote(MmStruct mm, UserAddr start, int nrPages, FollFlags flags, Page[]? pages, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(mm);
        RequireMine(mm.Kernel, "the mm", nameof(mm));
        using (EnterProcess(mm.Owner, MmapLockMode.Read))
        {
            return Gup(mm, start, nrPages, flags, pages, pin: false, Sites.Intern(caller, file, line));
        }
    }

    /// <summary>
    /// mm/gup.c: get_user_pages_fast (2.6.27+) for the current process — the lockless walk takes a reference on each
    /// present, suitably writable, non-special PTE's page without touching it (no FOLL_TOUCH, no fault); at the
    /// first page it cannot take it falls back to <see cref="GetUserPages"/> for the rest, which faults and touches.
    /// </summary>
    /// <param name="start">First user address.</param>
    /// <param name="nrPages">Number of pages.</param>
    /// <param name="flags">FOLL_WRITE etc.</param>
    /// <param name="pages">Receives the pages (each with a reference).</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <returns>The number of pages taken, or -errno when the first one failed.</returns>
    public long GetUserPagesFast(UserAddr start, int nrPages, FollFlags flags, Page[] pages, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(GetUserPagesFast));
        return GupFast(start, nrPages, flags, pages, pin: false, Sites.Intern(caller, file, line));
    }

    /// <summary>
    /// mm/gup.c: gup_fast (gup_pte_range) then the slow path — the lockless walk of get_user_pages_fast and
    /// pin_user_pages_fast: a reference (or a pin) on each present, suitably writable, non-special PTE's page without
    /// touching it, until the first page it cannot take; the rest goes through <see cref="Gup"/>, which faults and touches
    /// (for pins under the mmap read lock it takes itself: __gup_longterm_unlocked).
    /// </summary>
    private long GupFast(UserAddr start, int nrPages, FollFlags flags, Page[] pages, bool pin, int site)
    {
        ArgumentNullException.ThrowIfNull(pages);
        if (nrPages <= 0 || pages.Length < nrPages)
        {
            return -Errno.EINVAL;
        }

        var mm = CurrentMm();
        var write = (flags & FollFlags.Write) != 0;
        var taken = 0;
        for (; taken < nrPages; taken++)
        {
            var addr = start.PageDown.Value + ((ulong)taken << PageShift);
            var vma = mm.Vmas.FindVma(addr);
            var pte = mm.GetPte(addr);
            if (vma is null || vma.Start.Value > addr || !Pte.IsHardwarePresent(pte) || (write && !Pte.IsWritable(pte)) || Pte.IsSpecial(pte)
                || VmNormalPage(vma, addr, pte, report: false) is not (var page and >= 0))
            {
                break;
            }

            var head = Mem.CompoundHead(page);
            Mem.RefCount[head] += pin ? Policy.PinBias : 1;
            Ledger.Add(head, pin ? HolderKind.Pin : HolderKind.Gup, site);
            pages[taken] = new Page(Mem, page);
        }

        if (taken == nrPages)
        {
            return nrPages;
        }

        var rest = new Page[nrPages - taken];
        var from = start + ((ulong)taken << PageShift);
        long slow;
        if (pin)
        {
            using (EnterProcess(mm.Owner, MmapLockMode.Read))
            {
                slow = Gup(mm, from, nrPages - taken, flags, rest, pin, site);
            }
        }
        else
        {
            slow = Gup(mm, from, nrPages - taken, flags, rest, pin, site);
        }

        if (slow < 0)
        {
            return taken > 0 ? taken : slow;
        }

        Array.Copy(rest, 0, pages, taken, slow);
        return taken + slow;
    }

    /// <summary>
    /// mm/gup.c: pin_user_pages (5.6+) — like get_user_pages but FOLL_PIN: each pin adds GUP_PIN_COUNTING_BIAS
    /// (1024, from 5.7) so the page is recognisably DMA-pinned; release with <see cref="UnpinUserPages"/>.
    /// </summary>
    /// <param name="start">First user address.</param>
    /// <param name="nrPages">Number of pages.</param>
    /// <param name="flags">FOLL_* flags.</param>
    /// <param name="pages">Receives the pages.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public long PinUserPages(UserAddr start, int nrPages, FollFlags flags, Page[] pages, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(PinUserPages));
        ArgumentNullException.ThrowIfNull(pages);
        return Gup(CurrentMm(), start, nrPages, flags, pages, pin: true, Sites.Intern(caller, file, line));
    }

    /// <summary>mm/gup.c: unpin_user_pages — releases pins taken by <see cref="PinUserPages"/> (a plain reference is refused: INV-19).</summary>
    /// <param name="pages">The pages.</param>
    /// <param name="count">How many of them.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public void UnpinUserPages(Page[] pages, int count, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => UnpinUserPagesDirtyLock(pages, count, false, caller, file, line);

    /// <summary>mm/gup.c: unpin_user_pages_dirty_lock — marks the pages dirty (the device wrote them), then unpins.</summary>
    /// <param name="pages">The pages.</param>
    /// <param name="count">How many of them.</param>
    /// <param name="makeDirty">Set PG_dirty first.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public void UnpinUserPagesDirtyLock(Page[] pages, int count, bool makeDirty, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(UnpinUserPagesDirtyLock));
        ArgumentNullException.ThrowIfNull(pages);
        if ((uint)count > (uint)pages.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"count {count} exceeds the {pages.Length} pages given");
        }

        var site = Sites.Intern(caller, file, line);

        // Every unpin must find a pin of its own: a page listed twice needs two.
        var wanted = new Dictionary<int, int>();
        for (var i = 0; i < count; i++)
        {
            var head = Mem.CompoundHead(CheckPage(pages[i]));
            wanted[head] = wanted.GetValueOrDefault(head) + 1;
            if (Ledger.Count(head, HolderKind.Pin) < wanted[head])
            {
                throw Refuse("INV-19", $"unpin_user_page on pfn {head:x5}, which holds no pin (a get_user_pages reference must be released with put_page)", "DK0006", head, Sites.Site(site));
            }
        }

        for (var i = 0; i < count; i++)
        {
            var head = Mem.CompoundHead(pages[i].Index);
            if (makeDirty)
            {
                Mem.Set(head, PageFlags.Dirty);
            }

            Ledger.RemoveOne(head, HolderKind.Pin);
            Mem.RefCount[head] -= Policy.PinBias - 1;
            PutPageRef(head);
        }
    }

    private MmStruct CurrentMm() => CurrentProcess?.Mm ?? throw new InvalidOperationException("get_user_pages needs process context (current->mm); call it from a driver ioctl or use GetUserPagesRemote.");

    /// <summary>
    /// mm/gup.c: check_vma_flags — the era's VM_IO/VM_PFNMAP refusal; a write needs VM_WRITE, or FOLL_FORCE on a COW
    /// mapping (VM_MAYWRITE without VM_SHARED: a forced write never reaches a shared file's pages); a read needs VM_READ,
    /// or FOLL_FORCE and VM_MAYREAD. The shared-mapping refusal is Hugh Dickins' "get_user_pages(write,force) refuse to
    /// COW in shared areas" (3.15); it is applied in every era here: before it the kernel put a COWed anonymous page into
    /// the VM_MAYWRITE VM_SHARED !VM_WRITE vma, which the simulator does not model.
    /// </summary>
    private bool CheckVmaFlags(VmFlags flags, bool write, bool force)
    {
        if ((flags & Policy.GupRejectMask) != 0)
        {
            return false;
        }

        if (write)
        {
            return (flags & VmFlags.Write) != 0 || (force && (flags & (VmFlags.Shared | VmFlags.MayWrite)) == VmFlags.MayWrite);
        }

        return (flags & VmFlags.Read) != 0 || (force && (flags & VmFlags.MayRead) != 0);
    }

    /// <summary>Drops what <see cref="Gup"/> took on one page: a FOLL_GET reference (put_page) or a FOLL_PIN (unpin_user_page), after set_page_dirty_lock when <paramref name="dirty"/>.</summary>
    private void ReleaseGupPage(int page, bool pin, bool dirty)
    {
        var head = Mem.CompoundHead(page);
        if (dirty && head != ZeroPfn)
        {
            Mem.Set(head, PageFlags.Dirty);
        }

        if (pin)
        {
            Ledger.RemoveOne(head, HolderKind.Pin);
            Mem.RefCount[head] -= Policy.PinBias - 1;
        }
        else
        {
            Ledger.RemoveOne(head, HolderKind.Gup);
        }

        PutPageRef(head);
    }

    /// <summary>mm/gup.c: __get_user_pages — check_vma_flags, follow_page (vm_normal_page), faultin_page, try_grab_page.</summary>
    private long Gup(MmStruct mm, UserAddr start, int nrPages, FollFlags flags, Page[]? pages, bool pin, int site)
    {
        if (nrPages <= 0 || (pages is not null && pages.Length < nrPages))
        {
            return -Errno.EINVAL;
        }

        var write = (flags & FollFlags.Write) != 0;
        var force = (flags & FollFlags.Force) != 0;
        for (var i = 0; i < nrPages; i++)
        {
            var addr = start.PageDown.Value + ((ulong)i << PageShift);
            var vma = mm.Vmas.FindVma(addr);
            if (vma is null || vma.Start.Value > addr || !CheckVmaFlags(vma.RawFlags, write, force))
            {
                return i > 0 ? i : -Errno.EFAULT;
            }

            var page = -1;
            var cowBroken = false; // FOLL_COW: a forced write fault has copied the page into a read-only private PTE
            for (var attempt = 0; attempt < 4 && page < 0; attempt++)
            {
                var pte = mm.GetPte(addr);

                // follow_page_pte: pte_present, which a PROT_NONE PTE is (only FOLL_NUMA, never set with FOLL_FORCE,
                // skips it; a PROT_NONE vma passes check_vma_flags only when forced). can_follow_write_pte: writable, or
                // (FOLL_FORCE after the COW fault) dirty — the Dirty COW fix of 4.8.3.
                if (Pte.IsPresent(pte) && (!write || Pte.IsWritable(pte) || (force && cowBroken && (pte & Pte.Dirty) != 0)))
                {
                    page = VmNormalPage(vma, addr, pte, report: false);
                    if (page < 0 && Pte.PfnOf(pte) == (ulong)ZeroPfn)
                    {
                        // follow_page_pte: vm_normal_page says "special", but is_zero_pfn — the zero page is returned.
                        page = ZeroPfn;
                    }

                    if (page < 0)
                    {
                        // follow_page_pte → follow_pfn_pte: a proper PTE without a struct page behind it.
                        return i > 0 ? i : -Policy.GupSpecialPteErrno;
                    }

                    break;
                }

                if (!HandleMmFault(mm, addr, write, force).IsOk)
                {
                    return i > 0 ? i : -Errno.EFAULT;
                }

                cowBroken = write && (vma.RawFlags & VmFlags.Write) == 0;
            }

            if (page < 0)
            {
                return i > 0 ? i : -Errno.EFAULT;
            }

            if (!pin)
            {
                // follow_page_pte with FOLL_TOUCH (get_user_pages; pin_user_pages does not touch in 6.1).
                Lru.MarkAccessed(page);
            }

            if (pages is null)
            {
                continue;
            }

            var head = Mem.CompoundHead(page);
            Mem.RefCount[head] += pin ? Policy.PinBias : 1;
            Ledger.Add(head, pin ? HolderKind.Pin : HolderKind.Gup, site);
            pages[i] = new Page(Mem, page);
        }

        return nrPages;
    }
}
