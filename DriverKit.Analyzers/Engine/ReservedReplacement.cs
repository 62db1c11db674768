using DriverKit.Runtime;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// What replaces VM_RESERVED in the configured era: VM_DONTEXPAND | VM_DONTDUMP (the 3.7 commit's advice), or VM_DONTEXPAND
/// alone before VM_DONTDUMP existed (3.4). The code fix reads it from the diagnostic's properties.
/// </summary>
internal static class ReservedReplacement
{
    /// <summary>The diagnostic property holding the replacement flag names, comma-separated (VmFlags member names).</summary>
    public const string PropertyName = "Replacement";

    /// <summary>The diagnostic property set when VM_RESERVED can simply be dropped: remap_pfn_range on the same VMA sets what it stood for.</summary>
    public const string RemapPropertyName = "RemapSetsFlags";

    public static VmFlags For(EraPolicy policy) =>
        policy.FlagExists(VmFlags.DontDump) ? VmFlags.DontExpand | VmFlags.DontDump : VmFlags.DontExpand;

    public static string Format(VmFlags flags)
    {
        var names = new List<string>();
        for (var bit = 1UL; bit != 0; bit <<= 1)
        {
            if (((ulong)flags & bit) != 0)
            {
                names.Add(((VmFlags)bit).ToString());
            }
        }

        return string.Join(",", names);
    }
}
