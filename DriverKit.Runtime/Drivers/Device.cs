namespace DriverKit.Runtime;

/// <summary>
/// include/linux/device.h: struct device — what the DMA API takes: a name and the device's coherent DMA mask (the
/// highest bus address it can reach for coherent buffers). The simulator's stand-in for a device a bus probed; create
/// one with <see cref="Kernel.RegisterDevice"/> (or <see cref="Kernel.RegisterPciDevice"/> for a <see cref="PciDev"/>).
/// </summary>
public class Device
{
    internal Device(Kernel kernel, string name, ulong coherentDmaMask)
    {
        Kernel = kernel;
        Name = name;
        CoherentDmaMask = coherentDmaMask;
    }

    /// <summary>dev_name(dev).</summary>
    public string Name { get; }

    /// <summary>dev-&gt;coherent_dma_mask: 0 means the bus never configured DMA (dma_alloc_coherent WARNs and fails).</summary>
    public ulong CoherentDmaMask { get; }

    internal Kernel Kernel { get; }

    /// <summary>The device's name.</summary>
    public override string ToString() => Name;
}

/// <summary>
/// include/linux/pci.h: struct pci_dev — a <see cref="Device"/> with base address registers (BARs): memory resources
/// whose physical start and length the driver reads with <see cref="Kernel.PciResourceStart"/> and
/// <see cref="Kernel.PciResourceLen"/> and maps with <see cref="Kernel.Ioremap"/>.
/// </summary>
public sealed class PciDev : Device
{
    internal PciDev(Kernel kernel, string name, IReadOnlyList<MmioRegion> bars)
        : base(kernel, name, 0xffff_ffffUL)
    {
        Bars = bars;
    }

    /// <summary>pdev-&gt;resource[0 …]: the device's memory BARs in order (each an MMIO window above RAM).</summary>
    public IReadOnlyList<MmioRegion> Bars { get; }
}
