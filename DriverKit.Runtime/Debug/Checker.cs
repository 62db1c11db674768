namespace DriverKit.Runtime;

/// <summary>
/// The debug-VM checker (docs/kernel-semantics.md §5): invariants the real kernel checks (reported with the era's
/// text wherever they fire) and the ones only shadow state can check (DKSIM reports, strict mode). Full scans run
/// on demand and at quiescence (process exit in strict mode, driver unload, shutdown).
/// </summary>
public sealed class Checker
{
    private readonly Kernel kernel;
    private const int LedgerPages = 8;
    private readonly HashSet<string> reported = new();

    internal Checker(Kernel kernel) => this.kernel = kernel;

    /// <summary>The reference ledger of a page: counts and every holder.</summary>
    /// <param name="page">The page.</param>
    public string Ledger(Page page) => kernel.LedgerText(kernel.CheckPage(page));

    /// <summary>The reference ledger of a frame by number.</summary>
    /// <param name="pfn">A RAM frame.</param>
    public string Ledger(Pfn pfn) => kernel.LedgerText(kernel.CheckPage(kernel.PfnToPage(pfn)));

    /// <summary>Runs every invariant now and returns the reports it produced (they are also in <see cref="Kernel.Reports"/> in strict mode).</summary>
    public IReadOnlyList<Report> CheckAll()
    {
        var found = new List<Report>();
        ScanFrames(found);
        ScanMms(found);
        ScanLru(found);
        return found;
    }

    /// <summary>INV-02/13/21/24 after every operation in strict mode.</summary>
    internal void AfterOperation()
    {
        var found = new List<Report>();
        ScanFrames(found);
        ScanMms(found);
        ScanLru(found);
    }

    /// <summary>INV-20 at quiescence: stuck mapcounts, references nobody holds, and driver pages nobody can reach.</summary>
    internal IReadOnlyList<Report> CheckQuiescence(string when)
    {
        var found = new List<Report>();
        var mem = kernel.Mem;
        for (var p = 0; p < mem.Count; p++)
        {
            if (mem.MapCount[p] > 0 && kernel.Rmap.CountNormal(mem, p) == 0 && !kernel.IsFreeFrame(p))
            {
                Add(found, "INV-20", $"stuck:{p}:{mem.MapCount[p]}",
                    $"DKSIM INV-20 ({when}): pfn {p:x5} has mapcount {mem.MapCount[p]} but no PTE maps it (stuck mapcount)", p, "DK0009");
            }
        }

        return found;
    }

    /// <summary>
    /// Leak accounting at module unload (INV-20): every block the module still owns and still holds a reference to
    /// (its allocation reference, a get_page, a fault reference nobody dropped) or that the free path leaked, counted
    /// as its pages. A page that only user PTEs, pins or caches keep alive is freed when they go: not the module's leak.
    /// </summary>
    internal IReadOnlyList<Report> CheckModuleUnload(int owner)
    {
        var found = new List<Report>();
        var mem = kernel.Mem;
        var leaked = new List<int>();
        for (var p = 0; p < mem.Count; p++)
        {
            if (!kernel.IsFreeFrame(p) && mem.Head[p] == p && mem.OwnerOrNext[p] == owner && (kernel.LeakedAtFree.Contains(p) || HeldByDriver(p)))
            {
                for (var i = 0; i < 1 << mem.Order[p] && p + i < mem.Count; i++)
                {
                    leaked.Add(p + i);
                }
            }
        }

        if (leaked.Count > 0)
        {
            RecordLeak(found, $"module {kernel.Sites.OwnerName(owner)} unloaded with {leaked.Count} page(s) still allocated", "leak at module unload", leaked);
        }

        found.AddRange(CheckQuiescence($"unload of {kernel.Sites.OwnerName(owner)}"));
        return found;
    }

    /// <summary>A module unloaded while one of its device nodes is still registered: the next open calls code that is gone.</summary>
    internal void ReportStillRegistered(CharDevice device)
        => kernel.Record(new Report(ReportKind.Simulator, "INV-18",
            $"DKSIM INV-18: module {kernel.Sites.OwnerName(device.Owner)} unloaded with {device.Path} still registered: its file operations are freed code", kernel.Era)
        {
            Reason = "device left registered at unload",
            RuleId = "DK0018",
        });

    /// <summary>Whether a reference of the driver's own holds the page: its allocation, a get_page, a fault reference.</summary>
    private bool HeldByDriver(int head)
    {
        foreach (var h in kernel.Ledger.Of(head))
        {
            if (h.Kind is HolderKind.Owner or HolderKind.Other or HolderKind.FaultInFlight or HolderKind.FaultLeaked)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Records one INV-20 leak report for <paramref name="pfns"/>; the ledger of the first pages says who holds them.</summary>
    private void RecordLeak(List<Report> found, string text, string reason, List<int> pfns)
    {
        var report = new Report(ReportKind.Simulator, "INV-20", "DKSIM INV-20: " + text, kernel.Era)
        {
            Pfn = new Pfn((ulong)pfns[0]),
            Reason = reason,
            RuleId = RuleForLeak(pfns[0]),
            Ledger = string.Join("; ", pfns.Take(LedgerPages).Select(kernel.LedgerText)) + (pfns.Count > LedgerPages ? "; …" : string.Empty),
        };
        report.Cover(pfns);
        Keep(found, kernel.Record(report));
    }

    /// <summary>Frames leaked at shutdown: everything still allocated that is not a boot reservation.</summary>
    internal IReadOnlyList<Report> CheckShutdown()
    {
        var found = new List<Report>();
        var mem = kernel.Mem;
        var byOwner = new Dictionary<int, List<int>>();
        for (var p = 0; p < mem.Count; p++)
        {
            if (kernel.IsFreeFrame(p) || mem.Head[p] != p || mem.OwnerOrNext[p] == kernel.BootOwner)
            {
                continue;
            }

            if (!byOwner.TryGetValue(mem.OwnerOrNext[p], out var list))
            {
                byOwner[mem.OwnerOrNext[p]] = list = new List<int>();
            }

            list.Add(p);
        }

        foreach (var (owner, pages) in byOwner)
        {
            RecordLeak(found, $"{pages.Count} page(s) leaked at shutdown (owner {kernel.Sites.OwnerName(owner)})", "leak at shutdown", pages);
        }

        return found;
    }

    private string? RuleForLeak(int pfn)
    {
        var mem = kernel.Mem;
        if (mem.Has(pfn, PageFlags.Reserved))
        {
            return "DK0003";
        }

        return kernel.Ledger.Has(pfn, HolderKind.FaultLeaked) || kernel.Ledger.Has(pfn, HolderKind.FaultInFlight) ? "DK0004" : null;
    }

    private void ScanFrames(List<Report> found)
    {
        var mem = kernel.Mem;
        for (var p = 0; p < mem.Count; p++)
        {
            // Free frames and unsplit tails hold nothing: skip them with three loads.
            var rc = mem.RefCount[p];
            if (rc == 0 && mem.MapCount[p] == 0 && mem.RmapFirst[p] == MemMap.None)
            {
                continue;
            }

            if (mem.IsCompoundTail(p) || kernel.LeakedAtFree.Contains(p))
            {
                continue;
            }

            var weight = kernel.LedgerWeight(p);
            if (rc != weight && rc > 0)
            {
                Add(found, "INV-02", $"rc:{p}:{rc}:{weight}",
                    $"DKSIM INV-02: pfn {p:x5} has refcount {rc} but the ledger accounts for {weight}", p,
                    rc > weight ? "DK0004" : "DK0012");
            }

            var normal = kernel.Rmap.CountNormal(mem, p);
            if (mem.MapCount[p] != normal)
            {
                Add(found, "INV-02", $"mc:{p}:{mem.MapCount[p]}:{normal}",
                    $"DKSIM INV-02: pfn {p:x5} has mapcount {mem.MapCount[p]} but {normal} normal PTE(s) map it", p, "DK0013");
            }
        }
    }

    private void ScanMms(List<Report> found)
    {
        foreach (var mm in kernel.AllMms)
        {
            long locked = 0;
            foreach (var vma in mm.Vmas.All)
            {
                if ((vma.RawFlags & VmFlags.Locked) != 0)
                {
                    locked += (long)vma.Pages;
                }
            }

            if (locked != mm.LockedVm)
            {
                Add(found, "INV-13", $"locked:{mm.Id}:{mm.LockedVm}:{locked}",
                    $"DKSIM INV-13: locked_vm of {mm.Owner} is {mm.LockedVm} pages but its VM_LOCKED vmas span {locked}", -1, "DK0001");
            }
        }
    }

    private void ScanLru(List<Report> found)
    {
        foreach (var p in kernel.Lru.Pages)
        {
            var owner = kernel.Mem.OwnerOrNext[kernel.Mem.Head[p]];
            if (owner != kernel.AnonOwnerId && owner != kernel.ShmemOwnerId)
            {
                Add(found, "INV-24", $"lru:{p}",
                    $"DKSIM INV-24: pfn {p:x5} owned by {kernel.Sites.OwnerName(owner)} is on the LRU: driver pages must never be", p, null);
            }
        }
    }

    private void Add(List<Report> found, string invariant, string key, string text, int pfn, string? rule)
    {
        if (!reported.Add(key))
        {
            return;
        }

        var report = new Report(ReportKind.Simulator, invariant, text, kernel.Era)
        {
            Pfn = pfn >= 0 ? new Pfn((ulong)pfn) : null,
            RuleId = rule,
            Ledger = pfn >= 0 ? kernel.LedgerText(pfn) : null,
        };
        Keep(found, kernel.Record(report));
    }

    /// <summary>Adds a recorded report to a scan's result once (a repeated finding comes back as the report it joined).</summary>
    private static void Keep(List<Report> found, Report? recorded)
    {
        if (recorded is not null && !found.Contains(recorded))
        {
            found.Add(recorded);
        }
    }
}
