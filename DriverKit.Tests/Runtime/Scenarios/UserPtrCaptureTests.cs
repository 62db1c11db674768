using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Scenarios;

/// <summary>
/// A capture card with V4L2-style user-pointer buffers: QBUF pins the user's buffer (FOLL_WRITE | FOLL_LONGTERM) and points
/// the device's DMA at it, DQBUF unpins it dirty once the frame has landed. From 5.8 the driver takes the mmap lock itself
/// (mmap_read_lock + pin_user_pages_remote); on 5.6 and 5.7 pin_user_pages_fast takes it inside. The buggy variant
/// returns from QBUF with the lock still held.
/// </summary>
internal sealed class CaptureDriver
{
    public const uint Qbuf = 0x5601;
    public const uint Dqbuf = 0x5602;
    public const int BufferPages = 2;

    public CaptureDriver(Kernel kernel, bool leakLock = false)
    {
        Kernel = kernel;
        kernel.RegisterChrdev("/dev/video0", new FileOperations
        {
            Owner = "capdrv",
            Ioctl = (_, cmd, arg) => cmd switch
            {
                Qbuf => Queue(new UserAddr(arg), leakLock),
                Dqbuf => Dequeue(),
                _ => -Errno.ENOTTY,
            },
        });
    }

    public Kernel Kernel { get; }

    public Page[] Pinned { get; } = new Page[BufferPages];

    public int Count { get; private set; }

    private long Queue(UserAddr buffer, bool leakLock)
    {
        var mm = Kernel.Current!.Mm;
        long n;
        if (Kernel.Policy.Exists("Kernel.MmapReadLock"))
        {
            Kernel.MmapReadLock(mm);
            n = Kernel.PinUserPagesRemote(mm, buffer, BufferPages, FollFlags.Write | FollFlags.LongTerm, Pinned);
            if (!leakLock)
            {
                Kernel.MmapReadUnlock(mm);
            }
        }
        else
        {
            n = Kernel.PinUserPagesFast(buffer, BufferPages, FollFlags.Write | FollFlags.LongTerm, Pinned);
        }

        if (n < 0)
        {
            return n;
        }

        Count = (int)n;
        if (n < BufferPages)
        {
            Kernel.UnpinUserPages(Pinned, Count);
            Count = 0;
            return -Errno.EFAULT;
        }

        // The device writes the frame header into the buffer's first page.
        Kernel.Dma.Submit(Pinned[0], 0, "FRAME1"u8.ToArray(), delay: 1);
        return 0;
    }

    private long Dequeue()
    {
        Kernel.Dma.RunUntilIdle();
        Kernel.UnpinUserPagesDirtyLock(Pinned, Count, makeDirty: true);
        Count = 0;
        return 0;
    }
}

public sealed class UserPtrCaptureTests
{
    private const ulong P = Kernel.PageSize;

    [Theory]
    [InlineData("5.6")]
    [InlineData("5.8")]
    [InlineData(E6)]
    [InlineData(E7)]
    public void A_frame_lands_in_the_pinned_user_buffer_and_the_pins_go_at_dequeue(string version)
    {
        var k = Boot(version, strict: true);
        var driver = new CaptureDriver(k);
        var u = k.Spawn("camera");
        var fd = u.OpenOk("/dev/video0");
        var buf = u.Map(CaptureDriver.BufferPages * P, flags: MapFlags.Private);

        Assert.Equal(0, u.Ioctl(fd, CaptureDriver.Qbuf, buf.Value).Value);
        var pinned = k.Refcounts(driver.Pinned);
        Assert.Equal(0, u.Ioctl(fd, CaptureDriver.Dqbuf, 0).Value);
        Assert.Equal(pinned.Select(c => c - k.Policy.PinBias), k.Refcounts(driver.Pinned));
        Assert.True(driver.Pinned[0].Flags.HasFlag(PageFlags.Dirty));

        var header = new byte[6];
        Assert.True(u.Read(buf, header).IsOk);
        Assert.Equal("FRAME1"u8.ToArray(), header);
        Assert.True(u.Exit().IsOk);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }

    [Fact]
    public void A_buffer_that_runs_off_the_mapping_is_refused_with_nothing_left_pinned()
    {
        var k = Boot(E7, strict: true);
        var driver = new CaptureDriver(k);
        var u = k.Spawn("camera");
        var fd = u.OpenOk("/dev/video0");
        var buf = u.Map(P, flags: MapFlags.Private);
        Assert.Equal(-Errno.EFAULT, u.Ioctl(fd, CaptureDriver.Qbuf, buf.Value).Value);
        Assert.Equal(0, driver.Count);
        Assert.True(u.Exit().IsOk);
        Assert.Empty(k.Reports);
    }

    [Fact]
    public void Returning_from_qbuf_with_the_mmap_lock_held_is_named_and_the_next_munmap_deadlocks()
    {
        var k = Boot(E7, strict: true);
        _ = new CaptureDriver(k, leakLock: true);
        var u = k.Spawn("camera");
        var fd = u.OpenOk("/dev/video0");
        var buf = u.Map(CaptureDriver.BufferPages * P, flags: MapFlags.Private);

        Assert.Equal(0, u.Ioctl(fd, CaptureDriver.Qbuf, buf.Value).Value);
        Assert.Contains(k.Reports, r => r.Text.StartsWith("WARNING: lock held when returning to user space!", StringComparison.Ordinal));
        var deadlock = Assert.Throws<KernelBugException>(() => u.Munmap(buf, CaptureDriver.BufferPages * P));
        Assert.Contains("at: sys_munmap", deadlock.Message, StringComparison.Ordinal);
        Assert.Contains("already holding lock: &mm->mmap_lock at: mmap_read_lock", deadlock.Message, StringComparison.Ordinal);
    }
}
