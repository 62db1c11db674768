using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>The driver's mapping functions, GUP and DMA, called directly and from the contexts drivers call them in.</summary>
internal static partial class BadInputCatalog
{
    /// <summary>Bad vmas: NULL, one of an exited process (unmapped, closed), one of another machine.</summary>
    private static IEnumerable<(BadInput Input, string Name, Func<RobustFixture, VmArea> Vma)> BadVmas()
    {
        yield return (BadInput.Null, "NULL vma", _ => null!);
        yield return (BadInput.Freed, "an unmapped vma", f => f.DeadVma);
        yield return (BadInput.Foreign, "a vma of another machine", f => f.Other.Value.FaultVma);
    }

    /// <summary>P maps one page of the fault region (pgoff 2); the driver's -&gt;mmap then runs <paramref name="body"/> on the new vma.</summary>
    private static SysResult<UserAddr> InMmap(RobustFixture f, Func<VmArea, int> body, Prot prot = Prot.Read | Prot.Write, MapFlags flags = MapFlags.Shared)
    {
        f.Driver.MmapResult = body;
        return f.P.Mmap(default, P4, prot, flags, f.Fd, 2 * P4);
    }

    /// <summary>P calls ioctl on the device; the driver runs <paramref name="body"/> in that process context.</summary>
    private static SysResult InIoctl(RobustFixture f, Func<Kernel, long> body)
    {
        f.Driver.IoctlBody = (_, _, _) => body(f.K);
        return f.P.Ioctl(f.Fd, 0);
    }

    private static void AddMapping(List<BadCase> list)
    {
        var prot = PgProt.FromVmFlags(VmFlags.Read | VmFlags.Write | VmFlags.Shared);
        foreach (var api in new[] { "Kernel.RemapPfnRange", "Kernel.IoRemapPfnRange" })
        {
            Func<RobustFixture, VmArea, UserAddr, Pfn, ulong, PgProt, int> remap = api == "Kernel.RemapPfnRange"
                ? (f, v, a, p, s, pr) => f.K.RemapPfnRange(v, a, p, s, pr)
                : (f, v, a, p, s, pr) => f.K.IoRemapPfnRange(v, a, p, s, pr);
            var ram = new Pfn(2000);
            foreach (var (input, name, vma) in BadVmas())
            {
                K(list, api, input, name, f => remap(f, vma(f), f.FaultMap + 2 * P4, ram, P4, prot));
            }

            // Pages 2 and 3 of the fault vma have no PTEs yet: the range the driver functions may fill.
            K(list, api, BadInput.Unaligned, "unaligned address", f => remap(f, f.FaultVma, f.FaultMap + 2 * P4 + 1, ram, P4, prot));
            K(list, api, BadInput.Zero, "size 0", f => remap(f, f.FaultVma, f.FaultMap + 2 * P4, ram, 0, prot));
            K(list, api, BadInput.Huge, "size ulong.MaxValue", f => remap(f, f.FaultVma, f.FaultMap + 2 * P4, ram, ulong.MaxValue, prot));
            K(list, api, BadInput.Huge, "past the end of the vma", f => remap(f, f.FaultVma, f.FaultMap + 2 * P4, ram, 3 * P4, prot));
            K(list, api, BadInput.Wrapping, "address + size wraps", f => remap(f, f.FaultVma, f.FaultMap + 2 * P4, ram, 0 - (f.FaultMap.Value + 2 * P4), prot));
            K(list, api, BadInput.OutOfRange, "address outside the vma", f => remap(f, f.FaultVma, Hole, ram, P4, prot));
            K(list, api, BadInput.OutOfRange, "PTEs already present", f => remap(f, f.FaultVma, f.FaultMap, ram, P4, prot));
            K(list, api, BadInput.Wrapping, "pfn ulong.MaxValue", f => remap(f, f.FaultVma, f.FaultMap + 2 * P4, new Pfn(ulong.MaxValue), P4, prot));
            K(list, api, BadInput.OutOfRange, "pfn 2^40 - 1, two pages", f => remap(f, f.FaultVma, f.FaultMap + 2 * P4, new Pfn((1UL << 40) - 1), 2 * P4, prot));
            K(list, api, BadInput.OutOfRange, "across the end of RAM", f => remap(f, f.FaultVma, f.FaultMap + 2 * P4, new Pfn(2047), 2 * P4, prot));
            K(list, api, BadInput.Null, "default protection", f => remap(f, f.FaultVma, f.FaultMap + 2 * P4, ram, P4, default));
            K(list, api, BadInput.OutOfRange, "part of a private anonymous vma", f => remap(f, f.AnonVma, f.AnonMap + 2 * P4, ram, P4, prot));
            Add(list, api, BadInput.Huge, "in ->mmap, size past the vma", f => InMmap(f, v => remap(f, v, v.Start, ram, 4 * P4, v.PageProt)));
            Add(list, api, BadInput.Wrapping, "in ->mmap, pfn ulong.MaxValue", f => InMmap(f, v => remap(f, v, v.Start, new Pfn(ulong.MaxValue), v.Length, v.PageProt)));
            Add(list, api, BadInput.OutOfRange, "in ->mmap, private mapping, partial range", f => InMmap(f, v => remap(f, v, v.Start, ram, P4, v.PageProt), flags: MapFlags.Private));
        }

        foreach (var (input, name, vma) in BadVmas())
        {
            K(list, "Kernel.VmIomapMemory", input, name, f => f.K.VmIomapMemory(vma(f), f.Driver.Mmio.Start, P4));
            K(list, "Kernel.VmInsertPage", input, name, f => f.K.VmInsertPage(vma(f), f.FaultMap + 3 * P4, f.Alloc0));
            K(list, "Kernel.VmMapPages", input, name, f => f.K.VmMapPages(vma(f), [f.Alloc0]));
            K(list, "Kernel.RemapVmallocRange", input, name, f => f.K.RemapVmallocRange(vma(f), f.Vbuf, 0));
            K(list, "Kernel.VmfInsertPfn", input, name, f => f.K.VmfInsertPfn(vma(f), f.PfnMap, f.Driver.Mmio.StartPfn));
            K(list, "Kernel.VmfInsertMixed", input, name, f => f.K.VmfInsertMixed(vma(f), f.InsertMap, f.Driver.Mmio.StartPfn));
            K(list, "Kernel.ZapVmaPtes", input, name, f => Void(() => f.K.ZapVmaPtes(vma(f), f.RemapMap, P4)));
            K(list, "Kernel.VmFlagsSet", input, name, f => Void(() => f.K.VmFlagsSet(vma(f), VmFlags.DontExpand)));
            K(list, "Kernel.VmFlagsClear", input, name, f => Void(() => f.K.VmFlagsClear(vma(f), VmFlags.DontExpand)));
        }

        K(list, "Kernel.VmIomapMemory", BadInput.Zero, "length 0", f => f.K.VmIomapMemory(f.PfnVma, f.Driver.Mmio.Start, 0));
        K(list, "Kernel.VmIomapMemory", BadInput.Wrapping, "start + length wraps", f => f.K.VmIomapMemory(f.PfnVma, new PhysAddr(ulong.MaxValue - 100), 4096));
        K(list, "Kernel.VmIomapMemory", BadInput.Huge, "length ulong.MaxValue", f => f.K.VmIomapMemory(f.PfnVma, new PhysAddr(0), ulong.MaxValue));
        K(list, "Kernel.VmIomapMemory", BadInput.Unaligned, "unaligned start", f => f.K.VmIomapMemory(f.PfnVma, f.Driver.Mmio.Start + 1UL, 50 * P4));
        Add(list, "Kernel.VmIomapMemory", BadInput.OutOfRange, "in ->mmap, vm_pgoff past the range", f => InMmap(f, v => f.K.VmIomapMemory(v, f.Driver.Mmio.Start, P4)));
        Add(list, "Kernel.VmIomapMemory", BadInput.Huge, "in ->mmap, start near 2^64", f => InMmap(f, v => f.K.VmIomapMemory(v, new PhysAddr(ulong.MaxValue & ~0xFFFUL) , 16 * P4)));

        foreach (var (input, name, page) in BadPages())
        {
            // The page is validated before the PTE: an occupied slot still sees every check.
            K(list, "Kernel.VmInsertPage", input, name, f => f.K.VmInsertPage(f.InsertVma, f.InsertVma.Start, page(f)));
            Add(list, "Kernel.VmInsertPage", input, "in ->mmap, " + name, f => InMmap(f, v => f.K.VmInsertPage(v, v.Start, page(f))));
            Add(list, "Kernel.VmMapPages", input, "in ->mmap, " + name, f => InMmap(f, v => f.K.VmMapPages(v, [page(f), page(f), page(f), page(f)])));
        }

        Add(list, "Kernel.VmInsertPage", BadInput.OutOfRange, "in ->mmap, a slab page", f => InMmap(f, v => f.K.VmInsertPage(v, v.Start, f.K.VirtToPage(f.Kobj))));
        Add(list, "Kernel.VmInsertPage", BadInput.OutOfRange, "in ->mmap, an anonymous page", f => InMmap(f, v => f.K.VmInsertPage(v, v.Start, f.PageAt(f.P, f.AnonMap))));
        Add(list, "Kernel.VmInsertPage", BadInput.OutOfRange, "in ->mmap, outside the vma", f => InMmap(f, v => f.K.VmInsertPage(v, v.End, f.Alloc0)));
        Add(list, "Kernel.VmInsertPage", BadInput.Unaligned, "in ->mmap, unaligned address", f => InMmap(f, v => f.K.VmInsertPage(v, v.Start + 5UL, f.Alloc0)));
        Add(list, "Kernel.VmInsertPage", BadInput.DoubleFree, "in ->mmap, the same address twice", f => InMmap(f, v => f.K.VmInsertPage(v, v.Start, f.Alloc0) + f.K.VmInsertPage(v, v.Start, f.Alloc0)),
            kernelChangesStateToo: "mm/memory.c zap_present_ptes: unwinding the failed mmap (unmap_region) marks the page of a young PTE accessed (PG_referenced)",
            allowedChange: d => d.StartsWith("frame ", StringComparison.Ordinal) && d.EndsWith("flags None→Referenced", StringComparison.Ordinal));
        K(list, "Kernel.VmInsertPage", BadInput.OutOfRange, "into VM_PFNMAP (outside ->mmap)", f => f.K.VmInsertPage(f.RemapVma, f.RemapMap, f.Alloc0));
        K(list, "Kernel.VmInsertPage", BadInput.OutOfRange, "an occupied address", f => f.K.VmInsertPage(f.InsertVma, f.InsertVma.Start, f.Alloc0));
        Add(list, "Kernel.VmMapPages", BadInput.Null, "in ->mmap, a NULL list", f => InMmap(f, v => f.K.VmMapPages(v, null!)));
        Add(list, "Kernel.VmMapPages", BadInput.Zero, "in ->mmap, an empty list", f => InMmap(f, v => f.K.VmMapPages(v, [])));
        Add(list, "Kernel.VmMapPages", BadInput.OutOfRange, "in ->mmap, vm_pgoff past a short list", f => InMmap(f, v => f.K.VmMapPages(v, [f.Alloc0, f.Alloc0])));

        foreach (var (input, name, addr, pgoff) in new (BadInput, string, Func<RobustFixture, VmallocAddr>, ulong)[]
        {
            (BadInput.Null, "NULL area", _ => default, 0), (BadInput.Freed, "a freed area", f => f.VbufFreed, 0), (BadInput.OutOfRange, "a plain vmalloc area", f => f.Vplain, 0),
            (BadInput.Huge, "pgoff ulong.MaxValue", f => f.Vbuf, ulong.MaxValue), (BadInput.OutOfRange, "pgoff at the end", f => f.Vbuf, 4),
            (BadInput.Wrapping, "interior address + pgoff wraps", f => f.Vbuf + 3 * P4, ulong.MaxValue - 1), (BadInput.Unaligned, "an unaligned interior address", f => f.Vbuf + 3 * P4 + 7, 0),
            (BadInput.Foreign, "an area of another machine", f => f.Other.Value.Vbuf, 0),
        })
        {
            Add(list, "Kernel.RemapVmallocRange", input, "in ->mmap, " + name, f => InMmap(f, v => f.K.RemapVmallocRange(v, addr(f), pgoff)));
        }

        foreach (var (input, name, pfn) in new (BadInput, string, ulong)[]
        {
            (BadInput.Wrapping, "pfn ulong.MaxValue", ulong.MaxValue), (BadInput.OutOfRange, "pfn 2^52 (beyond the PTE's pfn field)", 1UL << 52),
            (BadInput.OutOfRange, "a RAM pfn", 2000), (BadInput.OutOfRange, "a free RAM pfn", 1900),
        })
        {
            K(list, "Kernel.VmfInsertPfn", input, name, f => f.K.VmfInsertPfn(f.PfnVma, f.PfnVma.Start, new Pfn(pfn)));
            K(list, "Kernel.VmfInsertMixed", input, name + " (vma without VM_MIXEDMAP)", f => f.K.VmfInsertMixed(f.FaultVma, f.FaultMap + 3 * P4, new Pfn(pfn)));
            Add(list, "Kernel.VmfInsertMixed", input, "in ->mmap with VM_MIXEDMAP, " + name, f => InMmap(f, v =>
            {
                v.Flags |= VmFlags.MixedMap;
                return f.K.VmfInsertMixed(v, v.Start, new Pfn(pfn)) == VmFaultResult.NoPage ? 0 : -Errno.EFAULT;
            }));
        }

        K(list, "Kernel.VmfInsertPfn", BadInput.OutOfRange, "a vma without VM_PFNMAP or VM_MIXEDMAP", f => f.K.VmfInsertPfn(f.FaultVma, f.FaultMap + 3 * P4, f.Driver.Mmio.StartPfn));
        K(list, "Kernel.VmfInsertPfn", BadInput.OutOfRange, "an address outside the vma", f => f.K.VmfInsertPfn(f.PfnVma, Hole, f.Driver.Mmio.StartPfn));
        K(list, "Kernel.VmfInsertPfn", BadInput.Wrapping, "address ulong.MaxValue", f => f.K.VmfInsertPfn(f.PfnVma, new UserAddr(ulong.MaxValue), f.Driver.Mmio.StartPfn));

        K(list, "Kernel.ZapVmaPtes", BadInput.Huge, "size ulong.MaxValue (wraps)", f => Void(() => f.K.ZapVmaPtes(f.RemapVma, f.RemapMap + P4, ulong.MaxValue)));
        K(list, "Kernel.ZapVmaPtes", BadInput.Zero, "size 0", f => Void(() => f.K.ZapVmaPtes(f.RemapVma, f.RemapMap, 0)));
        K(list, "Kernel.ZapVmaPtes", BadInput.Unaligned, "unaligned start and size", f => Void(() => f.K.ZapVmaPtes(f.RemapVma, f.RemapMap + 5UL, 7)));
        K(list, "Kernel.ZapVmaPtes", BadInput.OutOfRange, "a normal (non-PFNMAP) vma", f => Void(() => f.K.ZapVmaPtes(f.FaultVma, f.FaultMap, P4)));

        K(list, "Kernel.UnmapMappingRange", BadInput.Null, "NULL mapping", f => Void(() => f.K.UnmapMappingRange(null!, 0, 0, false)));
        K(list, "Kernel.UnmapMappingRange", BadInput.Wrapping, "hole begin ulong.MaxValue", f => Void(() => f.K.UnmapMappingRange(f.Driver.Device.Inode.Mapping, ulong.MaxValue, P4, true)));
        K(list, "Kernel.UnmapMappingRange", BadInput.Wrapping, "hole length ulong.MaxValue (rounds to 0)", f => Void(() => f.K.UnmapMappingRange(f.Driver.Device.Inode.Mapping, 16 * P4, ulong.MaxValue, false)));
        K(list, "Kernel.UnmapMappingRange", BadInput.Freed, "the mapping of an unregistered device", f => Void(() => f.K.UnmapMappingRange(f.Stale.Inode.Mapping, 0, 0, true)));
        K(list, "Kernel.UnmapMappingRange", BadInput.Foreign, "a mapping of another machine", f => Void(() => f.K.UnmapMappingRange(f.Other.Value.Driver.Device.Inode.Mapping, 0, 0, true)), mustRefuse: true);

        foreach (var (name, flags) in new (string, VmFlags)[] { ("VM_RESERVED", VmFlags.Reserved), ("VM_LOCKONFAULT", VmFlags.LockOnFault), ("VM_MIXEDMAP", VmFlags.MixedMap), ("VM_WIPEONFORK", VmFlags.WipeOnFork), ("every bit", (VmFlags)ulong.MaxValue) })
        {
            K(list, "Kernel.VmFlagsSet", BadInput.EraMissing, name, f => Void(() => f.K.VmFlagsSet(f.FaultVma, flags)));
            K(list, "Kernel.VmFlagsClear", BadInput.EraMissing, name, f => Void(() => f.K.VmFlagsClear(f.FaultVma, flags)));
            Add(list, "VmArea.Flags", BadInput.EraMissing, "in ->mmap, " + name, f => InMmap(f, v =>
            {
                v.Flags |= flags;
                return 0;
            }));
        }

        K(list, "Kernel.MmapWriteLock", BadInput.Null, "NULL mm", f => Void(() => f.K.MmapWriteLock(null!)));
        K(list, "Kernel.MmapWriteLock", BadInput.Exited, "the mm of an exited process", f => Void(() => f.K.MmapWriteLock(f.Dead.Mm)));
        K(list, "Kernel.MmapWriteUnlock", BadInput.Null, "NULL mm", f => Void(() => f.K.MmapWriteUnlock(null!)));
        K(list, "Kernel.MmapWriteUnlock", BadInput.DoubleFree, "unlock without a lock", f => Void(() => f.K.MmapWriteUnlock(f.P.Mm)));

        K(list, "Kernel.RegisterChrdev", BadInput.Null, "NULL path", f => f.K.RegisterChrdev(null!, new FileOperations()));
        K(list, "Kernel.RegisterChrdev", BadInput.Zero, "empty path", f => f.K.RegisterChrdev(string.Empty, new FileOperations()));
        K(list, "Kernel.RegisterChrdev", BadInput.Null, "NULL fops", f => f.K.RegisterChrdev("/dev/x", null!));
        K(list, "Kernel.RegisterChrdev", BadInput.Null, "fops with a NULL owner", f => f.K.RegisterChrdev("/dev/x", new FileOperations { Owner = null! }));
        K(list, "Kernel.RegisterChrdev", BadInput.DoubleFree, "a path already registered", f => f.K.RegisterChrdev(RobustDriver.Path, new FileOperations()));
        K(list, "Kernel.UnregisterChrdev", BadInput.Null, "NULL device", f => Done(() => f.K.UnregisterChrdev(null!)));
        K(list, "Kernel.UnregisterChrdev", BadInput.DoubleFree, "a second unregister", f => Done(() => f.K.UnregisterChrdev(f.Stale)));
        K(list, "Kernel.UnregisterChrdev", BadInput.Foreign, "the device of another machine (same path)", f => Done(() => f.K.UnregisterChrdev(f.Other.Value.Driver.Device)), mustRefuse: true);
        K(list, "Kernel.UnloadModule", BadInput.Null, "NULL module", f => f.K.UnloadModule(null!));
        K(list, "Kernel.UnloadModule", BadInput.Zero, "empty module name", f => f.K.UnloadModule(string.Empty));
        K(list, "Kernel.UnloadModule", BadInput.Foreign, "a module that registered nothing here", f => f.K.UnloadModule("nosuchmodule"));
        K(list, "Kernel.UnloadModule", BadInput.Closed, "a module whose file is still open and mapped (-EBUSY)", f => f.K.UnloadModule(f.Driver.Device.Fops.Owner));
        K(list, "Kernel.RegisterMmioRegion", BadInput.Null, "NULL name", f => f.K.RegisterMmioRegion(null!, P4, f.Driver.Registers));
        K(list, "Kernel.RegisterMmioRegion", BadInput.Null, "NULL device", f => f.K.RegisterMmioRegion("x", P4, null!));
        K(list, "Kernel.RegisterMmioRegion", BadInput.Zero, "size 0", f => f.K.RegisterMmioRegion("x", 0, f.Driver.Registers));
        K(list, "Kernel.RegisterMmioRegion", BadInput.Unaligned, "size 4095", f => f.K.RegisterMmioRegion("x", 4095, f.Driver.Registers));
        K(list, "Kernel.RegisterMmioRegion", BadInput.Huge, "size 2^33", f => f.K.RegisterMmioRegion("x", 1UL << 33, f.Driver.Registers));
        K(list, "Kernel.RegisterMmioRegion", BadInput.Wrapping, "size ulong.MaxValue & ~0xfff", f => f.K.RegisterMmioRegion("x", ulong.MaxValue & ~0xFFFUL, f.Driver.Registers));
        K(list, "Kernel.Spawn", BadInput.Null, "NULL comm", f => f.K.Spawn(null!));
        K(list, "Kernel.Spawn", BadInput.Zero, "empty comm", f => f.K.Spawn(string.Empty));
        K(list, "Kernel.Reclaim", BadInput.OutOfRange, "-1 pages", f => f.K.Reclaim(-1));
        K(list, "Kernel.Reclaim", BadInput.Huge, "long.MaxValue pages", f => f.K.Reclaim(long.MaxValue));
        K(list, "Kernel.Reclaim", BadInput.Wrapping, "long.MinValue pages", f => f.K.Reclaim(long.MinValue));
        K(list, "Kernel.Shutdown", BadInput.DoubleFree, "a second shutdown", f => f.K.Shutdown(), arrange: f => f.K.Shutdown());
        foreach (var (api, call) in new (string, Func<RobustFixture, object?>)[]
        {
            ("Kernel.DrainAllPages", f => Void(f.K.DrainAllPages)), ("Kernel.VmStat", f => f.K.VmStat()), ("Kernel.PageTypes", f => f.K.PageTypes()),
            ("Kernel.PageTypesSummary", f => f.K.PageTypesSummary()), ("Kernel.ClearReports", f => Void(f.K.ClearReports)), ("Checker.CheckAll", f => f.K.Checker.CheckAll()),
            ("Proc.Maps", f => Proc.Maps(f.P)), ("Proc.Smaps", f => Proc.Smaps(f.P)), ("Proc.Status", f => Proc.Status(f.P)),
        })
        {
            K(list, api, BadInput.Exited, "after shutdown", call, arrange: f => f.K.Shutdown());
            K(list, api, BadInput.Freed, "after every driver object was freed under live mappings", call, arrange: FreeEverythingMapped);
        }
    }

    /// <summary>The driver frees its pages while P still maps them (DKMM018) and unregisters: the checker's subject, not a crash's.</summary>
    private static void FreeEverythingMapped(RobustFixture f)
    {
        foreach (var p in f.Driver.FaultPages.Concat(f.Driver.InsertPages))
        {
            f.K.PutPage(p);
        }

        f.K.UnregisterChrdev(f.Driver.Device);
    }

    /// <summary>The bad page ranges every GUP and pin entry point is called with: the input class, its label, the start, the page count and the array size.</summary>
    private static readonly (BadInput Input, string Name, Func<RobustFixture, UserAddr> Start, int Pages, int Size)[] GupRanges =
    [
        (BadInput.Zero, "0 pages", f => f.AnonMap, 0, 1), (BadInput.OutOfRange, "-1 pages", f => f.AnonMap, -1, 1),
        (BadInput.OutOfRange, "an array shorter than the count", f => f.AnonMap, 4, 2), (BadInput.Wrapping, "start 2^64 - 4096, two pages", _ => Wrap, 2, 2),
        (BadInput.OutOfRange, "a kernel address", _ => KernelVa, 1, 1), (BadInput.OutOfRange, "an unmapped address", _ => Hole, 1, 1),
        (BadInput.OutOfRange, "a VM_IO|VM_PFNMAP mapping", f => f.RemapMap, 1, 1), (BadInput.OutOfRange, "an MMIO mapping", f => f.MmioMap, 1, 1),
        (BadInput.Huge, "past the end of the vma", f => f.FaultMap + 2 * P4, 4, 4), (BadInput.Unaligned, "an unaligned start", f => f.AnonMap + 3UL, 1, 1),
    ];

    private static void AddGupDma(List<BadCase> list)
    {
        K(list, "Kernel.GetUserPages", BadInput.Null, "outside process context", f => f.K.GetUserPages(f.AnonMap, 1, FollFlags.None, new Page[1]));
        K(list, "Kernel.GetUserPagesFast", BadInput.Null, "outside process context", f => f.K.GetUserPagesFast(f.AnonMap, 1, FollFlags.None, new Page[1]));
        K(list, "Kernel.PinUserPages", BadInput.Null, "outside process context", f => f.K.PinUserPages(f.AnonMap, 1, FollFlags.None, new Page[1]));
        K(list, "Kernel.GetUserPagesFast", BadInput.Null, "a NULL page array", f => f.K.GetUserPagesFast(f.AnonMap, 1, FollFlags.None, null!));
        K(list, "Kernel.PinUserPages", BadInput.Null, "a NULL page array", f => f.K.PinUserPages(f.AnonMap, 1, FollFlags.None, null!));
        K(list, "Kernel.GetUserPagesRemote", BadInput.Null, "NULL mm", f => f.K.GetUserPagesRemote(null!, f.AnonMap, 1, FollFlags.None, new Page[1]));
        K(list, "Kernel.GetUserPagesRemote", BadInput.Exited, "the mm of an exited process", f => f.K.GetUserPagesRemote(f.Dead.Mm, f.DeadVma.Start, 1, FollFlags.None, new Page[1]));
        K(list, "Kernel.GetUserPagesRemote", BadInput.Foreign, "the mm of another machine's process", f => f.K.GetUserPagesRemote(f.Other.Value.P.Mm, f.Other.Value.AnonMap, 1, FollFlags.None, new Page[1]), mustRefuse: true);
        K(list, "Kernel.GetUserPagesRemote", BadInput.Wrapping, "start 2^64 - 4096, two pages", f => f.K.GetUserPagesRemote(f.Child.Mm, Wrap, 2, FollFlags.None, new Page[2]));

        foreach (var (api, gup) in new (string, Func<Kernel, UserAddr, int, FollFlags, Page[]?, long>)[]
        {
            ("Kernel.GetUserPages", (k, s, n, fl, p) => k.GetUserPages(s, n, fl, p)),
            ("Kernel.GetUserPagesFast", (k, s, n, fl, p) => k.GetUserPagesFast(s, n, fl, p!)),
            ("Kernel.PinUserPages", (k, s, n, fl, p) => k.PinUserPages(s, n, fl, p!)),
        })
        {
            foreach (var (input, name, start, n, size) in GupRanges)
            {
                Add(list, api, input, "in ioctl, " + name, f => InIoctl(f, k => gup(k, start(f), n, FollFlags.Write, new Page[size])));
            }

            Add(list, api, BadInput.OutOfRange, "in ioctl, every FOLL bit", f => InIoctl(f, k => gup(k, f.AnonMap, 1, (FollFlags)int.MaxValue, new Page[1])));
        }

        Add(list, "Kernel.GetUserPages", BadInput.Huge, "in ioctl, int.MaxValue pages without an array", f => InIoctl(f, k => k.GetUserPages(f.AnonMap, int.MaxValue, FollFlags.None, null)));

        foreach (var api in new[] { "Kernel.UnpinUserPages", "Kernel.UnpinUserPagesDirtyLock" })
        {
            Action<Kernel, Page[], int> unpin = api == "Kernel.UnpinUserPages" ? (k, p, n) => k.UnpinUserPages(p, n) : (k, p, n) => k.UnpinUserPagesDirtyLock(p, n, true);
            K(list, api, BadInput.Null, "a NULL array", f => Void(() => unpin(f.K, null!, 1)));
            K(list, api, BadInput.Null, "an array of NULL pages", f => Void(() => unpin(f.K, new Page[2], 2)));
            K(list, api, BadInput.OutOfRange, "count past the array", f => Void(() => unpin(f.K, [f.Alloc0], 2)));
            K(list, api, BadInput.OutOfRange, "count -1", f => Void(() => unpin(f.K, [f.Alloc0], -1)));
            K(list, api, BadInput.OutOfRange, "a page that holds no pin", f => Void(() => unpin(f.K, [f.Alloc0], 1)));
            K(list, api, BadInput.Foreign, "a page of another machine", f => Void(() => unpin(f.K, [f.Other.Value.Alloc0], 1)));
            K(list, api, BadInput.DoubleFree, "one pin unpinned twice in one call", f => Void(() => unpin(f.K, [f.PageAt(f.P, f.AnonMap), f.PageAt(f.P, f.AnonMap)], 2)), arrange: PinAnon);
            K(list, api, BadInput.DoubleFree, "a second unpin", f => Void(() => unpin(f.K, [f.PageAt(f.P, f.AnonMap)], 1)), arrange: f =>
            {
                PinAnon(f);
                if (f.K.Policy.HasPinUserPages)
                {
                    f.K.UnpinUserPages([f.PageAt(f.P, f.AnonMap)], 1);
                }
            });
        }

        foreach (var (input, name, page) in BadPages())
        {
            K(list, "DmaEngine.Submit", input, name, f => f.K.Dma.Submit(page(f), 0, [1]));
        }

        K(list, "DmaEngine.Submit", BadInput.Null, "NULL data", f => f.K.Dma.Submit(f.Alloc0, 0, null!));
        K(list, "DmaEngine.Submit", BadInput.Zero, "no data", f => f.K.Dma.Submit(f.Alloc0, 0, []));
        K(list, "DmaEngine.Submit", BadInput.OutOfRange, "offset -1", f => f.K.Dma.Submit(f.Alloc0, -1, [1]));
        K(list, "DmaEngine.Submit", BadInput.OutOfRange, "offset 4096", f => f.K.Dma.Submit(f.Alloc0, 4096, [1]));
        K(list, "DmaEngine.Submit", BadInput.Huge, "more data than a page", f => f.K.Dma.Submit(f.Alloc0, 0, new byte[4097]));
        K(list, "DmaEngine.Submit", BadInput.Wrapping, "offset int.MaxValue (offset + length wraps)", f => f.K.Dma.Submit(f.Alloc0, int.MaxValue, [1]), mustRefuse: true);
        K(list, "DmaEngine.Submit", BadInput.Wrapping, "offset int.MaxValue, then the device runs", f => Void(() =>
        {
            f.K.Dma.Submit(f.Alloc0, int.MaxValue, [1]);
            f.K.Dma.RunUntilIdle();
        }));
        K(list, "DmaEngine.Submit", BadInput.OutOfRange, "delay 0", f => f.K.Dma.Submit(f.Alloc0, 0, [1], delay: 0));
        K(list, "DmaEngine.Submit", BadInput.OutOfRange, "delay -1", f => f.K.Dma.Submit(f.Alloc0, 0, [1], delay: -1));
        K(list, "DmaEngine.Submit", BadInput.Huge, "delay int.MaxValue, then RunUntilIdle", f => Void(() =>
        {
            f.K.Dma.Submit(f.Alloc0, 0, [1], delay: int.MaxValue);
            f.K.Dma.RunUntilIdle();
        }));
        K(list, "DmaEngine.Submit", BadInput.Wrapping, "delay int.MaxValue after a step (the due step is 64-bit: accepted, completes last)", f => f.K.Dma.Submit(f.Alloc0, 0, [1], delay: int.MaxValue), arrange: f => f.K.Dma.Step());
        K(list, "DmaEngine.Submit", BadInput.Exited, "user mm of an exited process", f => f.K.Dma.Submit(f.Alloc0, 0, [1], userMm: f.Dead.Mm, userAddr: f.DeadVma.Start));
        K(list, "DmaEngine.Submit", BadInput.Foreign, "user mm of another machine", f => f.K.Dma.Submit(f.Alloc0, 0, [1], userMm: f.Other.Value.P.Mm, userAddr: f.Other.Value.AnonMap), mustRefuse: true);
        K(list, "DmaEngine.Submit", BadInput.Wrapping, "user address 2^64 - 1", f => f.K.Dma.Submit(f.PageAt(f.P, f.AnonMap), 0, [1], userMm: f.P.Mm, userAddr: new UserAddr(ulong.MaxValue)));
        K(list, "DmaEngine.Step", BadInput.Freed, "the target was freed", f => Void(f.K.Dma.Step), arrange: f => { f.K.FreePage(f.Alloc0); f.K.Dma.Step(); });
        K(list, "DmaEngine.RunUntilIdle", BadInput.Freed, "the target was freed and reused", f => Void(f.K.Dma.RunUntilIdle), arrange: f => { f.K.FreePage(f.Alloc0); f.K.AllocPage(Gfp.Kernel); });
        K(list, "DmaEngine.RunUntilIdle", BadInput.Exited, "the user target's process exited", f => Void(f.K.Dma.RunUntilIdle), arrange: f =>
        {
            f.K.Dma.Submit(f.PageAt(f.Child, f.AnonMap), 0, [9], delay: 2, userMm: f.Child.Mm, userAddr: f.AnonMap);
            f.Child.Exit();
        });
    }

    /// <summary>P pins (5.6+) the first page of its anonymous mapping through an ioctl.</summary>
    private static void PinAnon(RobustFixture f)
    {
        if (f.K.Policy.HasPinUserPages)
        {
            InIoctl(f, k => k.PinUserPages(f.AnonMap, 1, FollFlags.Write, new Page[1]));
            f.Driver.ClearHooks();
        }
    }
}
