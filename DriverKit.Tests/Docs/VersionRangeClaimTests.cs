using System.Text.RegularExpressions;
using DriverKit.Runtime;
using DriverKit.Tests.Analyzers;

namespace DriverKit.Tests.Docs;

/// <summary>The version range the README and the kernel-semantics document state is the one the parser accepts.</summary>
public sealed partial class VersionRangeClaimTests
{
    [Theory]
    [InlineData("README.md")]
    [InlineData("docs/kernel-semantics.md")]
    public void The_oldest_version_a_document_names_is_the_oldest_the_runtime_accepts(string document)
    {
        var text = System.IO.File.ReadAllText(Path.Combine(RepositoryRoot.Path, document));
        var claims = RangeClaim().Matches(text).Select(m => m.Groups["oldest"].Value).ToArray();
        Assert.NotEmpty(claims);
        Assert.All(claims, oldest =>
        {
            Assert.Equal(KernelVersion.Oldest, KernelVersion.Parse(oldest));
            Assert.True(KernelVersion.TryParse(oldest, out _, out _));
        });
        Assert.False(KernelVersion.TryParse(PreviousRelease(KernelVersion.Oldest), out _, out var error));
        Assert.Contains("not supported", error, StringComparison.Ordinal);
    }

    private static string PreviousRelease(KernelVersion v) => $"{v.Major}.{v.Minor}.{v.Patch - 1}";

    // "from 2.6.10 to 7.x", "from `2.6.10` on", "accepts versions from 2.6.10 to 7.x"
    [GeneratedRegex(@"from `?(?<oldest>\d+\.\d+\.\d+)`? (?:on\b|to 7\.x)")]
    private static partial Regex RangeClaim();
}
