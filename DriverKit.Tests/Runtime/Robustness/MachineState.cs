using System.Globalization;
using System.Runtime.CompilerServices;
using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// A full-state snapshot of one simulated machine: every frame-table entry of an allocated frame (free frames only
/// as "free": which free list or per-cpu list holds them is allocator bookkeeping), the reference ledger and reverse
/// map, every process with its file table, every address space with its vmas, present PTEs and counters, the slab,
/// vmalloc, swap, LRU, device and DMA state, plus driver-visible counters the caller adds. The kernel log and report
/// list are kept apart (<see cref="LogDiff"/>): a refused call records a report by design.
/// </summary>
/// <remarks>
/// Deliberately left out: allocation generations and call-site ids (bumped by an allocation that an error path
/// undoes, invisible to the kernel), and TLB contents (a cache). Objects (vm_ops, files) are named through
/// <see cref="Namer"/> so two machines built the same way compare equal.
/// </remarks>
internal sealed class MachineState
{
    /// <summary>Per-frame state of an allocated frame; free frames are all-default with <see cref="Free"/> set.</summary>
    internal readonly record struct FrameRow(bool Free, ulong Flags, int Ref, int Map, int Mapping, uint Index, PageType Type, byte Order, int Head, string Owner, bool Lru, int Data, string? Ledger, string? Rmap);

    private readonly FrameRow[] frames;
    private readonly SortedDictionary<string, string> lines;
    private readonly SortedDictionary<string, string> log;

    private MachineState(FrameRow[] frames, SortedDictionary<string, string> lines, SortedDictionary<string, string> log)
    {
        this.frames = frames;
        this.lines = lines;
        this.log = log;
    }

    /// <summary>Names an object (vm_ops, private data) stably; the default names it by type.</summary>
    internal delegate string Namer(object o);

    /// <summary>Takes a snapshot of <paramref name="k"/>.</summary>
    /// <param name="k">The machine.</param>
    /// <param name="name">Stable names for driver objects (null: type names).</param>
    /// <param name="driver">Driver-visible counters (open/close balance …) to include.</param>
    internal static MachineState Capture(Kernel k, Namer? name = null, IReadOnlyDictionary<string, long>? driver = null)
    {
        name ??= o => o.GetType().Name;
        var mem = k.Mem;
        var rows = new FrameRow[mem.Count];
        for (var p = 0; p < mem.Count; p++)
        {
            if (k.IsFreeFrame(p))
            {
                rows[p] = new FrameRow(true, 0, 0, 0, 0, 0, 0, 0, 0, string.Empty, false, 0, null, null);
                continue;
            }

            rows[p] = new FrameRow(false, mem.Flags[p], mem.RefCount[p], mem.MapCount[p], mem.Mapping[p], mem.Index[p], mem.Type[p], mem.Order[p], mem.Head[p],
                k.Sites.OwnerName(mem.OwnerOrNext[p]), mem.LruPrev[p] != MemMap.NotOnLru, Hash(mem.Data[p]), LedgerOf(k, p), RmapOf(k, p));
        }

        var lines = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Put(string key, string value) => lines[key] = value;

        Put("machine", $"free={k.FreePageCount} tainted={k.TaintedBadPage} lru={k.Lru.AnonCount}/{k.Lru.FileCount} swap={k.Swap.Used}");
        var seen = new HashSet<MmStruct>();
        foreach (var proc in k.Processes)
        {
            var pid = proc.Pid.ToString("d5", CultureInfo.InvariantCulture);
            Put($"proc {pid}", $"{proc.Comm} {proc.State} parent={proc.Parent?.Pid} memlock={proc.MemlockLimit} cap={proc.CapIpcLock} coredump={proc.CoredumpFilter:x} files={proc.Files.Count}");
            foreach (var (fd, file) in proc.Files)
            {
                Put($"proc {pid} fd {fd:d4}", FileText(file));
            }

            if (seen.Add(proc.Mm))
            {
                AddMm(k, proc.Mm, $"proc {pid} mm", name, Put);
            }
        }

        foreach (var mm in k.AllMms)
        {
            if (seen.Add(mm))
            {
                AddMm(k, mm, $"orphan mm {mm.Id}", name, Put);
            }
        }

        foreach (var (path, device) in k.Devices)
        {
            Put($"device {path}", $"registered={device.Registered} vmas={device.Inode.Mapping.Vmas.Count} pages={device.Inode.Mapping.Pages.Count}");
        }

        foreach (var (addr, (owner, _, size)) in k.Slab.Objects)
        {
            Put($"kmalloc {addr:x16}", $"size={size} owner={k.Sites.OwnerName(owner)}");
        }

        foreach (var region in k.VmallocSpace.Regions)
        {
            Put($"vmalloc {region.Start}", $"size={region.Size} user={region.UserMap} pfns={string.Join(',', region.Pfns.Select(x => x.ToString("x", CultureInfo.InvariantCulture)))}");
        }

        foreach (var t in k.Dma.Pending)
        {
            Put($"dma {t.Id:d5}", $"pfn={t.Pfn:x} offset={t.Offset} len={t.Data.Length} due={t.DueStep} user={t.UserMm?.Owner?.Pid}:{t.UserAddr:x}");
        }

        if (driver is not null)
        {
            foreach (var (key, value) in driver)
            {
                Put($"driver {key}", value.ToString(CultureInfo.InvariantCulture));
            }
        }

        var log = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["reports"] = k.Reports.Count.ToString(CultureInfo.InvariantCulture),
            ["dmesg"] = k.Dmesg.Count.ToString(CultureInfo.InvariantCulture),
        };
        return new MachineState(rows, lines, log);
    }

    private static void AddMm(Kernel k, MmStruct mm, string prefix, Namer name, Action<string, string> put)
    {
        put(prefix, $"id={mm.Id} owner={mm.Owner?.Pid} rss={mm.RssFile}/{mm.RssAnon}/{mm.RssShmem} swap={mm.SwapEntries} locked={mm.LockedVm} total={mm.TotalVm} def={mm.DefFlags} live={k.MmById(mm.Id) is not null}");
        foreach (var vma in mm.Vmas.All)
        {
            put($"{prefix} vma {vma.Start}", $"end={vma.End} flags={(ulong)vma.RawFlags:x} pgoff={vma.RawPgoff:x} prot={vma.PageProt} ops={(vma.RawOps is null ? "-" : name(vma.RawOps))} " +
                $"file={(vma.File is null ? "-" : FileText(vma.File))} data={(vma.PrivateData is null ? "-" : name(vma.PrivateData))} anon={vma.HasAnonVma} pat={vma.PatTracked} opened={vma.Opened} closed={vma.Closed}");
        }

        foreach (var (addr, pte) in Ptes(mm))
        {
            put($"{prefix} pte {addr:x12}", PteText(pte));
        }
    }

    private static readonly System.Reflection.FieldInfo PgdField =
        typeof(PageTable).GetField("pgd", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;

    /// <summary>Every non-none PTE of <paramref name="mm"/>, walking the table levels that exist (all of user space, vmas or not).</summary>
    internal static IEnumerable<(ulong Addr, ulong Pte)> Ptes(MmStruct mm)
    {
        var pgd = (ulong[]?[]?[]?[])PgdField.GetValue(mm.PageTable)!;
        for (var i4 = 0; i4 < pgd.Length; i4++)
        {
            if (pgd[i4] is not { } pud)
            {
                continue;
            }

            for (var i3 = 0; i3 < pud.Length; i3++)
            {
                if (pud[i3] is not { } pmd)
                {
                    continue;
                }

                for (var i2 = 0; i2 < pmd.Length; i2++)
                {
                    if (pmd[i2] is not { } leaf)
                    {
                        continue;
                    }

                    for (var i1 = 0; i1 < leaf.Length; i1++)
                    {
                        if (leaf[i1] != 0)
                        {
                            yield return (((ulong)i4 << 39) | ((ulong)i3 << 30) | ((ulong)i2 << 21) | ((ulong)i1 << 12), leaf[i1]);
                        }
                    }
                }
            }
        }
    }

    private static string FileText(DriverKit.Runtime.OpenFile f) => $"{f.Inode.Path}#{f.Mapping.Id} count={f.Count} mode={f.Mode} size={f.Inode.Size} pages={f.Mapping.Pages.Count} swap={f.Mapping.SwapSlots.Count}";

    /// <summary>"pfn 1a3 P W U A D S" style text of a PTE.</summary>
    internal static string PteText(ulong pte)
    {
        if (Pte.IsSwap(pte))
        {
            return $"swap slot {Pte.SwapSlot(pte)}";
        }

        var bits = string.Concat(
            (pte & Pte.Present) != 0 ? "P" : "-",
            (pte & Pte.ProtNone) != 0 ? "N" : "-",
            (pte & Pte.Write) != 0 ? "W" : "-",
            (pte & Pte.Dirty) != 0 ? "D" : "-",
            (pte & Pte.Special) != 0 ? "S" : "-",
            Pte.CacheOf(pte).ToString());
        return $"pfn {Pte.PfnOf(pte):x} {bits} raw={pte:x16}";
    }

    private static string? LedgerOf(Kernel k, int pfn)
    {
        var holders = k.Ledger.Of(pfn);
        return holders.Count == 0 ? null : string.Join(",", holders.Select(h => $"{h.Kind}x{h.Count}").Order(StringComparer.Ordinal));
    }

    private static string? RmapOf(Kernel k, int pfn)
    {
        var rec = k.Mem.RmapFirst[pfn];
        if (rec == MemMap.None)
        {
            return null;
        }

        var parts = new List<string>();
        for (var n = 0; rec != MemMap.None; rec = k.Rmap.Next(rec), n++)
        {
            if (n > 4096)
            {
                parts.Add("…cycle");
                break;
            }

            parts.Add($"{k.Rmap.Mm(rec)}:{k.Rmap.Addr(rec):x}:{(k.Rmap.Normal(rec) ? "n" : "s")}:{k.Rmap.Installer(rec)}");
        }

        parts.Sort(StringComparer.Ordinal);
        return string.Join(",", parts);
    }

    private static int Hash(byte[]? data)
    {
        if (data is null || !data.AsSpan().ContainsAnyExcept((byte)0))
        {
            return 0; // absent contents read as zeros
        }

        var h = new HashCode();
        h.AddBytes(data);
        return h.ToHashCode();
    }

    /// <summary>The machine differences (frames first, then everything else); empty when equal.</summary>
    /// <param name="after">The later snapshot.</param>
    internal IReadOnlyList<string> Diff(MachineState after)
    {
        var found = new List<string>();
        var n = Math.Max(frames.Length, after.frames.Length);
        for (var p = 0; p < n; p++)
        {
            var a = p < frames.Length ? frames[p] : default;
            var b = p < after.frames.Length ? after.frames[p] : default;
            if (!a.Equals(b))
            {
                found.Add($"frame {p:x5} [{(a.Free ? b.Owner : a.Owner)}]: {FrameDiff(a, b)}");
            }
        }

        DiffLines(lines, after.lines, found);
        return found;
    }

    /// <summary>Differences of the kernel log and report count only.</summary>
    /// <param name="after">The later snapshot.</param>
    internal IReadOnlyList<string> LogDiff(MachineState after)
    {
        var found = new List<string>();
        DiffLines(log, after.log, found);
        return found;
    }

    /// <summary>The first <paramref name="max"/> differences, one per line, with the total.</summary>
    /// <param name="diff">What <see cref="Diff"/> returned.</param>
    /// <param name="max">How many to show.</param>
    internal static string Describe(IReadOnlyList<string> diff, int max = 6) =>
        diff.Count == 0 ? "no difference" : string.Join("; ", diff.Take(max)) + (diff.Count > max ? $"; … ({diff.Count} differences)" : string.Empty);

    private static void DiffLines(SortedDictionary<string, string> a, SortedDictionary<string, string> b, List<string> found)
    {
        foreach (var (key, value) in a)
        {
            if (!b.TryGetValue(key, out var other))
            {
                found.Add($"{key}: gone (was {value})");
            }
            else if (other != value)
            {
                found.Add($"{key}: {Changed(value, other)}");
            }
        }

        foreach (var (key, value) in b)
        {
            if (!a.ContainsKey(key))
            {
                found.Add($"{key}: new ({value})");
            }
        }
    }

    /// <summary>"field a→b" for the space-separated fields that changed.</summary>
    private static string Changed(string before, string after)
    {
        var x = before.Split(' ');
        var y = after.Split(' ');
        if (x.Length != y.Length)
        {
            return $"{before} → {after}";
        }

        return string.Join(", ", x.Zip(y).Where(t => t.First != t.Second).Select(t => $"{t.First} → {t.Second}"));
    }

    private static string FrameDiff(FrameRow a, FrameRow b)
    {
        if (a.Free != b.Free)
        {
            return a.Free ? $"allocated (rc={b.Ref} mc={b.Map} owner={b.Owner} type={b.Type})" : $"freed (was rc={a.Ref} mc={a.Map} owner={a.Owner})";
        }

        var parts = new List<string>();
        void Cmp<T>(string field, T x, T y)
        {
            if (!EqualityComparer<T>.Default.Equals(x, y))
            {
                parts.Add($"{field} {x}→{y}");
            }
        }

        Cmp("rc", a.Ref, b.Ref);
        Cmp("mc", a.Map, b.Map);
        Cmp("flags", (PageFlags)a.Flags, (PageFlags)b.Flags);
        Cmp("mapping", a.Mapping, b.Mapping);
        Cmp("index", a.Index, b.Index);
        Cmp("type", a.Type, b.Type);
        Cmp("order", a.Order, b.Order);
        Cmp("head", a.Head, b.Head);
        Cmp("owner", a.Owner, b.Owner);
        Cmp("lru", a.Lru, b.Lru);
        Cmp("data", a.Data, b.Data);
        Cmp("ledger", a.Ledger ?? "-", b.Ledger ?? "-");
        Cmp("rmap", a.Rmap ?? "-", b.Rmap ?? "-");
        return string.Join(", ", parts);
    }

    /// <summary>Names objects by a registry, falling back to type and identity.</summary>
    internal sealed class Names
    {
        private readonly ConditionalWeakTable<object, string> table = new();

        internal T Add<T>(T o, string name)
            where T : class
        {
            table.AddOrUpdate(o, name);
            return o;
        }

        internal string Of(object o) => table.TryGetValue(o, out var n) ? n : o.GetType().Name + "@" + RuntimeHelpers.GetHashCode(o).ToString("x", CultureInfo.InvariantCulture);
    }
}
