namespace DriverKit.Runtime;

/// <summary>
/// A 4-level x86-64 page table (PGD → PUD → PMD → PTE, 512 entries each, 9 bits per level). Leaf tables are flat
/// ulong arrays; upper levels are created on first use, like pte_alloc. Page-table pages are host memory, not
/// simulated frames, so the simulated free pool only counts what the MM itself hands out; their number is still bounded
/// by the machine's free memory (<see cref="Kernel.PteAlloc"/>).
/// </summary>
internal sealed class PageTable
{
    private const int Bits = 9;
    private const int Entries = 1 << Bits;
    private const int Mask = Entries - 1;

    private readonly ulong[]?[]?[]?[] pgd = new ulong[]?[]?[]?[Entries];

    private readonly LeafTablePool pool;

    /// <summary>A page table whose leaf tables come from, and go back to, <paramref name="pool"/>.</summary>
    internal PageTable(LeafTablePool pool) => this.pool = pool;

    /// <summary>Number of leaf (PTE) tables, for statistics.</summary>
    internal int LeafTables { get; private set; }

    /// <summary>The PTE for <paramref name="addr"/>, or 0 when no table covers it (pte_offset_map).</summary>
    internal ulong Get(ulong addr)
    {
        var leaf = Leaf(addr, create: false);
        return leaf is null ? 0 : leaf[(int)(addr >> Kernel.PageShift) & Mask];
    }

    /// <summary>Whether a leaf table covers <paramref name="addr"/> (pmd_present).</summary>
    internal bool HasLeaf(ulong addr) => Leaf(addr, create: false) is not null;

    /// <summary>A reference to the PTE slot for <paramref name="addr"/>, allocating tables on the way (pte_alloc_map).</summary>
    internal ref ulong Slot(ulong addr) => ref Leaf(addr, create: true)![(int)(addr >> Kernel.PageShift) & Mask];

    /// <summary>
    /// Finds the next non-none PTE at or after <paramref name="addr"/> and below <paramref name="end"/>, skipping
    /// absent tables whole. Returns false when there is none.
    /// </summary>
    internal bool Next(ref ulong addr, ulong end, out ulong pte)
    {
        while (addr < end)
        {
            var leaf = Leaf(addr, create: false);
            if (leaf is null)
            {
                // Skip to the next 2 MiB boundary (the span of one leaf table).
                addr = (addr | ((1UL << (Kernel.PageShift + Bits)) - 1)) + 1;
                continue;
            }

            var i = (int)(addr >> Kernel.PageShift) & Mask;
            for (; i < Entries && addr < end; i++, addr += Kernel.PageSize)
            {
                if (leaf[i] != 0)
                {
                    pte = leaf[i];
                    return true;
                }
            }
        }

        pte = 0;
        return false;
    }

    /// <summary>Bytes one leaf table maps (2 MiB).</summary>
    internal const ulong LeafSpan = 1UL << (Kernel.PageShift + Bits);

    /// <summary>The slot of <paramref name="addr"/> in its leaf table.</summary>
    internal static int IndexOf(ulong addr) => (int)(addr >> Kernel.PageShift) & Mask;

    /// <summary>The leaf table covering <paramref name="addr"/> (created on the way with <paramref name="create"/>), or null.</summary>
    internal ulong[]? LeafAt(ulong addr, bool create) => Leaf(addr, create);

    // The last leaf found: consecutive accesses mostly stay in one 2 MiB region. Leaf tables are freed only when the
    // mm goes away (Release), so a cached leaf stays valid while it lives.
    private ulong cachedLeafKey = ulong.MaxValue;
    private ulong[]? cachedLeaf;

    private ulong[]? Leaf(ulong addr, bool create)
    {
        var key = addr >> (Kernel.PageShift + Bits);
        if (key == cachedLeafKey)
        {
            return cachedLeaf;
        }

        var leaf = Walk(addr, create);
        if (leaf is not null)
        {
            cachedLeafKey = key;
            cachedLeaf = leaf;
        }

        return leaf;
    }

    private ulong[]? Walk(ulong addr, bool create)
    {
        var i4 = (int)(addr >> 39) & Mask;
        var i3 = (int)(addr >> 30) & Mask;
        var i2 = (int)(addr >> 21) & Mask;
        var pud = pgd[i4];
        if (pud is null)
        {
            if (!create)
            {
                return null;
            }

            pud = pgd[i4] = new ulong[]?[]?[Entries];
        }

        var pmd = pud[i3];
        if (pmd is null)
        {
            if (!create)
            {
                return null;
            }

            pmd = pud[i3] = new ulong[]?[Entries];
        }

        var leaf = pmd[i2];
        if (leaf is null && create)
        {
            leaf = pmd[i2] = pool.Rent(Entries);
            LeafTables++;
        }

        return leaf;
    }

    /// <summary>
    /// mm/memory.c: free_pgtables at exit_mmap — gives every empty leaf table back to the pool. A table that still holds
    /// an entry (a teardown an oops cut short) stays with this dead mm, so nothing another mm maps can be reached from it.
    /// </summary>
    internal void Release()
    {
        foreach (var pud in pgd)
        {
            if (pud is null)
            {
                continue;
            }

            foreach (var pmd in pud)
            {
                if (pmd is null)
                {
                    continue;
                }

                for (var i = 0; i < pmd.Length; i++)
                {
                    if (pmd[i] is { } leaf && IsEmpty(leaf))
                    {
                        pool.Return(leaf);
                        pmd[i] = null;
                        LeafTables--;
                    }
                }
            }
        }

        cachedLeafKey = ulong.MaxValue;
        cachedLeaf = null;
    }

    private static bool IsEmpty(ulong[] leaf) => leaf.AsSpan().IndexOfAnyExcept(0UL) < 0;
}
