using System.Text;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    private readonly HashSet<(int, ulong, int)> flipsReported = new();

    /// <summary>
    /// The reference ledger of a frame: its counts and every holder — stored holders (owner, GUP, pins, fault in
    /// flight, others), PTEs from the reverse map (normal ones hold a reference, special ones are listed for
    /// INV-06), cache membership and the lru_add batch. Something the real kernel cannot print.
    /// </summary>
    internal string LedgerText(int pfn)
    {
        var sb = new StringBuilder();
        var head = Mem.CompoundHead(pfn);
        sb.Append($"pfn {pfn:x5}: rc={Mem.RefCount[head]} mc={Mem.MapCount[pfn]}");
        if (IsFreeFrame(pfn))
        {
            sb.Append(" (free)");
        }
        else
        {
            var allocation = Mem.Head[pfn];
            sb.Append($" owner={Sites.OwnerName(Mem.OwnerOrNext[allocation])} allocated at {Sites.Site(Mem.SiteOrPrev[allocation])}");
        }

        sb.Append(" holders=[");
        var first = true;
        void Item(string text)
        {
            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            sb.Append(text);
        }

        foreach (var h in Ledger.Of(head))
        {
            var what = h.Kind == HolderKind.Owner ? $"Owner:{Sites.OwnerName(Mem.OwnerOrNext[head])}" : h.Kind.ToString();
            Item($"{what}({Sites.Site(h.Site)}){(h.Count > 1 ? " x" + h.Count : string.Empty)}");
        }

        if (Mem.Mapping[head] > 0)
        {
            Item("PageCache");
        }

        if (Lru.InAddBatch(head))
        {
            Item("LruBatch");
        }

        if (Lru.MlockBatchRefs(head) is var mlockRefs and > 0)
        {
            Item($"MlockBatch{(mlockRefs > 1 ? " x" + mlockRefs : string.Empty)}");
        }

        for (var rec = Mem.RmapFirst[pfn]; rec != MemMap.None; rec = Rmap.Next(rec))
        {
            var pid = MmById(Rmap.Mm(rec))?.Owner?.Pid;
            var stale = Rmap.Generation(rec) != Mem.Generation[pfn] ? " stale" : string.Empty;
            Item($"{(Rmap.Normal(rec) ? "Pte" : "SpecialPte")}(pid {pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} @{Rmap.Addr(rec):x} {Rmap.Installer(rec)}{stale})");
        }

        sb.Append(']');
        return sb.ToString();
    }

    /// <summary>The references the ledger accounts for: stored holders, normal PTEs, cache membership and the lru_add and mlock batches (INV-02).</summary>
    internal int LedgerWeight(int head)
    {
        var weight = Ledger.Weight(head, Policy.PinBias);
        if (Mem.Mapping[head] > 0)
        {
            weight++;
        }

        if (Lru.InAddBatch(head))
        {
            weight++;
        }

        weight += Lru.MlockBatchRefs(head);

        var order = Mem.IsCompoundHead(head) ? Mem.Order[head] : 0;
        for (var i = 0; i < 1 << order; i++)
        {
            weight += Rmap.CountNormal(Mem, head + i);
        }

        return weight;
    }

    /// <summary>INV-04 at a visit (zap, fork, COW): the era's rule classifies a PTE differently from how it was installed.</summary>
    internal void ReportFlipAtVisit(VmArea vma, ulong addr, int pfn, PteInstaller installer, bool recordedNormal, string visit)
    {
        if (!Strict || !flipsReported.Add((vma.Mm.Id, addr, pfn)))
        {
            return;
        }

        var now = recordedNormal ? "special" : "normal";
        var was = recordedNormal ? "normal (refcounted)" : "special (not refcounted)";
        Record(new Report(ReportKind.Simulator, "INV-04",
            $"DKSIM INV-04: PTE {addr:x} -> pfn {pfn:x5} was installed {was} by {installer}, but {visit} now sees it {now}: reference counts will go wrong", Era)
        {
            Pfn = new Pfn((ulong)pfn),
            Vma = vma.ToString(),
            Process = vma.Mm.Owner?.ToString(),
            RuleId = "DK0013",
            Ledger = LedgerText(pfn),
        });
    }

    /// <summary>
    /// <see cref="ReportFlipAtVisit"/> when the PTE's rmap record <paramref name="rec"/> (none: -1) was installed normal and the
    /// era's rule now calls it special, or the other way round.
    /// </summary>
    internal void ReportFlipIfChanged(VmArea vma, ulong addr, int pfn, int rec, bool normalNow, string visit)
    {
        if (rec >= 0 && Rmap.Normal(rec) != normalNow)
        {
            ReportFlipAtVisit(vma, addr, pfn, Rmap.Installer(rec), Rmap.Normal(rec), visit);
        }
    }

    /// <summary>INV-04 at the flip itself: an input of vm_normal_page changed while the vma has PTEs.</summary>
    internal void CheckFlipOfMappedVma(VmArea vma, string why)
    {
        if (!Strict)
        {
            return;
        }

        var addr = vma.Start.Value;
        while (vma.Mm.PageTable.Next(ref addr, vma.End.Value, out var pte))
        {
            var raw = Pte.PfnOf(pte);
            if (Pte.IsPresent(pte) && raw < (ulong)Mem.Count)
            {
                var rec = Rmap.Find(Mem, (int)raw, vma.Mm.Id, addr);
                ReportFlipIfChanged(vma, addr, (int)raw, rec, VmNormalPage(vma, addr, pte, report: false) >= 0, why);
            }

            addr += PageSize;
        }
    }

    /// <summary>INV-04 (≤ 2.6.14): PG_reserved toggled on a page that PTEs map changes how every path treats them.</summary>
    internal void ReportClassificationFlip(int pfn, string why)
    {
        for (var rec = Mem.RmapFirst[pfn]; rec != MemMap.None; rec = Rmap.Next(rec))
        {
            if (Rmap.Normal(rec) && MmById(Rmap.Mm(rec)) is { } mm && mm.Vmas.Containing(Rmap.Addr(rec)) is { } vma)
            {
                ReportFlipAtVisit(vma, Rmap.Addr(rec), pfn, Rmap.Installer(rec), true, why);
            }
        }
    }

    /// <summary>INV-06 at free (strict mode): frames going back to the allocator while PTEs (typically special ones) still map them.</summary>
    private void CheckSpecialMappingsAtFree(int pfn, int count)
    {
        for (var p = pfn; p < pfn + count; p++)
        {
            for (var rec = Mem.RmapFirst[p]; rec != MemMap.None; rec = Rmap.Next(rec))
            {
                if (Rmap.Generation(rec) != Mem.Generation[p])
                {
                    continue;
                }

                var mm = MmById(Rmap.Mm(rec));
                Record(new Report(ReportKind.Simulator, "INV-06",
                    $"DKSIM INV-06: pfn {p:x5} freed while mapped {(Rmap.Normal(rec) ? "NORMAL" : "SPECIAL")} by {mm?.Owner?.ToString() ?? "an exited mm"} at {Rmap.Addr(rec):x} ({Rmap.Installer(rec)}): the allocator will hand the frame out again", Era)
                {
                    Pfn = new Pfn((ulong)p),
                    Vma = mm?.Vmas.Containing(Rmap.Addr(rec))?.ToString(),
                    Process = CurrentProcessText,
                    CallSite = Sites.Site(Mem.SiteOrPrev[Mem.Head[p]]),
                    RuleId = "DK0018",
                });
            }
        }
    }
}
