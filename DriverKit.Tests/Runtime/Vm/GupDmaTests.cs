using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>get_user_pages / pin_user_pages per era and mapping kind, and DMA that outlives its target.</summary>
public sealed class GupDmaTests
{
    private const ulong P = Kernel.PageSize;

    private static (Kernel K, TestDevice Dev, Process U, UserAddr A) Setup(string version, Func<Kernel, TestDevice, Func<VmArea, int>> mmap)
    {
        var k = Boot(version, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = mmap(k, dev);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/test");
        var a = u.Map(4 * P, fd: fd);
        u.ReadAll(a, 4);
        return (k, dev, u, a);
    }

    [Theory]
    [InlineData(E0, -Errno.EFAULT)]
    [InlineData(E3, -Errno.EFAULT)]
    [InlineData(E7, -Errno.EFAULT)]
    public void GupOnRemappedMemoryFails(string version, long expected)
    {
        var (k, dev, u, a) = Setup(version, (k, dev) => vma =>
        {
            foreach (var p in dev.Pages)
            {
                k.SetPageReserved(p);
            }

            return k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]), vma.Length, vma.PageProt);
        });
        Assert.Equal(expected, k.GetUserPagesRemote(u.Mm, a, 1, FollFlags.None, new Page[1]));
    }

    [Theory]
    [InlineData("5.6", 3)]      // 5.6: a pin is a plain reference
    [InlineData("5.7", 1026)]   // 5.7+: GUP_PIN_COUNTING_BIAS
    [InlineData(E7, 1026)]
    public void GupAndPinOnInsertedPagesTakeReferences(string version, int pinned)
    {
        var (k, dev, u, a) = Setup(version, (k, dev) => vma => k.VmMapPages(vma, dev.Pages));
        var pages = new Page[2];
        long gup = 0, pin = 0;
        dev.OnIoctl = (cmd, arg) => cmd == 1 ? gup = k.GetUserPages(a, 2, FollFlags.None, pages) : pin = k.PinUserPages(a, 2, FollFlags.Write, pages);
        var fd = u.OpenOk("/dev/test");
        Assert.True(u.Ioctl(fd, 1).IsOk);
        Assert.Equal(2, gup);
        Assert.Equal(3, k.PageCount(dev.Pages[0]));
        k.PutPage(pages[0]);
        k.PutPage(pages[1]);
        Assert.True(u.Ioctl(fd, 2).IsOk);
        Assert.Equal(2, pin);
        Assert.Equal(pinned, k.PageCount(dev.Pages[0]));
        k.UnpinUserPages(pages, 2);
        Assert.Equal(2, k.PageCount(dev.Pages[0]));
        Assert.Throws<KernelBugException>(() => k.UnpinUserPages(pages, 1)); // no pin left: INV-19
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData("5.19", -Errno.EFAULT)]
    [InlineData("6.1.0-56-amd64", -Errno.EEXIST)]
    public void GupOnSpecialPtesOfAMixedMapVma(string version, long expected)
    {
        var (k, dev, u, a) = Setup(version, (k, dev) => vma =>
        {
            vma.Flags |= VmFlags.MixedMap;
            vma.Ops = new VmOperations { Fault = vmf => k.VmfInsertMixed(vmf.Vma, vmf.Address, k.PageToPfn(dev.Pages[vmf.Pgoff])) };
            return 0;
        });
        Assert.Equal(expected, k.GetUserPagesRemote(u.Mm, a, 1, FollFlags.None, new Page[1]));
    }

    [Fact]
    public void GupOnAnonymousMemoryBreaksCowForWrite()
    {
        var k = Boot(E7);
        var parent = k.Spawn();
        var a = parent.Map(P, flags: MapFlags.Private);
        Assert.True(parent.WriteByte(a, 1).IsOk);
        var child = parent.Fork().Unwrap();
        var pages = new Page[1];
        Assert.Equal(1, k.GetUserPagesRemote(child.Mm, a, 1, FollFlags.Write, pages));
        Assert.True(pages[0].IsAnon);
        Assert.Equal(1, child.Mm.RssAnon);
        Assert.True(parent.ReadByte(a, out var v).IsOk);
        Assert.Equal(1, v);
        k.PutPage(pages[0]);
    }

    [Fact]
    public void DmaIntoAPageThatCowReplacedIsReported()
    {
        var k = Boot(E7, strict: true);
        var u = k.Spawn();
        var a = u.Map(P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 1).IsOk);
        var pages = new Page[1];
        Assert.Equal(1, k.GetUserPagesRemote(u.Mm, a, 1, FollFlags.None, pages));
        var child = u.Fork().Unwrap();
        k.Dma.Submit(pages[0], 0, [0xDD], delay: 2, userMm: u.Mm, userAddr: a);
        Assert.True(u.WriteByte(a, 2).IsOk); // the parent's write copies: the DMA target is no longer its page
        k.Dma.Step();
        Assert.Single(k.Dma.Pending);
        k.Dma.Step();
        Assert.Empty(k.Dma.Pending);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-06" && r.Text.Contains("copy-on-write copy"));
        Assert.True(u.ReadByte(a, out var v).IsOk);
        Assert.Equal(2, v); // the device's data is lost to the parent
        Assert.True(child.ReadByte(a, out var cv).IsOk);
        Assert.Equal(0xDD, cv); // and lands in the child's copy
        k.PutPage(pages[0]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LockingIsNotAPinAndExitFreesThePageUnderTheDma(bool checkPages)
    {
        var k = Boot(E7, strict: true, checkPages: checkPages);
        var u = k.Spawn("dma-user");
        var a = u.Map(P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 1).IsOk);
        var pages = new Page[1];
        Assert.Equal(1, k.GetUserPagesRemote(u.Mm, a, 1, FollFlags.None, pages));
        var page = pages[0];
        k.PutPage(page);                       // DKMM006: the "pin" is only the page lock
        k.LockPage(page);
        k.Dma.Submit(page, 0, [1], userMm: u.Mm, userAddr: a);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-19" && r.Text.Contains("PG_locked is not a pin"));
        var pool = k.FreePageCount;
        Assert.True(u.Exit().IsOk);            // exit drops the last reference regardless of PG_locked
        k.Dma.Step();
        if (checkPages)
        {
            // "BUG: Bad page state … PAGE_FLAGS_CHECK_AT_FREE": the page is kept out of circulation, so the DMA lands harmlessly.
            Assert.Contains(k.Reports, r => r.Kind == ReportKind.Kernel && r.RuleId == "DK0006");
            Assert.Equal(pool, k.FreePageCount);
            Assert.DoesNotContain(k.Reports, r => r.Invariant == "INV-06");
        }
        else
        {
            // 6.4+ without check_pages: PG_locked is cleared silently, the page is freed, and the device writes into a free frame.
            Assert.DoesNotContain(k.Reports, r => r.Kind == ReportKind.Kernel);
            Assert.Equal(pool + 1, k.FreePageCount);
            Assert.Contains(k.Reports, r => r.Invariant == "INV-06" && r.Text.Contains("DMA #1") && r.Text.Contains("was freed"));
        }
    }

    [Theory]
    [InlineData(E3)]
    [InlineData(E5)]
    [InlineData("6.1")]
    [InlineData(E7)]
    public void A_read_gup_of_untouched_anonymous_memory_returns_the_zero_page(string version)
    {
        // mm/gup.c: follow_page_pte — the zero page's PTE is special, but is_zero_pfn hands the zero page out.
        var k = Boot(version);
        var u = k.Spawn("u");
        var a = u.Mmap(default, Kernel.PageSize, Prot.Read, MapFlags.Private | MapFlags.Anonymous).Value;
        var pages = new Page[1];

        Assert.Equal(1, k.GetUserPagesRemote(u.Mm, a, 1, FollFlags.None, pages));
        Assert.Equal(k.ZeroPfn, (int)pages[0].Pfn.Value);
        var rc = pages[0].Refcount;
        k.PutPage(pages[0]);
        Assert.Equal(rc - 1, pages[0].Refcount);
    }
}
