using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>
/// Module unload (delete_module) is not device unregistration: leak accounting runs once, at rmmod, per module; a block
/// counts as its pages; a page that only a user-side reference keeps alive is not the module's leak.
/// </summary>
public sealed class ModuleUnloadTests
{
    private static IEnumerable<Report> Leaks(Kernel k) => k.Reports.Where(r => r.Invariant == "INV-20");

    private static CharDevice Node(Kernel k, string path, string module = "grabber")
        => k.RegisterChrdev(path, new FileOperations { Owner = module, Mmap = (_, _) => 0 });

    [Theory]
    [InlineData(E3)]
    [InlineData(E7)]
    public void Unregistering_then_freeing_in_a_remove_function_is_no_leak(string version)
    {
        var k = Boot(version, strict: true);
        var node = Node(k, "/dev/grab0");
        var buffer = Adopted(k, () => k.AllocPages(Gfp.Kernel, 3));

        k.UnregisterChrdev(node);
        Assert.Empty(Leaks(k));
        k.FreePages(buffer, 3);

        Assert.Equal(0, k.UnloadModule("grabber").Value);
        Assert.Empty(Leaks(k));
    }

    [Fact]
    public void A_module_with_three_nodes_leaking_one_block_gets_one_report_counting_its_pages()
    {
        var k = Boot(E7, strict: true);
        var nodes = new[] { "/dev/grab0", "/dev/grab1", "/dev/grab2" }.Select(p => Node(k, p)).ToArray();
        var buffer = Adopted(k, () => k.AllocPages(Gfp.Kernel, 3));
        foreach (var node in nodes)
        {
            k.UnregisterChrdev(node);
        }

        Assert.Empty(Leaks(k));
        Assert.Equal(0, k.UnloadModule("grabber").Value);

        var leak = Assert.Single(Leaks(k));
        Assert.Equal(8, leak.Pages.Count);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => buffer.Pfn + (ulong)i), leak.Pages);
        Assert.Contains("8 page(s)", leak.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_page_only_a_users_pin_keeps_alive_after_the_drivers_free_is_not_the_modules_leak()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k, pages: 1);
        var held = new Page[1];
        dev.OnMmap = vma => k.VmInsertPage(vma, vma.Start, dev.Pages[0]);
        dev.OnIoctl = (_, arg) => k.GetUserPages(new UserAddr(arg), 1, FollFlags.None, held);
        var u = k.Spawn("user");
        var fd = u.OpenOk("/dev/test");
        var a = u.Map(Kernel.PageSize, fd: fd);
        Assert.Equal(1, u.Ioctl(fd, 0, a.Value).Value);
        Assert.True(u.Munmap(a, Kernel.PageSize).IsOk);
        Assert.True(u.Close(fd).IsOk);
        k.FreePage(dev.Pages[0]);
        k.UnregisterChrdev(dev.Device);

        Assert.Equal(0, k.UnloadModule("testdev").Value);
        Assert.Empty(Leaks(k));

        var free = k.FreePageCount;
        k.PutPage(held[0]);
        Assert.Equal(free + 1, k.FreePageCount);
    }

    [Fact]
    public void A_module_whose_file_is_open_or_mapped_is_busy_and_nothing_changes()
    {
        var k = Boot(E7, strict: true);
        var node = Node(k, "/dev/grab0");
        var u = k.Spawn("user");
        var fd = u.OpenOk("/dev/grab0");
        var a = u.Map(Kernel.PageSize, fd: fd);
        Assert.True(u.Close(fd).IsOk);

        Assert.Equal(-Errno.EBUSY, k.UnloadModule("grabber").Value); // the mapping holds the file
        Assert.True(node.Registered);
        Assert.True(u.Munmap(a, Kernel.PageSize).IsOk);
        Assert.Equal(0, k.UnloadModule("grabber").Value);
        Assert.False(node.Registered);
    }

    [Fact]
    public void An_unknown_or_already_unloaded_module_is_enoent_and_a_node_left_registered_is_reported()
    {
        var k = Boot(E7, strict: true);
        Node(k, "/dev/grab0");
        Assert.Equal(-Errno.ENOENT, k.UnloadModule("nosuch").Value);
        Assert.Throws<ArgumentException>(() => k.UnloadModule(""));

        Assert.Equal(0, k.UnloadModule("grabber").Value);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-18" && r.Text.Contains("/dev/grab0 still registered", StringComparison.Ordinal));
        Assert.Equal(-Errno.ENOENT, k.UnloadModule("grabber").Value);
        Assert.Equal(-Errno.ENOENT, k.Spawn("user").Open("/dev/grab0").Value);
    }

    [Fact]
    public void Unregistering_twice_is_refused()
    {
        var k = Boot(E7);
        var node = Node(k, "/dev/grab0");
        k.UnregisterChrdev(node);
        Assert.Throws<ArgumentException>(() => k.UnregisterChrdev(node));
    }

    /// <summary>Allocates as the module would in its init (the allocation is attributed to the module's owner).</summary>
    private static Page Adopted(Kernel k, Func<Page> alloc)
    {
        Page page = default;
        var probe = k.RegisterChrdev("/dev/probe-init", new FileOperations
        {
            Owner = "grabber",
            Open = (_, _) =>
            {
                page = alloc();
                return 0;
            },
        });
        var u = k.Spawn("insmod");
        var fd = u.OpenOk("/dev/probe-init");
        Assert.True(u.Close(fd).IsOk);
        k.UnregisterChrdev(probe);
        return page;
    }
}
