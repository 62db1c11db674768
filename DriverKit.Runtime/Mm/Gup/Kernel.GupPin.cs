using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/gup.c: pin_user_pages_fast (5.6) — <see cref="GetUserPagesFast"/> with FOLL_PIN: the lockless walk pins each
    /// present, suitably writable, non-special PTE's page (GUP_PIN_COUNTING_BIAS from 5.7) without touching it; at the
    /// first page it cannot take it falls back to the slow path (faults in, under the mmap read lock it takes itself).
    /// Release with <see cref="UnpinUserPages"/>.
    /// </summary>
    /// <param name="start">First user address.</param>
    /// <param name="nrPages">Number of pages.</param>
    /// <param name="flags">FOLL_WRITE, FOLL_LONGTERM.</param>
    /// <param name="pages">Receives the pages, each pinned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <returns>The number of pages pinned, or -errno when the first one failed.</returns>
    /// <exception cref="EraMismatchException">Before 5.6.</exception>
    /// <exception cref="InvalidOperationException">Called outside process context (no current task).</exception>
    public long PinUserPagesFast(UserAddr start, int nrPages, FollFlags flags, Page[] pages, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(PinUserPagesFast));
        ArgumentNullException.ThrowIfNull(pages);
        if (nrPages <= 0 || pages.Length < nrPages)
        {
            return -Errno.EINVAL;
        }

        var mm = CurrentMm();
        var site = Sites.Intern(caller, file, line);
        var write = (flags & FollFlags.Write) != 0;
        var taken = 0;
        for (; taken < nrPages; taken++)
        {
            // gup_fast_pte_range: pte_present, pte_write for FOLL_WRITE, !pte_special, a struct page; try_grab_folio(FOLL_PIN).
            var addr = start.PageDown.Value + ((ulong)taken << PageShift);
            var vma = mm.Vmas.FindVma(addr);
            var pte = mm.GetPte(addr);
            if (vma is null || vma.Start.Value > addr || !Pte.IsHardwarePresent(pte) || (write && !Pte.IsWritable(pte)) || Pte.IsSpecial(pte)
                || VmNormalPage(vma, addr, pte, report: false) is not (var page and >= 0))
            {
                break;
            }

            var head = Mem.CompoundHead(page);
            Mem.RefCount[head] += Policy.PinBias;
            Ledger.Add(head, HolderKind.Pin, site);
            pages[taken] = new Page(Mem, page);
        }

        if (taken == nrPages)
        {
            return nrPages;
        }

        // __gup_longterm_unlocked: the rest through the slow path, under mmap_read_lock.
        var rest = new Page[nrPages - taken];
        long slow;
        using (EnterProcess(mm.Owner, MmapLockMode.Read))
        {
            slow = Gup(mm, start + ((ulong)taken << PageShift), nrPages - taken, flags, rest, pin: true, site);
        }

        if (slow < 0)
        {
            return taken > 0 ? taken : slow;
        }

        Array.Copy(rest, 0, pages, taken, slow);
        return taken + slow;
    }

    /// <summary>
    /// mm/gup.c: pin_user_pages_remote (5.6) — <see cref="PinUserPages"/> on another task's address space
    /// (<paramref name="mm"/>, held by the caller with mmap_read_lock), as vfio and process_vm_* use it.
    /// </summary>
    /// <param name="mm">The address space.</param>
    /// <param name="start">First user address.</param>
    /// <param name="nrPages">Number of pages.</param>
    /// <param name="flags">FOLL_* flags.</param>
    /// <param name="pages">Receives the pages, each pinned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <returns>The number of pages pinned, or -errno when the first one failed.</returns>
    /// <exception cref="EraMismatchException">Before 5.6.</exception>
    public long PinUserPagesRemote(MmStruct mm, UserAddr start, int nrPages, FollFlags flags, Page[] pages, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(PinUserPagesRemote));
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentNullException.ThrowIfNull(pages);
        RequireMine(mm.Kernel, "the mm", nameof(mm));
        using (EnterProcess(mm.Owner, MmapLockMode.Read))
        {
            return Gup(mm, start, nrPages, flags, pages, pin: true, Sites.Intern(caller, file, line));
        }
    }
}
