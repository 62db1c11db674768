namespace DriverKit.Runtime;

/// <summary>
/// Zeroed leaf (PTE) tables that exited address spaces gave back, handed to the next mm that needs one — the
/// simulator's quicklist (the kernel frees page-table pages to the page allocator in free_pgtables and gets them back
/// with pte_alloc). Without it every fork would allocate host memory for each 2 MiB its child maps.
/// </summary>
internal sealed class LeafTablePool
{
    private readonly Stack<ulong[]> free = new();

    /// <summary>A zeroed leaf table of <paramref name="entries"/> entries.</summary>
    internal ulong[] Rent(int entries)
    {
        Live++;
        return free.TryPop(out var leaf) ? leaf : new ulong[entries];
    }

    /// <summary>Takes back a leaf table whose every entry is zero.</summary>
    internal void Return(ulong[] leaf)
    {
        Live--;
        free.Push(leaf);
    }

    /// <summary>Leaf tables rented and not given back: the machine's page-table pages (NR_PAGETABLE).</summary>
    internal long Live { get; private set; }

    /// <summary>Tables waiting for reuse.</summary>
    internal int Count => free.Count;
}
