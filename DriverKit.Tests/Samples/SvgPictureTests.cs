using System.Globalization;
using System.Xml.Linq;
using DriverKit.Samples.Output;
using DriverKit.Scenarios;

namespace DriverKit.Tests.Samples;

/// <summary>
/// The --svg picture: well-formed SVG whose runs mark exactly the frames the JSON says leaked, link each mapped vma
/// page to its frame, and mark frames freed while a PTE still maps them.
/// </summary>
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

    [Fact]
    public void LinksEachMappedVmaPageToTheFrameItMaps()
    {
        var played = ScenarioCatalog.Plan(null, ScenarioCatalog.FindScenario("S1"), null).Select(p => ScenarioRunner.Play(p.Scenario, p.Variant, p.Point, strict: false)).ToArray();
        var doc = XDocument.Parse(SvgPicture.Render(played));
        var groups = doc.Descendants(Svg + "g").Where(g => Class(g) == "run").ToArray();
        Assert.Equal(played.Length, groups.Length);
        var links = 0;
        foreach (var (run, group) in played.Zip(groups))
        {
            var snapshots = group.Elements(Svg + "g").Where(g => Class(g) == "snapshot").ToArray();
            Assert.Equal(run.Compiles ? run.Snapshots.Select(s => s.Label) : [], snapshots.Select(s => s.Attribute("data-label")!.Value));
            foreach (var (snapshot, picture) in run.Snapshots.Zip(snapshots))
            {
                var frames = picture.Elements(Svg + "rect").Where(r => Class(r).StartsWith("frame", StringComparison.Ordinal)).Select(r => r.Attribute("data-pfn")!.Value).ToHashSet();
                var drawn = picture.Descendants(Svg + "line").Select(l => (Addr: l.Attribute("data-addr")!.Value, Pfn: l.Attribute("data-pfn")!.Value)).ToArray();
                var mapped = snapshot.Processes.SelectMany(p => p.Vmas).SelectMany(v => v.Mapped.Select(m => (Addr: Hex(v.Start + (m.Index * 4096), "x"), Pfn: Hex(m.Pfn, "x5")))).ToArray();
                Assert.Equal(mapped.Order(), drawn.Order());
                Assert.All(drawn, l => Assert.Contains(l.Pfn, frames));
                links += drawn.Length;
            }
        }

        Assert.True(links > 0);

        // While U maps the 4 pages, each page links to one of the driver's frames; a normal (refcounted) PTE in
        // 2.6.14, where the touch step counts a mapcount of 1, and a special one in 2.6.15-rc1, where it counts none.
        foreach (var (kernel, special) in new[] { ("2.6.14", false), ("2.6.15-rc1", true) })
        {
            var run = played.Single(r => r.Variant == "nopage" && r.Kernel == kernel);
            Assert.All(run.Steps.Single(s => s.Key == "touch").Pages, p => Assert.Equal(special ? 0 : 1, p.Mc));
            var picture = groups[Array.IndexOf(played, run)].Elements(Svg + "g").Single(g => g.Attribute("data-label")?.Value == "mapped");
            var lines = picture.Descendants(Svg + "line").ToArray();
            Assert.Equal(run.Steps[0].Pages.Select(p => Hex(p.Pfn, "x5")).Order(), lines.Select(l => l.Attribute("data-pfn")!.Value).Order());
            Assert.All(lines, l => Assert.Equal(special, Class(l).Split(' ').Contains("special")));
        }
    }

    [Fact]
    public void MarksTheFramesTheDriverFreedWhileUStillMapsThem()
    {
        var path = Path.Combine(Path.GetTempPath(), $"driverkit-samples-{Guid.NewGuid():N}.svg");
        try
        {
            var result = SamplesCli.Run("--scenario", "S4", "--strict", "--json", "--svg", path);
            Assert.Equal(0, result.Exit);
            var runs = new RunSet(result.Out);
            var doc = XDocument.Load(path);
            Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value.StartsWith("freed while still mapped", StringComparison.Ordinal)); // legend
            var groups = doc.Descendants(Svg + "g").Where(g => Class(g) == "run").ToArray();
            foreach (var group in groups)
            {
                var run = runs[$"S4/{group.Attribute("data-variant")!.Value}@{group.Attribute("data-kernel")!.Value}{(group.Attribute("data-machine")!.Value.Length > 0 ? "+check_pages" : string.Empty)}"];
                var freedFrames = group.Descendants(Svg + "rect").Where(r => Class(r).StartsWith("frame", StringComparison.Ordinal) && IsFreedWhileMapped(r)).Select(r => r.Attribute("data-pfn")!.Value).ToHashSet();
                var freedLinks = group.Descendants(Svg + "line").Where(IsFreedWhileMapped).ToArray();

                // The checker reports the frames the driver frees while a PTE maps them (INV-06, strict: one report per mm, every page in it).
                var inv06 = run.Reports.Where(r => r.GetProperty("invariant").GetString() == "INV-06")
                    .SelectMany(r => r.GetProperty("pages").EnumerateArray().Select(p => Hex(p.GetUInt64(), "x5"))).ToHashSet();
                Assert.Equal(inv06, freedFrames);
                Assert.Equal(inv06, freedLinks.Select(l => l.Attribute("data-pfn")!.Value).ToHashSet());
                Assert.All(freedLinks, l => Assert.Contains(group.Descendants(Svg + "rect"), r => Class(r).StartsWith("page", StringComparison.Ordinal) && IsFreedWhileMapped(r) && r.Attribute("data-addr")!.Value == l.Attribute("data-addr")!.Value));
            }

            Assert.Equal(4, runs["S4/D@7.0"].Reports.Where(r => r.GetProperty("invariant").GetString() == "INV-06").Sum(r => r.GetProperty("pages").GetArrayLength()));
            Assert.Contains(groups, g => g.Attribute("data-variant")!.Value == "D" && g.Descendants(Svg + "line").Count(IsFreedWhileMapped) == 4);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static bool IsFreedWhileMapped(XElement e) => Class(e).Split(' ').Contains("freed-mapped");

    private static string Hex(ulong value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Class(XElement e) => e.Attribute("class")?.Value ?? string.Empty;

    /// <summary>The pfn a frame's tooltip names ("pfn 00001: leaked (DriverOwned), the driver's").</summary>
    private static ulong Pfn(XElement rect)
    {
        var title = rect.Element(Svg + "title")!.Value;
        Assert.StartsWith("pfn ", title, StringComparison.Ordinal);
        return ulong.Parse(title.AsSpan(4, title.IndexOf(':', StringComparison.Ordinal) - 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
