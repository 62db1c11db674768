using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

/// <summary>
/// A software TLB: 64 direct-mapped entries caching present PTEs by virtual page number. Every PTE change that
/// removes access (unmap, protection change, COW replacement) flushes the address (flush_tlb_range).
/// </summary>
internal sealed class Tlb
{
    internal const int Size = 64;

    /// <summary>Tag bit of an entry whose PTE maps no RAM frame (a device or out-of-range pfn); vpn + 1 never reaches it.</summary>
    private const ulong NotRam = 1UL << 63;

    // The entries (tag vpn + 1, | NotRam for a non-RAM pfn, 0 when empty, beside the cached PTE) live inside the object
    // as a fixed-length inline array, so a lookup is one dependent load from the Tlb, the masked index needs no bounds
    // check, and tag and PTE share a cache line.
    private Entries entries;

    /// <summary>The cached PTE of <paramref name="vpn"/>, or 0 on a miss.</summary>
    internal ulong Lookup(ulong vpn)
    {
        ref var e = ref entries[(int)vpn & (Size - 1)];
        return (e.Tag & ~NotRam) == vpn + 1 ? e.Pte : 0;
    }

    /// <summary>The cached PTE of <paramref name="vpn"/> in <paramref name="pte"/> when it maps a RAM frame; false otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool TryLookupRam(ulong vpn, out ulong pte)
    {
        ref var e = ref entries[(int)vpn & (Size - 1)];
        pte = e.Pte;
        return e.Tag == vpn + 1;
    }

    /// <summary>Caches <paramref name="pte"/> for <paramref name="vpn"/>.</summary>
    /// <param name="vpn">The virtual page number.</param>
    /// <param name="pte">The PTE.</param>
    /// <param name="ram">Whether its pfn is a RAM frame of the frame table.</param>
    internal void Fill(ulong vpn, ulong pte, bool ram)
    {
        ref var e = ref entries[(int)vpn & (Size - 1)];
        e.Tag = (vpn + 1) | (ram ? 0 : NotRam);
        e.Pte = pte;
    }

    internal void FlushPage(ulong vpn)
    {
        ref var e = ref entries[(int)vpn & (Size - 1)];
        if ((e.Tag & ~NotRam) == vpn + 1)
        {
            e.Tag = 0;
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

    internal void FlushAll() => ((Span<Entry>)entries).Clear();

    /// <summary>One TLB entry: the tag (vpn + 1, 0 when empty) and the cached PTE.</summary>
    private struct Entry
    {
        internal ulong Tag;
        internal ulong Pte;
    }

    /// <summary>The TLB's entries.</summary>
    [InlineArray(Size)]
    private struct Entries
    {
        private Entry first;
    }
}
