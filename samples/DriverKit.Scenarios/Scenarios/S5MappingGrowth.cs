using DriverKit.Runtime;
using DriverKit.Samples.FrameGrabber;
using DriverKit.Samples.Scullp;

namespace DriverKit.Scenarios;

/// <summary>S5: U maps 4 device pages, grows the mapping to 8 with mremap(MREMAP_MAYMOVE) and touches page 6.</summary>
public sealed class S5MappingGrowth : Scenario
{
    private const ulong Four = 4 * Kernel.PageSize;
    private const ulong Eight = 8 * Kernel.PageSize;

    /// <inheritdoc />
    public override string Id => "S5";

    /// <inheritdoc />
    public override string Sample => "scullp";

    /// <inheritdoc />
    public override string Title => "growth of a device mapping: mremap past the buffer without VM_DONTEXPAND";

    /// <inheritdoc />
    public override IReadOnlyList<ScenarioVariant> Variants { get; } =
    [
        new("expandable", "->fault indexes pages[vmf->pgoff] without a bounds check, no VM_DONTEXPAND", ["DK0015"],
            EraPoint.At("2.6.14", "2.6.24", "3.7", "7.0"),
            s => PlayScullp(s, ScullpVariant.Expandable)),
        new("dontexpand", "the fix: VM_DONTEXPAND | VM_DONTDUMP and a bounds check", [],
            EraPoint.At("2.6.24", "3.7", "7.0"),
            s => PlayScullp(s, ScullpVariant.Modern)),
        new("insert-page-only", "vm_insert_page in mmap, no ->fault, no VM_DONTEXPAND", ["DK0015"],
            EraPoint.At("2.6.20", "4.9", "4.18", "7.0"),
            PlayInsertPage)
        {
            Sample = "framegrabber",
        },
    ];

    private static void PlayScullp(Script s, ScullpVariant variant)
    {
        var driver = new ScullpDriver(s.Kernel, variant, 4);
        Play(s, "/dev/scullp", () => driver.Pages);
    }

    private static void PlayInsertPage(Script s)
    {
        var driver = new FrameGrabberDriver(s.Kernel, FrameGrabberVariant.InsertPage);
        Play(s, "/dev/video0", () => driver.Pages);
    }

    /// <summary>The steps; <paramref name="pages"/> gives the driver's pages once the device is open.</summary>
    private static void Play(Script s, string path, Func<IEnumerable<Page>> pages)
    {
        var u = s.Spawn("U", "grow");
        if (s.Open(u, path, $"open {path}", pages) is not { } fd)
        {
            return;
        }

        var map = u.Mmap(default, Four, Prot.Read | Prot.Write, MapFlags.Shared, fd);
        s.Step("mmap", "U", "mmap 4 pages MAP_SHARED", Outcome.Of(map, a => a.ToString()));
        if (!map.IsOk)
        {
            return;
        }

        var grown = u.Mremap(map.Value, Four, Eight, MremapFlags.MayMove);
        s.Step("mremap", "U", "mremap 4 → 8 pages, MREMAP_MAYMOVE", Outcome.Of(grown, a => a.ToString()));
        if (!grown.IsOk)
        {
            return;
        }

        var touch = u.ReadByte(grown.Value + 6 * Kernel.PageSize, out var value);
        if (touch.IsOk)
        {
            s.Observe("byte", $"0x{value:x2}");
            s.Observe("rss_anon", u.Mm.RssAnon);
        }

        s.Snapshot("grown");
        s.Step("touch", "U", "read page 6, past the driver's 4 pages", Outcome.Of(touch));
    }
}
