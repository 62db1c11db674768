using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>The page allocator, page references and flags, slab, vmalloc and linear-map access.</summary>
internal static partial class BadInputCatalog
{
    /// <summary>Bad struct pages of every kind, for the functions that take one.</summary>
    private static IEnumerable<(BadInput Input, string Name, Func<RobustFixture, Page> Page)> BadPages()
    {
        yield return (BadInput.Null, "NULL page", _ => default);
        yield return (BadInput.Null, "NOPAGE_OOM", _ => Page.NoPageOom);
        yield return (BadInput.Freed, "a freed page", f => f.Freed);
        yield return (BadInput.OutOfRange, "an unsplit tail (refcount 0)", f => f.Block2 + 1);
        yield return (BadInput.OutOfRange, "a compound tail", f => f.Comp2 + 2);
        yield return (BadInput.Foreign, "a page of another machine", f => f.Other.Value.Alloc0);
    }

    private static void AddPageAllocator(List<BadCase> list)
    {
        foreach (var order in new[] { -1, 11, int.MaxValue, int.MinValue })
        {
            K(list, "Kernel.AllocPages", BadInput.OutOfRange, $"order {order}", f => f.K.AllocPages(Gfp.Kernel, order));
            K(list, "Kernel.GetFreePages", BadInput.OutOfRange, $"order {order}", f => f.K.GetFreePages(Gfp.Kernel, order));
            K(list, "Kernel.FreePages(Page)", BadInput.OutOfRange, $"order {order}", f => Void(() => f.K.FreePages(f.Alloc0, order)));
            K(list, "Kernel.FreePages(KernelAddr)", BadInput.OutOfRange, $"order {order}", f => Void(() => f.K.FreePages(f.PagesAddr, order)));
            K(list, "Kernel.SplitPage", BadInput.OutOfRange, $"order {order}", f => Void(() => f.K.SplitPage(f.Block2, order)));
        }

        K(list, "Kernel.AllocPages", BadInput.Huge, "order 10 (more than the free memory of 8 MiB)", f => f.K.AllocPages(Gfp.Kernel, 10));
        K(list, "Kernel.AllocPages", BadInput.Huge, "order 9 twice (the second must fail cleanly)", f => f.K.AllocPages(Gfp.Kernel, 9), arrange: f => f.K.AllocPages(Gfp.Kernel, 9));
        K(list, "Kernel.AllocPages", BadInput.OutOfRange, "every gfp bit", f => f.K.AllocPages((Gfp)uint.MaxValue, 0));
        K(list, "Kernel.AllocPage", BadInput.OutOfRange, "every gfp bit", f => f.K.AllocPage((Gfp)uint.MaxValue));
        K(list, "Kernel.AllocPage", BadInput.Huge, "memory exhausted (NULL, then a free)", f => f.K.AllocPage(Gfp.Kernel | Gfp.NoWarn), arrange: Exhaust);
        K(list, "Kernel.GetZeroedPage", BadInput.OutOfRange, "every gfp bit", f => f.K.GetZeroedPage((Gfp)uint.MaxValue));
        K(list, "Kernel.GetZeroedPage", BadInput.Huge, "memory exhausted", f => f.K.GetZeroedPage(Gfp.Kernel | Gfp.NoWarn), arrange: Exhaust);
        K(list, "Kernel.GetFreePages", BadInput.Huge, "order 10", f => f.K.GetFreePages(Gfp.Kernel, 10));

        foreach (var (input, name, page) in BadPages())
        {
            K(list, "Kernel.FreePages(Page)", input, name, f => Void(() => f.K.FreePages(page(f), 0)));
            K(list, "Kernel.FreePage(Page)", input, name, f => Void(() => f.K.FreePage(page(f))));
            K(list, "Kernel.SplitPage", input, name, f => Void(() => f.K.SplitPage(page(f), 0)));
            K(list, "Kernel.GetPage", input, name, f => Void(() => f.K.GetPage(page(f))));
            K(list, "Kernel.PutPage", input, name, f => Void(() => f.K.PutPage(page(f))));
            K(list, "Kernel.PageCount", input, name, f => f.K.PageCount(page(f)));
            K(list, "Kernel.PageMapcount", input, name, f => f.K.PageMapcount(page(f)));
            K(list, "Kernel.PageReserved", input, name, f => f.K.PageReserved(page(f)));
            K(list, "Kernel.SetPageReserved", input, name, f => Void(() => f.K.SetPageReserved(page(f))));
            K(list, "Kernel.ClearPageReserved", input, name, f => Void(() => f.K.ClearPageReserved(page(f))));
            K(list, "Kernel.PageToPfn", input, name, f => f.K.PageToPfn(page(f)));
            K(list, "Kernel.PageAddress", input, name, f => f.K.PageAddress(page(f)));
            K(list, "Kernel.PageToPhys", input, name, f => f.K.PageToPhys(page(f)));
            K(list, "Kernel.LockPage", input, name, f => Void(() => f.K.LockPage(page(f))));
            K(list, "Kernel.TrylockPage", input, name, f => f.K.TrylockPage(page(f)));
            K(list, "Kernel.UnlockPage", input, name, f => Void(() => f.K.UnlockPage(page(f))));
            K(list, "Kernel.SetPageLocked", input, name, f => Void(() => f.K.SetPageLocked(page(f))));
            K(list, "Kernel.PageLocked", input, name, f => f.K.PageLocked(page(f)));
        }

        K(list, "Kernel.FreePages(Page)", BadInput.DoubleFree, "second __free_pages", f => Void(() => f.K.FreePages(f.Alloc0, 0)), arrange: f => f.K.FreePages(f.Alloc0, 0));
        K(list, "Kernel.FreePages(Page)", BadInput.OutOfRange, "order 0 of an order-2 block", f => Void(() => f.K.FreePages(f.Block2, 0)));
        K(list, "Kernel.FreePages(Page)", BadInput.OutOfRange, "order 1 of an order-2 compound page", f => Void(() => f.K.FreePages(f.Comp2, 1)));
        K(list, "Kernel.FreePages(Page)", BadInput.OutOfRange, "a boot-reserved page (pfn 0)", f => Void(() => f.K.FreePages(f.K.PfnToPage(new Pfn(0)), 0)));
        K(list, "Kernel.FreePage(Page)", BadInput.DoubleFree, "second __free_page", f => Void(() => f.K.FreePage(f.Alloc0)), arrange: f => f.K.FreePage(f.Alloc0));
        K(list, "Kernel.FreePage(Page)", BadInput.OutOfRange, "a slab page (kmalloc'd)", f => Void(() => f.K.FreePage(f.K.VirtToPage(f.Kobj))));
        K(list, "Kernel.FreePage(Page)", BadInput.OutOfRange, "a vmalloc page", f => Void(() => f.K.FreePage(f.K.VmallocToPage(f.Vbuf))));

        K(list, "Kernel.FreePages(KernelAddr)", BadInput.Null, "NULL (ignored)", f => Void(() => f.K.FreePages(default(KernelAddr), 0)));
        K(list, "Kernel.FreePages(KernelAddr)", BadInput.Unaligned, "an interior address", f => Void(() => f.K.FreePages(f.PagesAddr + 100UL, 1)));
        K(list, "Kernel.FreePages(KernelAddr)", BadInput.OutOfRange, "a non-linear address", f => Void(() => f.K.FreePages(new KernelAddr(0x1234), 0)));
        K(list, "Kernel.FreePages(KernelAddr)", BadInput.OutOfRange, "a vmalloc address", f => Void(() => f.K.FreePages(new KernelAddr(f.Vbuf.Value), 0)));
        K(list, "Kernel.FreePages(KernelAddr)", BadInput.Wrapping, "ulong.MaxValue", f => Void(() => f.K.FreePages(new KernelAddr(ulong.MaxValue), 0)));
        K(list, "Kernel.FreePages(KernelAddr)", BadInput.DoubleFree, "second free_pages", f => Void(() => f.K.FreePages(f.PagesAddr, 1)), arrange: f => f.K.FreePages(f.PagesAddr, 1));
        K(list, "Kernel.FreePage(KernelAddr)", BadInput.Null, "NULL (ignored)", f => Void(() => f.K.FreePage(default(KernelAddr))));
        K(list, "Kernel.FreePage(KernelAddr)", BadInput.OutOfRange, "a kmalloc object", f => Void(() => f.K.FreePage(f.Kobj)));
        K(list, "Kernel.FreePage(KernelAddr)", BadInput.OutOfRange, "past the end of RAM", f => Void(() => f.K.FreePage(new KernelAddr(0xFFFF_8880_0000_0000UL + (8UL << 20)))));

        K(list, "Kernel.SplitPage", BadInput.OutOfRange, "a compound page", f => Void(() => f.K.SplitPage(f.Comp2, 2)));
        K(list, "Kernel.SplitPage", BadInput.OutOfRange, "the wrong order", f => Void(() => f.K.SplitPage(f.Block2, 1)));
        K(list, "Kernel.SplitPage", BadInput.DoubleFree, "a second split", f => Void(() => f.K.SplitPage(f.Block2, 2)), arrange: f => f.K.SplitPage(f.Block2, 2));
        K(list, "Kernel.PutPage", BadInput.DoubleFree, "a put after the last one", f => Void(() => f.K.PutPage(f.Alloc0)), arrange: f => f.K.PutPage(f.Alloc0));
        K(list, "Kernel.SetPageReserved", BadInput.OutOfRange, "a page a process maps", f => Void(() => f.K.SetPageReserved(f.PageAt(f.P, f.AnonMap))));
        K(list, "Kernel.UnlockPage", BadInput.DoubleFree, "unlock of an unlocked page", f => Void(() => f.K.UnlockPage(f.Alloc0)));
        K(list, "Kernel.UnlockPage", BadInput.DoubleFree, "a second unlock", f => Void(() => f.K.UnlockPage(f.Alloc0)), arrange: f => { f.K.LockPage(f.Alloc0); f.K.UnlockPage(f.Alloc0); });
        K(list, "Kernel.LockPage", BadInput.DoubleFree, "lock of a locked page", f => Void(() => f.K.LockPage(f.Alloc0)), arrange: f => f.K.LockPage(f.Alloc0));

        foreach (var (name, pfn) in new (string, ulong)[] { ("RAM end", 2048), ("ulong.MaxValue", ulong.MaxValue), ("the MMIO hole", 0xC0000), ("beyond the PTE pfn field (2^40)", 1UL << 40) })
        {
            K(list, "Kernel.PfnToPage", BadInput.OutOfRange, name, f => f.K.PfnToPage(new Pfn(pfn)));
            K(list, "Kernel.PfnValid", BadInput.OutOfRange, name, f => f.K.PfnValid(new Pfn(pfn)));
            K(list, "Checker.Ledger(Pfn)", BadInput.OutOfRange, name, f => f.K.Checker.Ledger(new Pfn(pfn)));
        }

        foreach (var (input, name, addr) in new (BadInput, string, ulong)[]
        {
            (BadInput.Null, "NULL", 0), (BadInput.Wrapping, "ulong.MaxValue", ulong.MaxValue), (BadInput.OutOfRange, "a vmalloc address", 0xFFFF_C900_0000_0000),
            (BadInput.OutOfRange, "one past RAM", 0xFFFF_8880_0000_0000UL + (8UL << 20)), (BadInput.OutOfRange, "a user address", 0x7F00_0000_0000),
        })
        {
            K(list, "Kernel.VirtToPage", input, name, f => f.K.VirtToPage(new KernelAddr(addr)));
            K(list, "Kernel.VirtToPhys", input, name, f => f.K.VirtToPhys(new KernelAddr(addr)));
        }

        K(list, "Kernel.PhysToVirt", BadInput.OutOfRange, "past RAM", f => f.K.PhysToVirt(new PhysAddr(8UL << 20)));
        K(list, "Kernel.PhysToVirt", BadInput.Wrapping, "ulong.MaxValue", f => f.K.PhysToVirt(new PhysAddr(ulong.MaxValue)));
        K(list, "Checker.Ledger(Page)", BadInput.Null, "NULL page", f => f.K.Checker.Ledger(default(Page)));
        K(list, "Checker.Ledger(Page)", BadInput.Freed, "a freed page", f => f.K.Checker.Ledger(f.Freed));
        K(list, "Checker.Ledger(Page)", BadInput.Foreign, "a page of another machine", f => f.K.Checker.Ledger(f.Other.Value.Alloc0));
    }

    /// <summary>Allocates until the allocator fails (the pages stay with the test).</summary>
    private static void Exhaust(RobustFixture f)
    {
        while (!f.K.AllocPages(Gfp.Kernel | Gfp.NoWarn, 0).IsNull)
        {
        }
    }

    private static void AddSlabVmallocPhys(List<BadCase> list)
    {
        foreach (var (input, name, size) in new (BadInput, string, ulong)[]
        {
            (BadInput.Zero, "0 (ZERO_SIZE_PTR)", 0), (BadInput.Huge, "ulong.MaxValue", ulong.MaxValue), (BadInput.Huge, "2^40", 1UL << 40),
            (BadInput.Huge, "order 11 (8 MiB)", 8UL << 20), (BadInput.Wrapping, "ulong.MaxValue - 4094 (pages wrap)", ulong.MaxValue - 4094),
        })
        {
            var refuse = size > (4UL << 20);
            K(list, "Kernel.Kmalloc", input, name, f => f.K.Kmalloc(size, Gfp.Kernel | Gfp.NoWarn), mustRefuse: refuse);
            K(list, "Kernel.Kzalloc", input, name, f => f.K.Kzalloc(size, Gfp.Kernel | Gfp.NoWarn), mustRefuse: refuse);
            var reclaims = size == 8UL << 20 ? DirectReclaim : null;
            K(list, "Kernel.Vmalloc", input, name, f => f.K.Vmalloc(size), mustRefuse: size > (8UL << 20), kernelChangesStateToo: reclaims, allowedChange: ReclaimEffect);
            K(list, "Kernel.Vzalloc", input, name, f => f.K.Vzalloc(size), mustRefuse: size > (8UL << 20), kernelChangesStateToo: reclaims, allowedChange: ReclaimEffect);
            K(list, "Kernel.VmallocUser", input, name, f => f.K.VmallocUser(size), mustRefuse: size > (8UL << 20), kernelChangesStateToo: reclaims, allowedChange: ReclaimEffect);
        }

        K(list, "Kernel.Vmalloc", BadInput.Huge, "more than the free memory (partial allocation must be undone)", f => f.K.Vmalloc((ulong)(f.K.FreePageCount + 16) * P4),
            kernelChangesStateToo: DirectReclaim, allowedChange: ReclaimEffect);
        K(list, "Kernel.VmallocUser", BadInput.Huge, "more than the free memory (partial allocation must be undone)", f => f.K.VmallocUser((ulong)(f.K.FreePageCount + 16) * P4),
            kernelChangesStateToo: DirectReclaim, allowedChange: ReclaimEffect);
        K(list, "Kernel.Kmalloc", BadInput.Huge, "memory exhausted", f => f.K.Kmalloc(2048, Gfp.Kernel | Gfp.NoWarn), arrange: Exhaust);
        K(list, "Kernel.Kmalloc", BadInput.OutOfRange, "every gfp bit", f => f.K.Kmalloc(64, (Gfp)uint.MaxValue));

        K(list, "Kernel.Kfree", BadInput.Null, "NULL (ignored)", f => Void(() => f.K.Kfree(default)));
        K(list, "Kernel.Kfree", BadInput.Null, "ZERO_SIZE_PTR (ignored)", f => Void(() => f.K.Kfree(Kernel.ZeroSizePtr)));
        K(list, "Kernel.Kfree", BadInput.DoubleFree, "second kfree", f => Void(() => f.K.Kfree(f.KobjFreed)));
        K(list, "Kernel.Kfree", BadInput.Unaligned, "an interior pointer", f => Void(() => f.K.Kfree(f.Kobj + 8UL)));
        K(list, "Kernel.Kfree", BadInput.OutOfRange, "a __get_free_pages block", f => Void(() => f.K.Kfree(f.PagesAddr)));
        K(list, "Kernel.Kfree", BadInput.OutOfRange, "a vmalloc address", f => Void(() => f.K.Kfree(new KernelAddr(f.Vbuf.Value))));
        K(list, "Kernel.Kfree", BadInput.OutOfRange, "a non-linear address", f => Void(() => f.K.Kfree(new KernelAddr(0x1234))));
        K(list, "Kernel.Kfree", BadInput.Wrapping, "ulong.MaxValue", f => Void(() => f.K.Kfree(new KernelAddr(ulong.MaxValue))));
        K(list, "Kernel.Kfree", BadInput.Freed, "an object whose slab page went back to the allocator", f => Void(() => f.K.Kfree(f.KobjFreed)), arrange: f => f.K.Kfree(f.Kobj));

        K(list, "Kernel.Vfree", BadInput.Null, "NULL (ignored)", f => Void(() => f.K.Vfree(default)));
        K(list, "Kernel.Vfree", BadInput.DoubleFree, "second vfree", f => Void(() => f.K.Vfree(f.VbufFreed)));
        K(list, "Kernel.Vfree", BadInput.Unaligned, "an interior address", f => Void(() => f.K.Vfree(f.Vbuf + 100UL)));
        K(list, "Kernel.Vfree", BadInput.OutOfRange, "a linear-map address", f => Void(() => f.K.Vfree(new VmallocAddr(f.Kobj.Value))));
        K(list, "Kernel.Vfree", BadInput.Wrapping, "ulong.MaxValue", f => Void(() => f.K.Vfree(new VmallocAddr(ulong.MaxValue))));
        K(list, "Kernel.Vfree", BadInput.Foreign, "an area of another machine", f => Void(() => f.K.Vfree(f.Other.Value.Vplain)));

        foreach (var (input, name, addr) in new (BadInput, string, Func<RobustFixture, VmallocAddr>)[]
        {
            (BadInput.Null, "NULL", _ => default), (BadInput.Freed, "a freed area", f => f.VbufFreed), (BadInput.OutOfRange, "one past the end", f => f.Vbuf + 4 * P4),
            (BadInput.Wrapping, "ulong.MaxValue", _ => new VmallocAddr(ulong.MaxValue)),
        })
        {
            K(list, "Kernel.VmallocToPage", input, name, f => f.K.VmallocToPage(addr(f)));
            K(list, "Kernel.VmallocToPfn", input, name, f => f.K.VmallocToPfn(addr(f)));
            K(list, "Kernel.ReadVmalloc", input, name, f => Void(() => f.K.ReadVmalloc(addr(f), new byte[8])));
            K(list, "Kernel.WriteVmalloc", input, name, f => Void(() => f.K.WriteVmalloc(addr(f), new byte[8])));
        }

        K(list, "Kernel.ReadVmalloc", BadInput.Huge, "one byte past the end", f => Void(() => f.K.ReadVmalloc(f.Vbuf, new byte[4 * P4 + 1])));
        K(list, "Kernel.WriteVmalloc", BadInput.Huge, "one byte past the end", f => Void(() => f.K.WriteVmalloc(f.Vbuf + 1UL, new byte[4 * P4])));

        foreach (var (input, name, addr) in new (BadInput, string, Func<RobustFixture, KernelAddr>)[]
        {
            (BadInput.Null, "NULL", _ => default), (BadInput.Wrapping, "ulong.MaxValue", _ => new KernelAddr(ulong.MaxValue)),
            (BadInput.OutOfRange, "the last byte of RAM (2 bytes)", _ => new KernelAddr(0xFFFF_8880_0000_0000UL + (8UL << 20) - 1)),
            (BadInput.Freed, "a freed page", f => f.K.PageAddress(f.Freed)), (BadInput.Freed, "a freed kmalloc object", f => f.KobjFreed),
        })
        {
            K(list, "Kernel.ReadKernel", input, name, f => Void(() => f.K.ReadKernel(addr(f), new byte[2])));
            K(list, "Kernel.WriteKernel", input, name, f => Void(() => f.K.WriteKernel(addr(f), new byte[2])));
            K(list, "Kernel.Memset", input, name, f => Void(() => f.K.Memset(addr(f), 0x5a, 2)));
        }

        K(list, "Kernel.Memset", BadInput.Huge, "count ulong.MaxValue", f => Void(() => f.K.Memset(f.Kobj, 0, ulong.MaxValue)));
        K(list, "Kernel.Memset", BadInput.Huge, "count 2^40", f => Void(() => f.K.Memset(f.Kobj, 0, 1UL << 40)));
        K(list, "Kernel.Memset", BadInput.Huge, "count past the end of RAM", f => Void(() => f.K.Memset(f.Kobj, 0, 8UL << 20)));
        K(list, "Kernel.Memset", BadInput.Zero, "count 0 at NULL", f => Void(() => f.K.Memset(default, 0, 0)));
        K(list, "Kernel.ReadKernel", BadInput.Huge, "a span past the end of RAM", f => Void(() => f.K.ReadKernel(f.Kobj, new byte[8 << 20])));
    }
}
