using System.Text;
using System.Xml;
using System.Xml.Linq;
using DriverKit.Scenarios;

namespace DriverKit.Samples.Output;

/// <summary>
/// The picture: for each run and each of its snapshots, one row of frames per region of interest (runs of
/// consecutive pfns among the frames in use and the driver's frames; free and boot frames are summed, not drawn),
/// then each live process's vmas as labelled bars. Leaked frames carry the class "leaked".
/// </summary>
public static class SvgPicture
{
    private const int Margin = 16;
    private const int Cell = 12;
    private const int CellHeight = 16;
    private const int CellsPerRow = 64;
    private const int RowLabel = 96;
    private const int Line = 16;
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
            canvas.Add(Label(x + Cell + 4, canvas.Y + 12, legend));
            x += Cell + 12 + (int)(legend.Length * CharWidth);
        }

        canvas.Extend(x);
        canvas.Gap(CellHeight + 6);
    }

    private static void Snapshot(Canvas canvas, MachineSnapshot snapshot)
    {
        var notDrawn = snapshot.TotalFrames - snapshot.Frames.Count;
        canvas.Text($"{snapshot.Label}: {snapshot.FreeFrames} free of {snapshot.TotalFrames} frames; {notDrawn} free or boot frames not drawn", "subtitle");
        foreach (var region in Regions(snapshot.Frames))
        {
            for (var offset = 0; offset < region.Count; offset += CellsPerRow)
            {
                var row = region.Skip(offset).Take(CellsPerRow).ToArray();
                canvas.Add(Label(Margin, canvas.Y + 12, $"pfn {row[0].Pfn:x5}", "muted"));
                for (var i = 0; i < row.Length; i++)
                {
                    canvas.Add(Frame(Margin + RowLabel + (i * Cell), canvas.Y, row[i]));
                }

                canvas.Extend(Margin + RowLabel + (row.Length * Cell));
                canvas.Gap(CellHeight + 4);
            }
        }

        foreach (var process in snapshot.Processes)
        {
            canvas.Text($"{process.Role} · {process.Comm} (pid {process.Pid})", "subtitle");
            foreach (var vma in process.Vmas)
            {
                var width = (int)Math.Clamp(vma.Pages * 8, 24UL, 480UL);
                var label = $"{vma.Start:x}-{vma.End:x} {vma.Perms} {vma.Path ?? "[anon]"} · {vma.Pages} page(s) · {vma.Flags}";
                var bar = Rect(Margin + RowLabel, canvas.Y, width, CellHeight, vma.Path is null ? "vma" : "vma device");
                bar.Add(new XElement(Ns + "title", label));
                canvas.Add(bar);
                canvas.Add(Label(Margin + RowLabel + width + 6, canvas.Y + 12, label));
                canvas.Extend(Margin + RowLabel + width + 6 + (int)(label.Length * CharWidth));
                canvas.Gap(CellHeight + 4);
            }
        }
    }

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
        var classes = "frame " + FrameStyles.ClassOf(frame.State) + (frame.Driver ? " driver" : string.Empty) + (frame.Leaked ? " " + FrameStyles.LeakedClass : string.Empty);
        var rect = Rect(x, y, Cell - 1, CellHeight, classes);
        var what = frame.Leaked ? $"leaked ({frame.State})" : frame.State.ToString();
        rect.Add(new XElement(Ns + "title", $"pfn {frame.Pfn:x5}: {what}{(frame.Driver ? ", the driver's" : string.Empty)}"));
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
