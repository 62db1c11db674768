namespace DriverKit.Runtime;

/// <summary>
/// A software TLB: 64 direct-mapped entries caching present PTEs by virtual page number. Every PTE change that
/// removes access (unmap, protection change, COW replacement) flushes the address (flush_tlb_range).
/// </summary>
internal sealed class Tlb
{
    internal const int Size = 64;
    private readonly ulong[] tag = new ulong[Size];
    private readonly ulong[] entry = new ulong[Size];

    /// <summary>The cached PTE of <paramref name="vpn"/>, or 0 on a miss.</summary>
    internal ulong Lookup(ulong vpn)
    {
        var slot = (int)(vpn & (Size - 1));
        return tag[slot] == vpn + 1 ? entry[slot] : 0;
    }

    internal void Fill(ulong vpn, ulong pte)
    {
        var slot = (int)(vpn & (Size - 1));
        tag[slot] = vpn + 1;
        entry[slot] = pte;
    }

    internal void FlushPage(ulong vpn)
    {
        var slot = (int)(vpn & (Size - 1));
        if (tag[slot] == vpn + 1)
        {
            tag[slot] = 0;
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

    internal void FlushAll() => Array.Clear(tag);
}
