namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>INV-19/INV-08: DMA into user memory needs a pin (or a GUP reference) held for the whole transfer.</summary>
    internal void NoteDmaTarget(int pfn, bool userMemory, int site)
    {
        if (!Strict || !userMemory)
        {
            return;
        }

        var head = Mem.CompoundHead(pfn);
        if (!Ledger.Has(head, HolderKind.Pin) && !Ledger.Has(head, HolderKind.Gup))
        {
            Record(new Report(ReportKind.Simulator, "INV-19",
                $"DKSIM INV-19: DMA submitted to user pfn {pfn:x5} without a pin or GUP reference{(Mem.Has(head, PageFlags.Locked) ? " (PG_locked is not a pin)" : string.Empty)}", Era)
            {
                Pfn = new Pfn((ulong)pfn),
                CallSite = Sites.Site(site),
                RuleId = "DK0006",
                Ledger = LedgerText(head),
            });
        }
    }

    /// <summary>True when a copy-on-write fault replaced the DMA target at the user address (not a later, unrelated mapping).</summary>
    private bool ReplacedByCow(MmStruct mm, ulong addr, int pfn)
    {
        var page = addr & ~(PageSize - 1);
        var pte = mm.GetPte(page);
        var now = Pte.PfnOf(pte);
        if (!Pte.IsPresent(pte) || now == (ulong)pfn || now >= (ulong)Mem.Count)
        {
            return false;
        }

        var rec = Rmap.Find(Mem, (int)now, mm.Id, page);
        return rec >= 0 && Rmap.Installer(rec) == PteInstaller.Cow;
    }

    /// <summary>The device writes; a target freed, re-owned or replaced by COW at the user address is reported (the kernel never notices).</summary>
    internal void CompleteDma(DmaTransfer t)
    {
        string? problem = null;
        if (Buddy.IsFree(t.Pfn))
        {
            problem = "was freed";
        }
        else if (Mem.Generation[t.Pfn] != t.Generation)
        {
            problem = $"was freed and re-allocated to {Sites.OwnerName(Mem.OwnerOrNext[Mem.Head[t.Pfn]])}";
        }
        else if (t.UserMm is { } mm && t.UserVma is { Closed: false } vma && ReferenceEquals(mm.VmaAt(new UserAddr(t.UserAddr)), vma) && ReplacedByCow(mm, t.UserAddr, t.Pfn))
        {
            problem = $"was replaced at {t.UserAddr:x} in {mm.Owner} by a copy-on-write copy: the process will never see the data";
        }

        if (problem is not null)
        {
            Record(new Report(ReportKind.Simulator, "INV-06",
                $"DKSIM INV-06: DMA #{t.Id} completed into pfn {t.Pfn:x5}, which {problem}", Era)
            {
                Pfn = new Pfn((ulong)t.Pfn),
                CallSite = Sites.Site(t.Site),
                RuleId = "DK0006",
                Ledger = LedgerText(t.Pfn),
            });
        }

        WritePhys((ulong)t.Pfn, t.Offset, t.Data);
    }
}
