using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Drivers;

/// <summary>misc_register / misc_deregister: minors, the /dev node, refusals that change nothing, and a driver built on one.</summary>
public class MiscDeviceTests
{
    private static FileOperations Fops(string owner = "miscdrv") => new() { Owner = owner, Open = (_, _) => 0, Release = (_, _) => 0 };

    [Theory]
    [InlineData("2.6.14")]
    [InlineData("7.0")]
    public void Dynamic_minors_count_down_and_the_node_appears(string version)
    {
        var k = Boot(version);
        var first = new MiscDevice { Name = "first", Fops = Fops() };
        var second = new MiscDevice { Name = "second", Fops = Fops() };
        Assert.Equal(0, k.MiscRegister(first));
        Assert.Equal(0, k.MiscRegister(second));
        Assert.Equal(63, first.Minor);
        Assert.Equal(62, second.Minor);
        Assert.Same(first.Node, k.Devices["/dev/first"]);
        Assert.True(k.Spawn().Open("/dev/second").IsOk);
    }

    [Fact]
    public void Refusals_change_nothing()
    {
        var k = Boot("6.1");
        var fixedMinor = new MiscDevice { Minor = 130, Name = "watchdog", Fops = Fops() };
        Assert.Equal(0, k.MiscRegister(fixedMinor));
        var devices = k.Devices.Count;

        var sameMinor = new MiscDevice { Minor = 130, Name = "other", Fops = Fops() };
        Assert.Equal(-Errno.EBUSY, k.MiscRegister(sameMinor));
        var sameName = new MiscDevice { Name = "watchdog", Fops = Fops() };
        Assert.Equal(-Errno.EBUSY, k.MiscRegister(sameName));
        Assert.Equal(MiscDevice.DynamicMinor, sameName.Minor);
        Assert.Equal(-Errno.EINVAL, k.MiscRegister(new MiscDevice { Minor = 300, Name = "x", Fops = Fops() }));
        Assert.Equal(-Errno.EINVAL, k.MiscRegister(new MiscDevice { Minor = -1, Name = "y", Fops = Fops() }));
        Assert.Equal(-Errno.EBUSY, k.MiscRegister(fixedMinor));
        Assert.Throws<ArgumentNullException>(() => k.MiscRegister(null!));
        Assert.Throws<ArgumentException>(() => k.MiscRegister(new MiscDevice { Name = "", Fops = Fops() }));

        Assert.Equal(devices, k.Devices.Count);
        Assert.Null(sameMinor.Node);

        k.MiscDeregister(sameName);
        Assert.Contains(k.Dmesg, line => line.Contains("misc_deregister: watchdog is not registered", StringComparison.Ordinal));
        Assert.True(fixedMinor.Node!.Registered);
    }

    [Fact]
    public void Deregister_frees_the_minor_and_the_device_registers_again()
    {
        var k = Boot("7.0");
        var misc = new MiscDevice { Name = "ring", Fops = Fops() };
        Assert.Equal(0, k.MiscRegister(misc));
        var node = misc.Node!;
        k.MiscDeregister(misc);
        Assert.False(node.Registered);
        Assert.Null(misc.Node);
        Assert.Equal(MiscDevice.DynamicMinor, misc.Minor);
        Assert.False(k.Spawn().Open("/dev/ring").IsOk);

        Assert.Equal(0, k.MiscRegister(misc));
        Assert.Equal(63, misc.Minor);
        var fixedMinor = new MiscDevice { Minor = 10, Name = "fixed", Fops = Fops() };
        Assert.Equal(0, k.MiscRegister(fixedMinor));
        k.MiscDeregister(fixedMinor);
        Assert.Equal(10, fixedMinor.Minor);
    }

    /// <summary>A misc driver that hands each opener a page to map, loaded and unloaded like a module.</summary>
    [Theory]
    [InlineData("2.6.20")]
    [InlineData("6.6")]
    public void A_misc_driver_maps_a_page_and_unloads_clean(string version)
    {
        var k = Boot(version, strict: true);
        var page = k.AllocPage(Gfp.Kernel | Gfp.Zero);
        var misc = new MiscDevice
        {
            Name = "pagedev",
            Fops = new FileOperations
            {
                Owner = "pagedev",
                Mmap = (file, vma) => vma.Pgoff != 0 || vma.Length != Kernel.PageSize
                    ? -Errno.EINVAL
                    : k.RemapPfnRange(vma, vma.Start, k.PageToPfn(page), Kernel.PageSize, vma.PageProt),
            },
        };
        Assert.Equal(0, k.MiscRegister(misc));

        var user = k.Spawn();
        var fd = (int)user.Open("/dev/pagedev").Value;
        var addr = user.Mmap(default, Kernel.PageSize, Prot.Read | Prot.Write, MapFlags.Shared, fd).Unwrap();
        Assert.True(user.WriteByte(addr, 7).IsOk);
        var seen = new byte[1];
        k.ReadKernel(k.PageAddress(page), seen);
        Assert.Equal(7, seen[0]);
        user.Exit();

        k.MiscDeregister(misc);
        k.FreePage(page);
        Assert.True(k.UnloadModule("pagedev").IsOk);
        Assert.Empty(k.Shutdown());
    }
}
