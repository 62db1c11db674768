namespace DriverKit.Runtime;

/// <summary>One vmalloc allocation: virtually contiguous, backed by order-0 frames from anywhere (mm/vmalloc.c: vm_struct).</summary>
internal sealed class VmallocRegion
{
    internal VmallocRegion(VmallocAddr start, ulong size, int[] pfns, bool userMap, int owner, int site)
    {
        Start = start;
        Size = size;
        Pfns = pfns;
        UserMap = userMap;
        Owner = owner;
        Site = site;
    }

    internal VmallocAddr Start { get; }

    internal ulong Size { get; }

    /// <summary>The frame behind each page of the area.</summary>
    internal int[] Pfns { get; }

    /// <summary>VM_USERMAP: allocated by vmalloc_user, so remap_vmalloc_range may map it.</summary>
    internal bool UserMap { get; }

    internal int Owner { get; set; }

    internal int Site { get; }

    /// <summary>A vmap of the caller's pages (VM_MAP): the area does not own them, so vfree/vunmap free none.</summary>
    internal bool Mapped { get; init; }
}

/// <summary>The vmalloc address range and its areas (mm/vmalloc.c).</summary>
internal sealed class VmallocArea
{
    /// <summary>VMALLOC_START on x86-64 (4-level paging).</summary>
    internal const ulong Base = 0xffffc90000000000UL;

    private readonly Kernel kernel;
    private readonly SortedDictionary<ulong, VmallocRegion> regions = new();
    private ulong next = Base;

    internal VmallocArea(Kernel kernel) => this.kernel = kernel;

    internal IEnumerable<VmallocRegion> Regions => regions.Values;

    /// <summary>
    /// __vmalloc_node_range: frames are taken one at a time and mapped in the reverse of the order the buddy
    /// allocator returned them, so neighbouring virtual pages are never physically adjacent — vmalloc promises no
    /// physical contiguity, and code that assumes it (DKMM007) shows its bug.
    /// </summary>
    internal VmallocRegion? Alloc(ulong size, Gfp gfp, bool userMap, int owner, int site)
    {
        var pages = (int)((size + Kernel.PageSize - 1) / Kernel.PageSize);
        var pfns = new int[pages];
        for (var i = 0; i < pages; i++)
        {
            var pfn = kernel.AllocBlock(gfp, 0, owner, site, ownerHolder: true);
            if (pfn < 0)
            {
                for (var j = 0; j < i; j++)
                {
                    kernel.ReleaseOwned(pfns[pages - 1 - j], 0);
                }

                return null;
            }

            pfns[pages - 1 - i] = pfn;
        }

        var start = new VmallocAddr(next);
        next += ((ulong)pages + 1) * Kernel.PageSize; // guard page
        var region = new VmallocRegion(start, (ulong)pages * Kernel.PageSize, pfns, userMap, owner, site);
        regions.Add(start.Value, region);
        return region;
    }

    /// <summary>mm/vmalloc.c: vmap — a new area over <paramref name="pfns"/>, which stay the caller's.</summary>
    internal VmallocRegion Map(int[] pfns, int owner, int site)
    {
        var start = new VmallocAddr(next);
        next += ((ulong)pfns.Length + 1) * Kernel.PageSize; // guard page
        var region = new VmallocRegion(start, (ulong)pfns.Length * Kernel.PageSize, pfns, userMap: false, owner, site) { Mapped = true };
        regions.Add(start.Value, region);
        return region;
    }

    /// <summary>The area containing <paramref name="addr"/>, or null.</summary>
    internal VmallocRegion? Find(VmallocAddr addr)
    {
        foreach (var r in regions.Values)
        {
            if (addr.Value >= r.Start.Value && addr.Value < r.Start.Value + r.Size)
            {
                return r;
            }
        }

        return null;
    }

    internal void Remove(VmallocRegion region) => regions.Remove(region.Start.Value);

    internal void Adopt(int from, int to)
    {
        foreach (var r in regions.Values.Where(r => r.Owner == from))
        {
            r.Owner = to;
        }
    }
}
