using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime;

public sealed class KernelVersionTests
{
    [Theory]
    [InlineData("2.6.11", Era.E0)]
    [InlineData("2.6.14", Era.E0)]
    [InlineData("2.6.14.7", Era.E0)]
    [InlineData("2.6.15-rc1", Era.E1)]
    [InlineData("2.6.15-rc2", Era.E1)]
    [InlineData("2.6.15-rc2-git5", Era.E2)]
    [InlineData("2.6.15-rc3", Era.E3)]
    [InlineData("2.6.15", Era.E3)]
    [InlineData("2.6.20", Era.E3)]
    [InlineData("2.6.25.20", Era.E3)]
    [InlineData("2.6.26", Era.E4)]
    [InlineData("3.6", Era.E4)]
    [InlineData("3.7", Era.E5)]
    [InlineData("5.19.17", Era.E5)]
    [InlineData("6.1.0-27-amd64", Era.E6)]
    [InlineData("6.6", Era.E6)]
    [InlineData("7.0", Era.E7)]
    [InlineData("7.3-rc5", Era.E7)]
    public void MapsVersionsToEras(string version, Era era) => Assert.Equal(era, KernelVersion.Parse(version).Era);

    [Fact]
    public void ReleaseCandidatesAndSnapshotsOrderBetweenReleases()
    {
        var ordered = new[] { "2.6.14", "2.6.14-git3", "2.6.15-rc1", "2.6.15-rc2", "2.6.15-rc2-git1", "2.6.15-rc3", "2.6.15", "2.6.15.1", "2.6.16" }
            .Select(KernelVersion.Parse).ToArray();
        for (var i = 1; i < ordered.Length; i++)
        {
            Assert.True(ordered[i - 1] < ordered[i], $"{ordered[i - 1]} < {ordered[i]}");
        }

        Assert.Equal(KernelVersion.Parse("3.7"), KernelVersion.Parse("3.7.0"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("banana")]
    [InlineData("2.6")]
    [InlineData("2.4.31")]
    [InlineData("2.6.9")]
    [InlineData("8.1")]
    [InlineData("1.0")]
    [InlineData("3.7.1.2")]
    [InlineData("2.6.15-rc")]
    [InlineData("2.6.15-rc0")]
    [InlineData("6.6x")]
    [InlineData("2.6.15-rc2-git")]
    public void RefusesMalformedOrUnsupportedVersionsListingWhatIsAccepted(string text)
    {
        Assert.False(KernelVersion.TryParse(text, out _, out var error));
        Assert.Contains("accepted:", error);
        var e = Assert.Throws<ArgumentException>(() => new Kernel(new KernelOptions { Version = text }));
        Assert.Contains("accepted:", e.Message);
    }

    [Fact]
    public void KeepsTheTextItWasGiven() => Assert.Equal("6.1.0-27-amd64", KernelVersion.Parse("6.1.0-27-amd64").ToString());
}
