using DriverKit.Runtime;
using DriverKit.Tests.Runtime.Vm;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Fs;

/// <summary>pipe(2): read and write through user buffers (a driver's mapping among them), ends closing, refusals.</summary>
public class PipeTests
{
    private const ulong P = Kernel.PageSize;

    private static UserAddr Anon(Process p, ulong pages = 1) =>
        p.Mmap(default, pages * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous).Unwrap();

    [Theory]
    [InlineData("2.6.14")]
    [InlineData("7.0")]
    public void Bytes_go_through_and_the_last_writer_closing_is_end_of_file(string version)
    {
        var k = Boot(version, strict: true);
        var p = k.Spawn();
        var (r, w) = p.Pipe().Value;
        var from = Anon(p);
        var to = Anon(p);
        Assert.True(p.Write(from, "hello"u8).IsOk);

        Assert.Equal(PollEvents.None, p.Poll(r, PollEvents.In).Value);
        Assert.Equal(-Errno.EAGAIN, p.ReadFd(r, to, 5).Value);
        Assert.Equal(5, p.WriteFd(w, from, 5).Value);
        Assert.Equal(PollEvents.In, p.Poll(r, PollEvents.In).Value);
        Assert.Equal(3, p.ReadFd(r, to, 3).Value);
        Assert.Equal(2, p.ReadFd(r, to + 3, 10).Value);
        var got = new byte[5];
        Assert.True(p.Read(to, got).IsOk);
        Assert.Equal("hello"u8.ToArray(), got);

        Assert.True(p.Close(w).IsOk);
        Assert.Equal(0, p.ReadFd(r, to, 5).Value);
        Assert.Equal(PollEvents.Hup, p.Poll(r, PollEvents.In).Value);
        p.Exit();
        Assert.Empty(k.Shutdown());
    }

    [Fact]
    public void A_full_pipe_takes_what_fits_and_a_pipe_without_readers_is_EPIPE()
    {
        var k = Boot("6.1");
        var p = k.Spawn();
        var (r, w) = p.Pipe().Value;
        var buffer = Anon(p, 17);
        Assert.Equal(16 * (long)P, p.WriteFd(w, buffer, 17 * P).Value);
        Assert.Equal(-Errno.EAGAIN, p.WriteFd(w, buffer, 1).Value);
        Assert.Equal(PollEvents.None, p.Poll(w, PollEvents.Out).Value);
        Assert.True(p.Close(r).IsOk);
        Assert.Equal(-Errno.EPIPE, p.WriteFd(w, buffer, 1).Value);
        Assert.Equal(PollEvents.Err, p.Poll(w, PollEvents.Out).Value);
    }

    [Fact]
    public void A_forked_writer_keeps_the_pipe_open()
    {
        var k = Boot("7.0");
        var parent = k.Spawn();
        var (r, w) = parent.Pipe().Value;
        var child = parent.Fork().Unwrap();
        Assert.True(parent.Close(w).IsOk);
        var buffer = Anon(parent);
        Assert.Equal(-Errno.EAGAIN, parent.ReadFd(r, buffer, 1).Value);
        child.Exit();
        Assert.Equal(0, parent.ReadFd(r, buffer, 1).Value);
    }

    /// <summary>write(2) from a driver's mapping: copy_from_user faults the driver's pages in through its -&gt;fault.</summary>
    [Theory]
    [InlineData("2.6.26")]
    [InlineData("7.0")]
    public void Writing_from_a_driver_mapping_faults_its_pages_in(string version)
    {
        var k = Boot(version, strict: true);
        var dev = new TestDevice(k);
        k.WriteKernel(k.PageAddress(dev.Pages[1]), "frame"u8);
        var faults = 0;
        dev.OnMmap = vma =>
        {
            vma.Ops = new VmOperations
            {
                Fault = vmf =>
                {
                    faults++;
                    var page = dev.Pages[(int)vmf.Pgoff];
                    k.GetPage(page);
                    vmf.Page = page;
                    return VmFaultResult.None;
                },
            };
            return 0;
        };
        var p = k.Spawn();
        var mapped = p.Mmap(default, 2 * P, Prot.Read, MapFlags.Shared, (int)p.Open(dev.Device.Path).Value).Unwrap();
        var (r, w) = p.Pipe().Value;

        Assert.Equal(5, p.WriteFd(w, mapped + P, 5).Value);
        Assert.Equal(1, faults);
        var to = Anon(p);
        Assert.Equal(5, p.ReadFd(r, to, 5).Value);
        var got = new byte[5];
        Assert.True(p.Read(to, got).IsOk);
        Assert.Equal("frame"u8.ToArray(), got);
        p.Exit();
        Assert.Empty(k.Reports);
    }

    [Fact]
    public void Refusals_change_nothing()
    {
        var k = Boot("7.0");
        var p = k.Spawn();
        var (r, w) = p.Pipe().Value;
        var buffer = Anon(p);
        Assert.Equal(3, p.WriteFd(w, buffer, 3).Value);

        Assert.Equal(-Errno.EFAULT, p.ReadFd(r, new UserAddr(0x1000), 3).Value);
        Assert.Equal(-Errno.EFAULT, p.WriteFd(w, new UserAddr(0x1000), 3).Value);
        Assert.Equal(-Errno.EBADF, p.ReadFd(w, buffer, 3).Value);
        Assert.Equal(-Errno.EBADF, p.WriteFd(r, buffer, 3).Value);
        Assert.Equal(Errno.ENODEV, p.Mmap(default, P, Prot.Read, MapFlags.Shared, r).Errno);
        Assert.Equal(-Errno.EINVAL, p.Ftruncate(w, 0).Value);
        Assert.Equal(-Errno.ENOTTY, p.Ioctl(r, 1).Value);
        Assert.Equal(PollEvents.Nval, p.Poll(99, PollEvents.In).Value);

        Assert.Equal(3, p.ReadFd(r, buffer, 10).Value);
    }
}
