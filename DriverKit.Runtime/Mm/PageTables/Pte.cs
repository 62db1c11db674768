namespace DriverKit.Runtime;

/// <summary>
/// The bits of a simulated x86-64 PTE (arch/x86/include/asm/pgtable_types.h): present, RW, user, PWT/PCD
/// (cache mode), accessed, dirty, the software "special" bit (_PAGE_SPECIAL), and the pfn in bits 12-51.
/// A non-present PTE with <see cref="SwapBit"/> holds a swap slot instead of a pfn.
/// </summary>
internal static class Pte
{
    internal const ulong Present = 1UL << 0;
    internal const ulong Write = 1UL << 1;
    internal const ulong User = 1UL << 2;
    internal const ulong Pwt = 1UL << 3;
    internal const ulong Pcd = 1UL << 4;
    internal const ulong Accessed = 1UL << 5;
    internal const ulong Dirty = 1UL << 6;
    internal const ulong Special = 1UL << 9;

    /// <summary>_PAGE_PROTNONE: a mapped page the vma currently forbids (PROT_NONE); hardware sees it as not present.</summary>
    internal const ulong ProtNone = 1UL << 8;
    internal const ulong SwapBit = 1UL << 62;
    internal const ulong NoExec = 1UL << 63;
    internal const ulong PfnMask = 0x000F_FFFF_FFFF_F000UL;

    /// <summary>pte_present: a mapped page, including a PROT_NONE one.</summary>
    internal static bool IsPresent(ulong pte) => (pte & (Present | ProtNone)) != 0;

    /// <summary>What the MMU sees: present and accessible.</summary>
    internal static bool IsHardwarePresent(ulong pte) => (pte & (Present | ProtNone)) == Present;

    internal static bool IsNone(ulong pte) => pte == 0;

    internal static bool IsSwap(ulong pte) => (pte & (Present | ProtNone | SwapBit)) == SwapBit;

    internal static bool IsWritable(ulong pte) => (pte & Write) != 0;

    internal static bool IsSpecial(ulong pte) => (pte & Special) != 0;

    internal static ulong PfnOf(ulong pte) => (pte & PfnMask) >> Kernel.PageShift;

    internal static int SwapSlot(ulong pte) => (int)((pte & PfnMask) >> Kernel.PageShift);

    internal static ulong MakeSwap(int slot) => SwapBit | ((ulong)slot << Kernel.PageShift);

    /// <summary>
    /// mk_pte / pfn_pte: a user PTE for <paramref name="pfn"/> with <paramref name="prot"/>; a PROT_NONE protection
    /// gives a _PAGE_PROTNONE PTE (pte_present, invisible to the MMU), as a forced GUP fault in a PROT_NONE vma makes.
    /// </summary>
    internal static ulong Make(ulong pfn, PgProt prot, bool special)
    {
        var pte = (prot.Present ? Present : ProtNone) | User | (pfn << Kernel.PageShift);
        if (prot.Writable)
        {
            pte |= Write;
        }

        if (!prot.Executable)
        {
            pte |= NoExec;
        }

        pte |= prot.Cache switch
        {
            CacheMode.WriteCombining => Pwt,
            CacheMode.UncachedMinus => Pcd,
            CacheMode.Uncached => Pcd | Pwt,
            _ => 0,
        };
        if (special)
        {
            pte |= Special;
        }

        return pte;
    }

    internal static CacheMode CacheOf(ulong pte) => (pte & (Pcd | Pwt)) switch
    {
        Pwt => CacheMode.WriteCombining,
        Pcd => CacheMode.UncachedMinus,
        Pcd | Pwt => CacheMode.Uncached,
        _ => CacheMode.WriteBack,
    };
}
