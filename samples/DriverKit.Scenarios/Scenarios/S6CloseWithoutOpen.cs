using DriverKit.Runtime;
using DriverKit.Samples.FrameGrabber;

namespace DriverKit.Scenarios;

/// <summary>
/// S6: the driver counts mappings in mmap and vma close but has no vma open; U maps, forks, the child exits (its
/// close drops the count to zero and the buffer is freed), another process gets the frames, U keeps reading.
/// </summary>
public sealed class S6CloseWithoutOpen : Scenario
{
    private const ulong Four = 4 * Kernel.PageSize;

    /// <inheritdoc />
    public override string Id => "S6";

    /// <inheritdoc />
    public override string Sample => "framegrabber";

    /// <inheritdoc />
    public override string Title => ".close without .open: the child's exit frees the buffer under the parent";

    /// <inheritdoc />
    public override IReadOnlyList<ScenarioVariant> Variants { get; } =
    [
        new("close-without-open", "maps counted in mmap and vm_ops->close, no vm_ops->open; buffer freed at zero", ["DK0018"],
            EraPoint.At("2.6.20", "3.7", "7.0"),
            Play),
    ];

    private static void Play(Script s)
    {
        var driver = new FrameGrabberDriver(s.Kernel, FrameGrabberVariant.CountedCloseWithoutOpen);
        var u = s.Spawn("U", "viewer");
        if (s.Open(u, "/dev/video0", "open /dev/video0: __get_free_pages(order 2)", () => driver.Pages) is not { } fd)
        {
            return;
        }

        var map = u.Mmap(default, Four, Prot.Read | Prot.Write, MapFlags.Shared, fd);
        s.Step("mmap", "U", "mmap 4 pages: the driver counts the map (1) and does remap_pfn_range", Outcome.Of(map, a => a.ToString()));
        if (!map.IsOk)
        {
            return;
        }

        s.Observe("seen", UserReads.FirstBytes(u, map.Value, 4, out var failure));
        s.Step("read", "U", "read byte 0 of each page", failure ?? Outcome.Done);
        if (s.Fork(u, "C", "fork: dup_mmap copies the vma; there is no vm_ops->open to count it") is { } child)
        {
            s.Step("child-exit", "C", "exit: vm_ops->close counts 1 → 0 and frees the buffer", Outcome.Of(child.Exit()));
        }

        s.Kernel.DrainAllPages();
        s.Step("drain", "kernel", "drain_all_pages: blocks parked on the per-cpu free lists (order 0, or up to 3 from 5.13) return to the buddy allocator", Outcome.Done);
        var v = s.Spawn("V", "next-owner");
        var b = v.Mmap(default, Four, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        for (var i = 0UL; b.IsOk && i < 4; i++)
        {
            v.WriteByte(b.Value + i * Kernel.PageSize, 0x99);
        }

        s.Step("reuse", "V", "another process maps 4 private pages and writes 0x99 to each", Outcome.Of(b, a => a.ToString()));
        var bytes = UserReads.FirstByteValues(u, map.Value, 4);
        s.Observe("seen_bytes", Convert.ToHexString(bytes));
        s.Snapshot("after reuse");
        s.Step("read-again", "U", "read byte 0 of each page again: no signal, the PTEs still map the frames", Outcome.Done);
        if (bytes.Contains((byte)0x99))
        {
            s.Note("U reads the next owner's data: a physical use-after-free in every era; the kernel prints nothing.");
        }
    }
}
