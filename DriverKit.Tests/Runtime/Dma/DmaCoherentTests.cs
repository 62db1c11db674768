using DriverKit.Runtime;
using DriverKit.Tests.Runtime.Vm;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Dma;

/// <summary>dma_alloc_coherent, dma_free_coherent, dma_mmap_coherent and pci_alloc_consistent/pci_free_consistent.</summary>
public sealed class DmaCoherentTests
{
    private static readonly (ulong Size, MmioDevice Device)[] NoBars = [];

    [Theory]
    [InlineData("2.6.10")]
    [InlineData(E3)]
    [InlineData(E5)]
    [InlineData(E7)]
    public void A_coherent_buffer_is_zeroed_contiguous_and_its_handle_is_its_bus_address(string version)
    {
        var k = Boot(version, strict: true);
        var dev = k.RegisterDevice("nic0");
        var free = k.FreePageCount;

        var cpu = k.DmaAllocCoherent(dev, 5000, out var handle, Gfp.Kernel);

        Assert.False(cpu.IsNull);
        Assert.Equal(k.VirtToPhys(cpu).Value, handle.Value);
        Assert.Equal(free - 2, k.FreePageCount); // get_order(5000) = 1
        var page = k.VirtToPage(cpu);
        Assert.Equal(1, k.PageCount(page));
        Assert.Contains("allocated at", k.Checker.Ledger(page), StringComparison.Ordinal);
        Assert.Contains("DmaCoherentTests.cs", k.Checker.Ledger(page), StringComparison.Ordinal);
        var bytes = new byte[5000];
        k.ReadKernel(cpu, bytes);
        Assert.All(bytes, b => Assert.Equal(0, b));

        k.DmaFreeCoherent(dev, 5000, cpu, handle);
        Assert.Equal(free, k.FreePageCount);
        Assert.Empty(k.Reports);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL << 40)]
    [InlineData(ulong.MaxValue)]
    [InlineData((Kernel.PageSize << 10) + 1)]
    public void A_zero_or_huge_size_gives_NULL_and_changes_nothing(ulong size)
    {
        var k = Boot(E7, strict: true);
        var dev = k.RegisterDevice("nic0");
        var free = k.FreePageCount;

        Assert.True(k.DmaAllocCoherent(dev, size, out var handle, Gfp.Kernel).IsNull);
        Assert.True(handle.IsNull);
        Assert.Equal(free, k.FreePageCount);
        Assert.Empty(k.Reports);
    }

    [Fact]
    public void A_device_without_a_coherent_mask_warns_and_gets_NULL()
    {
        var k = Boot(E7, strict: true);
        var dev = k.RegisterDevice("platform0", coherentDmaMask: 0);
        var free = k.FreePageCount;

        Assert.True(k.DmaAllocCoherent(dev, Kernel.PageSize, out _, Gfp.Kernel).IsNull);
        Assert.Equal(free, k.FreePageCount);
        Assert.Contains(k.Dmesg, l => l.Contains("WARNING", StringComparison.Ordinal) && l.Contains("coherent_dma_mask", StringComparison.Ordinal));
    }

    [Fact]
    public void A_mask_below_the_pages_fails_the_allocation_and_returns_the_pages()
    {
        var k = Boot(E7, strict: true);
        var dev = k.RegisterDevice("isa0", coherentDmaMask: 0xfff); // not even one page fits
        var free = k.FreePageCount;

        Assert.True(k.DmaAllocCoherent(dev, Kernel.PageSize, out var handle, Gfp.Kernel).IsNull);
        Assert.True(handle.IsNull);
        Assert.Equal(free, k.FreePageCount);
    }

    [Fact]
    public void Devices_must_be_this_machines_and_named_once()
    {
        var k = Boot(E7);
        var other = Boot(E7).RegisterDevice("nic0");
        Assert.Throws<ArgumentNullException>(() => k.DmaAllocCoherent(null!, 4096, out _, Gfp.Kernel));
        Assert.Throws<ArgumentException>(() => k.DmaAllocCoherent(other, 4096, out _, Gfp.Kernel));
        k.RegisterDevice("nic0");
        Assert.Throws<ArgumentException>(() => k.RegisterDevice("nic0"));
        Assert.Throws<ArgumentException>(() => k.RegisterDevice(""));
    }

    [Fact]
    public void Freeing_NULL_is_a_no_op()
    {
        var k = Boot(E7, strict: true);
        var dev = k.RegisterDevice("nic0");
        k.DmaFreeCoherent(dev, 4096, default, default);
        Assert.Empty(k.Reports);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_double_free_is_refused_in_the_dma_debug_words(bool strict)
    {
        var k = Boot(E7, strict: strict);
        var dev = k.RegisterDevice("nic0");
        var cpu = k.DmaAllocCoherent(dev, 4096, out var handle, Gfp.Kernel);
        k.DmaFreeCoherent(dev, 4096, cpu, handle);
        var free = k.FreePageCount;

        var e = Assert.Throws<KernelBugException>(() => k.DmaFreeCoherent(dev, 4096, cpu, handle));
        Assert.Contains("device driver tries to free DMA memory it has not allocated", e.Report.Text, StringComparison.Ordinal);
        Assert.Equal("DK0018", e.Report.RuleId);
        Assert.Equal(free, k.FreePageCount);
    }

    [Fact]
    public void A_free_naming_another_device_handle_or_address_is_refused_and_the_buffer_stays()
    {
        var k = Boot(E7, strict: true);
        var dev = k.RegisterDevice("nic0");
        var dev2 = k.RegisterDevice("nic1");
        var cpu = k.DmaAllocCoherent(dev, 8192, out var handle, Gfp.Kernel);
        var free = k.FreePageCount;

        Assert.Throws<KernelBugException>(() => k.DmaFreeCoherent(dev2, 8192, cpu, handle));
        Assert.Throws<KernelBugException>(() => k.DmaFreeCoherent(dev, 8192, cpu, handle + Kernel.PageSize));
        Assert.Throws<KernelBugException>(() => k.DmaFreeCoherent(dev, 8192, cpu + Kernel.PageSize, handle));
        Assert.Throws<KernelBugException>(() => k.DmaFreeCoherent(dev, 8192, new KernelAddr(0xdead_0000UL), handle));
        Assert.Equal(free, k.FreePageCount);

        k.DmaFreeCoherent(dev, 8192, cpu, handle);
        Assert.Equal(free + 2, k.FreePageCount);
    }

    [Fact]
    public void A_size_of_another_order_is_refused_and_one_of_the_same_order_is_reported_and_freed()
    {
        var k = Boot(E7, strict: true);
        var dev = k.RegisterDevice("nic0");
        var cpu = k.DmaAllocCoherent(dev, 8192, out var handle, Gfp.Kernel);
        var free = k.FreePageCount;

        var e = Assert.Throws<KernelBugException>(() => k.DmaFreeCoherent(dev, 4096, cpu, handle));
        Assert.Contains("device driver frees DMA memory with different size", e.Report.Text, StringComparison.Ordinal);
        Assert.Throws<KernelBugException>(() => k.DmaFreeCoherent(dev, 0, cpu, handle));
        Assert.Equal(free, k.FreePageCount);

        k.DmaFreeCoherent(dev, 5000, cpu, handle);
        Assert.Equal(free + 2, k.FreePageCount);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-05" && r.Text.Contains("[map size=8192 bytes] [unmap size=5000 bytes]", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2.6.10")]
    [InlineData("3.5")]
    public void Dma_mmap_coherent_does_not_exist_before_3_6(string version)
    {
        var k = Boot(version);
        var dev = k.RegisterDevice("nic0");
        var cpu = k.DmaAllocCoherent(dev, 4096, out var handle, Gfp.Kernel);
        var t = new TestDevice(k, pages: 0);
        t.OnMmap = vma => k.DmaMmapCoherent(dev, vma, cpu, handle, 4096);
        var u = k.Spawn("user");
        var fd = u.OpenOk("/dev/test");

        var e = Assert.Throws<EraMismatchException>(() => u.Mmap(default, 4096, Prot.Read, MapFlags.Shared, fd));
        Assert.Contains("dma_mmap_coherent", e.Message, StringComparison.Ordinal);
        Assert.Contains("3.6", e.Message, StringComparison.Ordinal);
    }

    private static (Kernel K, Device Dev, KernelAddr Cpu, DmaAddr Handle, TestDevice Node, Process U, int Fd) Mapped(string version, ulong size)
    {
        var k = Boot(version, strict: true);
        var dev = k.RegisterDevice("nic0");
        var node = new TestDevice(k, pages: 0);
        KernelAddr cpu = default;
        DmaAddr handle = default;

        // The driver allocates in its own context (an ioctl), so the buffer is the module's and it may expose it.
        node.OnIoctl = (_, _) =>
        {
            cpu = k.DmaAllocCoherent(dev, size, out handle, Gfp.Kernel);
            return cpu.IsNull ? -Errno.ENOMEM : 0;
        };
        node.OnMmap = vma => k.DmaMmapCoherent(dev, vma, cpu, handle, size);
        var u = k.Spawn("user");
        var fd = u.OpenOk("/dev/test");
        Assert.Equal(0, u.Ioctl(fd, 0, 0).Value);
        return (k, dev, cpu, handle, node, u, fd);
    }

    [Theory]
    [InlineData("3.6")]
    [InlineData(E6)]
    [InlineData(E7)]
    public void Dma_mmap_coherent_maps_the_buffer_from_vm_pgoff_with_special_ptes(string version)
    {
        var m = Mapped(version, 4 * Kernel.PageSize);
        m.K.WriteKernel(m.Cpu + 2 * Kernel.PageSize, [0x5a]);

        var addr = m.U.Mmap(default, 2 * Kernel.PageSize, Prot.Read | Prot.Write, MapFlags.Shared, m.Fd, 2 * Kernel.PageSize).Unwrap();
        Assert.True(m.U.ReadByte(addr, out var value).IsOk);
        Assert.Equal(0x5a, value);
        Assert.True(m.U.WriteByte(addr + Kernel.PageSize, 0x77).IsOk);
        var back = new byte[1];
        m.K.ReadKernel(m.Cpu + 3 * Kernel.PageSize, back);
        Assert.Equal(0x77, back[0]);

        var page = m.K.VirtToPage(m.Cpu + 2 * Kernel.PageSize);
        Assert.Equal(0, m.K.PageMapcount(page)); // special PTEs hold nothing
        var vma = m.U.Mm.VmAreas.Single(v => v.Start == addr);
        Assert.True(vma.Flags.HasFlag(VmFlags.IO) && vma.Flags.HasFlag(VmFlags.PfnMap));
        Assert.Empty(m.K.Reports);
    }

    [Theory]
    [InlineData(4UL, 0UL, 5UL)] // longer than the buffer
    [InlineData(4UL, 4UL, 1UL)] // vm_pgoff at the end
    [InlineData(4UL, 3UL, 2UL)] // runs past the end after vm_pgoff
    [InlineData(3UL, 0UL, 4UL)] // a 3-page request: count is 3 even though 4 pages were allocated
    public void A_vma_past_the_buffer_gets_ENXIO(ulong bufferPages, ulong pgoff, ulong vmaPages)
    {
        var m = Mapped(E7, bufferPages * Kernel.PageSize);
        var r = m.U.Mmap(default, vmaPages * Kernel.PageSize, Prot.Read, MapFlags.Shared, m.Fd, pgoff * Kernel.PageSize);
        Assert.Equal(Errno.ENXIO, r.Errno);
        Assert.DoesNotContain(m.U.Mm.VmAreas, v => v.File is not null);
    }

    [Fact]
    public void Mapping_a_freed_buffer_or_more_than_was_allocated_is_refused()
    {
        var m = Mapped(E7, Kernel.PageSize);
        m.Node.OnMmap = vma => m.K.DmaMmapCoherent(m.Dev, vma, m.Cpu, m.Handle, 64 * Kernel.PageSize);
        Assert.NotNull(m.U.Mmap(default, Kernel.PageSize, Prot.Read, MapFlags.Shared, m.Fd).Oops);

        var m2 = Mapped(E7, Kernel.PageSize);
        m2.K.DmaFreeCoherent(m2.Dev, Kernel.PageSize, m2.Cpu, m2.Handle);
        var r = m2.U.Mmap(default, Kernel.PageSize, Prot.Read, MapFlags.Shared, m2.Fd);
        Assert.NotNull(r.Oops);
        Assert.Contains(m2.K.Reports, x => x.Invariant == "INV-06" && x.Text.Contains("not a live coherent buffer", StringComparison.Ordinal));
    }

    [Fact]
    public void A_leak_at_shutdown_names_the_buffer()
    {
        var k = Boot(E7, strict: true);
        var dev = k.RegisterDevice("nic0");
        k.DmaAllocCoherent(dev, 3 * Kernel.PageSize, out var handle, Gfp.Kernel);

        var reports = k.Shutdown();
        var dma = Assert.Single(reports, r => r.Reason == "coherent DMA buffer leak");
        Assert.Contains("shutdown: 1 coherent DMA buffer(s)", dma.Text, StringComparison.Ordinal);
        Assert.Contains($"dma_alloc_coherent [device address={handle}] [size=12288 bytes] for nic0", dma.Text, StringComparison.Ordinal);
        Assert.Contains(reports, r => r.Reason == "leak at shutdown" && r.Pages.Single() == new PhysAddr(handle.Value).ToPfn());
    }

    [Theory]
    [InlineData("2.6.10")]
    [InlineData(E5)]
    [InlineData("5.17")]
    public void Pci_alloc_consistent_allocates_coherent_memory_until_5_18(string version)
    {
        var k = Boot(version, strict: true);
        var pdev = k.RegisterPciDevice("0000:00:04.0", NoBars);
        var free = k.FreePageCount;
        var cpu = k.PciAllocConsistent(pdev, 100, out var handle);
        Assert.False(cpu.IsNull);
        Assert.Equal(k.VirtToPhys(cpu).Value, handle.Value);
        k.PciFreeConsistent(pdev, 100, cpu, handle);
        Assert.Equal(free, k.FreePageCount);
        Assert.Empty(k.Reports);
    }

    [Theory]
    [InlineData("5.18")]
    [InlineData(E7)]
    public void Pci_alloc_consistent_is_gone_from_5_18(string version)
    {
        var k = Boot(version);
        var pdev = k.RegisterPciDevice("0000:00:04.0", NoBars);
        var free = k.FreePageCount;
        var e = Assert.Throws<EraMismatchException>(() => k.PciAllocConsistent(pdev, 100, out _));
        Assert.Contains("dma_alloc_coherent", e.Message, StringComparison.Ordinal);
        Assert.Throws<EraMismatchException>(() => k.PciFreeConsistent(pdev, 100, default, default));
        Assert.Equal(free, k.FreePageCount);
    }
}
