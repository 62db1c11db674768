using System.Text.RegularExpressions;
using DriverKit.Tests.Analyzers;

namespace DriverKit.Tests.FixProof;

/// <summary>
/// The whole drivers of the rule pages (docs/rules/DKxxxx.md, each after a <c>&lt;!-- fix-proof: DKxxxx versions --&gt;</c>
/// marker) through the fix-proof harness, so the documentation's examples are drivers that show the bug and run clean once
/// fixed — and every page of a rule with a code fix has one.
/// </summary>
public partial class DocsExamplesFixProofTests
{
    public static TheoryData<string> Pages => [.. Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "docs", "rules"), "DK*.md")
        .Select(Path.GetFileNameWithoutExtension)
        .OfType<string>()
        .Where(id => HasFix(id))
        .Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task The_rule_page_driver_shows_the_bug_and_runs_clean_once_fixed(string ruleId)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "rules", ruleId + ".md"));
        var examples = Marker().Matches(text).ToList();
        Assert.True(examples.Count > 0, $"docs/rules/{ruleId}.md has no whole driver marked for the fix-proof harness");
        foreach (var example in examples)
        {
            Assert.Equal(ruleId, example.Groups["rule"].Value);
            var versions = example.Groups["versions"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            await SeedRulesFixProofTests.Harness(ruleId).ProveAsync(new FixProofExample($"docs/rules/{ruleId}.md", example.Groups["code"].Value, versions));
        }
    }

    /// <summary>The rules with a code fix (DK1000 has none).</summary>
    private static bool HasFix(string ruleId) => ruleId is "DK0001" or "DK0002" or "DK0003" or "DK0004" or "DK0005" or "DK0006"
        or "DK0007" or "DK0008" or "DK0010" or "DK0016" or "DK0018" or "DK0019";

    [GeneratedRegex(@"<!-- fix-proof: (?<rule>DK\d{4}) (?<versions>[^>]+?) -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Marker();
}
