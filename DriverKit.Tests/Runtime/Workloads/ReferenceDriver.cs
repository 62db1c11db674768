using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Workloads;

/// <summary>A catalog bug (docs/kernel-semantics.md §3) the reference driver can be built with.</summary>
public enum InjectedBug
{
    None,
    LockedIo,                  // DKMM001: VM_LOCKED | VM_IO in mmap
    ReservePagesForRemap,      // DKMM002: SetPageReserved (and the clear) on allocator pages, 2.6.15+
    ReservedBitLeftAtFree,     // DKMM003: SetPageReserved without ClearPageReserved before free
    ReservedVmaFault,          // DKMM004: VM_RESERVED on the fault region
    PageLockAsPin,             // DKMM006: lock_page instead of a GUP reference before DMA
    RemapVmallocAsContiguous,  // DKMM007: remap_pfn_range(vmalloc_to_pfn(buf)) over several pages
    InsertPageIntoPfnMap,      // DKMM009: vm_insert_page after remap_pfn_range in the same vma
    InsertSlabPage,            // DKMM010: vm_insert_page of a kmalloc page
    InsertPageFromFault,       // DKMM011: vm_insert_page from ->fault without VM_MIXEDMAP
    FaultWithoutReference,     // DKMM012: vmf->page without get_page
    UncheckedRange,            // DKMM014: user-controlled pgoff/length straight into remap_pfn_range
    ExpandableFault,           // DKMM015: no VM_DONTEXPAND, no bounds check in ->fault
    CacheableMmio,             // DKMM016: MMIO remapped with the default (write-back) protection
    FreeWhileMapped,           // DKMM018: the driver frees its remap pages while user PTEs map them
    CloseWithoutOpen,          // DKMM018-B: .close without .open on a counted mapping
    RemapPfnForIo,             // DKMM019: remap_pfn_range instead of io_remap_pfn_range for MMIO
    CowPfnMap,                 // DKMM020: vmf_insert_pfn in a private (COW) vma
}

/// <summary>
/// A correct driver exercising every mapping API of the configured era, one region per mmap offset:
/// pgoff 0–3 fault (or nopage) with get_page, 16–19 remap_pfn_range, 32–35 vm_insert_page, 48 vmf_insert_pfn,
/// 64–71 an MMIO window with io_remap_pfn_range + pgprot_noncached. Ioctls take and drop GUP references and
/// start DMA into them. Each <see cref="InjectedBug"/> turns one piece into the catalog's bug.
/// </summary>
internal sealed class ReferenceDriver
{
    public const ulong FaultBase = 0, RemapBase = 16, InsertBase = 32, PfnBase = 48, MmioBase = 64;
    public const int RegionPages = 4, MmioPages = 8;
    public const uint IoctlGup = 1, IoctlRelease = 2, IoctlDma = 3, IoctlFreeRemap = 4;

    private readonly Kernel k;
    private readonly InjectedBug bug;
    private readonly List<(Page Page, bool LockedOnly, MmStruct Mm, UserAddr Addr)> held = new();
    private readonly VmOperations faultOps;
    private readonly VmOperations countedOps;
    private readonly VmallocAddr vbuf;
    private readonly KernelAddr slabObject;
    private readonly MmioRegion mmio;
    private int counted;

    public ReferenceDriver(Kernel kernel, InjectedBug bug)
    {
        k = kernel;
        this.bug = bug;
        FaultPages = Enumerable.Range(0, RegionPages).Select(_ => k.AllocPage(Gfp.Kernel | Gfp.Zero)).ToArray();
        var block = k.AllocPages(Gfp.Kernel | Gfp.Zero, 2);
        k.SplitPage(block, 2);
        RemapPages = Enumerable.Range(0, RegionPages).Select(i => block + i).ToArray();
        InsertPages = Enumerable.Range(0, RegionPages).Select(_ => k.AllocPage(Gfp.Kernel | Gfp.Zero)).ToArray();
        if (k.Era == Era.E0 || bug is InjectedBug.ReservePagesForRemap or InjectedBug.ReservedBitLeftAtFree)
        {
            foreach (var p in RemapPages)
            {
                k.SetPageReserved(p); // the ≤ 2.6.14 idiom (the correct way then)
            }
        }

        vbuf = k.Policy.Exists("Kernel.VmallocUser") ? k.VmallocUser(RegionPages * Kernel.PageSize) : k.Vmalloc(RegionPages * Kernel.PageSize);
        slabObject = k.Kmalloc(512, Gfp.Kernel);
        mmio = k.RegisterMmioRegion("refdev-bar", MmioPages * Kernel.PageSize, new Registers());
        var faultOrNoPage = k.Policy.HasFault
            ? new VmOperations { Open = Open, Close = Close, Fault = Fault }
            : new VmOperations { Open = Open, Close = Close, NoPage = NoPage };
        faultOps = faultOrNoPage;
        countedOps = bug == InjectedBug.CloseWithoutOpen ? new VmOperations { Close = CountedClose } : new VmOperations { Open = CountedOpen, Close = CountedClose };
        Device = k.RegisterChrdev("/dev/ref", new FileOperations { Owner = "refdrv", Mmap = Mmap, Ioctl = Ioctl });
    }

    /// <summary>Pages of the fault region.</summary>
    public Page[] FaultPages { get; }

    /// <summary>Physically contiguous pages of the remap region.</summary>
    public Page[] RemapPages { get; private set; }

    /// <summary>Pages of the vm_insert_page region.</summary>
    public Page[] InsertPages { get; }

    public CharDevice Device { get; }

    public int VmaCount { get; private set; }

    /// <summary>Frees everything the driver owns (module exit), the reserved bit cleared the correct way.</summary>
    public void Unload()
    {
        k.Dma.RunUntilIdle();
        ReleaseHeld();
        foreach (var p in FaultPages.Concat(InsertPages))
        {
            k.FreePage(p);
        }

        FreeRemapPages();
        k.Vfree(vbuf);
        k.Kfree(slabObject);
        k.UnregisterChrdev(Device);
        Assert.Equal(0, k.UnloadModule(Device.Fops.Owner).Value);
    }

    private void FreeRemapPages()
    {
        foreach (var p in RemapPages)
        {
            if (k.PageReserved(p) && bug != InjectedBug.ReservedBitLeftAtFree)
            {
                k.ClearPageReserved(p);
            }

            k.FreePage(p);
        }

        RemapPages = [];
    }

    private int Mmap(DriverKit.Runtime.OpenFile f, VmArea vma)
    {
        var pgoff = vma.Pgoff;
        var pages = vma.Pages;
        bool Within(ulong start, int count) => pgoff >= start && pgoff + pages <= start + (ulong)count;

        if (bug == InjectedBug.UncheckedRange && pgoff >= RemapBase && pgoff < InsertBase)
        {
            return k.RemapPfnRange(vma, vma.Start, k.PageToPfn(RemapPages[0]) + (pgoff - RemapBase), vma.Length, vma.PageProt);
        }

        if (bug == InjectedBug.ExpandableFault ? pgoff < RemapBase : Within(FaultBase, RegionPages))
        {
            vma.Ops = faultOps;
            if (bug == InjectedBug.ReservedVmaFault && k.Policy.FlagExists(VmFlags.Reserved))
            {
                vma.Flags |= VmFlags.Reserved;
            }
            else if (bug != InjectedBug.ExpandableFault)
            {
                vma.Flags |= VmFlags.DontExpand;
            }

            if (bug == InjectedBug.InsertPageFromFault && k.Policy.HasVmInsertPage)
            {
                vma.Ops = new VmOperations { Open = Open, Close = Close, Fault = InsertFromFault };
            }

            Open(vma);
            return 0;
        }

        if (Within(RemapBase, RegionPages))
        {
            vma.Ops = countedOps;
            vma.Flags |= VmFlags.DontExpand;
            counted++;
            if (bug == InjectedBug.LockedIo)
            {
                vma.Flags |= VmFlags.Locked | VmFlags.IO;
            }

            if (bug == InjectedBug.RemapVmallocAsContiguous)
            {
                return k.RemapPfnRange(vma, vma.Start, k.VmallocToPfn(vbuf), vma.Length, vma.PageProt);
            }

            if (RemapPages.Length == 0)
            {
                return -Errno.ENXIO;
            }

            var ret = k.RemapPfnRange(vma, vma.Start, k.PageToPfn(RemapPages[0]) + (pgoff - RemapBase), vma.Length, vma.PageProt);
            if (ret == 0 && bug == InjectedBug.InsertPageIntoPfnMap && k.Policy.HasVmInsertPage)
            {
                k.ZapVmaPtes(vma, vma.Start, Kernel.PageSize);
                return k.VmInsertPage(vma, vma.Start, InsertPages[0]);
            }

            return ret;
        }

        if (Within(InsertBase, RegionPages) && k.Policy.HasVmInsertPage)
        {
            vma.Ops = countedOps;
            vma.Flags |= VmFlags.DontExpand;
            counted++;
            for (var i = 0UL; i < pages; i++)
            {
                var page = bug == InjectedBug.InsertSlabPage ? k.VirtToPage(slabObject) : InsertPages[pgoff - InsertBase + i];
                var ret = k.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, page);
                if (ret != 0)
                {
                    return ret;
                }
            }

            return 0;
        }

        if (Within(PfnBase, 1) && k.Policy.HasVmfInsertPfn && k.Policy.HasFault)
        {
            if (!vma.Flags.HasFlag(VmFlags.Shared) && bug != InjectedBug.CowPfnMap)
            {
                return -Errno.EINVAL;
            }

            vma.Flags |= VmFlags.IO | VmFlags.PfnMap | VmFlags.DontExpand;
            vma.Ops = new VmOperations { Open = Open, Close = Close, Fault = vmf => k.VmfInsertPfn(vmf.Vma, vmf.Address, k.PageToPfn(FaultPages[0])) };
            Open(vma);
            return 0;
        }

        if (Within(MmioBase, MmioPages))
        {
            vma.Flags |= VmFlags.DontExpand;
            var prot = bug == InjectedBug.CacheableMmio ? vma.PageProt : Kernel.PgprotNoncached(vma.PageProt);
            var pfn = mmio.StartPfn + (pgoff - MmioBase);
            return bug == InjectedBug.RemapPfnForIo
                ? k.RemapPfnRange(vma, vma.Start, pfn, vma.Length, prot)
                : k.IoRemapPfnRange(vma, vma.Start, pfn, vma.Length, prot);
        }

        return -Errno.EINVAL;
    }

    private void Open(VmArea vma) => VmaCount++;

    private void Close(VmArea vma) => VmaCount--;

    private void CountedOpen(VmArea vma) => counted++;

    private void CountedClose(VmArea vma)
    {
        if (--counted == 0 && bug == InjectedBug.CloseWithoutOpen && RemapPages.Length > 0)
        {
            FreeRemapPages(); // the count says nobody maps the buffer any more
        }
    }

    private Page? Lookup(ulong pgoff) => bug == InjectedBug.ExpandableFault || pgoff < (ulong)FaultPages.Length ? FaultPages[pgoff] : null;

    private VmFaultResult Fault(VmFault vmf)
    {
        if (Lookup(vmf.Pgoff) is not { } page)
        {
            return VmFaultResult.Sigbus;
        }

        if (bug != InjectedBug.FaultWithoutReference)
        {
            k.GetPage(page);
        }

        vmf.Page = page;
        return VmFaultResult.None;
    }

    private Page NoPage(VmArea vma, UserAddr address)
    {
        var pgoff = vma.Pgoff + (address - vma.Start) / Kernel.PageSize;
        if (Lookup(pgoff) is not { } page)
        {
            return default;
        }

        if (bug != InjectedBug.FaultWithoutReference)
        {
            k.GetPage(page);
        }

        return page;
    }

    private VmFaultResult InsertFromFault(VmFault vmf)
    {
        if (vmf.Pgoff >= (ulong)FaultPages.Length)
        {
            return VmFaultResult.Sigbus;
        }

        k.VmInsertPage(vmf.Vma, vmf.Address, FaultPages[vmf.Pgoff]);
        return VmFaultResult.NoPage;
    }

    private long Ioctl(DriverKit.Runtime.OpenFile f, uint cmd, ulong arg)
    {
        switch (cmd)
        {
            case IoctlGup:
                var pages = new Page[1];
                var pin = k.Policy.HasPinUserPages;
                var n = pin ? k.PinUserPages(new UserAddr(arg), 1, FollFlags.Write, pages) : k.GetUserPages(new UserAddr(arg), 1, FollFlags.Write, pages);
                if (n != 1)
                {
                    return n;
                }

                if (bug == InjectedBug.PageLockAsPin && k.TrylockPage(pages[0]))
                {
                    Release(pages[0]); // the lock is supposed to keep the page; the reference goes
                    held.Add((pages[0], true, k.Current!.Mm, new UserAddr(arg)));
                }
                else
                {
                    held.Add((pages[0], false, k.Current!.Mm, new UserAddr(arg)));
                }

                return n;
            case IoctlDma:
                foreach (var (p, _, mm, addr) in held)
                {
                    if (k.IsFreeFrame(p.Index))
                    {
                        continue;
                    }

                    // The user buffer is only associated with the transfer while the page is still mapped there.
                    var mapped = mm.Owner is { State: ProcessState.Running } owner && Proc.Pagemap(owner, addr) is { Present: true } m && m.Pfn == p.Pfn;
                    k.Dma.Submit(p, 0, [0x5A], delay: 2, userMm: mapped ? mm : null, userAddr: mapped ? addr : default);
                }

                return 0;
            case IoctlRelease:
                k.Dma.RunUntilIdle();
                ReleaseHeld();
                return 0;
            case IoctlFreeRemap:
                if (bug == InjectedBug.FreeWhileMapped && RemapPages.Length > 0)
                {
                    FreeRemapPages();
                }

                return 0;
            default:
                return -Errno.ENOTTY;
        }
    }

    private void ReleaseHeld()
    {
        foreach (var (p, lockedOnly, _, _) in held)
        {
            if (!lockedOnly)
            {
                Release(p);
            }
            else if (!k.IsFreeFrame(p.Index) && k.PageLocked(p))
            {
                k.UnlockPage(p);
            }
        }

        held.Clear();
    }

    private void Release(Page p)
    {
        if (k.Policy.HasPinUserPages)
        {
            k.UnpinUserPages([p], 1);
        }
        else
        {
            k.PutPage(p);
        }
    }

    private sealed class Registers : MmioDevice
    {
        private readonly byte[] regs = new byte[MmioPages * Kernel.PageSize];

        public override byte Read(ulong offset) => regs[offset];

        public override void Write(ulong offset, byte value) => regs[offset] = value;
    }
}
