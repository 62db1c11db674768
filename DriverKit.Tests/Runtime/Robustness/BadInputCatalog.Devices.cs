using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// The functions added for issue 19: coherent DMA and PCI, ioremap and MMIO accessors, misc devices, kvmalloc, vmap,
/// vmalloc_32, vm_insert_pages, vmf_insert_pfn_prot, generic_access_phys, the mmap read lock, user copies, pins,
/// poll/read/write and the remote-memory system calls.
/// </summary>
internal static partial class BadInputCatalog
{
    private const string CoherentDev = "coherent device", CoherentBuf = "coherent buffer", CoherentHandle = "coherent handle";
    private const string Pci = "pci device", PciBuf = "pci buffer", PciHandle = "pci handle", IoMap = "ioremap";

    private static Device Dev(RobustFixture f) => (Device)f.Extra[CoherentDev];

    private static KernelAddr Buf(RobustFixture f) => (KernelAddr)f.Extra[CoherentBuf];

    private static DmaAddr Handle(RobustFixture f) => (DmaAddr)f.Extra[CoherentHandle];

    private static PciDev PciDevice(RobustFixture f) => (PciDev)f.Extra[Pci];

    private static IoMem Io(RobustFixture f) => (IoMem)f.Extra[IoMap];

    /// <summary>A struct device with a two-page coherent buffer.</summary>
    private static void Coherent(RobustFixture f)
    {
        var dev = f.K.RegisterDevice("robust-dma");
        f.Extra[CoherentDev] = dev;
        f.Extra[CoherentBuf] = f.K.DmaAllocCoherent(dev, 2 * P4, out var handle, Gfp.Kernel);
        f.Extra[CoherentHandle] = handle;
    }

    /// <summary>A PCI function with one 4-page BAR (the driver's register model) and, where the era has it, a consistent buffer.</summary>
    private static void PciFunction(RobustFixture f)
    {
        var dev = f.K.RegisterPciDevice("robust-pci", [(4 * P4, f.Driver.Registers)]);
        f.Extra[Pci] = dev;
        if (f.K.Policy.Exists("Kernel.PciAllocConsistent"))
        {
            f.Extra[PciBuf] = f.K.PciAllocConsistent(dev, P4, out var handle);
            f.Extra[PciHandle] = handle;
        }
    }

    /// <summary>An ioremap of the driver's MMIO registers (two pages).</summary>
    private static void Ioremapped(RobustFixture f) => f.Extra[IoMap] = f.K.Ioremap(f.Driver.Mmio.Start, 2 * P4);

    private static void AddDevicesAndIo(List<BadCase> list)
    {
        // struct device, pci_dev and their BARs.
        K(list, "Kernel.RegisterDevice", BadInput.Null, "NULL name", f => f.K.RegisterDevice(null!));
        K(list, "Kernel.RegisterDevice", BadInput.Zero, "empty name", f => f.K.RegisterDevice(string.Empty));
        K(list, "Kernel.RegisterDevice", BadInput.DoubleFree, "a name already registered", f => f.K.RegisterDevice("robust-dma"), arrange: Coherent);
        K(list, "Kernel.RegisterDevice", BadInput.Zero, "a zero DMA mask (the allocation must fail)", f => f.K.DmaAllocCoherent(f.K.RegisterDevice("nomask", 0), P4, out _, Gfp.Kernel));
        K(list, "Kernel.RegisterPciDevice", BadInput.Null, "NULL name", f => f.K.RegisterPciDevice(null!, [(P4, f.Driver.Registers)]));
        K(list, "Kernel.RegisterPciDevice", BadInput.Null, "NULL BAR list", f => f.K.RegisterPciDevice("p", null!));
        K(list, "Kernel.RegisterPciDevice", BadInput.Null, "a BAR without a device model", f => f.K.RegisterPciDevice("p", [(P4, f.Driver.Registers), (P4, null!)]));
        K(list, "Kernel.RegisterPciDevice", BadInput.Zero, "a BAR of size 0", f => f.K.RegisterPciDevice("p", [(P4, f.Driver.Registers), (0, f.Driver.Registers)]));
        K(list, "Kernel.RegisterPciDevice", BadInput.Unaligned, "a BAR of 4095 bytes", f => f.K.RegisterPciDevice("p", [(4095, f.Driver.Registers)]));
        K(list, "Kernel.RegisterPciDevice", BadInput.Huge, "a BAR of 2^63 bytes", f => f.K.RegisterPciDevice("p", [(1UL << 63, f.Driver.Registers)]));
        K(list, "Kernel.RegisterPciDevice", BadInput.Wrapping, "a BAR of ulong.MaxValue & ~0xfff", f => f.K.RegisterPciDevice("p", [(ulong.MaxValue & ~0xFFFUL, f.Driver.Registers)]));
        K(list, "Kernel.RegisterPciDevice", BadInput.OutOfRange, "seven BARs", f => f.K.RegisterPciDevice("p", Enumerable.Repeat((P4, (MmioDevice)f.Driver.Registers), 7).ToList()));
        K(list, "Kernel.RegisterPciDevice", BadInput.DoubleFree, "a name already registered", f => f.K.RegisterPciDevice("robust-pci", [(P4, f.Driver.Registers)]), arrange: PciFunction);
        foreach (var api in new[] { "Kernel.PciResourceStart", "Kernel.PciResourceLen" })
        {
            Func<Kernel, PciDev, int, object> call = api == "Kernel.PciResourceStart" ? (k, d, b) => k.PciResourceStart(d, b) : (k, d, b) => k.PciResourceLen(d, b);
            K(list, api, BadInput.Null, "NULL device", f => call(f.K, null!, 0));
            foreach (var bar in new[] { -1, 6, int.MaxValue, int.MinValue })
            {
                K(list, api, BadInput.OutOfRange, $"BAR {bar}", f => call(f.K, PciDevice(f), bar), arrange: PciFunction);
            }

            K(list, api, BadInput.OutOfRange, "a BAR the device does not have (0)", f => call(f.K, PciDevice(f), 5), arrange: PciFunction);
            K(list, api, BadInput.Foreign, "a device of another machine", f => call(f.K, PciDevice(f.Other.Value), 0), arrange: f => PciFunction(f.Other.Value), mustRefuse: true);
        }

        // Coherent DMA: dma_alloc_coherent, dma_free_coherent, dma_mmap_coherent and the pci_ wrappers.
        foreach (var (input, name, size) in new (BadInput, string, ulong)[]
        {
            (BadInput.Zero, "size 0", 0), (BadInput.Huge, "size ulong.MaxValue", ulong.MaxValue), (BadInput.Huge, "size 2^40", 1UL << 40),
            (BadInput.Huge, "size 8 MiB (all of RAM)", 8UL << 20), (BadInput.Wrapping, "size ulong.MaxValue - 4094 (pages wrap)", ulong.MaxValue - 4094),
        })
        {
            K(list, "Kernel.DmaAllocCoherent", input, name, f => f.K.DmaAllocCoherent(Dev(f), size, out _, Gfp.Kernel | Gfp.NoWarn), arrange: Coherent, mustRefuse: size > (4UL << 20),
                kernelChangesStateToo: size == 8UL << 20 ? DirectReclaim : null, allowedChange: ReclaimEffect);
            K(list, "Kernel.PciAllocConsistent", input, name, f => f.K.PciAllocConsistent(PciDevice(f), size, out _), arrange: PciFunction, mustRefuse: size > (4UL << 20),
                kernelChangesStateToo: size == 8UL << 20 ? DirectReclaim : null, allowedChange: ReclaimEffect);
            K(list, "Kernel.Kvmalloc", input, name, f => f.K.Kvmalloc(size, Gfp.Kernel | Gfp.NoWarn), mustRefuse: size > (8UL << 20),
                kernelChangesStateToo: size == 8UL << 20 ? DirectReclaim : null, allowedChange: ReclaimEffect);
            K(list, "Kernel.Vmalloc32", input, name, f => f.K.Vmalloc32(size), mustRefuse: size > (8UL << 20),
                kernelChangesStateToo: size == 8UL << 20 ? DirectReclaim : null, allowedChange: ReclaimEffect);
            K(list, "Kernel.Vmalloc32User", input, name, f => f.K.Vmalloc32User(size), mustRefuse: size > (8UL << 20),
                kernelChangesStateToo: size == 8UL << 20 ? DirectReclaim : null, allowedChange: ReclaimEffect);
        }

        K(list, "Kernel.Kvmalloc", BadInput.OutOfRange, "every gfp bit", f => f.K.Kvmalloc(64, (Gfp)uint.MaxValue));
        K(list, "Kernel.Kvmalloc", BadInput.Huge, "memory exhausted", f => f.K.Kvmalloc(3 * P4, Gfp.Kernel | Gfp.NoWarn), arrange: Exhaust);
        K(list, "Kernel.Vmalloc32", BadInput.Huge, "more than the free memory (partial allocation must be undone)", f => f.K.Vmalloc32((ulong)(f.K.FreePageCount + 16) * P4),
            kernelChangesStateToo: DirectReclaim, allowedChange: ReclaimEffect);
        K(list, "Kernel.DmaAllocCoherent", BadInput.Null, "NULL device", f => f.K.DmaAllocCoherent(null!, P4, out _, Gfp.Kernel));
        K(list, "Kernel.DmaAllocCoherent", BadInput.Foreign, "a device of another machine", f => f.K.DmaAllocCoherent(Dev(f.Other.Value), P4, out _, Gfp.Kernel), arrange: f => Coherent(f.Other.Value), mustRefuse: true);
        K(list, "Kernel.DmaAllocCoherent", BadInput.OutOfRange, "every gfp bit", f => f.K.DmaAllocCoherent(Dev(f), P4, out _, (Gfp)uint.MaxValue), arrange: Coherent);
        K(list, "Kernel.DmaAllocCoherent", BadInput.Huge, "memory exhausted", f => f.K.DmaAllocCoherent(Dev(f), P4, out _, Gfp.Kernel | Gfp.NoWarn), arrange: f => { Coherent(f); Exhaust(f); });
        K(list, "Kernel.PciAllocConsistent", BadInput.Null, "NULL device", f => f.K.PciAllocConsistent(null!, P4, out _));

        foreach (var api in new[] { "Kernel.DmaFreeCoherent", "Kernel.PciFreeConsistent" })
        {
            var dma = api == "Kernel.DmaFreeCoherent";
            Action<RobustFixture> arrange = dma ? Coherent : PciFunction;
            Func<RobustFixture, Device> dev = dma ? Dev : PciDevice;
            // pci_alloc_consistent is gone from 5.18: there the free is called (and refused by era) with a NULL buffer.
            Func<RobustFixture, KernelAddr> buf = dma ? Buf : f => f.Extra.GetValueOrDefault(PciBuf) is KernelAddr a ? a : default;
            Func<RobustFixture, DmaAddr> handle = dma ? Handle : f => f.Extra.GetValueOrDefault(PciHandle) is DmaAddr h ? h : default;
            Func<RobustFixture, ulong> size = _ => dma ? 2 * P4 : P4;
            Action<RobustFixture, Device, ulong, KernelAddr, DmaAddr> free = dma
                ? (f, d, s, a, h) => f.K.DmaFreeCoherent(d, s, a, h)
                : (f, d, s, a, h) => f.K.PciFreeConsistent((PciDev)d, s, a, h);
            K(list, api, BadInput.Null, "NULL device", f => Void(() => free(f, null!, size(f), buf(f), handle(f))), arrange);
            K(list, api, BadInput.Null, "NULL address", f => Void(() => free(f, dev(f), size(f), default, handle(f))), arrange);
            K(list, api, BadInput.DoubleFree, "a second free", f => Void(() => free(f, dev(f), size(f), buf(f), handle(f))), f =>
            {
                arrange(f);
                if (dma || f.Extra.ContainsKey(PciBuf))
                {
                    free(f, dev(f), size(f), buf(f), handle(f));
                }
            });
            K(list, api, BadInput.OutOfRange, "the wrong handle", f => Void(() => free(f, dev(f), size(f), buf(f), new DmaAddr(handle(f).Value + P4))), arrange);
            K(list, api, BadInput.OutOfRange, "a size of another order", f => Void(() => free(f, dev(f), 8 * P4, buf(f), handle(f))), arrange);
            K(list, api, BadInput.Huge, "size ulong.MaxValue", f => Void(() => free(f, dev(f), ulong.MaxValue, buf(f), handle(f))), arrange);
            K(list, api, BadInput.Zero, "size 0", f => Void(() => free(f, dev(f), 0, buf(f), handle(f))), arrange);
            K(list, api, BadInput.Unaligned, "an interior address", f => Void(() => free(f, dev(f), size(f), buf(f) + 8UL, handle(f))), arrange);
            K(list, api, BadInput.OutOfRange, "a kmalloc object", f => Void(() => free(f, dev(f), 64, f.Kobj, new DmaAddr(f.K.VirtToPhys(f.Kobj).Value))), arrange);
            K(list, api, BadInput.Foreign, "the device of another machine", f => Void(() => free(f, dev(f.Other.Value), size(f), buf(f), handle(f))), f => { arrange(f); arrange(f.Other.Value); });
        }

        foreach (var (input, name, vma) in BadVmas())
        {
            K(list, "Kernel.DmaMmapCoherent", input, name, f => f.K.DmaMmapCoherent(Dev(f), vma(f), Buf(f), Handle(f), 2 * P4), Coherent);
            K(list, "Kernel.VmfInsertPfnProt", input, name, f => f.K.VmfInsertPfnProt(vma(f), f.PfnMap, f.Driver.Mmio.StartPfn, PgProt.FromVmFlags(VmFlags.Read)));
            K(list, "Kernel.VmInsertPages", input, name, f => InsertPages(f, vma(f), f.FaultMap + 3 * P4, [f.Alloc0], 1));
            K(list, "Kernel.GenericAccessPhys", input, name, f => f.K.GenericAccessPhys(vma(f), f.MmioMap, new byte[4], false));
        }

        Add(list, "Kernel.DmaMmapCoherent", BadInput.Null, "in ->mmap, NULL device", f => InMmap(f, v => f.K.DmaMmapCoherent(null!, v, Buf(f), Handle(f), 2 * P4)), Coherent);
        Add(list, "Kernel.DmaMmapCoherent", BadInput.Huge, "in ->mmap, size past the buffer", f => InMmap(f, v => f.K.DmaMmapCoherent(Dev(f), v, Buf(f), Handle(f), 64 * P4)), Coherent);
        Add(list, "Kernel.DmaMmapCoherent", BadInput.Huge, "in ->mmap, size ulong.MaxValue", f => InMmap(f, v => f.K.DmaMmapCoherent(Dev(f), v, Buf(f), Handle(f), ulong.MaxValue)), Coherent);
        Add(list, "Kernel.DmaMmapCoherent", BadInput.OutOfRange, "in ->mmap, the wrong handle", f => InMmap(f, v => f.K.DmaMmapCoherent(Dev(f), v, Buf(f), new DmaAddr(1), 2 * P4)), Coherent);
        Add(list, "Kernel.DmaMmapCoherent", BadInput.Freed, "in ->mmap, a freed buffer", f => InMmap(f, v => f.K.DmaMmapCoherent(Dev(f), v, Buf(f), Handle(f), 2 * P4)),
            f => { Coherent(f); f.K.DmaFreeCoherent(Dev(f), 2 * P4, Buf(f), Handle(f)); });
        Add(list, "Kernel.DmaMmapCoherent", BadInput.OutOfRange, "in ->mmap, vm_pgoff past the buffer", f => f.P.Mmap(default, P4, Prot.Read | Prot.Write, MapFlags.Shared, f.Fd, 3 * P4),
            f => { Coherent(f); f.Driver.MmapResult = v => f.K.DmaMmapCoherent(Dev(f), v, Buf(f), Handle(f), 2 * P4); });

        // ioremap, iounmap and the MMIO accessors.
        foreach (var (input, name, phys, size) in new (BadInput, string, Func<RobustFixture, PhysAddr>, ulong)[]
        {
            (BadInput.Zero, "size 0", f => f.Driver.Mmio.Start, 0), (BadInput.Huge, "size ulong.MaxValue", f => f.Driver.Mmio.Start, ulong.MaxValue),
            (BadInput.Wrapping, "start + size wraps", _ => new PhysAddr(ulong.MaxValue - 100), 4096), (BadInput.OutOfRange, "beyond MAXPHYADDR", _ => new PhysAddr(1UL << 50), P4),
            (BadInput.OutOfRange, "allocator RAM", f => f.K.PageToPhys(f.Alloc0), P4), (BadInput.Unaligned, "an unaligned start", f => f.Driver.Mmio.Start + 3UL, 10),
        })
        {
            K(list, "Kernel.Ioremap", input, name, f => f.K.Ioremap(phys(f), size));
        }

        K(list, "Kernel.Iounmap", BadInput.Null, "NULL (ignored)", f => Void(() => f.K.Iounmap(default)));
        K(list, "Kernel.Iounmap", BadInput.DoubleFree, "a second iounmap", f => Void(() => f.K.Iounmap(Io(f))), f => { Ioremapped(f); f.K.Iounmap(Io(f)); });
        K(list, "Kernel.Iounmap", BadInput.OutOfRange, "a vmalloc address", f => Void(() => f.K.Iounmap(new IoMem(f.Vbuf.Value))));
        K(list, "Kernel.Iounmap", BadInput.OutOfRange, "an address past the mapping", f => Void(() => f.K.Iounmap(Io(f) + 2 * P4)), Ioremapped);
        K(list, "Kernel.Iounmap", BadInput.Wrapping, "ulong.MaxValue", f => Void(() => f.K.Iounmap(new IoMem(ulong.MaxValue))));
        foreach (var (input, name, at) in new (BadInput, string, Func<RobustFixture, IoMem>)[]
        {
            (BadInput.Null, "NULL", _ => default), (BadInput.Freed, "after iounmap", Io), (BadInput.OutOfRange, "one past the mapping", f => Io(f) + 2 * P4),
            (BadInput.Wrapping, "ulong.MaxValue", _ => new IoMem(ulong.MaxValue)), (BadInput.OutOfRange, "a linear-map address", f => new IoMem(f.Kobj.Value)),
        })
        {
            Action<RobustFixture> arrange = input == BadInput.Freed ? f => { Ioremapped(f); f.K.Iounmap(Io(f)); } : Ioremapped;
            K(list, "Kernel.Readb", input, name, f => f.K.Readb(at(f)), arrange);
            K(list, "Kernel.Readl", input, name, f => f.K.Readl(at(f)), arrange);
            K(list, "Kernel.Writeb", input, name, f => Void(() => f.K.Writeb(0x5a, at(f))), arrange);
            K(list, "Kernel.Writel", input, name, f => Void(() => f.K.Writel(0x5a5a5a5a, at(f))), arrange);
        }

        K(list, "Kernel.Readl", BadInput.OutOfRange, "straddling the end of the mapping", f => f.K.Readl(Io(f) + (2 * P4 - 2)), Ioremapped);
        K(list, "Kernel.Writel", BadInput.OutOfRange, "straddling the end of the mapping", f => Void(() => f.K.Writel(1, Io(f) + (2 * P4 - 2))), Ioremapped);

        // misc_register / misc_deregister.
        MiscDevice Misc(RobustFixture f, string name, int minor = MiscDevice.DynamicMinor) => new() { Name = name, Minor = minor, Fops = new FileOperations() };
        K(list, "Kernel.MiscRegister", BadInput.Null, "NULL device", f => f.K.MiscRegister(null!));
        K(list, "Kernel.MiscRegister", BadInput.Zero, "empty name", f => f.K.MiscRegister(Misc(f, string.Empty)));
        K(list, "Kernel.MiscRegister", BadInput.Null, "NULL name", f => f.K.MiscRegister(Misc(f, null!)));
        K(list, "Kernel.MiscRegister", BadInput.Null, "NULL fops", f => f.K.MiscRegister(new MiscDevice { Name = "m", Fops = null! }));
        K(list, "Kernel.MiscRegister", BadInput.Null, "fops without an owner", f => f.K.MiscRegister(new MiscDevice { Name = "m", Fops = new FileOperations { Owner = null! } }));
        foreach (var minor in new[] { -1, 256, int.MaxValue, int.MinValue })
        {
            K(list, "Kernel.MiscRegister", BadInput.OutOfRange, $"minor {minor}", f => f.K.MiscRegister(Misc(f, "m", minor)));
        }

        K(list, "Kernel.MiscRegister", BadInput.DoubleFree, "a node that exists (/dev/robust)", f => f.K.MiscRegister(Misc(f, "robust")));
        K(list, "Kernel.MiscRegister", BadInput.DoubleFree, "a fixed minor already taken", f => f.K.MiscRegister(Misc(f, "m2", 7)), f => f.K.MiscRegister(Misc(f, "m1", 7)));
        K(list, "Kernel.MiscRegister", BadInput.DoubleFree, "the same device twice", f => f.K.MiscRegister((MiscDevice)f.Extra["misc"]), f =>
        {
            f.Extra["misc"] = Misc(f, "m");
            f.K.MiscRegister((MiscDevice)f.Extra["misc"]);
        });
        K(list, "Kernel.MiscRegister", BadInput.Huge, "every dynamic minor taken", f => f.K.MiscRegister(Misc(f, "last")), f =>
        {
            for (var i = 0; i < 64; i++)
            {
                f.K.MiscRegister(Misc(f, "dyn" + i));
            }
        });
        K(list, "Kernel.MiscRegister", BadInput.Foreign, "a device registered on another machine", f => f.K.MiscRegister((MiscDevice)f.Extra["misc"]), f =>
        {
            f.Extra["misc"] = Misc(f, "m");
            f.Other.Value.K.MiscRegister((MiscDevice)f.Extra["misc"]);
        });
        K(list, "Kernel.MiscDeregister", BadInput.Null, "NULL device", f => Void(() => f.K.MiscDeregister(null!)));
        K(list, "Kernel.MiscDeregister", BadInput.Freed, "a device never registered", f => Void(() => f.K.MiscDeregister(Misc(f, "m"))));
        K(list, "Kernel.MiscDeregister", BadInput.DoubleFree, "a second deregister", f => Void(() => f.K.MiscDeregister((MiscDevice)f.Extra["misc"])), f =>
        {
            f.Extra["misc"] = Misc(f, "m");
            f.K.MiscRegister((MiscDevice)f.Extra["misc"]);
            f.K.MiscDeregister((MiscDevice)f.Extra["misc"]);
        });
        K(list, "Kernel.MiscDeregister", BadInput.Foreign, "a device registered on another machine", f => Void(() => f.K.MiscDeregister((MiscDevice)f.Extra["misc"])), f =>
        {
            f.Extra["misc"] = Misc(f, "m");
            f.Other.Value.K.MiscRegister((MiscDevice)f.Extra["misc"]);
        });

        // kvfree, vmap, vunmap.
        K(list, "Kernel.Kvfree(KvAddr)", BadInput.Null, "NULL (ignored)", f => Void(() => f.K.Kvfree(default(KvAddr))));
        K(list, "Kernel.Kvfree(KvAddr)", BadInput.DoubleFree, "a second kvfree", f => Void(() => f.K.Kvfree(Kv(f))), f =>
        {
            if (Kvmalloced(f))
            {
                f.K.Kvfree(Kv(f));
            }
        });
        K(list, "Kernel.Kvfree(KvAddr)", BadInput.Unaligned, "an interior address", f => Void(() => f.K.Kvfree(new KvAddr(Kv(f).Value + 8))), f => Kvmalloced(f));
        K(list, "Kernel.Kvfree(KvAddr)", BadInput.OutOfRange, "a user address", f => Void(() => f.K.Kvfree(new KvAddr(f.AnonMap.Value))));
        K(list, "Kernel.Kvfree(KvAddr)", BadInput.Wrapping, "ulong.MaxValue", f => Void(() => f.K.Kvfree(new KvAddr(ulong.MaxValue))));
        K(list, "Kernel.Kvfree(KernelAddr)", BadInput.DoubleFree, "a freed kmalloc object", f => Void(() => f.K.Kvfree(f.KobjFreed)));
        K(list, "Kernel.Kvfree(KernelAddr)", BadInput.OutOfRange, "a __get_free_pages block", f => Void(() => f.K.Kvfree(f.PagesAddr)));
        K(list, "Kernel.Kvfree(VmallocAddr)", BadInput.DoubleFree, "a freed vmalloc area", f => Void(() => f.K.Kvfree(f.VbufFreed)));
        K(list, "Kernel.Kvfree(VmallocAddr)", BadInput.Foreign, "an area of another machine", f => Void(() => f.K.Kvfree(f.Other.Value.Vplain)));

        foreach (var (input, name, pages, count) in new (BadInput, string, Func<RobustFixture, IReadOnlyList<Page>>, uint)[]
        {
            (BadInput.Null, "a NULL list", _ => null!, 1), (BadInput.Null, "a NULL page", f => [f.Alloc0, default], 2), (BadInput.Freed, "a freed page", f => [f.Freed], 1),
            (BadInput.OutOfRange, "an unsplit tail", f => [f.Block2 + 1], 1), (BadInput.Foreign, "a page of another machine", f => [f.Other.Value.Alloc0], 1),
            (BadInput.OutOfRange, "count past the list", f => [f.Alloc0], 2), (BadInput.Zero, "count 0", f => [f.Alloc0], 0),
            (BadInput.Huge, "count uint.MaxValue", f => [f.Alloc0], uint.MaxValue), (BadInput.OutOfRange, "NOPAGE_OOM", _ => [Page.NoPageOom], 1),
        })
        {
            K(list, "Kernel.Vmap", input, name, f => f.K.Vmap(pages(f), count));
        }

        K(list, "Kernel.Vunmap", BadInput.Null, "NULL", f => Void(() => f.K.Vunmap(default)));
        K(list, "Kernel.Vunmap", BadInput.DoubleFree, "a second vunmap", f => Void(() => f.K.Vunmap((VmallocAddr)f.Extra["vmap"])), f =>
        {
            f.Extra["vmap"] = f.K.Vmap([f.Alloc0], 1);
            f.K.Vunmap((VmallocAddr)f.Extra["vmap"]);
        });
        K(list, "Kernel.Vunmap", BadInput.Unaligned, "an interior address", f => Void(() => f.K.Vunmap((VmallocAddr)f.Extra["vmap"] + 100UL)), f => f.Extra["vmap"] = f.K.Vmap([f.Alloc0, f.Comp2], 2));
        K(list, "Kernel.Vunmap", BadInput.OutOfRange, "a vmalloc area (not a vmap)", f => Void(() => f.K.Vunmap(f.Vplain)));
        K(list, "Kernel.Vunmap", BadInput.Wrapping, "ulong.MaxValue", f => Void(() => f.K.Vunmap(new VmallocAddr(ulong.MaxValue))));
        K(list, "Kernel.Vunmap", BadInput.Foreign, "an area of another machine", f => Void(() => f.K.Vunmap(f.Other.Value.Vplain)));

        // vmf_insert_pfn_prot and vm_insert_pages.
        foreach (var (input, name, pfn) in new (BadInput, string, ulong)[] { (BadInput.Wrapping, "pfn ulong.MaxValue", ulong.MaxValue), (BadInput.OutOfRange, "pfn 2^52", 1UL << 52), (BadInput.OutOfRange, "a RAM pfn", 2000) })
        {
            K(list, "Kernel.VmfInsertPfnProt", input, name, f => f.K.VmfInsertPfnProt(f.PfnVma, f.PfnVma.Start, new Pfn(pfn), f.PfnVma.PageProt));
        }

        K(list, "Kernel.VmfInsertPfnProt", BadInput.OutOfRange, "a vma without VM_PFNMAP or VM_MIXEDMAP", f => f.K.VmfInsertPfnProt(f.FaultVma, f.FaultMap + 3 * P4, f.Driver.Mmio.StartPfn, f.FaultVma.PageProt));
        K(list, "Kernel.VmfInsertPfnProt", BadInput.OutOfRange, "an address outside the vma", f => f.K.VmfInsertPfnProt(f.PfnVma, Hole, f.Driver.Mmio.StartPfn, f.PfnVma.PageProt));
        K(list, "Kernel.VmfInsertPfnProt", BadInput.Null, "default protection", f => f.K.VmfInsertPfnProt(f.PfnVma, f.PfnVma.Start, f.Driver.Mmio.StartPfn, default));
        K(list, "Kernel.VmfInsertPfnProt", BadInput.Unaligned, "an unaligned address", f => f.K.VmfInsertPfnProt(f.PfnVma, f.PfnVma.Start + 9UL, f.Driver.Mmio.StartPfn, f.PfnVma.PageProt));

        K(list, "Kernel.VmInsertPages", BadInput.Null, "a NULL list", f => InsertPages(f, f.InsertVma, f.InsertVma.Start, null!, 1));
        K(list, "Kernel.VmInsertPages", BadInput.OutOfRange, "num past the list", f => InsertPages(f, f.InsertVma, f.InsertVma.Start, [f.Alloc0], 3));
        K(list, "Kernel.VmInsertPages", BadInput.Huge, "num ulong.MaxValue", f => InsertPages(f, f.InsertVma, f.InsertVma.Start, [f.Alloc0], ulong.MaxValue));
        K(list, "Kernel.VmInsertPages", BadInput.OutOfRange, "outside the vma", f => InsertPages(f, f.InsertVma, Hole, [f.Alloc0], 1));
        K(list, "Kernel.VmInsertPages", BadInput.Unaligned, "an unaligned address", f => InsertPages(f, f.InsertVma, f.InsertVma.Start + 5UL, [f.Alloc0], 1));
        K(list, "Kernel.VmInsertPages", BadInput.Zero, "num 0", f => InsertPages(f, f.InsertVma, f.InsertVma.Start, [f.Alloc0], 0));
        foreach (var (input, name, page) in BadPages())
        {
            Add(list, "Kernel.VmInsertPages", input, "in ->mmap, " + name, f => InMmap(f, v => InsertPages(f, v, v.Start, [page(f)], 1)));
        }

        Add(list, "Kernel.VmInsertPages", BadInput.OutOfRange, "in ->mmap, a slab page", f => InMmap(f, v => InsertPages(f, v, v.Start, [f.K.VirtToPage(f.Kobj)], 1)));
        Add(list, "Kernel.VmInsertPages", BadInput.Huge, "in ->mmap, more pages than the vma", f => InMmap(f, v => InsertPages(f, v, v.Start, [f.Alloc0, f.Comp2], 2)));
        Add(list, "Kernel.VmInsertPages", BadInput.Wrapping, "in ->mmap, address + num wraps", f => InMmap(f, v => InsertPages(f, v, v.Start, [f.Alloc0], (ulong.MaxValue >> 12) + 2)));

        // generic_access_phys (the ->access of VM_IO|VM_PFNMAP mappings).
        K(list, "Kernel.GenericAccessPhys", BadInput.OutOfRange, "a vma without VM_IO|VM_PFNMAP", f => f.K.GenericAccessPhys(f.AnonVma, f.AnonMap, new byte[4], false));
        K(list, "Kernel.GenericAccessPhys", BadInput.OutOfRange, "an address outside the vma", f => f.K.GenericAccessPhys(f.RemapVma, Hole, new byte[4], true));
        K(list, "Kernel.GenericAccessPhys", BadInput.Huge, "a buffer past the vma", f => f.K.GenericAccessPhys(f.RemapVma, f.RemapMap, new byte[5 * P4], true));
        K(list, "Kernel.GenericAccessPhys", BadInput.Zero, "an empty buffer", f => f.K.GenericAccessPhys(f.RemapVma, f.RemapMap, [], true));
        K(list, "Kernel.GenericAccessPhys", BadInput.Wrapping, "address ulong.MaxValue", f => f.K.GenericAccessPhys(f.RemapVma, new UserAddr(ulong.MaxValue), new byte[4], false));
        K(list, "Kernel.GenericAccessPhys", BadInput.OutOfRange, "an address in a hole of the PFNMAP vma", f => f.K.GenericAccessPhys(f.RemapVma, f.RemapMap + 3 * P4, new byte[4], false));
    }

    /// <summary>An 8-page kvmalloc (a vmalloc area) where the era has kvmalloc (4.12); false before.</summary>
    private static bool Kvmalloced(RobustFixture f)
    {
        if (!f.K.Policy.Exists("Kernel.Kvmalloc"))
        {
            return false;
        }

        f.Extra["kv"] = f.K.Kvmalloc(8 * P4, Gfp.Kernel);
        return true;
    }

    /// <summary>The kvmalloc of <see cref="Kvmalloced"/>, or (before 4.12, where kvfree is refused by era anyway) a kmalloc object.</summary>
    private static KvAddr Kv(RobustFixture f) => f.Extra.GetValueOrDefault("kv") is KvAddr a ? a : new KvAddr(f.Kobj.Value);

    /// <summary>vm_insert_pages with a count the call may lower.</summary>
    private static int InsertPages(RobustFixture f, VmArea vma, UserAddr addr, IReadOnlyList<Page> pages, ulong num) => f.K.VmInsertPages(vma, addr, pages, ref num);
}
