using DriverKit.Runtime;
using DriverKit.Samples.SpuLocalStore;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Scenarios;

/// <summary>
/// Scenario S2 (§4): Ben Herrenschmidt's fork refcount problem. The driver owns page P (rc 1); U maps it shared;
/// (1) U touches, (2) U forks, (3) the child touches, (4) the child exits, (5) U unmaps, (6) the driver drops its
/// reference. Each row gives (refcount, mapcount) after steps 1–5.
/// </summary>
public sealed class S2SpuLocalStoreTests
{
    public static TheoryData<string, SpuVariant, int[]> Table => new()
    {
        // version, variant, { rc1, mc1, rc2, mc2, rc3, mc3, rc4, mc4, rc5, mc5 }
        { "2.6.19", SpuVariant.ReservedNoPage, new[] { 2, 1, 2, 1, 3, 2, 2, 1, 1, 0 } },
        { "2.6.19", SpuVariant.ReservedNoPageBenProposal, new[] { 2, 1, 2, 1, 3, 2, 3, 2, 3, 2 } },
        { E3Fault, SpuVariant.PfnMap, new[] { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0 } },
        { E4, SpuVariant.MixedMap, new[] { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0 } },
        { E7, SpuVariant.PfnMap, new[] { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0 } },
        { E7, SpuVariant.MixedMap, new[] { 1, 0, 1, 0, 1, 0, 1, 0, 1, 0 } },
        { E3, SpuVariant.InsertPage, new[] { 2, 1, 3, 2, 3, 2, 2, 1, 1, 0 } },
        { E7, SpuVariant.InsertPage, new[] { 2, 1, 3, 2, 3, 2, 2, 1, 1, 0 } },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void RefcountsThroughForkAndExit(string version, SpuVariant variant, int[] expected)
    {
        var k = new Kernel(new KernelOptions
        {
            Version = version,
            MemoryBytes = 32UL << 20,
            WhatIfVmReservedSpecial = variant == SpuVariant.ReservedNoPageBenProposal,
        });
        var pool = k.FreePageCount;
        var driver = new SpuLocalStoreDriver(k, variant);
        var p = driver.BackingPage;
        Assert.Equal((1, 0), (k.PageCount(p), k.PageMapcount(p)));
        var u = k.Spawn("spu-run");
        var fd = u.OpenOk("/dev/spu0");
        var a = u.Map(Kernel.PageSize, fd: fd);

        Assert.True(u.Touch(a).IsOk);
        Assert.Equal((expected[0], expected[1]), (k.PageCount(p), k.PageMapcount(p)));
        var child = u.Fork().Unwrap();
        Assert.Equal((expected[2], expected[3]), (k.PageCount(p), k.PageMapcount(p)));
        Assert.True(child.Touch(a).IsOk);
        Assert.Equal((expected[4], expected[5]), (k.PageCount(p), k.PageMapcount(p)));
        Assert.True(child.Exit().IsOk);
        Assert.Equal((expected[6], expected[7]), (k.PageCount(p), k.PageMapcount(p)));
        Assert.True(u.Munmap(a, Kernel.PageSize).IsOk);
        Assert.Equal((expected[8], expected[9]), (k.PageCount(p), k.PageMapcount(p)));

        driver.ReleaseContext();
        var leaked = expected[8] > 1;
        Assert.Equal(leaked ? pool - 1 : pool, k.FreePageCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VariantC_FlippingPfnMapWhilePtesExistFreesThePageUnderTheDriver(bool debugVm)
    {
        var k = Boot(E3, strict: true, debugVm: debugVm);
        var pool = k.FreePageCount;
        var driver = new SpuLocalStoreDriver(k, SpuVariant.FlippedClassification);
        var p = driver.BackingPage;
        var u = k.Spawn("spu-run");
        var fd = u.OpenOk("/dev/spu0");
        var a = u.Map(Kernel.PageSize, fd: fd);
        Assert.True(u.Touch(a).IsOk);
        Assert.Equal((2, 1), (k.PageCount(p), k.PageMapcount(p)));

        // The context is saved: the driver turns the vma into a PFNMAP one while its PTE exists. INV-04 sees the flip.
        Assert.True(u.Ioctl(fd, SpuLocalStoreDriver.SetPfnMapIoctl).IsOk);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-04");
        var child = u.Fork().Unwrap();
        Assert.Equal((2, 1), (k.PageCount(p), k.PageMapcount(p))); // copied bare: 2 PTEs, one reference
        Assert.True(u.Ioctl(fd, SpuLocalStoreDriver.ClearPfnMapIoctl).IsOk);
        Assert.True(child.Touch(a).IsOk);
        Assert.True(child.Exit().IsOk);
        Assert.Equal((1, 0), (k.PageCount(p), k.PageMapcount(p))); // off by one while U still maps P

        var unmap = u.Munmap(a, Kernel.PageSize);
        if (debugVm)
        {
            // 2.6.20 page_remove_rmap under DEBUG_VM: "Eeek!" and BUG().
            Assert.NotNull(unmap.Oops);
            Assert.Contains("Eeek! page_mapcount(page) went negative! (-1)", k.Dmesg);
            return;
        }

        Assert.True(unmap.IsOk);
        Assert.Equal(pool, k.FreePageCount); // P went back to the allocator while the driver owns it
        Assert.Contains(k.Reports, r => r.Kind == ReportKind.Kernel && r.Reason == "nonzero mapcount");
        var e = Assert.Throws<KernelBugException>(driver.ReleaseContext);
        Assert.Equal("INV-01", e.Report.Invariant);
    }
}
