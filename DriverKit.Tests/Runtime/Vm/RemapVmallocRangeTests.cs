using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>remap_vmalloc_range (2.6.18+): a vmalloc_user buffer mapped page by page with normal, refcounted PTEs.</summary>
public sealed class RemapVmallocRangeTests
{
    private const ulong P = Kernel.PageSize;

    private static (Kernel K, VmallocAddr Buf, Process U, TestDevice Dev) Setup(string version, Func<Kernel, VmallocAddr, VmArea, int> mmap, bool user = true)
    {
        var k = Boot(version, strict: true);
        var buf = user ? k.VmallocUser(3 * P) : k.Vmalloc(3 * P);
        k.WriteVmalloc(buf + 2 * P, [0x77]);
        var dev = new TestDevice(k);
        dev.OnMmap = vma => mmap(k, buf, vma);
        return (k, buf, k.Spawn(), dev);
    }

    [Theory]
    [InlineData("2.6.18", VmFlags.Reserved)]
    [InlineData("3.6", VmFlags.Reserved)]
    [InlineData("3.7", VmFlags.DontExpand | VmFlags.DontDump)]
    [InlineData(E7, VmFlags.DontExpand | VmFlags.DontDump)]
    public void MapsEveryPageRefcountedAndSetsTheErasFlags(string version, VmFlags expected)
    {
        VmArea? mapped = null;
        var (k, buf, u, _) = Setup(version, (k, buf, vma) =>
        {
            mapped = vma;
            return k.RemapVmallocRange(vma, buf, 0);
        });
        var pages = Enumerable.Range(0, 3).Select(i => k.VmallocToPage(buf + (ulong)i * P)).ToArray();
        var a = u.Map(3 * P, fd: u.OpenOk("/dev/test"));
        Assert.Equal(expected, mapped!.Flags & (VmFlags.Reserved | VmFlags.DontExpand | VmFlags.DontDump));
        Assert.Equal(Repeat(2, 3), k.Refcounts(pages));
        Assert.Equal(Repeat(1, 3), k.Mapcounts(pages));
        Assert.True(u.ReadByte(a + 2 * P, out var b).IsOk);
        Assert.Equal(0x77, b);
        Assert.True(u.Munmap(a, 3 * P).IsOk);
        Assert.Equal(Repeat(1, 3), k.Refcounts(pages));
        k.Vfree(buf);
        Assert.Empty(k.Checker.CheckAll());
    }

    [Fact]
    public void APageOffsetSelectsWhereTheMappingStarts()
    {
        var (k, _, u, _) = Setup(E6, (k, buf, vma) => k.RemapVmallocRange(vma, buf, 2));
        var a = u.Map(P, fd: u.OpenOk("/dev/test"));
        Assert.True(u.ReadByte(a, out var b).IsOk);
        Assert.Equal(0x77, b);
    }

    [Theory]
    [InlineData(true, 2UL, 2)]    // past the end of the area
    [InlineData(false, 0UL, 1)]   // vmalloc without VM_USERMAP
    public void BadRequestsAreEinvalAndMapNothing(bool user, ulong pgoff, int pages)
    {
        var (k, buf, u, _) = Setup(E6, (k, buf, vma) => k.RemapVmallocRange(vma, buf, pgoff), user);
        var r = u.Mmap(default, (ulong)pages * P, Prot.Read, MapFlags.Shared, u.OpenOk("/dev/test"));
        Assert.Equal(Errno.EINVAL, r.Errno);
        Assert.Equal(1, k.PageCount(k.VmallocToPage(buf)));
        Assert.Equal(0, k.PageMapcount(k.VmallocToPage(buf)));
    }

    [Fact]
    public void DoesNotExistBefore2618()
    {
        var (_, _, u, _) = Setup("2.6.17", (k, buf, vma) => k.RemapVmallocRange(vma, buf, 0), user: false);
        var e = Assert.Throws<EraMismatchException>(() => u.Mmap(default, P, Prot.Read, MapFlags.Shared, u.OpenOk("/dev/test")));
        Assert.Contains("remap_vmalloc_range", e.Message, StringComparison.Ordinal);
        Assert.Throws<EraMismatchException>(() => Boot("2.6.17").VmallocUser(P));
    }
}
