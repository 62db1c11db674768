using System.Text.RegularExpressions;
using DriverKit.Tests.Analyzers;

namespace DriverKit.Tests.Runtime;

/// <summary>Where an era differs, the era policy decides, in one place: no runtime code outside Era/ compares versions or eras.</summary>
public partial class EraDecisionTests
{
    [Fact]
    public void Only_the_era_policy_compares_kernel_versions_and_eras()
    {
        var runtime = Path.Combine(RepositoryRoot.Path, "DriverKit.Runtime");
        var era = Path.Combine(runtime, "Era") + Path.DirectorySeparatorChar;
        var found = Directory.EnumerateFiles(runtime, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.StartsWith(era, StringComparison.Ordinal) && !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(file => File.ReadLines(file).Select((line, index) => (file, line, index)))
            .Where(entry => Comparison().IsMatch(entry.line))
            .Select(entry => $"{Path.GetRelativePath(runtime, entry.file)}:{entry.index + 1}: {entry.line.Trim()}")
            .ToList();
        Assert.True(found.Count == 0, "version or era comparisons outside EraPolicy:\n" + string.Join('\n', found));
    }

    [Fact]
    public void The_scan_finds_a_comparison()
    {
        Assert.Matches(Comparison(), "if (Era >= Era.E5)");
        Assert.Matches(Comparison(), "Policy.Version < KernelVersion.Parse(\"3.5\")");
        Assert.DoesNotMatch(Comparison(), "if (Policy.MadviseDoDumpRefusesSpecial)");
    }

    /// <summary>An era compared with an Era member, or a version compared with a parsed one.</summary>
    [GeneratedRegex(@"\bEra\s*(==|!=|>=|<=|>|<)\s*Era\.|\bVersion\s*(==|!=|>=|<=|>|<)\s*KernelVersion\.|KernelVersion\.Parse\(""")]
    private static partial Regex Comparison();
}
