using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

/// <summary>
/// A software TLB: 64 direct-mapped entries caching present PTEs by virtual page number. Every PTE change that
/// removes access (unmap, protection change, COW replacement) flushes the address (flush_tlb_range).
/// </summary>
internal sealed class Tlb
{
    internal const int Size = 64;

    // Tags (vpn + 1, 0 when empty) and the cached PTEs live inside the object as fixed-length inline arrays, so a
    // lookup is one dependent load from the Tlb and the masked index needs no bounds check.
    private Entries tags;
    private Entries ptes;

    /// <summary>The cached PTE of <paramref name="vpn"/>, or 0 on a miss.</summary>
    internal ulong Lookup(ulong vpn)
    {
        var i = (int)vpn & (Size - 1);
        return tags[i] == vpn + 1 ? ptes[i] : 0;
    }

    /// <summary>The cached PTE of <paramref name="vpn"/> in <paramref name="pte"/>; false on a miss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryLookup(ulong vpn, out ulong pte)
    {
        var i = (int)vpn & (Size - 1);
        pte = ptes[i];
        return tags[i] == vpn + 1;
    }

    internal void Fill(ulong vpn, ulong pte)
    {
        var i = (int)vpn & (Size - 1);
        tags[i] = vpn + 1;
        ptes[i] = pte;
    }

    internal void FlushPage(ulong vpn)
    {
        var i = (int)vpn & (Size - 1);
        if (tags[i] == vpn + 1)
        {
            tags[i] = 0;
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

    internal void FlushAll() => ((Span<ulong>)tags).Clear();

    /// <summary>One slot per TLB entry.</summary>
    [InlineArray(Size)]
    private struct Entries
    {
        private ulong first;
    }
}
