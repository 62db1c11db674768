using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>read(2)/write(2) of a device: vfs_read/vfs_write, the driver's -&gt;read/-&gt;write, copy_to_user/copy_from_user faulting the user's pages.</summary>
public sealed class FileReadWriteAccessTests
{
    private const ulong P = Kernel.PageSize;

    /// <summary>A scull-like device: a kernel buffer read and written at the file position, the LDD3 way.</summary>
    private sealed class Scull
    {
        public byte[] Data { get; } = new byte[3 * P];

        public long Size { get; set; }

        public Scull(Kernel k, bool withWrite = true)
        {
            "hello, world"u8.CopyTo(Data);
            Size = 12;
            k.RegisterChrdev("/dev/scull", new FileOperations
            {
                Owner = "scull",
                Read = (OpenFile _, UserAddr buf, ulong count, ref long pos) =>
                {
                    if (pos >= Size)
                    {
                        return 0;
                    }

                    var n = (int)Math.Min(count, (ulong)(Size - pos));
                    var left = k.CopyToUser(buf, Data.AsSpan((int)pos, n));
                    if (n > 0 && left == (ulong)n)
                    {
                        return -Errno.EFAULT;
                    }

                    pos += n - (long)left;
                    return n - (long)left;
                },
                Write = withWrite
                    ? (OpenFile _, UserAddr buf, ulong count, ref long pos) =>
                    {
                        var n = (int)Math.Min(count, (ulong)Data.Length - (ulong)pos);
                        var left = k.CopyFromUser(Data.AsSpan((int)pos, n), buf);
                        if (left == (ulong)n && n > 0)
                        {
                            return -Errno.EFAULT;
                        }

                        pos += n - (long)left;
                        Size = Math.Max(Size, pos);
                        return n - (long)left;
                    }
                    : null,
            });
        }
    }

    [Theory]
    [InlineData("2.6.14")]
    [InlineData("3.7")]
    [InlineData(E7)]
    public void Read_faults_the_user_buffer_in_and_advances_the_position(string version)
    {
        var k = Boot(version, strict: true);
        _ = new Scull(k);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/scull");
        var buf = u.Map(2 * P, flags: MapFlags.Private | MapFlags.Anonymous);
        var rss = u.Mm.RssAnon;

        Assert.Equal(5, u.ReadFd(fd, buf + (P - 2), 5).Value); // straddles two pages never touched
        Assert.Equal(rss + 2, u.Mm.RssAnon);
        var got = new byte[5];
        Assert.True(u.Read(buf + (P - 2), got).IsOk);
        Assert.Equal("hello"u8.ToArray(), got);
        Assert.Equal(7, u.ReadFd(fd, buf, 100).Value);
        Assert.True(u.Read(buf, got).IsOk);
        Assert.Equal(", wor"u8.ToArray(), got);
        Assert.Equal(0, u.ReadFd(fd, buf, 100).Value); // end of file
        Assert.True(u.Exit().IsOk);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }

    [Fact]
    public void Copy_to_user_breaks_cow_and_stops_at_a_read_only_page()
    {
        var k = Boot(E7, strict: true);
        _ = new Scull(k);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/scull");
        var buf = u.Map(2 * P, flags: MapFlags.Private | MapFlags.Anonymous);
        Assert.True(u.Write(buf, "parent"u8).IsOk);
        var child = u.Fork().Unwrap();
        Assert.Equal(5, u.ReadFd(fd, buf, 5).Value);
        var mine = new byte[6];
        var theirs = new byte[6];
        Assert.True(u.Read(buf, mine).IsOk);
        Assert.True(child.Read(buf, theirs).IsOk);
        Assert.Equal("hellot"u8.ToArray(), mine);
        Assert.Equal("parent"u8.ToArray(), theirs);

        // The second page read-only: copy_to_user copies up to it; the driver returns the short count.
        Assert.True(u.Mprotect(buf + P, P, Prot.Read).IsOk);
        Assert.Equal(3, u.ReadFd(fd, buf + (P - 3), 7).Value);
        Assert.Equal(Errno.EFAULT, u.ReadFd(fd, buf + P, 1).Errno); // nothing copied: the driver's -EFAULT
        Assert.True(child.Exit().IsOk);
        Assert.True(u.Exit().IsOk);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }

    [Fact]
    public void Write_takes_the_bytes_with_copy_from_user()
    {
        var k = Boot(E7, strict: true);
        var scull = new Scull(k);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/scull");
        var buf = u.Map(P, flags: MapFlags.Private | MapFlags.Anonymous);
        Assert.True(u.Write(buf, "HOWDY"u8).IsOk);
        Assert.Equal(5, u.WriteFd(fd, buf, 5).Value);
        Assert.Equal("HOWDY, world"u8.ToArray(), scull.Data[..12]);
        Assert.Equal(Errno.EFAULT, u.WriteFd(fd, buf + 8 * P, 4).Errno); // unmapped: copy_from_user copies nothing
        Assert.Equal(4, u.WriteFd(fd, buf + (P - 4), 8).Value); // up to the end of the mapping
        Assert.True(u.Exit().IsOk);
    }

    [Fact]
    public void Bad_input_gives_defined_errors()
    {
        var k = Boot(E7, strict: true);
        var scull = new Scull(k, withWrite: false);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/scull");
        var ro = u.OpenOk("/dev/scull", OpenFlags.ReadOnly);
        var wo = u.OpenOk("/dev/scull", OpenFlags.WriteOnly);
        var buf = u.Map(P, flags: MapFlags.Private | MapFlags.Anonymous);

        Assert.Equal(Errno.EBADF, u.ReadFd(99, buf, 1).Errno);
        Assert.Equal(Errno.EBADF, u.ReadFd(wo, buf, 1).Errno);
        Assert.Equal(Errno.EBADF, u.WriteFd(ro, buf, 1).Errno);
        Assert.Equal(Errno.EINVAL, u.WriteFd(fd, buf, 1).Errno); // no ->write
        Assert.Equal(Errno.EFAULT, u.ReadFd(fd, new UserAddr(ulong.MaxValue - 4), 8).Errno); // access_ok
        Assert.Equal(Errno.EFAULT, u.ReadFd(fd, buf, ulong.MaxValue).Errno);
        Assert.Equal(0, u.ReadFd(fd, buf, 0).Value);
        Assert.Equal(12, scull.Size);

        Assert.Throws<InvalidOperationException>(() => k.CopyToUser(buf, [1]));
        Assert.Throws<InvalidOperationException>(() => k.CopyFromUser(new byte[1], buf));

        Assert.True(u.Exit().IsOk);
        Assert.Equal(Errno.ESRCH, u.ReadFd(fd, buf, 1).Errno);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }
}
