namespace DriverKit.Runtime;

/// <summary>The memory type a PTE selects through PAT/PCD/PWT (x86 page attribute table).</summary>
public enum CacheMode : byte
{
    /// <summary>Write-back, cacheable (the default of vm_page_prot).</summary>
    WriteBack = 0,

    /// <summary>Write-combining (pgprot_writecombine).</summary>
    WriteCombining = 1,

    /// <summary>Uncached-minus (pgprot_noncached on x86).</summary>
    UncachedMinus = 2,

    /// <summary>Strong uncached (_PAGE_CACHE_MODE_UC, ioremap_uc).</summary>
    Uncached = 3,
}

/// <summary>pgprot_t: the protection and memory type bits a PTE is built with (vma-&gt;vm_page_prot).</summary>
/// <param name="Present">_PAGE_PRESENT: the PTE maps something (false for PROT_NONE).</param>
/// <param name="Writable">_PAGE_RW: writes are allowed.</param>
/// <param name="Executable">Not _PAGE_NX: instructions may be fetched.</param>
/// <param name="Cache">The memory type the PAT/PCD/PWT bits select (_PAGE_CACHE_MASK).</param>
public readonly record struct PgProt(bool Present, bool Writable, bool Executable, CacheMode Cache)
{
    /// <summary>mm/mmap.c: vm_get_page_prot — private writable mappings get read-only PTEs (COW); PROT_NONE gets none.</summary>
    /// <param name="flags">The vma flags.</param>
    public static PgProt FromVmFlags(VmFlags flags) => new(
        (flags & (VmFlags.Read | VmFlags.Write | VmFlags.Exec)) != 0,
        (flags & (VmFlags.Write | VmFlags.Shared)) == (VmFlags.Write | VmFlags.Shared),
        (flags & VmFlags.Exec) != 0,
        CacheMode.WriteBack);

    /// <summary>"rw-", cache mode in brackets when not write-back.</summary>
    public override string ToString() =>
        $"{(Present ? "r" : "-")}{(Writable ? "w" : "-")}{(Executable ? "x" : "-")}{(Cache == CacheMode.WriteBack ? string.Empty : "/" + Cache)}";
}

public sealed partial class Kernel
{
    /// <summary>arch/x86/include/asm/pgtable_types.h: pgprot_noncached — UC- memory type, for MMIO registers.</summary>
    /// <param name="prot">The protection to change.</param>
    public static PgProt PgprotNoncached(PgProt prot) => prot with { Cache = CacheMode.UncachedMinus };

    /// <summary>arch/x86/include/asm/pgtable_types.h: pgprot_writecombine — WC memory type, for frame buffers.</summary>
    /// <param name="prot">The protection to change.</param>
    public static PgProt PgprotWritecombine(PgProt prot) => prot with { Cache = CacheMode.WriteCombining };
}
