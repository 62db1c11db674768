using DriverKit.Runtime;
using DriverKit.Samples.FrameGrabber;
using DriverKit.Samples.Scullp;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Scenarios;

/// <summary>Scenarios S5 (growth of a device mapping, DKMM015) and S6 (.close without .open, DKMM018).</summary>
public sealed class S5S6Tests
{
    private const ulong Four = 4 * Kernel.PageSize;
    private const ulong Eight = 8 * Kernel.PageSize;

    [Theory]
    [InlineData(E3Fault)]
    [InlineData(E5)]
    [InlineData(E7)]
    public void S5_GrowthReachesTheFaultHandlerPastTheBuffer(string version)
    {
        var k = Boot(version);
        _ = new ScullpDriver(k, ScullpVariant.Expandable, 4);
        var u = k.Spawn("grow");
        var fd = u.OpenOk("/dev/scullp");
        var a = u.Map(Four, fd: fd);
        var grown = u.Mremap(a, Four, Eight, MremapFlags.MayMove);
        Assert.True(grown.IsOk);

        var touch = u.Touch(grown.Value + 6 * Kernel.PageSize);
        Assert.Equal(Signal.SIGKILL, touch.Signal);
        Assert.NotNull(touch.Oops);
        Assert.StartsWith("BUG: unable to handle page fault in driver code", touch.Oops!.Text);
        Assert.Equal(ProcessState.Exited, u.State);
    }

    [Theory]
    [InlineData("3.10")]
    [InlineData(E7)]
    public void S5_DontExpandMakesGrowthFail(string version)
    {
        var k = Boot(version);
        _ = new ScullpDriver(k, ScullpVariant.Modern, 4);
        var u = k.Spawn("grow");
        var fd = u.OpenOk("/dev/scullp");
        var a = u.Map(Four, fd: fd);
        Assert.Equal(Errno.EFAULT, u.Mremap(a, Four, Eight, MremapFlags.MayMove).Errno);
        Assert.Equal(Four, u.Mm.VmaAt(a)!.Length);
    }

    [Theory]
    [InlineData(E3, true)]
    [InlineData("4.9", true)]
    [InlineData("4.18", false)]
    [InlineData(E7, false)]
    public void S5_InsertPageOnlyDriverGetsAnonymousPagesOrSigbus(string version, bool anonymous)
    {
        var k = Boot(version);
        _ = new FrameGrabberDriver(k, FrameGrabberVariant.InsertPage);
        var u = k.Spawn("grow");
        var fd = u.OpenOk("/dev/video0");
        var a = u.Map(Four, fd: fd);
        var grown = u.Mremap(a, Four, Eight, MremapFlags.MayMove);
        Assert.True(grown.IsOk);
        var r = u.ReadByte(grown.Value + 6 * Kernel.PageSize, out var value);
        if (anonymous)
        {
            Assert.True(r.IsOk);
            Assert.Equal(0, value);
        }
        else
        {
            Assert.Equal(Signal.SIGBUS, r.Signal);
            Assert.Equal(SiCode.BUS_ADRERR, r.SiCode);
        }
    }

    [Theory]
    [InlineData(E3)]
    [InlineData(E5)]
    [InlineData(E7)]
    public void S6_CloseWithoutOpenFreesTheBufferUnderTheParent(string version)
    {
        var k = Boot(version, strict: true);
        var driver = new FrameGrabberDriver(k, FrameGrabberVariant.CountedCloseWithoutOpen);
        var u = k.Spawn("viewer");
        var fd = u.OpenOk("/dev/video0");
        var a = u.Map(Four, fd: fd);
        Assert.True(u.ReadByte(a, out var before).IsOk);
        Assert.Equal((byte)'A', before);
        var pool = k.FreePageCount;

        var child = u.Fork().Unwrap();
        Assert.True(child.Exit().IsOk);
        Assert.Equal(pool + 4, k.FreePageCount); // the child's .close counted 1 -> 0 and freed the buffer
        Assert.DoesNotContain(k.Reports, r => r.Kind == ReportKind.Kernel);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-18" && r.RuleId == "DK0018");
        Assert.Contains(k.Reports, r => r.Invariant == "INV-06" && r.Text.Contains("SPECIAL"));

        k.DrainAllPages();   // 5.13+: the freed order-2 block sits on the unmovable per-cpu list until drained
        var reuse = k.Spawn("next-owner");
        var b = reuse.Map(Four, flags: MapFlags.Private);
        for (var i = 0UL; i < 4; i++)
        {
            Assert.True(reuse.WriteByte(b + i * Kernel.PageSize, 0x99).IsOk);
        }

        var seen = new List<byte>();
        for (var i = 0UL; i < 4; i++)
        {
            Assert.True(u.ReadByte(a + i * Kernel.PageSize, out var v).IsOk); // no signal: the PTEs still map the frames
            seen.Add(v);
        }

        Assert.Contains((byte)0x99, seen);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-06" && r.Text.Contains("user access"));
    }
}
