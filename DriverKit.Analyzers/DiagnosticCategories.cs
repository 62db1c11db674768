namespace DriverKit.Analyzers;

/// <summary>The categories of DriverKit's diagnostics (one per area of the kernel the rules are about).</summary>
public static class DiagnosticCategories
{
    /// <summary>Memory mapping, page flags and VMA flags: mm/ in the kernel.</summary>
    public const string Memory = "DriverKit.Memory";

    /// <summary>DriverKit's own settings: which kernel the rules check against.</summary>
    public const string Configuration = "DriverKit.Configuration";
}
