using DriverKit.Runtime;
using DriverKit.Samples.MmioWindow;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Scenarios;

/// <summary>
/// Scenario S3 (§4): the driver sets VM_LOCKED | VM_IO in mmap and remaps an 8-page MMIO window. U has
/// RLIMIT_MEMLOCK = 16 pages: (1) maps the device, (2) mlocks 12 pages of its own memory, (3) mlocks the device
/// range, (4) forks, (5) unmaps the device, (6) reclaim runs.
/// </summary>
public sealed class S3MmioWindowTests
{
    private const ulong Window = MmioWindowDriver.WindowPages * Kernel.PageSize;
    private const ulong Own = 12 * Kernel.PageSize;

    public static TheoryData<string, long, int, int, long, long, bool> Table => new()
    {
        // version, VmLck kB after map, errno of mlock(own 12), errno of mlock(device), VmLck after both, VmLck after munmap, "lo" in smaps
        { "2.6.11", 32, Errno.ENOMEM, 0, 32, 0, true },
        { E0, 32, Errno.ENOMEM, 0, 32, 0, true },
        { E3, 32, Errno.ENOMEM, 0, 32, 0, true },
        { "2.6.27", 32, Errno.ENOMEM, 0, 32, 0, true },
        { "2.6.28", 0, 0, Errno.ENOMEM, 48, 48, false },
        { E5, 0, 0, Errno.ENOMEM, 48, 48, false },
        { E6, 0, 0, Errno.ENOMEM, 48, 48, false },
        { E7, 0, 0, Errno.ENOMEM, 48, 48, false },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void DriverSetVmLockedEatsTheMlockBudgetUntil2628(string version, long vmLckMapped, int ownErrno, int deviceErrno, long vmLckAfter, long vmLckUnmapped, bool lockedFlagShown)
    {
        var k = Boot(version);
        var driver = new MmioWindowDriver(k, MmioVariant.LockedIo);
        var u = k.Spawn("nv-app");
        Assert.True(u.SetMemlockLimit(16 * Kernel.PageSize).IsOk);
        var fd = u.OpenOk("/dev/nvidia0");

        var dev = u.Map(Window, fd: fd);
        Assert.Equal(vmLckMapped, u.Mm.LockedVm * 4);
        var smaps = Proc.Smaps(u);
        Assert.Contains(" io", smaps);
        Assert.Equal(lockedFlagShown, smaps.Contains(" lo", StringComparison.Ordinal));
        Assert.Contains($"VmLck:\t{vmLckMapped,8} kB", Proc.Status(u));

        var own = u.Map(Own, flags: MapFlags.Private);
        Assert.Equal(ownErrno, u.Mlock(own, Own).Errno);
        Assert.Equal(deviceErrno, u.Mlock(dev, Window).Errno);
        Assert.Equal(vmLckAfter, u.Mm.LockedVm * 4);

        var child = u.Fork().Unwrap();
        Assert.Equal(0, child.Mm.LockedVm);
        Assert.DoesNotContain(child.Mm.VmAreas, v => v.Flags.HasFlag(VmFlags.Locked));
        Assert.True(child.Exit().IsOk);

        // Reclaim never touches the device PTEs: special, no struct page, never on the LRU.
        Assert.True(u.WriteByte(dev + Kernel.PageSize, 0x42).IsOk);
        var before = DeviceSmaps(u, dev);
        var reads = driver.Registers.Reads;
        k.Reclaim(1_000);
        Assert.Equal(before, DeviceSmaps(u, dev));
        Assert.True(u.ReadByte(dev + Kernel.PageSize, out var value).IsOk);
        Assert.Equal(0x42, value);
        Assert.Equal(reads + 1, driver.Registers.Reads);
        Assert.True(u.Munmap(dev, Window).IsOk);
        Assert.Equal(vmLckUnmapped, u.Mm.LockedVm * 4);
        Assert.DoesNotContain(k.Reports, r => r.Kind == ReportKind.Kernel);
    }

    [Theory]
    [InlineData(E0)]
    [InlineData(E7)]
    public void FixedDriverMapsUncachedAndLocksNothing(string version)
    {
        var k = Boot(version);
        var driver = new MmioWindowDriver(k, MmioVariant.IoRemapNoncached);
        var u = k.Spawn("nv-app");
        Assert.True(u.SetMemlockLimit(16 * Kernel.PageSize).IsOk);
        var fd = u.OpenOk("/dev/nvidia0");
        var dev = u.Map(Window, fd: fd);
        Assert.Equal(0, u.Mm.LockedVm);
        Assert.Equal(CacheMode.UncachedMinus, u.Mm.VmaAt(dev)!.PageProt.Cache);
        var own = u.Map(Own, flags: MapFlags.Private);
        Assert.True(u.Mlock(own, Own).IsOk);
        Assert.Equal(48, u.Mm.LockedVm * 4);

        Assert.True(u.WriteByte(dev + 3, 7).IsOk);
        Assert.True(u.ReadByte(dev + 3, out var value).IsOk);
        Assert.Equal(7, value);
        Assert.True(driver.Registers.Reads > 0);
    }

    private static string DeviceSmaps(Process p, UserAddr a)
    {
        var vma = p.Mm.VmaAt(a)!;
        return $"{Proc.SmapsOf(vma)} {Proc.VmFlagsText(p.Kernel.Policy, vma.Flags)}";
    }
}
