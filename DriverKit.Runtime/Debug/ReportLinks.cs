using System.Reflection;
using System.Text.RegularExpressions;

namespace DriverKit.Runtime;

/// <summary>
/// The documents a report points to, inside the repository the package was built from (its RepositoryUrl): the
/// invariant's entry in docs/kernel-semantics.md §5 and the rule's page in docs/rules/.
/// </summary>
internal static class ReportLinks
{
    /// <summary>The repository's document root: "https://…/blob/main/", or "" when the assembly names no repository.</summary>
    internal static readonly string Root = typeof(ReportLinks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "RepositoryUrl")?.Value is { Length: > 0 } url ? url.TrimEnd('/') + "/blob/main/" : string.Empty;

    /// <summary>The catalogue of invariants.</summary>
    internal const string InvariantsDocument = "docs/kernel-semantics.md";

    /// <summary>The anchor of an invariant ("INV-06" → "inv-06"; "OOPS" → "oops").</summary>
    internal static string Anchor(string invariant) => invariant.ToLowerInvariant();

    /// <summary>The link for an invariant's entry.</summary>
    internal static string ForInvariant(string invariant) => Root + InvariantsDocument + "#" + Anchor(invariant);

    /// <summary>The link for a rule's page.</summary>
    internal static string ForRule(string ruleId) => Root + "docs/rules/" + ruleId + ".md";

    // A pfn ("pfn 0001f") or an address (8 to 16 hex digits): what differs between the pages of one finding.
    private static readonly Regex PageNumbers = new(@"(?<=\bpfn )[0-9a-f]{5,}\b|\b[0-9a-f]{8,16}\b", RegexOptions.CultureInvariant);

    /// <summary>The text with its pfns and addresses replaced by '#', so the pages of one finding compare equal.</summary>
    internal static string MaskNumbers(string text) => PageNumbers.Replace(text, "#");
}
