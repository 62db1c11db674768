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
/// checker see a frame freed while a special PTE still maps it (INV-06). Records live in one flat, pooled array.
/// </remarks>
internal sealed class RmapTable
{
    /// <summary>One record: what one PTE maps, kept together so a look-up touches one cache line.</summary>
    private struct Record
    {
        internal ulong Addr;
        internal int Mm;
        internal int Next;
        internal uint Generation;
        internal PteInstaller Installer;
        internal bool Normal;
    }

    private Record[] records = new Record[1024];
    private int freeHead = MemMap.None;
    private int used;

    internal int Mm(int rec) => records[rec].Mm;

    internal ulong Addr(int rec) => records[rec].Addr;

    internal int Next(int rec) => records[rec].Next;

    internal PteInstaller Installer(int rec) => records[rec].Installer;

    internal bool Normal(int rec) => records[rec].Normal;

    internal uint Generation(int rec) => records[rec].Generation;

    internal void Add(MemMap map, int pfn, int mmId, ulong address, PteInstaller how, bool isNormal)
    {
        var rec = freeHead;
        if (rec != MemMap.None)
        {
            freeHead = records[rec].Next;
        }
        else
        {
            if (used == records.Length)
            {
                Array.Resize(ref records, records.Length * 2);
            }

            rec = used++;
        }

        ref var r = ref records[rec];
        r.Mm = mmId;
        r.Addr = address;
        r.Installer = how;
        r.Normal = isNormal;
        r.Generation = map.Generation[pfn];
        r.Next = map.RmapFirst[pfn];
        map.RmapFirst[pfn] = rec;
    }

    /// <summary>Removes the record of (mm, address) from the frame's list; returns its index (now free) or None.</summary>
    internal int Remove(MemMap map, int pfn, int mmId, ulong address)
    {
        var all = records;
        var prev = MemMap.None;
        for (var rec = map.RmapFirst[pfn]; rec != MemMap.None; prev = rec, rec = all[rec].Next)
        {
            ref var r = ref all[rec];
            if (r.Mm != mmId || r.Addr != address)
            {
                continue;
            }

            if (prev == MemMap.None)
            {
                map.RmapFirst[pfn] = r.Next;
            }
            else
            {
                all[prev].Next = r.Next;
            }

            r.Next = freeHead;
            freeHead = rec;
            return rec;
        }

        return MemMap.None;
    }

    /// <summary>Whether record <paramref name="rec"/> is the normal PTE at (mm, address): zap's common case for a frame's first record.</summary>
    internal bool IsNormalAt(int rec, int mmId, ulong address)
    {
        ref var r = ref records[rec];
        return r.Mm == mmId && r.Addr == address && r.Normal;
    }

    /// <summary><see cref="Remove"/> of <paramref name="rec"/> when it is the first record of the frame's list.</summary>
    internal void RemoveFirst(MemMap map, int pfn, int rec)
    {
        ref var r = ref records[rec];
        map.RmapFirst[pfn] = r.Next;
        r.Next = freeHead;
        freeHead = rec;
    }

    internal int Find(MemMap map, int pfn, int mmId, ulong address)
    {
        var all = records;
        for (var rec = map.RmapFirst[pfn]; rec != MemMap.None; rec = all[rec].Next)
        {
            if (all[rec].Mm == mmId && all[rec].Addr == address)
            {
                return rec;
            }
        }

        return MemMap.None;
    }

    internal void Move(int rec, int mmId, ulong address)
    {
        records[rec].Mm = mmId;
        records[rec].Addr = address;
    }

    internal void SetNormal(int rec, bool isNormal) => records[rec].Normal = isNormal;

    internal int CountNormal(MemMap map, int pfn)
    {
        var n = 0;
        for (var rec = map.RmapFirst[pfn]; rec != MemMap.None; rec = records[rec].Next)
        {
            if (records[rec].Normal)
            {
                n++;
            }
        }

        return n;
    }
}
