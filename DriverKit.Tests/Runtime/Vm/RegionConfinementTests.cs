using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>
/// INV-15 in strict mode: every frame a driver puts into a user mapping — by remap_pfn_range, vm_insert_page or the page its
/// fault handler returns — is one it owns, and a mapping its -&gt;mmap refused to make writable does not become writable
/// through mprotect. The kernel checks none of this (DKMM014); the reports carry DK0014.
/// </summary>
public sealed class RegionConfinementTests
{
    private static IEnumerable<Report> Confinement(Kernel k) => k.Reports.Where(r => r.Invariant == "INV-15" && r.RuleId == "DK0014");

    [Theory]
    [InlineData("2.6.20")]
    [InlineData("6.6")]
    public void Remap_by_the_users_pgoff_past_the_buffer_is_reported(string version)
    {
        var k = Boot(version, strict: true);
        var device = new TestDevice(k, pages: 2);
        device.OnMmap = vma => k.RemapPfnRange(vma, vma.Start, k.PageToPfn(device.Pages[0]) + vma.Pgoff, vma.Length, vma.PageProt);
        var u = k.Spawn("probe");
        var fd = u.OpenOk("/dev/test");

        u.Map(Kernel.PageSize, fd: fd);
        Assert.Empty(Confinement(k));
        u.Map(Kernel.PageSize, fd: fd, offset: 8 * Kernel.PageSize);
        Assert.Single(Confinement(k));
    }

    [Theory]
    [InlineData("2.6.28")]
    [InlineData("6.6")]
    public void A_fault_handler_page_past_the_drivers_pages_is_reported_and_one_inside_is_not(string version)
    {
        var k = Boot(version, strict: true);
        var stranger = OutsideTheDriver(k);
        var device = new TestDevice(k, pages: 2);

        // The handler indexes a table longer than the driver's object: its third entry is a page of someone else.
        var table = new[] { device.Pages[0], device.Pages[1], stranger };
        var ops = new VmOperations
        {
            Fault = vmf =>
            {
                k.GetPage(table[vmf.Pgoff]);
                vmf.Page = table[vmf.Pgoff];
                return VmFaultResult.None;
            },
        };
        device.OnMmap = vma =>
        {
            vma.Ops = ops;
            return 0;
        };
        var u = k.Spawn("probe");
        var fd = u.OpenOk("/dev/test");
        var inside = u.Map(2 * Kernel.PageSize, fd: fd);
        u.ReadAll(inside, 2);
        Assert.Empty(Confinement(k));

        var beyond = u.Map(Kernel.PageSize, fd: fd, offset: 2 * Kernel.PageSize);
        Assert.True(u.ReadByte(beyond, out _).IsOk);
        var report = Assert.Single(Confinement(k));
        Assert.Contains("->fault", report.Text, StringComparison.Ordinal);
        Assert.Equal(k.PageToPfn(stranger), report.Pfn);
    }

    /// <summary>A block of two pages allocated by this file, outside any driver: the kernel's, not the test driver's.</summary>
    private static Page OutsideTheDriver(Kernel k) => k.AllocPages(Gfp.Kernel, 1);

    [Fact]
    public void Vm_insert_page_of_a_page_the_driver_does_not_own_is_reported()
    {
        var k = Boot("6.6", strict: true);
        var foreign = OutsideTheDriver(k);
        var device = new TestDevice(k, pages: 1);
        device.OnMmap = vma => k.VmInsertPage(vma, vma.Start, vma.Pgoff == 0 ? device.Pages[0] : foreign);
        var u = k.Spawn("probe");
        var fd = u.OpenOk("/dev/test");
        u.Map(Kernel.PageSize, fd: fd);
        Assert.Empty(Confinement(k));
        u.Map(Kernel.PageSize, fd: fd, offset: Kernel.PageSize);
        Assert.Single(Confinement(k));
    }

    [Theory]
    [InlineData("2.6.20", false, 0)]
    [InlineData("6.6", false, 0)]
    [InlineData("6.6", true, Errno.EACCES)]
    public void Mprotect_to_writable_after_a_refused_writable_mmap(string version, bool clearMayWrite, int errno)
    {
        var k = Boot(version, strict: true);
        var device = new TestDevice(k, pages: 1);
        device.OnMmap = vma =>
        {
            if ((vma.Flags & VmFlags.Write) != 0)
            {
                return -Errno.EPERM;
            }

            if (clearMayWrite)
            {
                k.VmFlagsClear(vma, VmFlags.MayWrite);
            }

            return k.VmInsertPage(vma, vma.Start, device.Pages[0]);
        };
        var u = k.Spawn("probe");
        var fd = u.OpenOk("/dev/test");
        Assert.Equal(Errno.EPERM, u.Mmap(default, Kernel.PageSize, Prot.Read | Prot.Write, MapFlags.Shared, fd).Errno);
        var readOnly = u.Map(Kernel.PageSize, Prot.Read, fd: fd);
        var result = u.Mprotect(readOnly, Kernel.PageSize, Prot.Read | Prot.Write);

        Assert.Equal(errno, result.IsOk ? 0 : result.Errno);
        Assert.Equal(clearMayWrite ? 0 : 1, Confinement(k).Count());
    }

    [Fact]
    public void Mprotect_of_a_driver_that_never_refused_writing_is_not_reported()
    {
        var k = Boot("6.6", strict: true);
        var device = new TestDevice(k, pages: 1);
        device.OnMmap = vma => k.VmInsertPage(vma, vma.Start, device.Pages[0]);
        var u = k.Spawn("probe");
        var fd = u.OpenOk("/dev/test");
        var readOnly = u.Map(Kernel.PageSize, Prot.Read, fd: fd);
        Assert.True(u.Mprotect(readOnly, Kernel.PageSize, Prot.Read | Prot.Write).IsOk);
        Assert.Empty(Confinement(k));
    }
}
