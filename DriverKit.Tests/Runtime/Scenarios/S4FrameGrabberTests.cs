using DriverKit.Runtime;
using DriverKit.Samples.FrameGrabber;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Scenarios;

/// <summary>
/// Scenario S4 (§4): a 4-page capture buffer from __get_free_pages(order 2), remapped with remap_pfn_range. U maps
/// it shared, reads byte 0 of each page, writes 0x55 at page 0 offset 1, unmaps; the driver reads that byte back
/// and frees the buffer.
/// </summary>
public sealed class S4FrameGrabberTests
{
    private const ulong Size = 4 * Kernel.PageSize;

    private sealed record Outcome(string Seen, byte ReadBack, long AnonRssAfterWrite, long PoolDelta, IReadOnlyList<Report> Reports, Kernel Kernel);

    private static Outcome Play(string version, FrameGrabberVariant variant, bool checkPages = false, bool strict = false)
    {
        var k = Boot(version, strict: strict, checkPages: checkPages);
        var driver = new FrameGrabberDriver(k, variant);
        var u = k.Spawn("capture");
        var pool = k.FreePageCount;
        var fd = u.OpenOk("/dev/video0");
        var addr = u.Map(Size, fd: fd);
        var seen = new char[4];
        for (var i = 0; i < 4; i++)
        {
            Assert.True(u.ReadByte(addr + (ulong)i * Kernel.PageSize, out var b).IsOk);
            seen[i] = b == 0 ? '0' : (char)b;
        }

        Assert.True(u.WriteByte(addr + 1, 0x55).IsOk);
        var anon = u.Mm.RssAnon;
        Assert.True(u.Munmap(addr, Size).IsOk);
        Assert.True(u.Close(fd).IsOk);
        return new Outcome(new string(seen), driver.ReadBack, anon, k.FreePageCount - pool, k.Reports.ToArray(), k);
    }

    [Theory]
    [InlineData(E0, "0000", 0x00, 1)]
    [InlineData(E1, "ABCD", 0x55, 0)]
    [InlineData(E3, "ABCD", 0x55, 0)]
    [InlineData(E5, "ABCD", 0x55, 0)]
    [InlineData(E7, "ABCD", 0x55, 0)]
    public void VariantA_RemapOfUnreservedRamIsSilentlyEmptyBefore2615(string version, string seen, byte readBack, long anonRss)
    {
        var o = Play(version, FrameGrabberVariant.Remap);
        Assert.Equal(seen, o.Seen);
        Assert.Equal(readBack, o.ReadBack);
        Assert.Equal(anonRss, o.AnonRssAfterWrite);
        Assert.Equal(0, o.PoolDelta);
        Assert.Empty(o.Reports);
    }

    [Theory]
    [InlineData(E0)]
    [InlineData(E1)]
    [InlineData(E3)]
    [InlineData(E7)]
    public void VariantB_ReserveAndClearWorksEverywhere(string version)
    {
        var o = Play(version, FrameGrabberVariant.ReservedRemap);
        Assert.Equal("ABCD", o.Seen);
        Assert.Equal(0x55, o.ReadBack);
        Assert.Equal(0, o.PoolDelta);
        Assert.Empty(o.Reports);
    }

    public static TheoryData<string, bool, int, long, string> VariantCTable => new()
    {
        // version, check_pages, kernel reports, pool delta, text of the first report line
        { E0, false, 0, -4, string.Empty },
        { E1, false, 4, 0, "Bad page state at __free_pages_ok (in process 'capture', page " },
        { E3, false, 4, -4, "Bad page state in process 'capture'" },
        { E5, false, 4, -4, "BUG: Bad page state in process capture  pfn:" },
        { "6.1.0-27-amd64", false, 3, -4, "BUG: Bad page state in process capture  pfn:" },
        { E6, true, 4, -4, "BUG: Bad page state in process capture  pfn:" },
        { E6, false, 0, 0, string.Empty },
        { E7, true, 4, -4, "BUG: Bad page state in process capture  pfn:" },
        { E7, false, 0, 0, string.Empty },
    };

    [Theory]
    [MemberData(nameof(VariantCTable))]
    public void VariantC_FreeWithReservedBitPerEra(string version, bool checkPages, int reports, long poolDelta, string firstLine)
    {
        var o = Play(version, FrameGrabberVariant.ReservedNoClear, checkPages);
        Assert.Equal("ABCD", o.Seen);
        Assert.Equal(reports, o.Reports.Count);
        Assert.Equal(poolDelta, o.PoolDelta);
        Assert.All(o.Reports, r =>
        {
            Assert.Equal(ReportKind.Kernel, r.Kind);
            Assert.Equal("INV-05", r.Invariant);
            Assert.Equal("DK0003", r.RuleId);
            Assert.StartsWith(firstLine, r.Text);
        });
        if (reports > 0 && o.Kernel.Policy.BadPageFormat == BadPageFormat.BugPfn)
        {
            Assert.All(o.Reports, r => Assert.Contains("page dumped because: PAGE_FLAGS_CHECK_AT_FREE flag(s) set", r.Text));
        }

        Assert.Equal(reports > 0, o.Kernel.TaintedBadPage);
    }

    [Theory]
    [InlineData(E0)]
    [InlineData(E3)]
    [InlineData(E7)]
    public void VariantD_FreeWhileMappedIsASilentPhysicalUseAfterFree(string version)
    {
        var k = Boot(version, strict: true);
        var driver = new FrameGrabberDriver(k, FrameGrabberVariant.ReservedRemap);
        var u = k.Spawn("capture");
        var fd = u.OpenOk("/dev/video0");
        var addr = u.Map(Size, fd: fd);
        Assert.True(u.ReadByte(addr, out var first).IsOk);
        Assert.Equal((byte)'A', first);
        var pfn0 = driver.Pages[0].Pfn;

        Assert.True(u.Ioctl(fd, FrameGrabberDriver.FreeBufferIoctl).IsOk);
        Assert.DoesNotContain(k.Reports, r => r.Kind == ReportKind.Kernel);
        var freed = k.Reports.Single(r => r.Invariant == "INV-06" && r.Pfn == pfn0);
        Assert.Contains("SPECIAL", freed.Text);
        Assert.Equal("DK0018", freed.RuleId);

        // Another owner gets the frames (the allocator hands out recently freed frames first) and writes to them.
        k.DrainAllPages();   // 5.13+: the freed order-2 block sits on the unmovable per-cpu list until drained
        var other = k.Spawn("victim");
        var victim = other.Map(Size, flags: MapFlags.Private);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(other.WriteByte(victim + (ulong)i * Kernel.PageSize, 0xEE).IsOk);
        }

        var leakedData = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            Assert.True(u.ReadByte(addr + (ulong)i * Kernel.PageSize, out leakedData[i]).IsOk);
        }

        Assert.Contains((byte)0xEE, leakedData);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-06" && r.Text.Contains("user access to pfn"));
    }

    [Theory]
    [InlineData(E3)]
    [InlineData(E7)]
    public void InsertPageVariantKeepsPagesAliveUntilMunmap(string version)
    {
        var k = Boot(version, strict: true);
        var driver = new FrameGrabberDriver(k, FrameGrabberVariant.InsertPage);
        var u = k.Spawn("capture");
        var fd = u.OpenOk("/dev/video0");
        var addr = u.Map(Size, fd: fd);
        var pages = driver.Pages;
        Assert.Equal(Repeat(2, 4), k.Refcounts(pages));
        var pool = k.FreePageCount;
        Assert.True(u.Ioctl(fd, FrameGrabberDriver.FreeBufferIoctl).IsOk);
        Assert.Equal(Repeat(1, 4), k.Refcounts(pages));
        Assert.Equal(pool, k.FreePageCount);
        Assert.True(u.ReadByte(addr + Kernel.PageSize, out var b).IsOk);
        Assert.Equal((byte)'B', b);
        Assert.True(u.Munmap(addr, Size).IsOk);
        Assert.Equal(pool + 4, k.FreePageCount);
        Assert.DoesNotContain(k.Reports, r => r.Invariant == "INV-06");
    }
}
