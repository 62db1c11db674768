using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Drivers;

/// <summary>PCI devices with BARs, pci_resource_start/len, ioremap/iounmap and the MMIO accessors.</summary>
public sealed class IoremapTests
{
    /// <summary>A register file: bytes that remember what was written; register 0x10 counts reads of itself.</summary>
    private sealed class Registers : MmioDevice
    {
        public byte[] Bytes { get; } = new byte[0x4000];

        public int StatusReads { get; private set; }

        public override byte Read(ulong offset)
        {
            if (offset == 0x10)
            {
                StatusReads++;
            }

            return Bytes[offset];
        }

        public override void Write(ulong offset, byte value) => Bytes[offset] = value;
    }

    private static (Kernel K, PciDev Dev, Registers Regs) Nic(string version, bool strict = true)
    {
        var k = Boot(version, strict);
        var regs = new Registers();
        var dev = k.RegisterPciDevice("0000:00:03.0", [(0x4000UL, (MmioDevice)regs)]);
        return (k, dev, regs);
    }

    [Theory]
    [InlineData("2.6.10")]
    [InlineData(E3)]
    [InlineData(E5)]
    [InlineData(E7)]
    public void A_driver_maps_its_bar_and_talks_to_the_registers(string version)
    {
        var (k, dev, regs) = Nic(version);
        var start = k.PciResourceStart(dev, 0);
        var len = k.PciResourceLen(dev, 0);
        Assert.Equal(0x4000UL, len);
        Assert.False(k.PfnValid(start.ToPfn())); // above RAM: no struct page

        var io = k.Ioremap(start, len);
        Assert.False(io.IsNull);
        k.Writel(0xdeadbeef, io + 0x2000);
        Assert.Equal(new byte[] { 0xef, 0xbe, 0xad, 0xde }, regs.Bytes[0x2000..0x2004]);
        Assert.Equal(0xdeadbeef, k.Readl(io + 0x2000));
        k.Writeb(7, io + 0x10);
        Assert.Equal(7, k.Readb(io + 0x10));
        Assert.Equal(1, regs.StatusReads);

        // A register straddling a page boundary of the BAR.
        k.Writel(0x01020304, io + 0xffe);
        Assert.Equal(0x01020304u, k.Readl(io + 0xffe));

        k.Iounmap(io);
        Assert.Empty(k.Reports);
        Assert.Empty(k.Shutdown());
    }

    [Fact]
    public void An_unaligned_start_keeps_its_offset_in_the_page()
    {
        var (k, dev, regs) = Nic(E7);
        var io = k.Ioremap(k.PciResourceStart(dev, 0) + 0x1234, 8);
        k.Writeb(0x42, io);
        Assert.Equal(0x42, regs.Bytes[0x1234]);
        Assert.Equal(0x234UL, io.Value & (Kernel.PageSize - 1));
        k.Iounmap(io); // any address in the first page releases it
        Assert.Empty(k.Reports);
        Assert.Throws<KernelBugException>(() => k.Readb(io));
    }

    [Theory]
    [InlineData(0UL, 0x1000UL)]
    [InlineData(0xffff_ffff_ffff_f000UL, 0x2000UL)] // wraps
    [InlineData(1UL << 46, 0x1000UL)] // beyond the physical address width
    public void A_zero_wrapping_or_impossible_range_gives_NULL(ulong phys, ulong size)
    {
        var (k, dev, _) = Nic(E7);
        var start = phys == 0 ? k.PciResourceStart(dev, 0) : new PhysAddr(phys);
        Assert.True(k.Ioremap(start, phys == 0 ? 0 : size).IsNull);
        Assert.Empty(k.Reports);
    }

    [Theory]
    [InlineData("2.6.10")]
    [InlineData(E7)]
    public void Ioremap_of_allocator_ram_is_refused_but_reserved_ram_is_allowed(string version)
    {
        var (k, _, _) = Nic(version);
        var page = k.AllocPage(Gfp.Kernel);
        Assert.True(k.Ioremap(k.PageToPhys(page), Kernel.PageSize).IsNull);
        var refused = Assert.Single(k.Reports);
        Assert.Contains("ioremap on RAM at", refused.Text, StringComparison.Ordinal);

        // The legacy VGA hole (0xa0000) is PG_reserved RAM: ioremap of it works, as on real PCs.
        var vga = k.Ioremap(new PhysAddr(0xa0000), 0x1000);
        Assert.False(vga.IsNull);
        k.Writeb(1, vga);
        Assert.Equal(1, k.Readb(vga));
        k.Iounmap(vga);
        k.FreePage(page);
    }

    [Fact]
    public void Iounmap_of_NULL_is_a_no_op_and_a_bad_address_is_reported_without_change()
    {
        var (k, dev, _) = Nic(E7);
        k.Iounmap(default);
        Assert.Empty(k.Reports);

        var io = k.Ioremap(k.PciResourceStart(dev, 0), 0x1000);
        k.Iounmap(io);
        k.Iounmap(io);
        var bad = Assert.Single(k.Reports);
        Assert.Equal($"iounmap: bad address {io}", bad.Text);
        Assert.Contains(k.Dmesg, l => l.StartsWith("iounmap: bad address", StringComparison.Ordinal));
    }

    [Fact]
    public void An_access_past_the_mapping_or_after_iounmap_oopses()
    {
        var (k, dev, _) = Nic(E7);
        var io = k.Ioremap(k.PciResourceStart(dev, 0), 0x1000);
        var e = Assert.Throws<KernelBugException>(() => k.Readl(io + 0xffe + 0x1000));
        Assert.Contains("unable to handle page fault", e.Report.Text, StringComparison.Ordinal);
        Assert.Throws<KernelBugException>(() => k.Writel(1, new IoMem(0xffffd90000100000UL)));
    }

    [Fact]
    public void Pci_devices_check_their_bars_before_registering_anything()
    {
        var k = Boot(E7);
        var regs = new Registers();
        Assert.Throws<ArgumentException>(() => k.RegisterPciDevice("a", [(0x4000UL, (MmioDevice)regs), (0x1001UL, regs)]));
        Assert.Throws<ArgumentException>(() => k.RegisterPciDevice("a", [(0UL, (MmioDevice)regs)]));
        Assert.Throws<ArgumentException>(() => k.RegisterPciDevice("a", [(0x1000UL, (MmioDevice)null!)]));
        var dev = k.RegisterPciDevice("a", [(0x1000UL, (MmioDevice)regs)]);
        Assert.Equal(0x1000UL, k.PciResourceLen(dev, 0)); // the failed attempts registered no window
        Assert.Equal(0UL, k.PciResourceLen(dev, 1));
        Assert.Equal(default, k.PciResourceStart(dev, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => k.PciResourceStart(dev, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => k.PciResourceLen(dev, -1));
        Assert.Throws<ArgumentNullException>(() => k.PciResourceLen(null!, 0));
        Assert.Throws<ArgumentException>(() => k.RegisterPciDevice("a", [(0x1000UL, (MmioDevice)regs)]));
    }
}
