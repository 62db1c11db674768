namespace DriverKit.Runtime;

/// <summary>
/// A software TLB: 64 direct-mapped entries caching present PTEs by virtual page number. Every PTE change that
/// removes access (unmap, protection change, COW replacement) flushes the address (flush_tlb_range).
/// </summary>
internal sealed class Tlb
{
    internal const int Size = 64;

    // Entry i is entries[2i] (the tag: vpn + 1, 0 when empty) and entries[2i + 1] (the cached PTE), so a lookup
    // touches one array and one cache line.
    private readonly ulong[] entries = new ulong[2 * Size];

    /// <summary>The cached PTE of <paramref name="vpn"/>, or 0 on a miss.</summary>
    internal ulong Lookup(ulong vpn)
    {
        var i = (int)(vpn & (Size - 1)) << 1;
        var e = entries;
        return e[i] == vpn + 1 ? e[i + 1] : 0;
    }

    internal void Fill(ulong vpn, ulong pte)
    {
        var i = (int)(vpn & (Size - 1)) << 1;
        entries[i] = vpn + 1;
        entries[i + 1] = pte;
    }

    internal void FlushPage(ulong vpn)
    {
        var i = (int)(vpn & (Size - 1)) << 1;
        if (entries[i] == vpn + 1)
        {
            entries[i] = 0;
        }
    }

    internal void FlushRange(ulong startVpn, ulong endVpn)
    {
        if (endVpn - startVpn >= Size)
        {
            FlushAll();
            return;
        }

        for (var v = startVpn; v < endVpn; v++)
        {
            FlushPage(v);
        }
    }

    internal void FlushAll() => Array.Clear(entries);
}
