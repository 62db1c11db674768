namespace DriverKit.Runtime;

/// <summary>
/// The vmas of one address space, sorted by start address, with O(log n) lookup by binary search (the role of
/// the maple tree / rb-tree in mm/mmap.c) and a one-entry lookup cache (vmacache).
/// </summary>
internal sealed class VmaSet
{
    private readonly List<VmArea> list = new();
    private VmArea? cached;

    internal int Count => list.Count;

    internal IReadOnlyList<VmArea> All => list;

    /// <summary>mm/mmap.c: find_vma — the first vma with vm_end &gt; addr, or null.</summary>
    internal VmArea? FindVma(ulong addr)
    {
        if (cached is { } c && c.Start.Value <= addr && addr < c.End.Value)
        {
            return c;
        }

        var i = FirstEndAbove(addr);
        if (i == list.Count)
        {
            return null;
        }

        var vma = list[i];
        if (vma.Start.Value <= addr)
        {
            cached = vma;
        }

        return vma;
    }

    /// <summary>The vma containing <paramref name="addr"/>, or null.</summary>
    internal VmArea? Containing(ulong addr)
    {
        var vma = FindVma(addr);
        return vma is not null && vma.Start.Value <= addr ? vma : null;
    }

    /// <summary>Index of the first vma whose end is above <paramref name="addr"/>.</summary>
    internal int FirstEndAbove(ulong addr)
    {
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (list[mid].End.Value > addr)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }

    /// <summary>The vmas intersecting [start, end), in address order (a copy, safe to modify the set while iterating).</summary>
    internal List<VmArea> Overlapping(ulong start, ulong end)
    {
        var result = new List<VmArea>();
        for (var i = FirstEndAbove(start); i < list.Count && list[i].Start.Value < end; i++)
        {
            result.Add(list[i]);
        }

        return result;
    }

    internal bool AnyOverlap(ulong start, ulong end)
    {
        var i = FirstEndAbove(start);
        return i < list.Count && list[i].Start.Value < end;
    }

    internal void Insert(VmArea vma)
    {
        var i = FirstEndAbove(vma.Start.Value);
        list.Insert(i, vma);
    }

    internal void Remove(VmArea vma)
    {
        var i = IndexOf(vma);
        if (i >= 0)
        {
            list.RemoveAt(i);
        }

        if (ReferenceEquals(cached, vma))
        {
            cached = null;
        }
    }

    /// <summary>The position of <paramref name="vma"/> by binary search on its start, or -1.</summary>
    private int IndexOf(VmArea vma)
    {
        var i = FirstEndAbove(vma.Start.Value);
        return i < list.Count && ReferenceEquals(list[i], vma) ? i : list.IndexOf(vma);
    }

    /// <summary>Forgets the lookup cache after a vma changed its bounds.</summary>
    internal void Invalidate() => cached = null;

    internal VmArea? Previous(VmArea vma)
    {
        var i = IndexOf(vma);
        return i > 0 ? list[i - 1] : null;
    }

    internal VmArea? NextOf(VmArea vma)
    {
        var i = IndexOf(vma);
        return i >= 0 && i + 1 < list.Count ? list[i + 1] : null;
    }
}
