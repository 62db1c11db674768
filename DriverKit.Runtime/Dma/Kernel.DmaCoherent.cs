using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

/// <summary>
/// One live coherent DMA buffer: what lib/dma-debug.c keeps as a dma_debug_entry of type dma_debug_coherent, so the
/// free can be checked against the allocation and a buffer left at unload or shutdown can be named.
/// </summary>
internal sealed class CoherentBuffer
{
    internal CoherentBuffer(Device device, KernelAddr cpu, DmaAddr handle, ulong size, int order, int pfn, uint generation, int site, string api)
    {
        Generation = generation;
        Device = device;
        Cpu = cpu;
        Handle = handle;
        Size = size;
        Order = order;
        Pfn = pfn;
        Site = site;
        Api = api;
    }

    internal Device Device { get; }

    internal KernelAddr Cpu { get; }

    internal DmaAddr Handle { get; }

    /// <summary>The size the driver asked for (dma-debug compares the free's size with it).</summary>
    internal ulong Size { get; }

    internal int Order { get; }

    internal int Pfn { get; }

    /// <summary>The frame's allocation generation: a buffer whose pages someone else freed and the allocator reused is no longer live.</summary>
    internal uint Generation { get; }

    internal int Site { get; }

    /// <summary>The allocating function: dma_alloc_coherent or pci_alloc_consistent.</summary>
    internal string Api { get; }
}

public sealed partial class Kernel
{
    private readonly Dictionary<ulong, CoherentBuffer> coherentBuffers = new();
    private readonly Dictionary<string, Device> busDevices = new(StringComparer.Ordinal);

    /// <summary>The coherent DMA buffers allocated and not yet freed, by CPU address.</summary>
    internal IReadOnlyCollection<CoherentBuffer> CoherentBuffers => coherentBuffers.Values;

    /// <summary>
    /// drivers/base/core.c: device_add — the simulator's stand-in for a bus that found a device: the struct device a
    /// driver passes to the DMA API. <paramref name="coherentDmaMask"/> is dev-&gt;coherent_dma_mask (32 bits, as
    /// drivers/pci/probe.c: pci_setup_device sets it, unless given; 0 for a device whose bus never configured DMA).
    /// </summary>
    /// <param name="name">dev_name(), unique on the machine.</param>
    /// <param name="coherentDmaMask">The highest bus address the device reaches for coherent buffers.</param>
    /// <exception cref="ArgumentException">The name is empty or taken.</exception>
    public Device RegisterDevice(string name, ulong coherentDmaMask = 0xffff_ffffUL)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (busDevices.ContainsKey(name))
        {
            throw new ArgumentException($"a device named {name} already exists (-EEXIST)", nameof(name));
        }

        var device = new Device(this, name, coherentDmaMask);
        busDevices.Add(name, device);
        return device;
    }

    /// <summary>
    /// drivers/pci/probe.c: pci_scan_single_device — the simulator's stand-in for a PCI device the bus enumerated: a
    /// <see cref="PciDev"/> with a 32-bit coherent DMA mask and one memory BAR per entry of <paramref name="bars"/>,
    /// each an MMIO window above RAM (<see cref="RegisterMmioRegion"/>) whose accesses reach its <see cref="MmioDevice"/>.
    /// </summary>
    /// <param name="name">dev_name(), unique on the machine (e.g. "0000:00:03.0").</param>
    /// <param name="bars">Each BAR's size (a non-zero multiple of PAGE_SIZE up to 4 GiB) and register model.</param>
    /// <param name="file">Filled in by the compiler: the registering file owns the BAR windows (as with RegisterMmioRegion).</param>
    /// <exception cref="ArgumentException">The name is empty or taken, or a BAR's size or device is unacceptable; nothing is registered.</exception>
    public PciDev RegisterPciDevice(string name, IReadOnlyList<(ulong Size, MmioDevice Device)> bars, [CallerFilePath] string file = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(bars);
        if (busDevices.ContainsKey(name))
        {
            throw new ArgumentException($"a device named {name} already exists (-EEXIST)", nameof(name));
        }

        if (bars.Count > 6)
        {
            throw new ArgumentException($"a PCI function has at most 6 BARs (PCI_STD_NUM_BARS); got {bars.Count}", nameof(bars));
        }

        // Every BAR is checked before the first window is registered, so a bad one leaves nothing behind.
        for (var i = 0; i < bars.Count; i++)
        {
            if (bars[i].Device is null)
            {
                throw new ArgumentException($"BAR {i} has no device model", nameof(bars));
            }

            if (bars[i].Size == 0 || bars[i].Size % PageSize != 0 || bars[i].Size > (1UL << 32))
            {
                throw new ArgumentException($"BAR {i} size {bars[i].Size} must be a non-zero multiple of {PageSize} up to 4 GiB", nameof(bars));
            }
        }

        var regions = bars.Select((bar, i) => RegisterMmioRegion($"{name} BAR{i}", bar.Size, bar.Device, file)).ToArray();
        var device = new PciDev(this, name, regions);
        busDevices.Add(name, device);
        return device;
    }

    /// <summary>include/linux/pci.h: pci_resource_start — the physical start of BAR <paramref name="bar"/> (0 for a BAR the device does not have).</summary>
    /// <param name="dev">The PCI device.</param>
    /// <param name="bar">The BAR number, 0 … 5.</param>
    /// <exception cref="ArgumentOutOfRangeException">The BAR number is outside 0 … 5.</exception>
    public PhysAddr PciResourceStart(PciDev dev, int bar) => Bar(dev, bar)?.Start ?? default;

    /// <summary>include/linux/pci.h: pci_resource_len — the length of BAR <paramref name="bar"/> in bytes (0 for a BAR the device does not have).</summary>
    /// <param name="dev">The PCI device.</param>
    /// <param name="bar">The BAR number, 0 … 5.</param>
    /// <exception cref="ArgumentOutOfRangeException">The BAR number is outside 0 … 5.</exception>
    public ulong PciResourceLen(PciDev dev, int bar) => Bar(dev, bar)?.Size ?? 0;

    private MmioRegion? Bar(PciDev dev, int bar)
    {
        CheckDevice(dev);
        if ((uint)bar > 5)
        {
            throw new ArgumentOutOfRangeException(nameof(bar), $"BAR {bar} is outside 0-5 (PCI_STD_NUM_BARS)");
        }

        return bar < dev.Bars.Count ? dev.Bars[bar] : null;
    }

    /// <summary>
    /// kernel/dma/mapping.c: dma_alloc_coherent (dma_alloc_attrs → kernel/dma/direct.c: dma_direct_alloc) — a zeroed,
    /// physically contiguous buffer the CPU and the device see alike: 2^get_order(size) pages from the page allocator
    /// (not compound), owned by the calling driver. Returns the CPU (linear-map) address and sets
    /// <paramref name="dmaHandle"/> to the bus address to program into the device; NULL (and a 0 handle) when the size
    /// is 0 or beyond MAX_ORDER (no CMA here), when memory is short, when the device's coherent mask is 0 (WARN), for
    /// __GFP_COMP from 6.2 (WARN), or when the pages lie above the mask. Free with <see cref="DmaFreeCoherent"/> with the same device, size, address and handle.
    /// </summary>
    /// <param name="dev">The device.</param>
    /// <param name="size">Bytes (rounded up to a power-of-two number of pages).</param>
    /// <param name="dmaHandle">Set to the buffer's bus address.</param>
    /// <param name="gfp">Allocation flags; the zone modifiers (__GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM) are dropped.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="ArgumentNullException">No device (the simulator needs its masks).</exception>
    /// <exception cref="ArgumentException">A device of another machine.</exception>
    public KernelAddr DmaAllocCoherent(Device dev, ulong size, out DmaAddr dmaHandle, Gfp gfp, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(DmaAllocCoherent));
        return CoherentAlloc(dev, size, out dmaHandle, gfp, "dma_alloc_coherent", caller, file, line);
    }

    /// <summary>
    /// kernel/dma/mapping.c: dma_free_coherent (dma_free_attrs → dma_direct_free) — gives a buffer of
    /// <see cref="DmaAllocCoherent"/> back: __free_pages(page, get_order(size)). NULL is ignored. What
    /// CONFIG_DMA_API_DEBUG (lib/dma-debug.c: check_unmap) catches is refused before anything changes: an address,
    /// handle or device that names no live buffer (a double free, or memory the driver did not allocate) and a size
    /// of another order (the free would return the wrong frames); a different size of the same order is reported and
    /// freed. A buffer a user mapping (<see cref="DmaMmapCoherent"/>) still maps is freed as the kernel frees it: the
    /// user keeps PTEs to frames the allocator hands out again (INV-06, DKMM018).
    /// </summary>
    /// <param name="dev">The device it was allocated for.</param>
    /// <param name="size">The size it was allocated with.</param>
    /// <param name="cpuAddr">The CPU address the allocation returned.</param>
    /// <param name="dmaHandle">The bus address the allocation returned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">Not a live buffer of this device and handle, or a size of another order.</exception>
    public void DmaFreeCoherent(Device dev, ulong size, KernelAddr cpuAddr, DmaAddr dmaHandle, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(DmaFreeCoherent));
        CoherentFree(dev, size, cpuAddr, dmaHandle, "dma_free_coherent", Sites.Intern(caller, file, line));
    }

    /// <summary>
    /// kernel/dma/mapping.c: dma_mmap_coherent (dma_mmap_attrs → kernel/dma/direct.c: dma_direct_mmap; 3.6 – 4.x
    /// drivers/base/dma-mapping.c: dma_common_mmap) — maps a coherent buffer into a user vma from its -&gt;mmap:
    /// remap_pfn_range of the buffer's pages from vm_pgoff on, over the whole vma, so the PTEs are special (no
    /// references: the buffer must outlive every mapping of it) and the vma becomes VM_IO | VM_PFNMAP. -ENXIO when
    /// vm_pgoff lies past the buffer or the vma is longer than what is left of it after vm_pgoff; the remap's own
    /// errors otherwise. Added for every architecture in 3.6 (before, only ARM had it).
    /// </summary>
    /// <param name="dev">The device the buffer was allocated for.</param>
    /// <param name="vma">The vma being set up.</param>
    /// <param name="cpuAddr">The buffer's CPU address.</param>
    /// <param name="dmaAddr">The buffer's bus address.</param>
    /// <param name="size">The size the buffer was allocated with.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 3.6.</exception>
    /// <exception cref="KernelBugException">The address and handle name no live buffer of the device, or the size is larger than the buffer: the kernel would map frames that are not the driver's.</exception>
    public int DmaMmapCoherent(Device dev, VmArea vma, KernelAddr cpuAddr, DmaAddr dmaAddr, ulong size, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(DmaMmapCoherent));
        CheckDevice(dev);
        CheckVma(vma);
        var site = Sites.Intern(caller, file, line);
        var buffer = LiveBuffer(dev, cpuAddr, dmaAddr);
        if (buffer is null)
        {
            // dma_direct_mmap trusts dma_addr: it would map whatever frames it names (a freed buffer: a use after free).
            throw Refuse("INV-06", $"dma_mmap_coherent({dev}, {cpuAddr}, {dmaAddr}) of memory that is not a live coherent buffer of {dev} (freed, or never allocated): the kernel would map frames that are not the driver's", "DK0018", CoherentPfnOrNone(cpuAddr), Sites.Site(site));
        }

        if (size > PageSize << buffer.Order)
        {
            throw Refuse("INV-15", $"dma_mmap_coherent({dev}, size {size}) of a {buffer.Size}-byte buffer: the kernel would map the frames after it into user space", "DK0014", buffer.Pfn, Sites.Site(site));
        }

        // kernel/dma/direct.c: dma_direct_mmap — count = PAGE_ALIGN(size) >> PAGE_SHIFT; the device is coherent, so
        // dma_pgprot leaves vm_page_prot write-back (3.6 – 4.x dma_common_mmap made it pgprot_noncached: not modelled).
        var count = PageAlign(size) >> PageShift;
        var off = vma.RawPgoff;
        if (off >= count || vma.Pages > count - off)
        {
            return NoteMappingResult(-Errno.ENXIO, "dma_mmap_coherent", site);
        }

        return NoteMappingResult(RemapPfnRangeCore(vma, vma.Start, new Pfn((ulong)buffer.Pfn + off), vma.Pages << PageShift, vma.PageProt, site, "dma_mmap_coherent"), "dma_mmap_coherent", site);
    }

    /// <summary>
    /// include/linux/pci-dma-compat.h: pci_alloc_consistent — dma_alloc_coherent(&amp;hwdev-&gt;dev, size, dma_handle,
    /// GFP_ATOMIC): the PCI form of the coherent allocation, removed in 5.18 with the rest of the pci_* DMA wrappers.
    /// </summary>
    /// <param name="hwdev">The PCI device.</param>
    /// <param name="size">Bytes.</param>
    /// <param name="dmaHandle">Set to the buffer's bus address.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">From 5.18.</exception>
    public KernelAddr PciAllocConsistent(PciDev hwdev, ulong size, out DmaAddr dmaHandle, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(PciAllocConsistent));
        return CoherentAlloc(hwdev, size, out dmaHandle, Gfp.Atomic, "pci_alloc_consistent", caller, file, line);
    }

    /// <summary>include/linux/pci-dma-compat.h: pci_free_consistent — dma_free_coherent(&amp;hwdev-&gt;dev, …) (see <see cref="DmaFreeCoherent"/>); removed in 5.18.</summary>
    /// <param name="hwdev">The PCI device.</param>
    /// <param name="size">The size it was allocated with.</param>
    /// <param name="vaddr">The CPU address the allocation returned.</param>
    /// <param name="dmaHandle">The bus address the allocation returned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">From 5.18.</exception>
    /// <exception cref="KernelBugException">As <see cref="DmaFreeCoherent"/>.</exception>
    public void PciFreeConsistent(PciDev hwdev, ulong size, KernelAddr vaddr, DmaAddr dmaHandle, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(PciFreeConsistent));
        CoherentFree(hwdev, size, vaddr, dmaHandle, "pci_free_consistent", Sites.Intern(caller, file, line));
    }

    private KernelAddr CoherentAlloc(Device dev, ulong size, out DmaAddr dmaHandle, Gfp gfp, string api, string caller, string file, int line)
    {
        dmaHandle = default;
        CheckDevice(dev);
        if (dev.CoherentDmaMask == 0)
        {
            // kernel/dma/mapping.c: dma_alloc_attrs: WARN_ON_ONCE(!dev->coherent_dma_mask); no page fits a zero mask.
            Printk($"WARNING: CPU: 0 PID: {CurrentProcess?.Pid ?? 0} at kernel/dma/mapping.c dma_alloc_attrs: !dev->coherent_dma_mask ({dev.Name})");
            return default;
        }

        if ((gfp & Gfp.Comp) != 0 && Policy.DmaAllocRejectsComp)
        {
            // kernel/dma/mapping.c: dma_alloc_attrs: if (WARN_ON_ONCE(flag & __GFP_COMP)) return NULL; (6.2; dropped silently before).
            Printk($"WARNING: CPU: 0 PID: {CurrentProcess?.Pid ?? 0} at kernel/dma/mapping.c dma_alloc_attrs: flag & __GFP_COMP ({dev.Name})");
            return default;
        }

        // include/asm-generic/getorder.h: get_order(0) is undefined; alloc_pages refuses an order past MAX_ORDER.
        var order = size == 0 ? -1 : OrderOf(size);
        if (order < 0 || order > BuddyAllocator.MaxOrder)
        {
            return default;
        }

        // dma_alloc_attrs: "let the implementation decide on the zone to allocate from"; DMA memory is never compound.
        gfp &= ~(Gfp.Dma | Gfp.Dma32 | Gfp.HighMem | Gfp.Comp);
        var site = Sites.Intern(caller, file, line);
        var pfn = AllocBlock(gfp | Gfp.Zero, order, OwnerFor(file), site, ownerHolder: true);
        if (pfn < 0)
        {
            return default;
        }

        var phys = (ulong)pfn << PageShift;
        if (phys + (PageSize << order) - 1 > dev.CoherentDmaMask)
        {
            // kernel/dma/direct.c: dma_coherent_ok fails; without lower zones to retry in, the allocation fails.
            FreePagesOwned(pfn, order, site);
            return default;
        }

        var cpu = new KernelAddr(PageOffset + phys);
        dmaHandle = new DmaAddr(phys); // phys_to_dma: no IOMMU, no offset
        coherentBuffers.Add(cpu.Value, new CoherentBuffer(dev, cpu, dmaHandle, size, order, pfn, Mem.Generation[pfn], site, api));
        return cpu;
    }

    private void CoherentFree(Device dev, ulong size, KernelAddr cpuAddr, DmaAddr dmaHandle, string api, int site)
    {
        CheckDevice(dev);
        if (cpuAddr.IsNull)
        {
            return; // dma_free_attrs: if (!cpu_addr) return;
        }

        // lib/dma-debug.c: check_unmap looks the entry up by device and handle.
        var buffer = LiveBuffer(dev, cpuAddr, dmaHandle);
        if (buffer is null)
        {
            throw Refuse("INV-05",
                $"{api}({dev}, {size}, {cpuAddr}, {dmaHandle}): no live coherent buffer of {dev} at that address and handle (double free, or memory it did not allocate; CONFIG_DMA_API_DEBUG: \"device driver tries to free DMA memory it has not allocated [device address={dmaHandle}] [size={size} bytes]\")",
                "DK0018", CoherentPfnOrNone(cpuAddr), Sites.Site(site));
        }

        var order = size == 0 ? -1 : OrderOf(size);
        if (order != buffer.Order)
        {
            throw Refuse("INV-05",
                $"{api}({dev}, size {size}) of a {buffer.Size}-byte buffer: __free_pages(order {order}) of an order-{buffer.Order} allocation would free the wrong frames (CONFIG_DMA_API_DEBUG: \"device driver frees DMA memory with different size [device address={dmaHandle}] [map size={buffer.Size} bytes] [unmap size={size} bytes]\")",
                "DK0018", buffer.Pfn, Sites.Site(site));
        }

        if (size != buffer.Size && Strict)
        {
            Record(new Report(ReportKind.Simulator, "INV-05",
                $"DKSIM INV-05: {api}({dev}, size {size}) of a {buffer.Size}-byte buffer (CONFIG_DMA_API_DEBUG: \"device driver frees DMA memory with different size [device address={dmaHandle}] [map size={buffer.Size} bytes] [unmap size={size} bytes]\"); same order, so the right frames are freed", Era)
            {
                Pfn = new Pfn((ulong)buffer.Pfn),
                CallSite = Sites.Site(site),
                RuleId = "DK0018",
            });
        }

        // dma_direct_free → dma_free_contiguous → __free_pages(page, get_order(size)).
        FreePagesOwned(buffer.Pfn, buffer.Order, site);
        coherentBuffers.Remove(cpuAddr.Value);
    }

    /// <summary>The live buffer at <paramref name="cpuAddr"/> when <paramref name="dev"/> and <paramref name="handle"/> match it, or null.</summary>
    private CoherentBuffer? LiveBuffer(Device dev, KernelAddr cpuAddr, DmaAddr handle)
        => coherentBuffers.TryGetValue(cpuAddr.Value, out var buffer) && ReferenceEquals(buffer.Device, dev) && buffer.Handle == handle
            && !IsFreeFrame(buffer.Pfn) && Mem.Generation[buffer.Pfn] == buffer.Generation ? buffer : null;

    /// <summary>The RAM frame of a linear-map address, for a report's ledger; -1 when it is not one.</summary>
    private int CoherentPfnOrNone(KernelAddr addr)
        => addr.Value >= PageOffset && addr.Value - PageOffset < (ulong)Mem.Count << PageShift ? (int)((addr.Value - PageOffset) >> PageShift) : -1;

    /// <summary>include/asm-generic/getorder.h: get_order for a non-zero size.</summary>
    private static int OrderOf(ulong size)
    {
        var pages = (size - 1) >> PageShift;
        var order = 0;
        while (pages > 0)
        {
            pages >>= 1;
            order++;
        }

        return order;
    }

    internal void CheckDevice(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        RequireMine(dev.Kernel, "the device", nameof(dev));
    }

    /// <summary>
    /// INV-20 for coherent DMA buffers: at the unload of <paramref name="owner"/>'s module (or, with -1, at shutdown for
    /// every owner) each buffer never given back with dma_free_coherent is named, as CONFIG_DMA_API_DEBUG does when the
    /// driver is released from its device (lib/dma-debug.c: dma_debug_device_change).
    /// </summary>
    internal IReadOnlyList<Report> CheckCoherentLeaks(int owner, string when)
    {
        var found = new List<Report>();
        var left = coherentBuffers.Values
            .Where(b => !IsFreeFrame(b.Pfn) && Mem.Generation[b.Pfn] == b.Generation && (owner < 0 || Mem.OwnerOrNext[b.Pfn] == owner))
            .GroupBy(b => Mem.OwnerOrNext[b.Pfn]);
        foreach (var group in left)
        {
            var buffers = group.OrderBy(b => b.Pfn).ToList();
            var first = buffers[0];
            var report = new Report(ReportKind.Simulator, "INV-20",
                $"DKSIM INV-20: {when}: {buffers.Count} coherent DMA buffer(s) of {Sites.OwnerName(group.Key)} never freed with dma_free_coherent (CONFIG_DMA_API_DEBUG: \"device driver has pending DMA allocations while released from device [count={buffers.Count}]\"); first: {first.Api} [device address={first.Handle}] [size={first.Size} bytes] for {first.Device}", Era)
            {
                Pfn = new Pfn((ulong)first.Pfn),
                Reason = "coherent DMA buffer leak",
                CallSite = Sites.Site(first.Site),
                RuleId = null,
                Ledger = LedgerText(first.Pfn),
            };
            report.Cover(buffers.SelectMany(b => Enumerable.Range(b.Pfn, 1 << b.Order)));
            if (Record(report) is { } recorded)
            {
                found.Add(recorded);
            }
        }

        return found;
    }
}
