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
        return GupFast(start, nrPages, flags, pages, pin: true, Sites.Intern(caller, file, line));
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
