using System.Globalization;
using DriverKit.Runtime;

namespace DriverKit.Tests.Fidelity;

/// <summary>One smaps entry as fidelity/common/obs.h smaps_lookup() reads it.</summary>
internal sealed class SmapsEnt
{
    public bool Found { get; set; }

    public string Perms { get; set; } = string.Empty;

    public string VmFlags { get; set; } = string.Empty;

    public long SizeKb { get; set; }

    public long RssKb { get; set; }

    public long LockedKb { get; set; }

    public long AnonKb { get; set; }

    public long SharedKb { get; set; }

    public long PrivateKb { get; set; }

    /// <summary>Rss summed over every entry intersecting the range.</summary>
    public long RangeRssKb { get; set; }

    public int Entries { get; set; }
}

/// <summary>One /proc/self/pagemap entry: the bits the user program looks at.</summary>
internal readonly record struct PagemapEntry(bool Present, ulong Pfn, bool File, bool Exclusive);

/// <summary>
/// The /proc files the user programs read, on the simulator. Where the simulator prints the file
/// (<see cref="Proc.Smaps"/>, <see cref="Proc.Status"/>, <see cref="Proc.Pagemap"/>) its text or answer is used, so a
/// simulator mistake there shows up as a difference. Where it has no such file (smaps Shared_*/Private_*, pagemap
/// bits 61 and 56, /proc/kpagecount, /proc/kpageflags) the value is computed from the simulator's frame table and
/// page tables with the kernel's own rule (fs/proc/task_mmu.c, fs/proc/page.c of Linux 6.1), named at each helper.
/// </summary>
internal static class ProcView
{
    /// <summary>/proc/kpageflags bit names (include/uapi/linux/kernel-page-flags.h), as obs.h kpf_names.</summary>
    private static readonly string?[] KpfNames = BuildKpfNames();

    private static string?[] BuildKpfNames()
    {
        var n = new string?[64];
        string[] low =
        [
            "locked", "error", "referenced", "uptodate", "dirty", "lru", "active", "slab", "writeback", "reclaim",
            "buddy", "mmap", "anon", "swapcache", "swapbacked", "compound_head", "compound_tail", "huge", "unevictable",
            "hwpoison", "nopage", "ksm", "thp", "offline", "zero_page", "idle", "pgtable",
        ];
        for (var i = 0; i < low.Length; i++)
        {
            n[i] = low[i];
        }

        string[] high = ["reserved", "mlocked", "mappedtodisk", "private", "private_2", "owner_private", "arch", "uncached", "softdirty", "arch_2"];
        for (var i = 0; i < high.Length; i++)
        {
            n[32 + i] = high[i];
        }

        return n;
    }

    /// <summary>
    /// obs.h smaps_lookup over <see cref="Proc.Smaps"/>: the entry containing <paramref name="addr"/> and the number
    /// of entries intersecting [lo, hi). The simulator's smaps has no Shared_*/Private_* lines; those two sums are
    /// computed by <see cref="SharedPrivateKb"/>.
    /// </summary>
    public static SmapsEnt SmapsLookup(Process p, ulong addr, ulong lo, ulong hi)
    {
        var e = new SmapsEnt();
        var inEntry = false;
        var inRange = false;
        foreach (var line in Proc.Smaps(p).Split('\n'))
        {
            if (line.Length == 0)
            {
                continue;
            }

            if (IsHeader(line, out var a, out var b, out var perms))
            {
                inEntry = false;
                inRange = a < hi && b > lo;
                if (inRange)
                {
                    e.Entries++;
                }

                if (addr >= a && addr < b)
                {
                    inEntry = true;
                    e.Found = true;
                    e.Perms = perms;
                    var vma = p.Mm.VmaAt(new UserAddr(a)) ?? throw new InvalidOperationException($"smaps names {a:x} but no vma is there");
                    (e.SharedKb, e.PrivateKb) = SharedPrivateKb(p.Kernel, vma);
                }

                continue;
            }

            if (inRange && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                e.RangeRssKb += Kb(line, 4);
            }

            if (!inEntry)
            {
                continue;
            }

            if (line.StartsWith("Size:", StringComparison.Ordinal))
            {
                e.SizeKb = Kb(line, 5);
            }
            else if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                e.RssKb = Kb(line, 4);
            }
            else if (line.StartsWith("Locked:", StringComparison.Ordinal))
            {
                e.LockedKb = Kb(line, 7);
            }
            else if (line.StartsWith("Anonymous:", StringComparison.Ordinal))
            {
                e.AnonKb = Kb(line, 10);
            }
            else if (line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                e.VmFlags = line[8..].Trim();
            }
        }

        return e;
    }

    /// <summary>A maps header line: "start-end perms offset dev inode [path]" with lowercase hex addresses.</summary>
    private static bool IsHeader(string line, out ulong start, out ulong end, out string perms)
    {
        start = end = 0;
        perms = string.Empty;
        var c = line[0];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        {
            return false;
        }

        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            return false;
        }

        var range = parts[0].Split('-');
        if (range.Length != 2 ||
            !ulong.TryParse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out start) ||
            !ulong.TryParse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out end))
        {
            return false;
        }

        perms = parts[1];
        return true;
    }

    private static long Kb(string line, int skip) => long.Parse(line[skip..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>
    /// fs/proc/task_mmu.c (6.1) smaps_pte_entry + smaps_account: every present PTE with a struct page
    /// (vm_normal_page) counts; page_count == 1 is private, otherwise page_mapcount ≥ 2 is shared and &lt; 2 private.
    /// A VM_PFNMAP vma is not walked at all (mm/pagewalk.c walk_page_test: the whole range is a hole), so even
    /// the anonymous COW pages of a private remap_pfn_range mapping count 0.
    /// Returns (Shared_Clean + Shared_Dirty, Private_Clean + Private_Dirty) in kB.
    /// </summary>
    public static (long SharedKb, long PrivateKb) SharedPrivateKb(Kernel k, VmArea vma)
    {
        long shared = 0, priv = 0;
        if ((vma.Flags & DriverKit.Runtime.VmFlags.PfnMap) != 0)
        {
            return (0, 0);
        }

        var mm = vma.Mm;
        var addr = vma.Start.Value;
        while (mm.PageTable.Next(ref addr, vma.End.Value, out var pte))
        {
            if (Pte.IsPresent(pte))
            {
                var page = k.VmNormalPage(vma, addr, pte, report: false);
                if (page >= 0)
                {
                    if (k.Mem.RefCount[k.Mem.CompoundHead(page)] == 1 || k.Mem.MapCount[page] < 2)
                    {
                        priv += 4;
                    }
                    else
                    {
                        shared += 4;
                    }
                }
            }

            addr += Kernel.PageSize;
        }

        return (shared, priv);
    }

    /// <summary>
    /// /proc/self/pagemap of one address. Present and pfn come from <see cref="Proc.Pagemap"/> (which skips VM_PFNMAP
    /// vmas as pagemap_read's walk does); PM_FILE and PM_MMAP_EXCLUSIVE follow pte_to_pagemap_entry: page =
    /// vm_normal_page(), FILE when the page is not anonymous, EXCLUSIVE when page_mapcount(page) == 1.
    /// </summary>
    public static PagemapEntry Pagemap(Process p, ulong addr)
    {
        var (present, pfn, _) = Proc.Pagemap(p, new UserAddr(addr));
        if (!present)
        {
            return new PagemapEntry(false, 0, false, false);
        }

        var k = p.Kernel;
        var vma = p.Mm.VmaAt(new UserAddr(addr))!;
        var page = k.VmNormalPage(vma, addr & ~(Kernel.PageSize - 1), p.Mm.GetPte(addr & ~(Kernel.PageSize - 1)), report: false);
        var file = page >= 0 && k.Mem.Mapping[page] != MemMap.AnonMapping;
        var excl = page >= 0 && k.Mem.MapCount[page] == 1;
        return new PagemapEntry(true, pfn.Value, file, excl);
    }

    /// <summary>
    /// fs/proc/page.c kpagecount_read: page_mapcount() of the frame — 0 for slab and typed (buddy) pages; -1 (the
    /// user program's read failure) beyond the frame table.
    /// </summary>
    public static long KpageCount(Kernel k, ulong pfn)
    {
        if (pfn >= (ulong)k.Mem.Count)
        {
            return -1;
        }

        var p = (int)pfn;
        return k.Mem.Type[p] != PageType.None ? 0 : k.Mem.MapCount[p];
    }

    /// <summary>
    /// fs/proc/page.c stable_page_flags (6.1) as the "|"-joined kpf names: mmap = page_mapped, anon = PageAnon,
    /// compound head/tail, zero_page, buddy for a PageBuddy head or any page at refcount 0 inside a free buddy block
    /// (is_free_buddy_page), and the copied PG_* bits. Bits the simulator has no state for (error, reclaim,
    /// mappedtodisk / PG_anon_exclusive, owner_private, arch, idle, ksm, thp, …) are never set.
    /// </summary>
    public static string KpageFlags(Kernel k, ulong pfn)
    {
        var mem = k.Mem;
        if (pfn >= (ulong)mem.Count)
        {
            return "?";
        }

        var p = (int)pfn;
        var bits = 0UL;
        void Set(int bit) => bits |= 1UL << bit;
        var fl = (PageFlags)mem.Flags[p];
        if (mem.MapCount[p] > 0 && mem.Type[p] == PageType.None)
        {
            Set(11); // KPF_MMAP
        }

        if (mem.Mapping[p] == MemMap.AnonMapping)
        {
            Set(12);
        }

        if ((fl & PageFlags.Head) != 0)
        {
            Set(15);
        }

        if (mem.IsCompoundTail(p))
        {
            Set(16);
        }

        if (p == k.ZeroPfn)
        {
            Set(24);
        }

        if (mem.Type[p] == PageType.Buddy || (mem.RefCount[p] == 0 && k.Buddy.IsFree(p)))
        {
            Set(10);
        }

        if (mem.Type[p] == PageType.Slab)
        {
            Set(7);
        }

        void Copy(PageFlags f, int bit)
        {
            if ((fl & f) != 0)
            {
                Set(bit);
            }
        }

        Copy(PageFlags.Locked, 0);
        Copy(PageFlags.Error, 1);
        Copy(PageFlags.Dirty, 4);
        Copy(PageFlags.Uptodate, 3);
        Copy(PageFlags.Writeback, 8);
        Copy(PageFlags.Lru, 5);
        Copy(PageFlags.Referenced, 2);
        Copy(PageFlags.Active, 6);
        Copy(PageFlags.SwapCache, 13);
        Copy(PageFlags.SwapBacked, 14);
        Copy(PageFlags.Unevictable, 18);
        Copy(PageFlags.Mlocked, 33);
        Copy(PageFlags.HwPoison, 19);
        Copy(PageFlags.Reserved, 32);
        Copy(PageFlags.Private, 35);
        Copy(PageFlags.Private2, 36);
        return KpfString(bits);
    }

    /// <summary>obs.h kpf_string.</summary>
    public static string KpfString(ulong v)
    {
        var parts = new List<string>();
        for (var i = 0; i < 64; i++)
        {
            if ((v & (1UL << i)) != 0)
            {
                parts.Add(KpfNames[i] ?? "bit" + i.ToString(CultureInfo.InvariantCulture));
            }
        }

        return string.Join('|', parts);
    }

    /// <summary>obs.h status_kb: a "Field:" line of <see cref="Proc.Status"/> in kB, -1 if absent.</summary>
    public static long StatusKb(Process p, string field)
    {
        foreach (var line in Proc.Status(p).Split('\n'))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    /// <summary>The user program's pflags_string: DKFID_PF_* names joined with "|".</summary>
    public static string PflagsString(uint f)
    {
        string[] names =
        [
            "locked", "reserved", "lru", "dirty", "referenced", "uptodate", "anon", "swapbacked",
            "head", "tail", "buddy", "slab", "mlocked", "unevictable", "active", "private",
            "mapping", "writeback", "inbuddy",
        ];
        var parts = new List<string>();
        for (var i = 0; i < names.Length; i++)
        {
            if ((f & (1u << i)) != 0)
            {
                parts.Add(names[i]);
            }
        }

        return string.Join('|', parts);
    }
}
