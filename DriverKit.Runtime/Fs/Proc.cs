using System.Globalization;
using System.Text;

namespace DriverKit.Runtime;

/// <summary>fs/proc/task_mmu.c: the text of /proc/&lt;pid&gt;/maps, smaps and status.</summary>
public static class Proc
{
    /// <summary>show_smap_vma_flags: mnemonics in bit order, as the kernel prints them.</summary>
    private static readonly (VmFlags Flag, string Mnemonic)[] Mnemonics =
    {
        (VmFlags.Read, "rd"), (VmFlags.Write, "wr"), (VmFlags.Exec, "ex"), (VmFlags.Shared, "sh"),
        (VmFlags.MayRead, "mr"), (VmFlags.MayWrite, "mw"), (VmFlags.MayExec, "me"), (VmFlags.MayShare, "ms"),
        (VmFlags.GrowsDown, "gd"), (VmFlags.PfnMap, "pf"), (VmFlags.Locked, "lo"), (VmFlags.IO, "io"),
        (VmFlags.SeqRead, "sr"), (VmFlags.RandRead, "rr"), (VmFlags.DontCopy, "dc"), (VmFlags.DontExpand, "de"),
        (VmFlags.LockOnFault, "lf"), (VmFlags.Account, "ac"), (VmFlags.NoReserve, "nr"), (VmFlags.HugeTlb, "ht"),
        (VmFlags.WipeOnFork, "wf"), (VmFlags.DontDump, "dd"), (VmFlags.MixedMap, "mm"),
    };

    /// <summary>
    /// The smaps "VmFlags:" mnemonics of <paramref name="flags"/>. Flags removed before smaps showed VmFlags (3.8)
    /// have no kernel mnemonic; they are appended in brackets, e.g. "[reserved]".
    /// </summary>
    /// <param name="policy">The era: VM_LOCKONFAULT prints "lf" from 6.2, "??" before.</param>
    /// <param name="flags">The vma flags.</param>
    public static string VmFlagsText(EraPolicy policy, VmFlags flags)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var parts = new List<string>();
        foreach (var (flag, mnemonic) in Mnemonics)
        {
            if ((flags & flag) != 0)
            {
                // show_smap_vma_flags: a bit without a mnemonic prints the "??" fill of the table.
                parts.Add(flag == VmFlags.LockOnFault && !policy.SmapsShowsLockOnFault ? "??" : mnemonic);
            }
        }

        foreach (var legacy in new[] { VmFlags.Reserved, VmFlags.Unpaged, VmFlags.InsertPage, VmFlags.Shm, VmFlags.AlwaysDump })
        {
            if ((flags & legacy) != 0)
            {
                parts.Add("[" + legacy.ToString().ToLowerInvariant() + "]");
            }
        }

        return string.Join(' ', parts);
    }

    /// <summary>One /proc/pid/maps line: "start-end perms offset dev inode path".</summary>
    /// <param name="vma">The vma.</param>
    public static string MapsLine(VmArea vma)
    {
        ArgumentNullException.ThrowIfNull(vma);
        var f = vma.RawFlags;
        var perms = $"{((f & VmFlags.Read) != 0 ? 'r' : '-')}{((f & VmFlags.Write) != 0 ? 'w' : '-')}{((f & VmFlags.Exec) != 0 ? 'x' : '-')}{((f & VmFlags.MayShare) != 0 ? 's' : 'p')}";
        var offset = (vma.RawPgoff << Kernel.PageShift).ToString("x8", CultureInfo.InvariantCulture);
        var path = vma.File?.Inode.Path ?? AnonName(vma);
        var line = $"{vma.Start.Value:x8}-{vma.End.Value:x8} {perms} {offset} 00:00 {(vma.File is null ? 0 : vma.File.Mapping.Id)}";
        return path.Length == 0 ? line : line.PadRight(73) + path;
    }

    /// <summary>show_map_vma: an anonymous vma over [start_brk, brk] is "[heap]", the one holding start_stack "[stack]" (is_stack).</summary>
    private static string AnonName(VmArea vma)
    {
        var mm = vma.Mm;
        if (vma.Start <= mm.Brk && vma.End >= mm.StartBrk && mm.Brk.Value != 0)
        {
            return "[heap]";
        }

        return vma.Start <= mm.StartStack && vma.End >= mm.StartStack && mm.StartStack.Value != 0 ? "[stack]" : string.Empty;
    }

    /// <summary>/proc/pid/maps.</summary>
    /// <param name="process">The process.</param>
    public static string Maps(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        var sb = new StringBuilder();
        foreach (var vma in process.Mm.Vmas.All)
        {
            sb.Append(MapsLine(vma)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// /proc/pid/smaps: per vma, Size, Rss (normal pages only: smaps_pte_entry uses vm_normal_page, so special PTEs
    /// of remap_pfn_range or vmf_insert_mixed count 0), Anonymous, Swap, Locked and VmFlags.
    /// </summary>
    /// <param name="process">The process.</param>
    public static string Smaps(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        var sb = new StringBuilder();
        foreach (var vma in process.Mm.Vmas.All)
        {
            var s = SmapsOf(vma);
            sb.Append(MapsLine(vma)).Append('\n');
            Line(sb, "Size", vma.Length / 1024);
            Line(sb, "KernelPageSize", 4);
            Line(sb, "MMUPageSize", 4);
            Line(sb, "Rss", s.RssKb);
            Line(sb, "Anonymous", s.AnonKb);
            Line(sb, "Swap", s.SwapKb);
            Line(sb, "Locked", LockedKb(vma));
            sb.Append("VmFlags: ").Append(VmFlagsText(vma.Kernel.Policy, vma.RawFlags)).Append(" \n");
        }

        return sb.ToString();
    }

    /// <summary>The smaps counters of one vma, in kB.</summary>
    /// <param name="vma">The vma.</param>
    public static (ulong RssKb, ulong AnonKb, ulong SwapKb) SmapsOf(VmArea vma)
    {
        ArgumentNullException.ThrowIfNull(vma);
        var (rss, anon, swap, _) = Walk(vma);
        return (rss, anon, swap);
    }

    /// <summary>PSS_SHIFT: the fixed-point fraction bits smaps keeps the proportional size in.</summary>
    private const int PssShift = 12;

    /// <summary>
    /// fs/proc/task_mmu.c: the smaps "Locked:" value — the proportional set size of a VM_LOCKED vma (smaps_account:
    /// a page mapped n ≥ 2 times counts 1/n, a page whose only reference is this mapping counts whole), 0 otherwise.
    /// It has been the PSS since the line was added ("Locked" in show_smap, mss.pss &gt;&gt; (10 + PSS_SHIFT)); 4.14
    /// moved it to mss-&gt;pss_locked, the same sum.
    /// </summary>
    private static ulong LockedKb(VmArea vma) => (vma.RawFlags & VmFlags.Locked) == 0 ? 0 : Walk(vma).Pss >> (PssShift + 10);

    /// <summary>smaps_pte_range over one vma: Rss, Anonymous and Swap in kB, and the PSS in bytes &lt;&lt; PSS_SHIFT.</summary>
    private static (ulong Rss, ulong Anon, ulong Swap, ulong Pss) Walk(VmArea vma)
    {
        var kernel = vma.Kernel;
        ulong rss = 0, anon = 0, swap = 0, pss = 0;
        if (kernel.Policy.PageWalkSkipsPfnMap && (vma.RawFlags & VmFlags.PfnMap) != 0)
        {
            // mm/pagewalk.c: walk_page_test — a VM_PFNMAP vma is a hole, even its COW'd anonymous pages.
            return (rss, anon, swap, pss);
        }

        var addr = vma.Start.Value;
        while (vma.Mm.PageTable.Next(ref addr, vma.End.Value, out var pte))
        {
            if (Pte.IsSwap(pte))
            {
                swap += 4;
            }
            else if (Pte.IsPresent(pte))
            {
                var page = kernel.VmNormalPage(vma, addr, pte, report: false);
                if (page >= 0)
                {
                    rss += 4;
                    if (kernel.Mem.Mapping[page] == MemMap.AnonMapping)
                    {
                        anon += 4;
                    }

                    // smaps_account: page_count 1 → the whole page; else PAGE_SIZE / mapcount for mapcount ≥ 2.
                    var share = (ulong)Kernel.PageSize << PssShift;
                    var mapcount = kernel.Mem.MapCount[page];
                    pss += kernel.Mem.RefCount[kernel.Mem.CompoundHead(page)] != 1 && mapcount >= 2 ? share / (ulong)mapcount : share;
                }
            }

            addr += Kernel.PageSize;
        }

        return (rss, anon, swap, pss);
    }

    /// <summary>
    /// fs/proc/task_mmu.c: pagemap_read for one address — whether a page is present, its pfn, and whether it is
    /// swapped. Like the kernel, pfns are shown for every present PTE (special ones too), and PFNMAP vmas report
    /// nothing present (pagemap skips VM_PFNMAP: they are "not present" even when mapped).
    /// </summary>
    /// <param name="process">The process.</param>
    /// <param name="addr">A user address.</param>
    public static (bool Present, Pfn Pfn, bool Swapped) Pagemap(Process process, UserAddr addr)
    {
        ArgumentNullException.ThrowIfNull(process);
        var vma = process.Mm.VmaAt(addr);
        var pte = process.Mm.GetPte(addr.PageDown.Value);
        if (vma is null || (vma.RawFlags & VmFlags.PfnMap) != 0)
        {
            return (false, default, false);
        }

        return Pte.IsSwap(pte) ? (false, default, true) : Pte.IsPresent(pte) ? (true, new Pfn(Pte.PfnOf(pte)), false) : (false, default, false);
    }

    /// <summary>/proc/pid/status memory lines: VmSize, VmLck, VmRSS, RssAnon, RssFile, RssShmem, VmSwap.</summary>
    /// <param name="process">The process.</param>
    public static string Status(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        var mm = process.Mm;
        var sb = new StringBuilder();
        sb.Append("Name:\t").Append(process.Comm).Append('\n');
        sb.Append("Pid:\t").Append(process.Pid.ToString(CultureInfo.InvariantCulture)).Append('\n');
        StatusLine(sb, "VmSize", mm.TotalVm * 4);
        StatusLine(sb, "VmLck", mm.LockedVm * 4);
        StatusLine(sb, "VmRSS", (mm.RssAnon + mm.RssFile + mm.RssShmem) * 4);
        StatusLine(sb, "RssAnon", mm.RssAnon * 4);
        StatusLine(sb, "RssFile", mm.RssFile * 4);
        StatusLine(sb, "RssShmem", mm.RssShmem * 4);
        StatusLine(sb, "VmSwap", mm.SwapEntries * 4);
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string name, ulong kb)
        => sb.Append((name + ":").PadRight(16)).Append(kb.ToString(CultureInfo.InvariantCulture).PadLeft(8)).Append(" kB\n");

    private static void StatusLine(StringBuilder sb, string name, long kb)
        => sb.Append(name).Append(":\t").Append(kb.ToString(CultureInfo.InvariantCulture).PadLeft(8)).Append(" kB\n");
}
