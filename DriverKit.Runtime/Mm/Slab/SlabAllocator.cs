namespace DriverKit.Runtime;

/// <summary>
/// A SLUB-like allocator for kmalloc (mm/slub.c): size classes of objects carved from order-0 slab pages (page
/// type slab), so small objects of unrelated owners share pages; sizes above 8 KiB come from the page allocator as
/// compound "large kmalloc" pages.
/// </summary>
internal sealed class SlabAllocator
{
    internal const int MaxCacheSize = 8192;
    private static readonly int[] Sizes = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192 };

    private readonly Kernel kernel;
    private readonly List<Slab>[] caches;
    private readonly Dictionary<int, Slab> slabByPfn = new();
    private readonly Dictionary<ulong, (int Owner, int Site, int Size)> objects = new();
    private readonly int slabOwner;

    internal SlabAllocator(Kernel kernel)
    {
        this.kernel = kernel;
        caches = new List<Slab>[Sizes.Length];
        for (var i = 0; i < Sizes.Length; i++)
        {
            caches[i] = new List<Slab>();
        }

        slabOwner = kernel.Sites.Owner("slab");
    }

    internal sealed class Slab
    {
        internal Slab(int pfn, int order, int objectSize)
        {
            Pfn = pfn;
            Order = order;
            ObjectSize = objectSize;
            Used = new bool[(int)((Kernel.PageSize << order) / (ulong)objectSize)];
        }

        internal int Pfn { get; }

        internal int Order { get; }

        internal int ObjectSize { get; }

        internal bool[] Used { get; }

        internal int InUse { get; set; }
    }

    /// <summary>Live kmalloc objects: address → (owner, site, size).</summary>
    internal IReadOnlyDictionary<ulong, (int Owner, int Site, int Size)> Objects => objects;

    internal static int CacheIndex(ulong size)
    {
        for (var i = 0; i < Sizes.Length; i++)
        {
            if (size <= (ulong)Sizes[i])
            {
                return i;
            }
        }

        return -1;
    }

    internal string CacheName(int index) => $"kmalloc-{(Sizes[index] >= 1024 ? Sizes[index] / 1024 + "k" : Sizes[index].ToString(System.Globalization.CultureInfo.InvariantCulture))}";

    /// <summary>mm/slub.c: slab_alloc — an object from the size class, from a partial slab or a new slab page.</summary>
    internal ulong Alloc(int index, Gfp gfp, int owner, int site)
    {
        Slab? slab = null;
        foreach (var s in caches[index])
        {
            if (s.InUse < s.Used.Length)
            {
                slab = s;
                break;
            }
        }

        if (slab is null)
        {
            var order = Sizes[index] > (int)Kernel.PageSize ? 1 : 0;
            var pfn = kernel.AllocBlock(gfp & ~Gfp.Zero, order, slabOwner, site, ownerHolder: true);
            if (pfn < 0)
            {
                return 0;
            }

            if (order > 0)
            {
                kernel.Mem.Set(pfn, PageFlags.Head);
            }

            for (var i = 0; i < 1 << order; i++)
            {
                kernel.Mem.Type[pfn + i] = PageType.Slab;
            }

            slab = new Slab(pfn, order, Sizes[index]);
            caches[index].Add(slab);
            slabByPfn[pfn] = slab;
        }

        var slot = Array.IndexOf(slab.Used, false);
        slab.Used[slot] = true;
        slab.InUse++;
        var addr = Kernel.PageOffset + ((ulong)slab.Pfn << Kernel.PageShift) + (ulong)(slot * slab.ObjectSize);
        objects[addr] = (owner, site, Sizes[index]);
        return addr;
    }

    /// <summary>The slab holding <paramref name="pfn"/> (its head), or null.</summary>
    internal Slab? SlabOf(int pfn) => slabByPfn.GetValueOrDefault(kernel.Mem.CompoundHead(pfn));

    /// <summary>True when <paramref name="addr"/> is the slab's last live object, so freeing it frees the slab page.</summary>
    internal bool EmptiedBy(Slab slab, ulong addr) => slab.InUse == 1 && objects.ContainsKey(addr);

    /// <summary>mm/slub.c: slab_free — returns the object; an empty slab page goes back to the page allocator.</summary>
    /// <returns>False when the address is not a live object of the slab (double free or interior pointer).</returns>
    internal bool Free(Slab slab, ulong addr)
    {
        var offset = addr - Kernel.PageOffset - ((ulong)slab.Pfn << Kernel.PageShift);
        if (offset % (ulong)slab.ObjectSize != 0 || !slab.Used[(int)(offset / (ulong)slab.ObjectSize)])
        {
            return false;
        }

        slab.Used[(int)(offset / (ulong)slab.ObjectSize)] = false;
        slab.InUse--;
        objects.Remove(addr);
        if (slab.InUse == 0)
        {
            caches[CacheIndex((ulong)slab.ObjectSize)].Remove(slab);
            slabByPfn.Remove(slab.Pfn);
            for (var i = 0; i < 1 << slab.Order; i++)
            {
                kernel.Mem.Type[slab.Pfn + i] = PageType.None;
            }

            kernel.Mem.Clear(slab.Pfn, PageFlags.Head);
            kernel.ReleaseOwned(slab.Pfn, slab.Order);
        }

        return true;
    }

    internal void Adopt(int from, int to)
    {
        foreach (var (addr, entry) in objects.Where(e => e.Value.Owner == from).ToArray())
        {
            objects[addr] = entry with { Owner = to };
        }
    }

    internal void TrackLarge(ulong addr, int owner, int site, int size) => objects[addr] = (owner, site, size);

    internal void UntrackLarge(ulong addr) => objects.Remove(addr);
}
