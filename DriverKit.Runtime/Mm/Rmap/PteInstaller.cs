namespace DriverKit.Runtime;

/// <summary>The kernel path that installed a PTE (recorded in the PTE ledger for reports, docs §5.1).</summary>
internal enum PteInstaller : byte
{
    /// <summary>do_anonymous_page.</summary>
    AnonFault,

    /// <summary>The zero page mapped by an anonymous read fault.</summary>
    ZeroPage,

    /// <summary>finish_fault for a page returned by -&gt;fault.</summary>
    Fault,

    /// <summary>do_no_page for a page returned by the legacy -&gt;nopage.</summary>
    NoPage,

    /// <summary>do_no_pfn for a frame returned by the legacy -&gt;nopfn.</summary>
    NoPfn,

    /// <summary>remap_pfn_range / io_remap_pfn_range.</summary>
    RemapPfnRange,

    /// <summary>vm_insert_page / vm_map_pages / remap_vmalloc_range.</summary>
    VmInsertPage,

    /// <summary>vmf_insert_pfn.</summary>
    VmfInsertPfn,

    /// <summary>vmf_insert_mixed.</summary>
    VmfInsertMixed,

    /// <summary>copy_page_range at fork.</summary>
    ForkCopy,

    /// <summary>wp_page_copy / do_cow_fault: a private copy.</summary>
    Cow,

    /// <summary>do_swap_page.</summary>
    SwapIn,

    /// <summary>filemap_fault of a page-cache page.</summary>
    PageCache,
}

/// <summary>The PTE ledger and reverse map for every frame, normal and special PTEs alike: pfn → (mm, address).</summary>
/// <remarks>
/// mm/rmap.c keeps rmap only for normal pages; this shadow map also records special PTEs, which is what lets the
/// checker see a frame freed while a special PTE still maps it (INV-06). Records live in flat, pooled arrays.
/// </remarks>
internal sealed class RmapTable
{
    private int[] mm = new int[1024];
    private ulong[] addr = new ulong[1024];
    private int[] next = new int[1024];
    private PteInstaller[] installer = new PteInstaller[1024];
    private bool[] normal = new bool[1024];
    private uint[] generation = new uint[1024];
    private int freeHead = MemMap.None;
    private int used;

    internal int Mm(int rec) => mm[rec];

    internal ulong Addr(int rec) => addr[rec];

    internal int Next(int rec) => next[rec];

    internal PteInstaller Installer(int rec) => installer[rec];

    internal bool Normal(int rec) => normal[rec];

    internal uint Generation(int rec) => generation[rec];

    internal void Add(MemMap map, int pfn, int mmId, ulong address, PteInstaller how, bool isNormal)
    {
        var rec = freeHead;
        if (rec != MemMap.None)
        {
            freeHead = next[rec];
        }
        else
        {
            if (used == mm.Length)
            {
                Grow();
            }

            rec = used++;
        }

        mm[rec] = mmId;
        addr[rec] = address;
        installer[rec] = how;
        normal[rec] = isNormal;
        generation[rec] = map.Generation[pfn];
        next[rec] = map.RmapFirst[pfn];
        map.RmapFirst[pfn] = rec;
    }

    /// <summary>Removes the record of (mm, address) from the frame's list; returns its index (now free) or None.</summary>
    internal int Remove(MemMap map, int pfn, int mmId, ulong address)
    {
        var prev = MemMap.None;
        for (var rec = map.RmapFirst[pfn]; rec != MemMap.None; prev = rec, rec = next[rec])
        {
            if (mm[rec] != mmId || addr[rec] != address)
            {
                continue;
            }

            if (prev == MemMap.None)
            {
                map.RmapFirst[pfn] = next[rec];
            }
            else
            {
                next[prev] = next[rec];
            }

            next[rec] = freeHead;
            freeHead = rec;
            return rec;
        }

        return MemMap.None;
    }

    internal int Find(MemMap map, int pfn, int mmId, ulong address)
    {
        for (var rec = map.RmapFirst[pfn]; rec != MemMap.None; rec = next[rec])
        {
            if (mm[rec] == mmId && addr[rec] == address)
            {
                return rec;
            }
        }

        return MemMap.None;
    }

    internal void Move(int rec, int mmId, ulong address)
    {
        mm[rec] = mmId;
        addr[rec] = address;
    }

    internal void SetNormal(int rec, bool isNormal) => normal[rec] = isNormal;

    internal int CountNormal(MemMap map, int pfn)
    {
        var n = 0;
        for (var rec = map.RmapFirst[pfn]; rec != MemMap.None; rec = next[rec])
        {
            if (normal[rec])
            {
                n++;
            }
        }

        return n;
    }

    private void Grow()
    {
        var size = mm.Length * 2;
        Array.Resize(ref mm, size);
        Array.Resize(ref addr, size);
        Array.Resize(ref next, size);
        Array.Resize(ref installer, size);
        Array.Resize(ref normal, size);
        Array.Resize(ref generation, size);
    }
}
