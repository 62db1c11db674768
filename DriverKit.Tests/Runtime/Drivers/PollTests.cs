using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Drivers;

/// <summary>poll(2) and file_operations-&gt;poll (fs/select.c: do_pollfd, vfs_poll).</summary>
public class PollTests
{
    private static (Kernel K, Process U, int Fd) Open(FileOperations fops, string version = "7.0")
    {
        var k = Boot(version, strict: true);
        Assert.Equal(0, k.MiscRegister(new MiscDevice { Name = "polled", Fops = fops }));
        var u = k.Spawn();
        return (k, u, (int)u.Open("/dev/polled", OpenFlags.ReadWrite).Value);
    }

    [Fact]
    public void Without_a_hook_the_default_mask_answers()
    {
        var (_, u, fd) = Open(new FileOperations { Owner = "polled" });
        Assert.Equal(PollEvents.In, u.Poll(fd, PollEvents.In).Value);
        Assert.Equal(PollEvents.Out | PollEvents.WrNorm, u.Poll(fd, PollEvents.Out | PollEvents.WrNorm).Value);
        Assert.Equal(PollEvents.None, u.Poll(fd, PollEvents.Pri).Value);
    }

    [Fact]
    public void The_driver_decides_and_errors_and_hang_ups_always_come_through()
    {
        var (_, u, fd) = Open(new FileOperations { Owner = "polled", Poll = _ => PollEvents.In | PollEvents.Hup });
        Assert.Equal(PollEvents.Hup, u.Poll(fd, PollEvents.Out).Value);
        Assert.Equal(PollEvents.In | PollEvents.Hup, u.Poll(fd, PollEvents.In).Value);
        Assert.Equal(PollEvents.Nval, u.Poll(fd + 40, PollEvents.In).Value);
    }

    [Fact]
    public void A_poll_that_throws_is_an_oops_that_kills_the_task()
    {
        var (k, u, fd) = Open(new FileOperations { Owner = "polled", Poll = _ => throw new InvalidOperationException("bad state") });
        u.Poll(fd, PollEvents.In);
        Assert.Equal(ProcessState.Exited, u.State);
        Assert.NotNull(u.KilledBy);
        Assert.NotEmpty(k.Reports);
    }

    /// <summary>A sensor misc device: an ioctl stands for the interrupt that delivers a sample; poll says when one waits; read takes it.</summary>
    [Theory]
    [InlineData("2.6.20")]
    [InlineData("7.0")]
    public void A_sensor_is_polled_then_read(string version)
    {
        byte? sample = null;
        var k = Boot(version, strict: true);
        var misc = new MiscDevice
        {
            Name = "sensor",
            Fops = new FileOperations
            {
                Owner = "sensor",
                Ioctl = (file, cmd, arg) =>
                {
                    sample = (byte)arg;
                    return 0;
                },
                Poll = file => sample is null ? PollEvents.Out : PollEvents.In | PollEvents.RdNorm | PollEvents.Out,
                Read = (OpenFile file, UserAddr buffer, ulong count, ref long pos) =>
                {
                    if (sample is not { } value)
                    {
                        return -Errno.EAGAIN;
                    }

                    if (count == 0 || k.CopyToUser(buffer, [value]) != 0)
                    {
                        return -Errno.EFAULT;
                    }

                    sample = null;
                    return 1;
                },
            },
        };
        Assert.Equal(0, k.MiscRegister(misc));
        var u = k.Spawn();
        var fd = (int)u.Open("/dev/sensor", OpenFlags.ReadWrite).Value;
        var buffer = u.Mmap(default, Kernel.PageSize, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous).Unwrap();

        Assert.Equal(PollEvents.None, u.Poll(fd, PollEvents.In).Value);
        Assert.Equal(-Errno.EAGAIN, u.ReadFd(fd, buffer, 1).Value);
        Assert.True(u.Ioctl(fd, 1, 42).IsOk);
        Assert.Equal(PollEvents.In, u.Poll(fd, PollEvents.In).Value);
        Assert.Equal(1, u.ReadFd(fd, buffer, 1).Value);
        Assert.True(u.ReadByte(buffer, out var got).IsOk);
        Assert.Equal(42, got);
        Assert.Equal(PollEvents.None, u.Poll(fd, PollEvents.In).Value);

        u.Exit();
        k.MiscDeregister(misc);
        Assert.True(k.UnloadModule("sensor").IsOk);
        Assert.Empty(k.Shutdown());
    }
}
