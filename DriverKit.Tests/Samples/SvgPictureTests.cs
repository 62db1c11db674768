using System.Globalization;
using System.Xml.Linq;

namespace DriverKit.Tests.Samples;

/// <summary>The --svg picture: well-formed SVG whose runs mark exactly the frames the JSON says leaked.</summary>
public sealed class SvgPictureTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void MarksTheLeakedFramesOfS1InTheLeakingEraOnly()
    {
        var path = Path.Combine(Path.GetTempPath(), $"driverkit-samples-{Guid.NewGuid():N}.svg");
        try
        {
            var result = SamplesCli.Run("--scenario", "S1", "--json", "--svg", path);
            Assert.Equal(0, result.Exit);
            Assert.Contains(path, result.Err, StringComparison.Ordinal); // stdout stays pure JSON
            var runs = new RunSet(result.Out);

            var doc = XDocument.Load(path); // throws unless well-formed
            Assert.Equal(Svg + "svg", doc.Root!.Name);
            var groups = doc.Descendants(Svg + "g").Where(g => Class(g) == "run").ToArray();
            Assert.Equal(runs.All.Count, groups.Length);
            foreach (var group in groups)
            {
                var run = runs[$"S1/{group.Attribute("data-variant")!.Value}@{group.Attribute("data-kernel")!.Value}"];
                var end = group.Elements(Svg + "g").SingleOrDefault(g => g.Attribute("data-label")?.Value == "end");
                Assert.Equal(run.Compiles, end is not null);
                var leaked = end?.Elements(Svg + "rect").Where(r => Class(r).Split(' ').Contains("leaked")).Select(Pfn).ToArray() ?? [];
                Assert.Equal(run.Leaked, leaked);
            }

            var rc1 = runs["S1/nopage@2.6.15-rc1"];
            Assert.Equal(4, rc1.Leaked.Length);
            Assert.Empty(runs["S1/nopage@2.6.14"].Leaked);
            Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value.StartsWith("leaked", StringComparison.Ordinal)); // legend
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Class(XElement e) => e.Attribute("class")?.Value ?? string.Empty;

    /// <summary>The pfn a frame's tooltip names ("pfn 00001: leaked (DriverOwned), the driver's").</summary>
    private static ulong Pfn(XElement rect)
    {
        var title = rect.Element(Svg + "title")!.Value;
        Assert.StartsWith("pfn ", title, StringComparison.Ordinal);
        return ulong.Parse(title.AsSpan(4, title.IndexOf(':', StringComparison.Ordinal) - 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
