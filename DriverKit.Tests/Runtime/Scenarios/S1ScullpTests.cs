using DriverKit.Runtime;
using DriverKit.Samples.Scullp;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Scenarios;

/// <summary>
/// Scenario S1 (docs/kernel-semantics.md §4): LDD3's scullp — VM_RESERVED + nopage/fault + get_page — played in
/// each era. N = 4 pages, K = 3 mmap/touch/munmap cycles, then close.
/// </summary>
public sealed class S1ScullpTests
{
    private const int N = 4;
    private const ulong Size = N * Kernel.PageSize;

    public static TheoryData<string, ScullpVariant, int, int, int, int, int, bool> Table => new()
    {
        // version, variant, rc after touch, mc after touch, file-rss after touch, rc after first munmap, rc after K cycles, freed at close
        { E0, ScullpVariant.ReservedNoPage, 2, 1, N, 1, 1, true },
        { E1, ScullpVariant.ReservedNoPage, 2, 0, 0, 2, 1 + 3, false },
        { "2.6.15-rc2", ScullpVariant.ReservedNoPage, 2, 0, 0, 2, 4, false },
        { E2, ScullpVariant.ReservedNoPage, 2, 1, N, 1, 1, true },
        { E3, ScullpVariant.ReservedNoPage, 2, 1, N, 1, 1, true },
        { E3Fault, ScullpVariant.ReservedFault, 2, 1, N, 1, 1, true },
        { E4, ScullpVariant.ReservedFault, 2, 1, N, 1, 1, true },
        { E5, ScullpVariant.Modern, 2, 1, N, 1, 1, true },
        { E7, ScullpVariant.Modern, 2, 1, N, 1, 1, true },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void ReservedFaultLeaksOnlyIn2615Rc1(string version, ScullpVariant variant, int rcTouched, int mcTouched, int rssTouched, int rcUnmapped, int rcAfterCycles, bool freedAtClose)
    {
        var k = Boot(version);
        var driver = new ScullpDriver(k, variant, N);
        var u = k.Spawn("scullp-user");
        var poolBefore = k.FreePageCount;
        var fd = u.OpenOk("/dev/scullp");
        var pages = driver.Pages;
        Assert.Equal(Repeat(1, N), k.Refcounts(pages));

        for (var cycle = 1; cycle <= 3; cycle++)
        {
            var addr = u.Map(Size, fd: fd);
            u.ReadAll(addr, N);
            if (cycle == 1)
            {
                Assert.Equal(Repeat(rcTouched, N), k.Refcounts(pages));
                Assert.Equal(Repeat(mcTouched, N), k.Mapcounts(pages));
                Assert.Equal(rssTouched, u.Mm.RssFile);
            }

            Assert.True(u.Munmap(addr, Size).IsOk);
            if (cycle == 1)
            {
                Assert.Equal(Repeat(rcUnmapped, N), k.Refcounts(pages));
                Assert.Equal(Repeat(0, N), k.Mapcounts(pages));
            }
        }

        Assert.Equal(Repeat(rcAfterCycles, N), k.Refcounts(pages));
        Assert.True(u.Close(fd).IsOk);
        if (freedAtClose)
        {
            Assert.Equal(poolBefore, k.FreePageCount);
        }
        else
        {
            // Never freed, and the kernel says nothing (INV-20 is simulator-only).
            Assert.Equal(poolBefore - N, k.FreePageCount);
            Assert.Equal(Repeat(rcAfterCycles - 1, N), k.Refcounts(pages));
            Assert.Empty(k.Reports);
        }
    }

    [Fact]
    public void VmReservedDoesNotExistFrom37()
    {
        var k = Boot(E5);
        _ = new ScullpDriver(k, ScullpVariant.ReservedFault, N);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/scullp");
        var e = Assert.Throws<EraMismatchException>(() => u.Mmap(default, Size, Prot.Read, MapFlags.Shared, fd));
        Assert.Contains("VM_RESERVED does not exist in Linux 3.7 (era E5)", e.Message);
        Assert.Empty(u.Mm.VmAreas);
    }

    [Fact]
    public void NoPageDoesNotExistFrom2626()
    {
        var k = Boot(E4);
        _ = new ScullpDriver(k, ScullpVariant.ReservedNoPage, N);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/scullp");
        var e = Assert.Throws<EraMismatchException>(() => u.Mmap(default, Size, Prot.Read, MapFlags.Shared, fd));
        Assert.Contains("->nopage does not exist in Linux 2.6.30", e.Message);
    }

    public static TheoryData<string, ScullpVariant, int, int, int, int> ForkTable => new()
    {
        // version, variant, rc after fork, mc after fork, rc after child touch, rc after child exit
        { E0, ScullpVariant.ReservedNoPage, 3, 2, 3, 2 },
        { E1, ScullpVariant.ReservedNoPage, 2, 0, 2, 2 },
        { E2, ScullpVariant.ReservedNoPage, 3, 2, 3, 2 },
        { E3, ScullpVariant.ReservedNoPage, 2, 1, 3, 2 },
        { E4, ScullpVariant.ReservedFault, 2, 1, 3, 2 },
        { E7, ScullpVariant.Modern, 2, 1, 3, 2 },
    };

    [Theory]
    [MemberData(nameof(ForkTable))]
    public void S1FForkCopiesPtesPerEra(string version, ScullpVariant variant, int rcForked, int mcForked, int rcChildTouched, int rcChildExited)
    {
        var k = Boot(version);
        var driver = new ScullpDriver(k, variant, N);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/scullp");
        var addr = u.Map(Size, fd: fd);
        u.ReadAll(addr, N);
        var child = u.Fork().Unwrap();
        Assert.Equal(Repeat(rcForked, N), k.Refcounts(driver.Pages));
        Assert.Equal(Repeat(mcForked, N), k.Mapcounts(driver.Pages));
        child.ReadAll(addr, N);
        Assert.Equal(Repeat(rcChildTouched, N), k.Refcounts(driver.Pages));
        Assert.True(child.Exit().IsOk);
        Assert.Equal(Repeat(rcChildExited, N), k.Refcounts(driver.Pages));
    }

    [Theory]
    [InlineData(E0, true)]
    [InlineData(E1, false)]
    [InlineData(E3, true)]
    public void PrivateWritableMappingOfVmReservedIsRefusedIn2615Rc1(string version, bool works)
    {
        var k = Boot(version);
        var driver = new ScullpDriver(k, ScullpVariant.ReservedNoPage, N);
        var u = k.Spawn("a.out");
        var fd = u.OpenOk("/dev/scullp");
        var r = u.Mmap(default, Size, Prot.Read | Prot.Write, MapFlags.Private, fd);
        Assert.Equal(works, r.IsOk);
        if (!works)
        {
            Assert.Equal(Errno.EACCES, r.Errno);
            Assert.Contains("program a.out is using MAP_PRIVATE, PROT_WRITE mmap of VM_RESERVED memory, which is deprecated. Please report this to linux-kernel@vger.kernel.org", k.Dmesg);
            Assert.Empty(u.Mm.VmAreas);
            Assert.Equal(0, driver.Vmas); // ->close ran after ->mmap
        }
    }
}
