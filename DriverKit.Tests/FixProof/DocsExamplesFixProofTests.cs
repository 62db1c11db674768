using System.Text.RegularExpressions;
using DriverKit.Tests.Analyzers;

namespace DriverKit.Tests.FixProof;

/// <summary>
/// The whole drivers of the rule pages (docs/rules/DKxxxx.md, each after a <c>&lt;!-- fix-proof: DKxxxx [options] versions --&gt;</c>
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
            // Options before the versions: probe=bounds|grow|private|coredump|ioctl:<cmd> (what user space does beyond the standard script) and
            // fix=<form> (which of the rule's fixes, by FixForms name).
            var words = example.Groups["versions"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var options = words.Where(word => word.Contains('=')).ToDictionary(word => word[..word.IndexOf('=')], word => word[(word.IndexOf('=') + 1)..]);
            var versions = words.Where(word => !word.Contains('=')).ToArray();
            var probe = options.GetValueOrDefault("probe") switch
            {
                null => ProofProbe.None,
                "bounds" => ProofProbe.Bounds,
                "grow" => ProofProbe.Grow,
                "private" => ProofProbe.Private,
                "coredump" => ProofProbe.CoreDump,
                var other when other.StartsWith("ioctl:", StringComparison.Ordinal) => ProofProbe.IoctlWhileMapped,
                var other => throw new Xunit.Sdk.XunitException($"docs/rules/{ruleId}.md: unknown probe '{other}'"),
            };
            var command = probe == ProofProbe.IoctlWhileMapped ? uint.Parse(options["probe"]["ioctl:".Length..], System.Globalization.CultureInfo.InvariantCulture) : 0;
            var proof = new FixProofExample($"docs/rules/{ruleId}.md", example.Groups["code"].Value, versions) { Probe = probe, IoctlCommand = command };
            await SeedRulesFixProofTests.Harness(ruleId, options.GetValueOrDefault("fix")).ProveAsync(proof);
        }
    }

    /// <summary>The rules with a code fix (DK1000 has none).</summary>
    private static bool HasFix(string ruleId) => ruleId is "DK0001" or "DK0002" or "DK0003" or "DK0004" or "DK0005" or "DK0006"
        or "DK0007" or "DK0008" or "DK0010" or "DK0011" or "DK0012" or "DK0013" or "DK0014" or "DK0015" or "DK0016" or "DK0017" or "DK0018" or "DK0019" or "DK0020";

    [GeneratedRegex(@"<!-- fix-proof: (?<rule>DK\d{4}) (?<versions>[^>]+?) -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Marker();
}
