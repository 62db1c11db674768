using System.Runtime.CompilerServices;
using System.Text;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    private readonly HashSet<int> leakedAtFree = new();

    /// <summary>Frames the free path kept out of the allocator after reporting them (bad_page "do not free the page").</summary>
    internal IReadOnlyCollection<int> LeakedAtFree => leakedAtFree;

    /// <summary>
    /// mm/page_alloc.c: free_pages_prepare (per era free_pages_check / check_free_page / free_page_is_bad) and
    /// __free_one_page. Tail pages are checked first, then the head; what a bad page costs is the era's policy.
    /// </summary>
    internal void FreeThePage(int pfn, int order) => FreeThePage(pfn, order, FreeChecksFor(order));

    /// <summary>
    /// The era's free-time check decisions for a block of <paramref name="order"/>: taken once per block, or once per
    /// batch of order-0 frees (mm/page_alloc.c: free_unref_folios).
    /// </summary>
    private FreeChecks FreeChecksFor(int order)
    {
        var run = Policy.FreeChecksRun(CheckPages);
        return new FreeChecks(run, run && !Policy.PcpFreeSkipsHeadCheck(order, Config.DebugVm, Config.DebugPagealloc), Strict);
    }

    /// <summary>What the free path checks: whether the checks run at all, whether the head page is checked, strict-mode notes.</summary>
    private readonly record struct FreeChecks(bool Run, bool CheckHead, bool Strict);

    /// <summary><see cref="FreeThePage(int, int)"/> with the check decisions already taken for this order.</summary>
    private void FreeThePage(int pfn, int order, in FreeChecks checks)
    {
        if (order == 0 && !checks.Run && !checks.Strict)
        {
            FreeUncheckedPage(pfn);
            return;
        }

        var count = 1 << order;
        var function = order == 0 ? "free_hot_cold_page" : "__free_pages_ok";
        for (var i = 0; i < count; i++)
        {
            var p = pfn + i;

            // __page_cache_release / free_pages_prepare: off the LRU, anon mapping pointer dropped, mlock drained.
            if (Mem.Has(p, PageFlags.Lru))
            {
                Lru.Remove(p);
            }

            if (Mem.Mapping[p] == MemMap.AnonMapping)
            {
                Mem.Mapping[p] = 0;
            }

            Mem.Clear(p, PageFlags.Mlocked);
        }

        var checksRun = checks.Run;
        var checkHead = checks.CheckHead;
        var keep = false;
        if (!Policy.FreeChecksTailsFirst)
        {
            keep |= checkHead && CheckFreePage(pfn, function);
        }

        for (var i = 1; i < count; i++)
        {
            keep |= checksRun && CheckFreePage(pfn + i, function);
        }

        if (Policy.FreeChecksTailsFirst)
        {
            keep |= checkHead && CheckFreePage(pfn, function);
        }

        if (checks.Strict)
        {
            if (!checkHead || (Mem.Type[pfn] == PageType.Slab && Policy.SlabPageBadReason is null))
            {
                NoteUncheckedFree(pfn, checksRun);
            }

            CheckSpecialMappingsAtFree(pfn, count);
        }
        if (keep)
        {
            for (var i = 0; i < count; i++)
            {
                leakedAtFree.Add(pfn + i);
                Ledger.Clear(pfn + i);
            }

            return;
        }

        for (var i = 0; i < count; i++)
        {
            ResetFreedFrame(pfn + i);
        }

        if (!Pcp.Free(pfn, order))
        {
            Buddy.FreeBlock(pfn, order);
        }

        freeCount += count;
    }

    /// <summary>
    /// <see cref="FreeThePage(int, int, in FreeChecks)"/> of an order-0 page when no free-time check runs and the checker
    /// is not strict (6.4+ without check_pages): nothing looks at the page between its LRU removal and its reset, so
    /// the mapping and mlock clean-up fold into the reset.
    /// </summary>
    private void FreeUncheckedPage(int p)
    {
        // __page_cache_release: off the LRU (its counters still read the page's mapping).
        if ((Mem.Flags[p] & (ulong)PageFlags.Lru) != 0)
        {
            Lru.Remove(p);
        }

        ResetFreedFrame(p);
        if (!Pcp.Free(p, 0))
        {
            Buddy.FreeBlock(p, 0);
        }

        freeCount++;
    }

    /// <summary>free_pages_prepare's reset of one frame of a block that is being freed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ResetFreedFrame(int p)
    {
        var mem = Mem;

        // ≤ 2.6.14 the bit survives on the free page (EraPolicy.FreeKeepsReservedBit); later kernels clear
        // PAGE_FLAGS_CHECK_AT_PREP here.
        mem.Flags[p] = Policy.FreeKeepsReservedBit ? mem.Flags[p] & (ulong)PageFlags.Reserved : 0;
        mem.RefCount[p] = 0;
        mem.MapCount[p] = 0;
        mem.Mapping[p] = 0;
        mem.Index[p] = 0;
        mem.Type[p] = PageType.None;
        mem.Head[p] = p;
        mem.Order[p] = 0;
        Ledger.Clear(p);
        if (reservedSites.Count != 0)
        {
            reservedSites.Remove(p);
        }
    }

    /// <summary>mm/page_alloc.c: page_bad_reason / free_pages_check for one page; reports and says whether the page must be kept.</summary>
    private bool CheckFreePage(int p, string function)
    {
        string? reason = null;
        if (Mem.MapCount[p] != 0)
        {
            reason = "nonzero mapcount";
        }
        else if (Mem.Mapping[p] != 0)
        {
            reason = "non-NULL mapping";
        }
        else if (Mem.RefCount[p] != 0)
        {
            reason = "nonzero _refcount";
        }
        else if (Mem.Type[p] == PageType.Slab && Policy.SlabPageBadReason is { } slab)
        {
            // A slab page freed behind the slab allocator's back: PG_slab (a checked flag) or, from 6.10, its page type.
            reason = slab;
        }
        else if ((Mem.Flags[p] & (ulong)Policy.FlagsCheckedAtFree) != 0)
        {
            reason = "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
        }

        if (reason is null)
        {
            return false;
        }

        var reserved = Mem.Has(p, PageFlags.Reserved);
        var rule = reserved ? "DK0003" : Mem.Has(p, PageFlags.Locked) ? "DK0006" : reason == "nonzero mapcount" ? "DK0009" : "DK0012";
        BadPage(p, reason, function, "INV-05", rule);
        var keep = Policy.BadPageKeepsPage(reserved);
        if (!keep)
        {
            // bad_page() fixes the page up so it can be freed (≤ 2.6.28).
            Mem.Flags[p] = 0;
            Mem.MapCount[p] = 0;
            Mem.Mapping[p] = 0;
            Mem.RefCount[p] = 0;
        }

        return keep;
    }

    /// <summary>A page freed without its flags being looked at: report (strict mode) what the kernel silently dropped.</summary>
    private void NoteUncheckedFree(int p, bool checksRun)
    {
        var why = checksRun ? "the per-cpu free path skips the head page's check" : "check_pages is off";
        if (Mem.Type[p] == PageType.Slab)
        {
            var how = Policy.SlabPageBadReason is null ? "free_pages_prepare resets its page type" : why;
            NoteFreeFinding(p, $"pfn {p:x5}, a page of a live slab, freed to the page allocator; {how}, so the kernel frees it silently while the slab still hands out its objects",
                "slab page freed with __free_pages", "DK0018", Sites.Site(Mem.SiteOrPrev[p]));
            return;
        }

        if ((Mem.Flags[p] & (ulong)Policy.FlagsCheckedAtFree) == 0)
        {
            return;
        }

        NoteFreeFinding(p, $"pfn {p:x5} freed with {FlagNames(Mem.Flags[p] & (ulong)Policy.FlagsCheckedAtFree)} set; {why}, so the kernel cleared the flag(s) and freed it silently",
            "PAGE_FLAGS_CHECK_AT_FREE flag(s) set", Mem.Has(p, PageFlags.Reserved) ? "DK0003" : "DK0006",
            reservedSites.TryGetValue(p, out var s) ? Sites.Site(s) : Sites.Site(Mem.SiteOrPrev[p]));
    }

    /// <summary>A strict-mode INV-05 finding of the free path: what the kernel does without a word.</summary>
    private void NoteFreeFinding(int pfn, string text, string reason, string rule, string? site) =>
        Record(new Report(ReportKind.Simulator, "INV-05", "DKSIM INV-05: " + text, Era)
        {
            Reason = reason,
            Pfn = new Pfn((ulong)pfn),
            Process = CurrentProcessText,
            CallSite = site,
            RuleId = rule,
            Ledger = LedgerText(pfn),
        });

    /// <summary>mm/page_alloc.c: bad_page — the era's "Bad page state" text, taint, and a structured report.</summary>
    internal void BadPage(int p, string reason, string function, string invariant, string? rule)
    {
        var rc = Mem.RefCount[p];
        var mapcount = Mem.MapCount[p]; // page_mapcount(): _mapcount + 1
        var flags = Mem.Flags[p];
        string text = Policy.BadPageFormat switch
        {
            BadPageFormat.AtFunction =>
                $"Bad page state at {function} (in process '{CurrentComm}', page {PagePointer(p)})\n" +
                $"flags:0x{flags:x8} mapping:{MappingText(p)} mapcount:{mapcount} count:{rc}\n" +
                "Backtrace:\nTrying to fix it up, but a reboot is needed",
            BadPageFormat.InProcessQuoted =>
                $"Bad page state in process '{CurrentComm}'\n" +
                $"page:{PagePointer(p)} flags:0x{flags:x16} mapping:{MappingText(p)} mapcount:{mapcount} count:{rc}\n" +
                "Trying to fix it up, but a reboot is needed\nBacktrace:",
            _ =>
                $"BUG: Bad page state in process {CurrentComm}  pfn:{p:x5}\n" +
                $"page:{PagePointer(p)} refcount:{rc} mapcount:{mapcount} mapping:{MappingText(p)} index:0x{Mem.Index[p]:x} pfn:0x{p:x}\n" +
                $"flags: 0x{flags:x}({FlagNames(flags)})\n" +
                $"page dumped because: {reason}",
        };
        tainted = true;
        Record(new Report(ReportKind.Kernel, invariant, text, Era)
        {
            Reason = reason,
            Pfn = new Pfn((ulong)p),
            Process = CurrentProcessText,
            CallSite = reservedSites.TryGetValue(p, out var s) ? Sites.Site(s) : Sites.Site(Mem.SiteOrPrev[p]),
            RuleId = rule,
            Ledger = LedgerText(p),
        });
    }

    private bool tainted;

    /// <summary>True once the kernel has been tainted by a bad page (TAINT_BAD_PAGE, "B").</summary>
    public bool TaintedBadPage => tainted;

    /// <summary>Lower-case kernel flag names joined by '|', as dump_page prints them.</summary>
    internal static string FlagNames(ulong flags)
    {
        if (flags == 0)
        {
            return string.Empty;
        }

        var sb = new StringBuilder();
        foreach (PageFlags f in Enum.GetValues(typeof(PageFlags)))
        {
            if (f != PageFlags.None && (flags & (ulong)f) != 0)
            {
                if (sb.Length > 0)
                {
                    sb.Append('|');
                }

                sb.Append(f.ToString().ToLowerInvariant());
            }
        }

        return sb.ToString();
    }
}
