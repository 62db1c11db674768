namespace DriverKit.Runtime;

/// <summary>What kind of holder a page reference belongs to (docs/kernel-semantics.md §5.1 "Reference ledger").</summary>
internal enum HolderKind
{
    /// <summary>The allocation reference of the page's owner (alloc_pages and friends).</summary>
    Owner,

    /// <summary>A normal PTE (derived from the reverse map).</summary>
    Pte,

    /// <summary>A get_user_pages (FOLL_GET) reference.</summary>
    Gup,

    /// <summary>A pin_user_pages (FOLL_PIN) reference, weighing GUP_PIN_COUNTING_BIAS.</summary>
    Pin,

    /// <summary>A reference a fault handler took for the page it returns, until finish_fault consumes it.</summary>
    FaultInFlight,

    /// <summary>
    /// A reference a fault handler took that the installed PTE did not consume: the era mapped the page without
    /// counting it (PG_reserved ≤ 2.6.14, VM_RESERVED in 2.6.15-rc1), so nobody will drop it.
    /// </summary>
    FaultLeaked,

    /// <summary>Page-cache membership (derived from page-&gt;mapping).</summary>
    PageCache,

    /// <summary>Swap-cache membership (derived from PG_swapcache).</summary>
    SwapCache,

    /// <summary>Any other get_page().</summary>
    Other,
}

/// <summary>
/// The stored part of every page's reference ledger: holders that are not PTEs, cache memberships or the lru_add batch
/// (those are derived from the reverse map, the page flags and the batch). Sparse: only pages with such holders have an entry.
/// </summary>
internal sealed class RefLedger
{
    internal readonly record struct Holder(HolderKind Kind, int Site, int Count);

    private readonly Dictionary<int, List<Holder>> holders = new();

    // One bit per frame: set while the frame has an entry, so the free path and fork skip the hash lookup for the
    // many frames that have none.
    private ulong[] present = new ulong[64];

    private bool IsPresent(int pfn) => (uint)(pfn >> 6) < (uint)present.Length && (present[pfn >> 6] & (1UL << pfn)) != 0;

    private void SetPresent(int pfn, bool value)
    {
        if (pfn >> 6 >= present.Length)
        {
            Array.Resize(ref present, Math.Max(present.Length * 2, (pfn >> 6) + 1));
        }

        if (value)
        {
            present[pfn >> 6] |= 1UL << pfn;
        }
        else
        {
            present[pfn >> 6] &= ~(1UL << pfn);
        }
    }

    internal void Add(int pfn, HolderKind kind, int site, int count = 1)
    {
        if (!holders.TryGetValue(pfn, out var list))
        {
            list = new List<Holder>(2);
            holders.Add(pfn, list);
            SetPresent(pfn, true);
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Kind == kind && list[i].Site == site)
            {
                list[i] = list[i] with { Count = list[i].Count + count };
                return;
            }
        }

        list.Add(new Holder(kind, site, count));
    }

    /// <summary>Removes one holder of the first kind in <paramref name="preference"/> that the page has; returns the kind removed.</summary>
    internal HolderKind? RemoveOne(int pfn, params ReadOnlySpan<HolderKind> preference)
    {
        if (!IsPresent(pfn) || !holders.TryGetValue(pfn, out var list))
        {
            return null;
        }

        foreach (var kind in preference)
        {
            for (var i = list.Count - 1; i >= 0; i--)
            {
                if (list[i].Kind != kind)
                {
                    continue;
                }

                if (list[i].Count == 1)
                {
                    list.RemoveAt(i);
                }
                else
                {
                    list[i] = list[i] with { Count = list[i].Count - 1 };
                }

                if (list.Count == 0)
                {
                    holders.Remove(pfn);
                    SetPresent(pfn, false);
                }

                return kind;
            }
        }

        return null;
    }

    /// <summary>Turns one holder of kind <paramref name="from"/> into one of kind <paramref name="to"/>, keeping its call site.</summary>
    internal void Relabel(int pfn, HolderKind from, HolderKind to)
    {
        foreach (var h in Of(pfn))
        {
            if (h.Kind == from)
            {
                var site = h.Site;
                RemoveOne(pfn, from);
                Add(pfn, to, site);
                return;
            }
        }
    }

    /// <summary>How many references of <paramref name="kind"/> the page's holders have.</summary>
    internal int Count(int pfn, HolderKind kind)
    {
        var n = 0;
        foreach (var h in Of(pfn))
        {
            if (h.Kind == kind)
            {
                n += h.Count;
            }
        }

        return n;
    }

    internal bool Has(int pfn, HolderKind kind)
    {
        if (!IsPresent(pfn) || !holders.TryGetValue(pfn, out var list))
        {
            return false;
        }

        foreach (var h in list)
        {
            if (h.Kind == kind)
            {
                return true;
            }
        }

        return false;
    }

    internal IReadOnlyList<Holder> Of(int pfn) => IsPresent(pfn) && holders.TryGetValue(pfn, out var list) ? list : Array.Empty<Holder>();

    /// <summary>The references the stored holders account for (pins weighted by GUP_PIN_COUNTING_BIAS of the era).</summary>
    internal int Weight(int pfn, int pinBias)
    {
        var w = 0;
        foreach (var h in Of(pfn))
        {
            w += h.Kind == HolderKind.Pin ? h.Count * pinBias : h.Count;
        }

        return w;
    }

    internal void Clear(int pfn)
    {
        if (IsPresent(pfn))
        {
            holders.Remove(pfn);
            SetPresent(pfn, false);
        }
    }

    internal IEnumerable<int> Pages => holders.Keys;
}
