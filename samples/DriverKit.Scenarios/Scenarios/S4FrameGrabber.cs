using DriverKit.Runtime;
using DriverKit.Samples.FrameGrabber;

namespace DriverKit.Scenarios;

/// <summary>
/// S4: a 4-page capture buffer from __get_free_pages(order 2) holding 'A'+i at offset 0 of page i, exported with
/// remap_pfn_range. U maps it shared, reads byte 0 of each page, writes 0x55 at page 0 offset 1 and unmaps; the
/// driver reads that byte back and frees the buffer. D frees while U still maps it; the comparison maps the same
/// pages with split_page + vm_insert_page.
/// </summary>
public sealed class S4FrameGrabber : Scenario
{
    private const int Pages = 1 << FrameGrabberDriver.BufferOrder;
    private const ulong Size = Pages * Kernel.PageSize;

    /// <inheritdoc />
    public override string Id => "S4";

    /// <inheritdoc />
    public override string Sample => "framegrabber";

    /// <inheritdoc />
    public override string Title => "PG_reserved for remap_pfn_range: empty mappings, leaks, bad_page and use-after-free by era";

    /// <inheritdoc />
    public override IReadOnlyList<ScenarioVariant> Variants { get; } =
    [
        new("A", "remap_pfn_range of plain allocator pages (no SetPageReserved)", [],
            EraPoint.At("2.6.14", "2.6.15-rc1", "2.6.20", "3.7", "7.0"),
            s => Play(s, FrameGrabberVariant.Remap)),
        new("B", "SetPageReserved on every page at allocation, ClearPageReserved before free", ["DK0002"],
            EraPoint.At("2.6.14", "2.6.15-rc1", "2.6.20", "7.0"),
            s => Play(s, FrameGrabberVariant.ReservedRemap)),
        new("C", "SetPageReserved but no ClearPageReserved before free_pages", ["DK0002", "DK0003"],
            [
                new EraPoint("2.6.14"), new EraPoint("2.6.15-rc1"), new EraPoint("2.6.20"), new EraPoint("3.7"),
                new EraPoint("6.1.0-27-amd64"), new EraPoint("6.6"), new EraPoint("6.6", CheckPages: true),
                new EraPoint("7.0"), new EraPoint("7.0", CheckPages: true),
            ],
            s => Play(s, FrameGrabberVariant.ReservedNoClear)),
        new("D", "B, but the driver frees the buffer while U still maps it", ["DK0002", "DK0018"],
            EraPoint.At("2.6.14", "2.6.20", "7.0"),
            PlayFreeWhileMapped),
        new("insert-page", "comparison: split_page + vm_insert_page, buffer freed while mapped", ["DK0015"],
            EraPoint.At("2.6.14", "2.6.20", "7.0"),
            PlayInsertPage),
    ];

    private static void Play(Script s, FrameGrabberVariant variant)
    {
        if (Open(s, variant) is not { } session || Map(s, session) is not { } addr)
        {
            return;
        }

        var (driver, u, fd) = session;
        var seen = UserReads.FirstBytes(u, addr, Pages, out var failure);
        s.Observe("seen", seen);
        s.Step("read", "U", "read byte 0 of each page (the driver wrote A B C D)", failure ?? Outcome.Done);
        var write = u.WriteByte(addr + 1, 0x55);
        s.Observe("rss_anon", u.Mm.RssAnon);
        s.Snapshot("mapped");
        s.Step("write", "U", "write 0x55 at page 0 offset 1", Outcome.Of(write));
        s.Step("munmap", "U", "munmap", Outcome.Of(u.Munmap(addr, Size)));
        var close = u.Close(fd);
        s.Observe("read_back", $"0x{driver.ReadBack:x2}");
        var clear = variant == FrameGrabberVariant.ReservedRemap ? "ClearPageReserved on each page, " : string.Empty;
        s.Step("close", "U", $"close: the driver reads back page 0 offset 1, {clear}free_pages(buf, 2)", Outcome.Of(close));
    }

    private static void PlayFreeWhileMapped(Script s)
    {
        if (Open(s, FrameGrabberVariant.ReservedRemap) is not { } session || Map(s, session) is not { } addr)
        {
            return;
        }

        var (_, u, fd) = session;
        s.Observe("seen", UserReads.FirstBytes(u, addr, Pages, out var failure));
        s.Step("read", "U", "read byte 0 of each page", failure ?? Outcome.Done);
        s.Step("free", "U", "ioctl FREE_BUFFER: ClearPageReserved, free_pages while U's PTEs still point at the frames",
            Outcome.Of(u.Ioctl(fd, FrameGrabberDriver.FreeBufferIoctl)));
        s.Kernel.DrainAllPages();
        s.Step("drain", "kernel", "drain_all_pages: blocks parked on the per-cpu free lists (order 0, or up to 3 from 5.13) return to the buddy allocator", Outcome.Done);
        var v = s.Spawn("V", "victim");
        var victim = v.Mmap(default, Size, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        var written = victim.IsOk ? Fill(v, victim.Value, 0xEE) : Outcome.Of(victim, a => a.ToString());
        s.Step("reuse", "V", "another process maps 4 private pages and writes 0xEE to each: it gets the freed frames", written);
        var bytes = UserReads.FirstByteValues(u, addr, Pages);
        s.Observe("seen_bytes", Convert.ToHexString(bytes));
        s.Snapshot("after reuse");
        s.Step("read-again", "U", "read byte 0 of each page again", Outcome.Done);
        if (bytes.Contains((byte)0xEE))
        {
            s.Note("U reads the next owner's data through its stale PTEs: a physical use-after-free the kernel never reports.");
        }
    }

    private static void PlayInsertPage(Script s)
    {
        if (Open(s, FrameGrabberVariant.InsertPage) is not { } session || Map(s, session, "vm_insert_page on each page") is not { } addr)
        {
            return;
        }

        var (_, u, fd) = session;
        s.Step("free", "U", "ioctl FREE_BUFFER: the driver __free_page()s each page while U maps them",
            Outcome.Of(u.Ioctl(fd, FrameGrabberDriver.FreeBufferIoctl)));
        var read = u.ReadByte(addr + Kernel.PageSize, out var b);
        s.Observe("page1", b == 0 ? "0" : ((char)b).ToString());
        s.Snapshot("freed by the driver, still mapped");
        s.Step("read", "U", "read byte 0 of page 1", Outcome.Of(read));
        s.Step("munmap", "U", "munmap: the PTE references were the last ones", Outcome.Of(u.Munmap(addr, Size)));
    }

    private static Session? Open(Script s, FrameGrabberVariant variant)
    {
        var driver = new FrameGrabberDriver(s.Kernel, variant);
        var u = s.Spawn("U", "capture");
        var what = variant switch
        {
            FrameGrabberVariant.ReservedRemap or FrameGrabberVariant.ReservedNoClear => ", SetPageReserved on each",
            FrameGrabberVariant.InsertPage => ", split_page",
            _ => string.Empty,
        };
        var fd = s.Open(u, "/dev/video0", $"open /dev/video0: __get_free_pages(order 2), 'A'+i at offset 0 of page i{what}", () => driver.Pages);
        return fd is { } f ? new Session(driver, u, f) : null;
    }

    private static UserAddr? Map(Script s, Session session, string how = "remap_pfn_range of the buffer")
    {
        var map = session.U.Mmap(default, Size, Prot.Read | Prot.Write, MapFlags.Shared, session.Fd);
        s.Step("mmap", "U", $"mmap 4 pages MAP_SHARED read-write: the driver does {how}", Outcome.Of(map, a => a.ToString()));
        return map.IsOk ? map.Value : null;
    }

    private static Outcome Fill(Process p, UserAddr start, byte value)
    {
        for (var i = 0; i < Pages; i++)
        {
            var r = p.WriteByte(start + (ulong)i * Kernel.PageSize, value);
            if (!r.IsOk)
            {
                return Outcome.Of(r);
            }
        }

        return Outcome.Done;
    }

    private sealed record Session(FrameGrabberDriver Driver, Process U, int Fd);
}
