using System.Collections.Immutable;

namespace DriverKit.Analyzers;

/// <summary>
/// Which code fix a diagnostic admits, carried in its properties under <see cref="Key"/>: one rule id covers several findings
/// (DK0008's byte address and slab page, DK0010's page and dropped errno), and a fix must not have to guess from the message.
/// </summary>
public static class FixForms
{
    /// <summary>The property key.</summary>
    public const string Key = "DriverKit.Fix";

    /// <summary>No mechanical fix.</summary>
    public const string None = "none";

    /// <summary>DK0007: VmallocUser + RemapVmallocRange.</summary>
    public const string RemapVmallocRange = "remap-vmalloc-range";

    /// <summary>DK0008: shift the byte address right by the page shift.</summary>
    public const string ByteAddress = "page-shift";

    /// <summary>DK0010: allocate the block with Gfp.Comp.</summary>
    public const string CompoundBlock = "gfp-comp";

    /// <summary>DK0010: return the mapping call's error.</summary>
    public const string ReturnError = "return-error";

    /// <summary>DK0014: map the device window with VmIomapMemory, which checks the offset and size.</summary>
    public const string IomapMemory = "vm-iomap-memory";

    /// <summary>DK0014: clear VM_MAYWRITE after the VM_WRITE test (the statement is in <see cref="Statement"/>).</summary>
    public const string ClearMayWrite = "clear-maywrite";

    /// <summary>
    /// DK0011, DK0015, DK0017: insert the statement in <see cref="Statement"/> (it sets flags on the VMA) in ->mmap, before the statement
    /// at the diagnostic's first additional location.
    /// </summary>
    public const string MmapStatement = "mmap-statement";

    /// <summary>DK0020: refuse private mappings with the statement in <see cref="Statement"/> at the top of ->mmap (the first additional location).</summary>
    public const string RefusePrivate = "refuse-private";

    /// <summary>DK0012: take a reference with the statement in <see cref="Statement"/> before the one at the first additional location.</summary>
    public const string TakeReference = "get-page";

    /// <summary>The property holding a statement a fix inserts, spelt for the configured kernel by the analyzer.</summary>
    public const string Statement = "DriverKit.Statement";

    /// <summary>DK0016: wrap the protection in PgprotNoncached.</summary>
    public const string Noncached = "pgprot-noncached";

    /// <summary>DK0018: an Open handler that takes what Close drops.</summary>
    public const string AddOpen = "add-open";

    /// <summary>DK0019: io_remap_pfn_range.</summary>
    public const string IoRemap = "io-remap";

    /// <summary>DK1001: a -&gt;nopage handler rewritten as -&gt;fault.</summary>
    public const string NoPageToFault = "nopage-to-fault";

    /// <summary>The properties of a diagnostic that admits <paramref name="form"/>.</summary>
    /// <param name="form">One of the forms above.</param>
    public static ImmutableDictionary<string, string?> Properties(string form) => ImmutableDictionary<string, string?>.Empty.Add(Key, form);

    /// <summary>The form a diagnostic's properties name, or <see cref="None"/>.</summary>
    /// <param name="properties">The diagnostic's properties.</param>
    public static string Of(ImmutableDictionary<string, string?> properties) =>
        properties.TryGetValue(Key, out var form) && form is not null ? form : None;
}
