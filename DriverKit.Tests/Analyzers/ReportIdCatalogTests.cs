extern alias DriverKitAnalyzers;

using System.Text.RegularExpressions;
using Descriptors = DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// Every id a report can carry exists for the reader: each DK id the runtime tags a report with has a rule page, and a rule
/// (an analyzer descriptor) unless it is one of the runtime-only ids whose static rules other work adds; each rule the runtime
/// also checks names the runtime's invariant in its page; each INV id the checker prints has an entry in docs/kernel-semantics.md.
/// The ids are read from the runtime's source, so a new report with a new id fails here until it is documented.
/// </summary>
public partial class ReportIdCatalogTests
{
    /// <summary>
    /// Ids the runtime reports that have no analyzer rule yet: the per-VMA rules (DK0009, DK0011, DK0012, DK0013, DK0015, DK0017,
    /// DK0020) and kernel-version availability (DK1001). A rule that lands must leave this list, and a page that says so must change.
    /// </summary>
    private static readonly string[] RuntimeOnly = [];

    /// <summary>How many lines above a rule id the invariant of the same report may be (a report spans a few lines).</summary>
    private const int ReportSpan = 12;

    public static TheoryData<string> RuntimeIds => [.. RuntimeReports().Keys.Order(StringComparer.Ordinal)];

    public static TheoryData<string> RuntimeInvariants => [.. RuntimeReports().Values.SelectMany(invariants => invariants)
        .Concat(RuntimeSources().SelectMany(source => InvariantLiteral().Matches(source).Select(match => match.Groups["inv"].Value)))
        .Distinct()
        .Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(RuntimeIds))]
    public void A_runtime_rule_id_has_a_page_and_a_rule_or_is_listed_as_runtime_only(string id)
    {
        var page = Path.Combine(RepositoryRoot.Path, "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), $"the runtime tags reports with {id}, and docs/rules/{id}.md does not exist");
        var text = File.ReadAllText(page);
        var hasRule = Descriptors.All.Any(descriptor => descriptor.Id == id);
        Assert.True(hasRule != RuntimeOnly.Contains(id),
            hasRule ? $"{id} has an analyzer rule now: remove it from {nameof(RuntimeOnly)}" : $"the runtime reports {id}, which has no analyzer rule and is not listed as runtime-only");
        Assert.Equal(!hasRule, text.Contains("runtime only", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [MemberData(nameof(RuntimeIds))]
    public void A_rule_page_names_the_invariants_the_runtime_reports_it_with(string id)
    {
        var invariants = RuntimeReports()[id];
        if (invariants.Count == 0)
        {
            return;
        }

        var text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "rules", id + ".md"));
        Assert.True(invariants.Any(invariant => text.Contains(invariant, StringComparison.Ordinal)),
            $"docs/rules/{id}.md names none of the invariants the runtime reports {id} with ({string.Join(", ", invariants)})");
    }

    [Theory]
    [MemberData(nameof(RuntimeInvariants))]
    public void An_invariant_the_checker_prints_is_documented(string invariant)
    {
        var catalog = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "kernel-semantics.md"));
        Assert.Matches(new Regex($"^### {invariant} — ", RegexOptions.Multiline), catalog);
    }

    [Fact]
    public void The_source_scan_finds_the_reports()
    {
        // The scan must see what is known to be there: a remap outside the driver's regions (INV-15, DK0014) and the unmatched
        // ->close (INV-18, DK0018). An empty or broken scan would make the tests above vacuous.
        var reports = RuntimeReports();
        Assert.Contains("INV-15", reports["DK0014"]);
        Assert.Contains("INV-18", reports["DK0018"]);
        Assert.True(reports.Count >= 20, $"only {reports.Count} rule ids found in the runtime's source");
    }

    /// <summary>Each DK id in the runtime's source, with the invariants of the reports it tags (the nearest INV id above it in the same statement).</summary>
    private static Dictionary<string, HashSet<string>> RuntimeReports()
    {
        var reports = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var source in RuntimeSources())
        {
            var lines = source.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match rule in RuleLiteral().Matches(lines[i]))
                {
                    var invariants = reports.TryGetValue(rule.Groups["id"].Value, out var known) ? known : reports[rule.Groups["id"].Value] = [];
                    // The same statement: upwards from the id until a line that ends an earlier statement or block.
                    for (var j = i; j >= Math.Max(0, i - ReportSpan) && (j == i || !lines[j].TrimEnd().EndsWith(';') && !lines[j].TrimEnd().EndsWith('}')); j--)
                    {
                        if (InvariantLiteral().Matches(lines[j]).LastOrDefault() is { } invariant)
                        {
                            invariants.Add(invariant.Groups["inv"].Value);
                            break;
                        }
                    }
                }
            }
        }

        return reports;
    }

    private static IEnumerable<string> RuntimeSources() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "DriverKit.Runtime"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText);

    [GeneratedRegex("\"(?<id>DK\\d{4})\"")]
    private static partial Regex RuleLiteral();

    [GeneratedRegex("(?:\"|DKSIM )(?<inv>INV-\\d\\d)\\b")]
    private static partial Regex InvariantLiteral();
}
