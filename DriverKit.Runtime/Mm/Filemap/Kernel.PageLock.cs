using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    private readonly Dictionary<int, int> lockSites = new();

    /// <summary>
    /// mm/filemap.c: lock_page — takes PG_locked. A lock for exclusive access while contents change, not a pin:
    /// zap, munmap and exit drop references regardless (DKMM006). Locking a page that is already locked would
    /// sleep forever in this single-threaded machine; the simulator reports the deadlock instead.
    /// </summary>
    /// <param name="page">The page.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">The page is already locked (self-deadlock) or free.</exception>
    public void LockPage(Page page, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var pfn = LockablePage(page, Sites.Intern(caller, file, line));
        if (Mem.Has(pfn, PageFlags.Locked))
        {
            throw Refuse("INV-08", $"lock_page on pfn {pfn:x5}, which is already locked (at {Sites.Site(lockSites.GetValueOrDefault(pfn))}): the task would sleep forever", "DK0006", pfn);
        }

        Mem.Set(pfn, PageFlags.Locked);
        lockSites[pfn] = Sites.Intern(caller, file, line);
    }

    /// <summary>mm/filemap.c: trylock_page — takes PG_locked if it is free; returns whether it did.</summary>
    /// <param name="page">The page.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public bool TrylockPage(Page page, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var pfn = LockablePage(page, Sites.Intern(caller, file, line));
        if (Mem.Has(pfn, PageFlags.Locked))
        {
            return false;
        }

        Mem.Set(pfn, PageFlags.Locked);
        lockSites[pfn] = Sites.Intern(caller, file, line);
        return true;
    }

    /// <summary>mm/filemap.c: unlock_page — drops PG_locked; unlocking an unlocked page is VM_BUG_ON_PAGE.</summary>
    /// <param name="page">The page.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public void UnlockPage(Page page, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var pfn = LockablePage(page, Sites.Intern(caller, file, line));
        if (!Mem.Has(pfn, PageFlags.Locked))
        {
            throw VmBugOnPage(pfn, "!PageLocked(page)", "INV-08", "DK0006", Sites.Site(Sites.Intern(caller, file, line)));
        }

        Mem.Clear(pfn, PageFlags.Locked);
        lockSites.Remove(pfn);
    }

    /// <summary>
    /// include/linux/page-flags.h: SetPageLocked / __SetPageLocked — sets PG_locked without the lock protocol.
    /// Never legitimate in a driver (DKMM006); the simulator notes it (strict mode) and sets the bit, so an exit
    /// during "locked" DMA frees the page with PG_locked set, as the real kernel would.
    /// </summary>
    /// <param name="page">The page.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public void SetPageLocked(Page page, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        var site = Sites.Intern(caller, file, line);
        var pfn = LockablePage(page, site);
        Record(new Report(ReportKind.Simulator, "INV-08",
            $"DKSIM INV-08: SetPageLocked on pfn {pfn:x5} by a driver: PG_locked is a lock, not a pin", Era)
        {
            Pfn = new Pfn((ulong)pfn),
            CallSite = Sites.Site(site),
            RuleId = "DK0006",
        });
        Mem.Set(pfn, PageFlags.Locked);
        lockSites[pfn] = site;
    }

    /// <summary>include/linux/page-flags.h: PageLocked.</summary>
    /// <param name="page">The page.</param>
    public bool PageLocked(Page page) => Mem.Has(CheckPage(page), PageFlags.Locked);

    private int LockablePage(Page page, int site)
    {
        var pfn = Mem.CompoundHead(CheckPage(page));
        if (IsFreeFrame(pfn))
        {
            throw Refuse("INV-08", $"page lock operation on free pfn {pfn:x5}", "DK0006", pfn, Sites.Site(site));
        }

        return pfn;
    }
}
