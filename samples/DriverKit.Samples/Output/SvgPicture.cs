using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using DriverKit.Runtime;
using DriverKit.Scenarios;

namespace DriverKit.Samples.Output;

/// <summary>
/// The picture: for each run and each of its snapshots, one row of frames per region of interest (runs of
/// consecutive pfns among the frames in use and the driver's frames; free and boot frames are summed, not drawn),
/// then each live process's vmas as rows of page cells, each page whose PTE maps a drawn frame linked to it by a
/// line (class "link"). Leaked frames carry the class "leaked"; frames freed while a PTE still maps them, and
/// those PTEs' pages and links, the class "freed-mapped".
/// </summary>
public static class SvgPicture
{
    private const int Margin = 16;
    private const int Cell = 12;
    private const int CellHeight = 16;
    private const int CellsPerRow = 64;
    private const int RowLabel = 208;
    private const int Line = 16;
    private const int LinkSpace = 24;
    private const double CharWidth = 6.7;

    private static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    /// <summary>The SVG document for <paramref name="runs"/>.</summary>
    /// <param name="runs">The runs to draw, in order.</param>
    public static string Render(IReadOnlyList<ScenarioRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var canvas = new Canvas();
        canvas.Text("DriverKit scenario runs: physical frames and address spaces", "title");
        Legend(canvas);
        foreach (var run in runs)
        {
            canvas.Gap(Line);
            canvas.Group(Run(run), () =>
            {
                canvas.Text($"{run.Scenario} {run.Sample} · variant {run.Variant} · Linux {run.Kernel} (era {run.Era}){run.Machine.Suffix}", "title");
                if (!run.Compiles)
                {
                    canvas.Text("does not compile in this era: " + run.NotInEra, "muted");
                    return;
                }

                foreach (var snapshot in run.Snapshots)
                {
                    canvas.Group(new XElement(Ns + "g", new XAttribute("class", "snapshot"), new XAttribute("data-label", snapshot.Label)), () => Snapshot(canvas, snapshot));
                }
            });
        }

        var svg = new XElement(Ns + "svg",
            new XAttribute("width", canvas.Width),
            new XAttribute("height", canvas.Y + Margin),
            new XAttribute("viewBox", $"0 0 {canvas.Width} {canvas.Y + Margin}"),
            new XElement(Ns + "title", "DriverKit scenario runs"),
            new XElement(Ns + "style", FrameStyles.Css()),
            canvas.Root.Elements());
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) }))
        {
            new XDocument(svg).Save(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Legend(Canvas canvas)
    {
        var x = Margin;
        foreach (var (cls, _, legend) in FrameStyles.All)
        {
            canvas.Add(Rect(x, canvas.Y, Cell, CellHeight, "frame " + cls));
            x = LegendLabel(canvas, x, legend);
        }

        canvas.Extend(x);
        canvas.Gap(CellHeight + 6);
        x = Margin;
        canvas.Add(Rect(x, canvas.Y, Cell, CellHeight, $"frame free {FrameStyles.FreedWhileMappedClass}"));
        x = LegendLabel(canvas, x, "freed while still mapped: a PTE installed before the free maps it (free now, or reused)");
        canvas.Add(Rect(x, canvas.Y, Cell - 1, CellHeight, "page mapped"));
        x = LegendLabel(canvas, x, "vma page; its line goes to the frame its PTE maps:");
        foreach (var (cls, legend) in new[] { (string.Empty, "normal PTE"), (" " + FrameStyles.SpecialClass, "special PTE (no refcount)"), (" " + FrameStyles.FreedWhileMappedClass, "PTE to a freed frame") })
        {
            canvas.Add(new XElement(Ns + "line", new XAttribute("x1", x), new XAttribute("y1", canvas.Y + (CellHeight / 2)), new XAttribute("x2", x + (2 * Cell)), new XAttribute("y2", canvas.Y + (CellHeight / 2)), new XAttribute("class", FrameStyles.LinkClass + cls)));
            x = LegendLabel(canvas, x + Cell, legend);
        }

        canvas.Extend(x);
        canvas.Gap(CellHeight + 6);
    }

    /// <summary>Writes a legend entry's text after its sample at <paramref name="x"/>; returns where the next sample goes.</summary>
    private static int LegendLabel(Canvas canvas, int x, string text)
    {
        canvas.Add(Label(x + Cell + 4, canvas.Y + 12, text));
        return x + Cell + 12 + (int)(text.Length * CharWidth);
    }

    private static void Snapshot(Canvas canvas, MachineSnapshot snapshot)
    {
        var notDrawn = snapshot.TotalFrames - snapshot.Frames.Count;
        canvas.Text($"{snapshot.Label}: {snapshot.FreeFrames} free of {snapshot.TotalFrames} frames; {notDrawn} free or boot frames not drawn", "subtitle");
        var links = new XElement(Ns + "g", new XAttribute("class", "links"));
        var framesAt = new Dictionary<ulong, (int X, int Y)>();
        foreach (var region in Regions(snapshot.Frames))
        {
            for (var offset = 0; offset < region.Count; offset += CellsPerRow)
            {
                var row = region.Skip(offset).Take(CellsPerRow).ToArray();
                canvas.Add(Label(Margin, canvas.Y + 12, $"pfn {row[0].Pfn:x5}", "muted"));
                for (var i = 0; i < row.Length; i++)
                {
                    var x = Margin + RowLabel + (i * Cell);
                    canvas.Add(Frame(x, canvas.Y, row[i]));
                    framesAt[row[i].Pfn] = (x, canvas.Y);
                }

                canvas.Extend(Margin + RowLabel + (row.Length * Cell));
                canvas.Gap(CellHeight + 4);
            }
        }

        // Links go under the page cells they start from: the group is in place before the vmas are drawn, and
        // leaves room for the lines to be seen.
        canvas.Add(links);
        canvas.Gap(LinkSpace);
        foreach (var process in snapshot.Processes)
        {
            // The process is named left of its first vma, out of the way of the links.
            var name = $"{process.Role} · {process.Comm} (pid {process.Pid})";
            if (process.Vmas.Count == 0)
            {
                canvas.Text(name + ": no vma", "subtitle");
            }

            for (var i = 0; i < process.Vmas.Count; i++)
            {
                if (i == 0)
                {
                    canvas.Add(Label(Margin, canvas.Y + 12, name, "subtitle"));
                }

                Vma(canvas, links, framesAt, process.Vmas[i]);
            }
        }
    }

    /// <summary>One vma: a cell per page (rows of <see cref="CellsPerRow"/>), its label, and a link from each mapped page to its frame.</summary>
    private static void Vma(Canvas canvas, XElement links, Dictionary<ulong, (int X, int Y)> framesAt, VmaView vma)
    {
        var label = $"{vma.Start:x}-{vma.End:x} {vma.Perms} {vma.Path ?? "[anon]"} · {vma.Pages} page(s) · {vma.Flags}";
        var mapped = vma.Mapped.ToDictionary(m => m.Index);
        var device = vma.Path is null ? string.Empty : " device";
        for (var row = 0UL; row < vma.Pages; row += CellsPerRow)
        {
            var count = (int)Math.Min(CellsPerRow, vma.Pages - row);
            for (var i = 0; i < count; i++)
            {
                var index = row + (ulong)i;
                var x = Margin + RowLabel + (i * Cell);
                var addr = vma.Start + (index * Kernel.PageSize);
                var page = mapped.TryGetValue(index, out var m) ? m : (MappedPage?)null;
                var state = page is { } p ? " mapped" + (p.FreedWhileMapped ? " " + FrameStyles.FreedWhileMappedClass : string.Empty) : string.Empty;
                var cell = Rect(x, canvas.Y, Cell - 1, CellHeight, "page" + device + state);
                cell.Add(new XAttribute("data-addr", addr.ToString("x", CultureInfo.InvariantCulture)));
                cell.Add(new XElement(Ns + "title", page is { } q ? $"{addr:x} (page {index}) → pfn {q.Pfn:x5}{Describe(q)}" : $"{addr:x} (page {index}): no PTE to a drawn frame"));
                canvas.Add(cell);
                if (page is { } link && framesAt.TryGetValue(link.Pfn, out var frame))
                {
                    links.Add(Link(x + (Cell / 2), canvas.Y, frame.X + (Cell / 2), frame.Y + CellHeight, addr, link));
                }
            }

            if (row == 0)
            {
                canvas.Add(Label(Margin + RowLabel + (count * Cell) + 6, canvas.Y + 12, label));
                canvas.Extend(Margin + RowLabel + (count * Cell) + 6 + (int)(label.Length * CharWidth));
            }

            canvas.Gap(CellHeight + 4);
        }
    }

    /// <summary>The line from a vma page at (x1, y1) to its frame at (x2, y2), named by the page's address and the frame.</summary>
    private static XElement Link(int x1, int y1, int x2, int y2, ulong addr, MappedPage page)
    {
        var cls = FrameStyles.LinkClass + (page.Special ? " " + FrameStyles.SpecialClass : string.Empty) + (page.FreedWhileMapped ? " " + FrameStyles.FreedWhileMappedClass : string.Empty);
        return new XElement(Ns + "line",
            new XAttribute("x1", x1), new XAttribute("y1", y1), new XAttribute("x2", x2), new XAttribute("y2", y2),
            new XAttribute("class", cls),
            new XAttribute("data-addr", addr.ToString("x", CultureInfo.InvariantCulture)),
            new XAttribute("data-pfn", page.Pfn.ToString("x5", CultureInfo.InvariantCulture)),
            new XElement(Ns + "title", $"{addr:x} → pfn {page.Pfn:x5}{Describe(page)}"));
    }

    private static string Describe(MappedPage page) =>
        (page.Special ? ", special PTE" : string.Empty) + (page.FreedWhileMapped ? ", the frame was freed while this PTE maps it" : string.Empty);

    /// <summary>The group of one run, named by its scenario, variant, kernel and machine options.</summary>
    private static XElement Run(ScenarioRun run) => new(Ns + "g",
        new XAttribute("class", "run"),
        new XAttribute("data-scenario", run.Scenario),
        new XAttribute("data-variant", run.Variant),
        new XAttribute("data-kernel", run.Kernel),
        new XAttribute("data-machine", run.Machine.Suffix.Trim()));

    /// <summary>Runs of consecutive pfns.</summary>
    private static List<List<FrameCell>> Regions(IReadOnlyList<FrameCell> frames)
    {
        var regions = new List<List<FrameCell>>();
        foreach (var frame in frames)
        {
            if (regions.Count == 0 || regions[^1][^1].Pfn + 1 != frame.Pfn)
            {
                regions.Add(new List<FrameCell>());
            }

            regions[^1].Add(frame);
        }

        return regions;
    }

    private static XElement Frame(int x, int y, FrameCell frame)
    {
        var classes = "frame " + FrameStyles.ClassOf(frame.State) + (frame.Driver ? " driver" : string.Empty)
            + (frame.Leaked ? " " + FrameStyles.LeakedClass : string.Empty)
            + (frame.FreedWhileMapped ? " " + FrameStyles.FreedWhileMappedClass : string.Empty);
        var rect = Rect(x, y, Cell - 1, CellHeight, classes);
        rect.Add(new XAttribute("data-pfn", frame.Pfn.ToString("x5", CultureInfo.InvariantCulture)));
        var what = frame.Leaked ? $"leaked ({frame.State})" : frame.State.ToString();
        var freed = frame.FreedWhileMapped ? ", freed while a PTE still maps it" : string.Empty;
        rect.Add(new XElement(Ns + "title", $"pfn {frame.Pfn:x5}: {what}{(frame.Driver ? ", the driver's" : string.Empty)}{freed}"));
        return rect;
    }

    private static XElement Rect(int x, int y, int width, int height, string cls) => new(Ns + "rect",
        new XAttribute("x", x), new XAttribute("y", y), new XAttribute("width", width), new XAttribute("height", height), new XAttribute("class", cls));

    private static XElement Label(int x, int y, string text, string? cls = null)
    {
        var e = new XElement(Ns + "text", new XAttribute("x", x), new XAttribute("y", y), text);
        if (cls is not null)
        {
            e.Add(new XAttribute("class", cls));
        }

        return e;
    }

    /// <summary>Where the next element goes (position and enclosing group), and how wide the picture has become.</summary>
    private sealed class Canvas
    {
        private XElement current;

        public Canvas() => current = Root;

        public XElement Root { get; } = new(Ns + "g");

        public int Y { get; private set; } = Margin;

        public int Width { get; private set; } = 640;

        public void Add(XElement e) => current.Add(e);

        /// <summary>Adds <paramref name="group"/> and draws <paramref name="body"/> inside it.</summary>
        public void Group(XElement group, Action body)
        {
            var outer = current;
            current.Add(group);
            current = group;
            body();
            current = outer;
        }

        public void Gap(int height) => Y += height;

        public void Extend(int right) => Width = Math.Max(Width, right + Margin);

        public void Text(string text, string cls)
        {
            Y += 4;
            Add(Label(Margin, Y + 12, text, cls));
            Extend(Margin + (int)(text.Length * CharWidth));
            Y += Line;
        }
    }
}
