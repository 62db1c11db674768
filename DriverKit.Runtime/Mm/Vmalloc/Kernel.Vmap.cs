using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>The highest pfn below 4 GiB + 1: what GFP_DMA32 memory must stay under.</summary>
    private const int Dma32LimitPfn = 1 << (32 - PageShift);

    /// <summary>
    /// mm/util.c: kvmalloc (kvmalloc_node, 4.12) — kmalloc first (above a page with __GFP_NOWARN | __GFP_NORETRY, so
    /// a failure is quiet), then vmalloc when kmalloc fails and the flags allow sleeping allocations (GFP_KERNEL; with
    /// other flags only the kmalloc is tried). kvmalloc(0) is ZERO_SIZE_PTR, as kmalloc(0). Free with <see cref="Kvfree(KvAddr,string,string,int)"/>.
    /// </summary>
    /// <param name="size">Bytes.</param>
    /// <param name="gfp">Allocation flags (GFP_KERNEL for the vmalloc fallback).</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 4.12.</exception>
    public KvAddr Kvmalloc(ulong size, Gfp gfp, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(Kvmalloc));
        var kmallocGfp = size > PageSize ? gfp | Gfp.NoWarn : gfp;
        var k = Kmalloc(size, kmallocGfp, caller, file, line);
        if (!k.IsNull || (gfp & Gfp.Kernel) != Gfp.Kernel)
        {
            return new KvAddr(k.Value);
        }

        // __vmalloc_node_range with the caller's flags (zeroing included).
        return new KvAddr(VmallocCore(size, (gfp & Gfp.Zero) | Gfp.Kernel | Gfp.HighMem, userMap: false, caller, file, line).Value);
    }

    /// <summary>
    /// mm/util.c: kvfree (3.15) — vfree for a vmalloc address (is_vmalloc_addr), kfree otherwise; NULL and ZERO_SIZE_PTR
    /// are ignored. A double free or an address of neither allocator is refused as <see cref="Vfree"/> and <see cref="Kfree"/> refuse it.
    /// </summary>
    /// <param name="addr">What kvmalloc (or kmalloc, or vmalloc) returned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 3.15.</exception>
    /// <exception cref="KernelBugException">Not a live allocation.</exception>
    /// <exception cref="ArgumentException">An address that is in neither the linear map nor the vmalloc range.</exception>
    public void Kvfree(KvAddr addr, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(Kvfree));
        if (addr.IsVmalloc)
        {
            Vfree(addr.ToVmallocAddr(), caller, file, line);
        }
        else
        {
            Kfree(addr.ToKernelAddr(), caller, file, line);
        }
    }

    /// <summary>mm/util.c: kvfree of a kmalloc address (see <see cref="Kvfree(KvAddr,string,string,int)"/>).</summary>
    /// <param name="addr">What kmalloc returned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 3.15.</exception>
    public void Kvfree(KernelAddr addr, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => Kvfree(new KvAddr(addr.Value), caller, file, line);

    /// <summary>mm/util.c: kvfree of a vmalloc address (see <see cref="Kvfree(KvAddr,string,string,int)"/>).</summary>
    /// <param name="addr">What vmalloc returned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 3.15.</exception>
    public void Kvfree(VmallocAddr addr, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => Kvfree(new KvAddr(addr.Value), caller, file, line);

    /// <summary>
    /// mm/vmalloc.c: vmalloc_32 — vmalloc from 32-bit addressable pages (GFP_DMA32 on x86-64), for devices that DMA
    /// to each page. NULL when the pages it got do not all lie below 4 GiB (the simulator's allocator has no zones to
    /// retry in; with up to 4 GiB of RAM every page qualifies).
    /// </summary>
    /// <param name="size">Bytes.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public VmallocAddr Vmalloc32(ulong size, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(Vmalloc32));
        return Vmalloc32Core(size, Gfp.Kernel | Gfp.Dma32, userMap: false, caller, file, line);
    }

    /// <summary>
    /// mm/vmalloc.c: vmalloc_32_user (2.6.18) — <see cref="Vmalloc32"/>, zeroed and marked VM_USERMAP so that
    /// remap_vmalloc_range may map it to user space.
    /// </summary>
    /// <param name="size">Bytes.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 2.6.18.</exception>
    public VmallocAddr Vmalloc32User(ulong size, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(Vmalloc32User));
        return Vmalloc32Core(size, Gfp.Kernel | Gfp.Dma32 | Gfp.Zero, userMap: true, caller, file, line);
    }

    private VmallocAddr Vmalloc32Core(ulong size, Gfp gfp, bool userMap, string caller, string file, int line)
    {
        var addr = VmallocCore(size, gfp, userMap, caller, file, line);
        if (!addr.IsNull && VmallocSpace.Find(addr) is { } region && region.Pfns.Any(p => p >= Dma32LimitPfn))
        {
            Vfree(addr, caller, file, line);
            return default;
        }

        return addr;
    }

    /// <summary>
    /// mm/vmalloc.c: vmap(pages, count, VM_MAP, PAGE_KERNEL) — maps the caller's <paramref name="count"/> pages
    /// (any pages, in any physical order) at one virtually contiguous kernel address, readable with
    /// <see cref="ReadVmalloc"/> and <see cref="VmallocToPage"/>. Takes no references: the pages stay the caller's
    /// and must outlive the mapping. NULL for a count of 0 or more than the machine's RAM; undo with
    /// <see cref="Vunmap"/>.
    /// </summary>
    /// <param name="pages">The pages.</param>
    /// <param name="count">How many of them to map.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="ArgumentOutOfRangeException">The count is larger than the array.</exception>
    /// <exception cref="ArgumentException">A page is NULL, of another machine, free, or an unsplit tail.</exception>
    public VmallocAddr Vmap(IReadOnlyList<Page> pages, uint count, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(Vmap));
        ArgumentNullException.ThrowIfNull(pages);
        if (count == 0 || count > (uint)Mem.Count)
        {
            return default; // vmap: if (count > totalram_pages()) return NULL; get_vm_area of size 0 is NULL
        }

        if (count > (uint)pages.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"vmap of {count} pages from an array of {pages.Count}: the kernel would read past the array");
        }

        var pfns = new int[count];
        for (var i = 0; i < count; i++)
        {
            var pfn = pages[i].IsNull ? throw new ArgumentException($"vmap: page {i} is NULL", nameof(pages)) : CheckPage(pages[i]);
            if (IsFreeFrame(pfn) || Mem.RefCount[Mem.CompoundHead(pfn)] == 0)
            {
                throw new ArgumentException($"vmap: page {i} (pfn {pfn:x5}) is not allocated (free, or an unsplit tail)", nameof(pages));
            }

            pfns[i] = pfn;
        }

        return VmallocSpace.Map(pfns, OwnerFor(file), Sites.Intern(caller, file, line)).Start;
    }

    /// <summary>
    /// mm/vmalloc.c: vunmap — removes a mapping of <see cref="Vmap"/>, leaving its pages alone; NULL is ignored.
    /// An address that starts no area is refused as <see cref="Vfree"/> refuses it. (vunmap of a vmalloc area unmaps it
    /// without freeing its pages, which stay allocated: a leak, as in the kernel.)
    /// </summary>
    /// <param name="addr">What vmap returned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">Not the start of a live area.</exception>
    public void Vunmap(VmallocAddr addr, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(Vunmap));
        if (addr.IsNull)
        {
            return;
        }

        var region = LiveArea(addr, "vunmap", caller, file, line);

        VmallocSpace.Remove(region);
    }

    /// <summary>
    /// include/asm-generic/getorder.h: get_order — the buddy order whose block holds <paramref name="size"/> bytes:
    /// 0 up to PAGE_SIZE, 1 up to two pages, …; get_order(0) is BITS_PER_LONG - PAGE_SHIFT (52), as the kernel computes it.
    /// </summary>
    /// <param name="size">Bytes.</param>
    public static int GetOrder(ulong size)
    {
        // fls64((size - 1) >> PAGE_SHIFT): 0 wraps to ULONG_MAX >> 12, whose highest bit is bit 51.
        var pages = unchecked(size - 1) >> PageShift;
        return pages == 0 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount(pages);
    }
}
