using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// A seeded random mix of user-space and driver calls on a <see cref="RobustFixture"/>, good and bad alike: system
/// calls with addresses, lengths, fds, protections and flags drawn from the live mappings and from the bad values
/// of the suite, forks, exits, mremaps, memory accesses, GUP through the driver, driver allocations and frees
/// (double and mis-ordered ones included), slab and vmalloc, DMA and reclaim, and in 8 % of the steps a case of the
/// bad-input suite (a system call, or a driver callback that throws or re-enters the kernel). After every step: a defined outcome,
/// an unchanged machine after an error, a checker that does not throw, no new INV-02/INV-13 finding and the
/// structural invariants (<see cref="Structure"/>). The driver side never misuses what the kernel cannot check
/// (it frees only what it owns, puts only what it got, double-frees only frames that are still free), so an INV-02 or
/// INV-13 finding is the simulator's inconsistency, not a driver bug (docs/kernel-semantics.md §5).
/// </summary>
internal sealed class Chaos
{
    private const ulong P4 = Kernel.PageSize;
    private const int MaxProcesses = 5;
    private const int MaxOwned = 48;

    private static readonly ulong[] BadAddresses = [0, 0xFFFF_FFFF_FFFF_F000, 0xFFFF_8880_0000_0000, 0x10000, ulong.MaxValue - 1, 0x7FFF_FFFF_F000];
    private static readonly ulong[] BadLengths = [0, ulong.MaxValue, ulong.MaxValue - 100, 1UL << 47, 1, 4095, 4097];
    private static readonly ulong[] RegionBases = [RobustDriver.FaultBase, RobustDriver.RemapBase, RobustDriver.InsertBase, RobustDriver.PfnBase, RobustDriver.MmioBase];

    private readonly RobustFixture f;
    private readonly Random rng;
    private readonly List<Process> live = new();
    private readonly List<(Page Page, int Order, bool Comp)> owned = new();
    private readonly List<Page> freed = new();
    private readonly List<Page> extraRefs = new();
    private readonly List<KernelAddr> objects = new();
    private readonly List<KernelAddr> freedObjects = new();
    private readonly List<VmallocAddr> areas = new();
    private readonly List<VmallocAddr> freedAreas = new();
    private readonly Queue<string> trace = new();

    public Chaos(string version, int seed)
    {
        f = new RobustFixture(version);
        rng = new Random(seed);
        live.AddRange([f.P, f.Child]);
        Version = version;
        Seed = seed;
    }

    public string Version { get; }

    public int Seed { get; }

    public int Steps { get; private set; }

    /// <summary>Counts of outcomes by kind, for the log.</summary>
    public Dictionary<CaseRunner.Kind, int> Outcomes { get; } = new();

    /// <summary>One step; returns a description of what went wrong, or null.</summary>
    public string? Step()
    {
        Steps++;
        var (what, call, allowed) = Next();
        trace.Enqueue($"{Steps}: {what}");
        if (trace.Count > 12)
        {
            trace.Dequeue();
        }

        string? problem = null;
        var finished = CaseRunner.Guard(() => problem = Check(call, allowed), f.Poison);
        return finished ? problem : $"hang: no return within {CaseRunner.Watchdog.TotalSeconds:0} s";
    }

    /// <summary>The outcome of the last step.</summary>
    public string Last { get; private set; } = string.Empty;

    /// <summary>The last operations, for a failure message.</summary>
    public string Trace => string.Join("\n", trace.Select(t => "    " + t));

    private string? Check(Func<object?> call, Func<string, bool>? allowed)
    {
        var before = f.Snapshot();
        var reports = f.K.Reports.Count;
        var (kind, outcome) = CaseRunner.Classify(call);
        Outcomes[kind] = Outcomes.GetValueOrDefault(kind) + 1;
        Last = outcome;
        f.Driver.ClearHooks();
        if (kind == CaseRunner.Kind.Undefined)
        {
            return "undefined: " + outcome;
        }

        if (kind is CaseRunner.Kind.Error or CaseRunner.Kind.Refused)
        {
            var diff = before.Diff(f.Snapshot()).Where(d => allowed is null || !allowed(d)).ToList();
            if (diff.Count > 0)
            {
                return $"{outcome} changed the machine: {MachineState.Describe(diff)}";
            }
        }

        try
        {
            f.K.Checker.CheckAll();
        }
        catch (Exception e)
        {
            return "checker crashed: " + CaseRunner.Describe(e);
        }

        var found = f.K.Reports.Skip(reports).Where(r => r.Invariant is "INV-02" or "INV-13").ToList();
        if (found.Count > 0)
        {
            return $"{outcome}, then {found[0].Text}" + (found.Count > 1 ? $" (+{found.Count - 1})" : string.Empty);
        }

        var broken = Structure.Check(f.K);
        return broken.Count > 0 ? $"{outcome}, then {string.Join("; ", broken.Take(3))}" : null;
    }

    private T Pick<T>(IReadOnlyList<T> list) => list[rng.Next(list.Count)];

    private bool Chance(int percent) => rng.Next(100) < percent;

    private Process Proc()
    {
        live.RemoveAll(p => p.State != ProcessState.Running);
        if (live.Count == 0)
        {
            var p = f.K.Spawn("chaos");
            p.Open(RobustDriver.Path);
            live.Add(p);
        }

        return Chance(6) ? f.Dead : Pick(live);
    }

    private UserAddr Addr(Process p)
    {
        var vmas = p.Mm.VmAreas;
        if (vmas.Count == 0 || Chance(12))
        {
            return new UserAddr(Pick(BadAddresses));
        }

        var v = Pick(vmas);
        var a = v.Start + (ulong)rng.Next((int)Math.Min(v.Pages + 1, 64)) * P4;
        return Chance(10) ? a + (ulong)rng.Next(1, 4096) : a;
    }

    private ulong Len() => Chance(12) ? Pick(BadLengths) : (ulong)rng.Next(1, 9) * P4;

    private int Fd(Process p) => Chance(15) || p.Files.Count == 0 ? Pick(new[] { -1, int.MaxValue, f.ClosedFd, 1000 }) : Pick(p.Files.Keys.ToList());

    private Prot Prot() => Chance(5) ? (Prot)rng.Next(-1, 16) : (Prot)rng.Next(0, 8);

    private (string What, Func<object?> Call, Func<string, bool>? Allowed) Next()
    {
        var r = rng.Next(100);
        return r switch
        {
            < 12 => Mmap(),
            < 18 => Munmap(),
            < 22 => Mremap(),
            < 26 => Mprotect(),
            < 29 => Madvise(),
            < 32 => Mlock(),
            < 46 => Access(),
            < 50 => Fork(),
            < 53 => Exit(),
            < 56 => Files(),
            < 61 => Gup(),
            < 72 => PageAllocator(),
            < 80 => SlabVmalloc(),
            < 88 => Dma(),
            < 92 => Reclaim(),
            _ => Borrowing ? Borrow() : Access(),
        };
    }

    private (string, Func<object?>, Func<string, bool>?) Mmap()
    {
        var p = Proc();
        var len = Len();
        var prot = Prot();
        var flags = Chance(50) ? MapFlags.Shared : MapFlags.Private;
        var device = Chance(60);
        if (!device)
        {
            flags |= MapFlags.Anonymous;
        }

        flags |= Chance(8) ? MapFlags.Populate : 0;
        flags |= Chance(4) ? MapFlags.Locked : 0;
        var hint = default(UserAddr);
        string? allowed = null;
        if (Chance(10))
        {
            hint = Addr(p);
            flags |= MapFlags.Fixed;
            allowed = "mm/mmap.c mmap_region: MAP_FIXED unmaps first";
        }

        if (Chance(3))
        {
            flags = (MapFlags)rng.Next();
        }

        var fd = device ? Fd(p) : -1;
        var offset = (Pick(RegionBases) + (ulong)rng.Next(0, 4)) * P4;
        offset = Chance(5) ? Pick(BadLengths) : offset;
        return ($"{p}.Mmap({hint}, {len:x}, {prot}, {flags}, {fd}, {offset:x})", () => p.Mmap(hint, len, prot, flags, fd, offset),
            allowed is null ? d => Reclaims(d) || BadInputCatalog.BatchReferenceDropped(d) : _ => true);
    }

    private (string, Func<object?>, Func<string, bool>?) Munmap()
    {
        var p = Proc();
        var (a, len) = (Addr(p), Len());
        return ($"{p}.Munmap({a}, {len:x})", () => p.Munmap(a, len), null);
    }

    private (string, Func<object?>, Func<string, bool>?) Mremap()
    {
        var p = Proc();
        var (a, oldLen, newLen) = (Addr(p), Len(), Len());
        var flags = (MremapFlags)rng.Next(0, Chance(5) ? 8 : 2);
        var target = (flags & MremapFlags.Fixed) != 0 ? Addr(p) : default;
        // mm/mremap.c mremap_to: the MREMAP_FIXED target and a shrinking source's tail are unmapped before the source is checked.
        var unmapsFirst = (flags & (MremapFlags.Fixed | MremapFlags.DontUnmap)) != 0;
        return ($"{p}.Mremap({a}, {oldLen:x}, {newLen:x}, {flags}, {target})", () => p.Mremap(a, oldLen, newLen, flags, target), unmapsFirst ? _ => true : null);
    }

    private (string, Func<object?>, Func<string, bool>?) Mprotect()
    {
        var p = Proc();
        var (a, len, prot) = (Addr(p), Len(), Prot());
        return ($"{p}.Mprotect({a}, {len:x}, {prot})", () => p.Mprotect(a, len, prot), null);
    }

    private (string, Func<object?>, Func<string, bool>?) Madvise()
    {
        var p = Proc();
        var (a, len) = (Addr(p), Len());
        var advice = Pick(Enum.GetValues<Advice>().Append((Advice)99).ToList());
        return ($"{p}.Madvise({a}, {len:x}, {advice})", () => p.Madvise(a, len, advice), _ => true); // a hole: -ENOMEM after the mapped part (mm/madvise.c)
    }

    private (string, Func<object?>, Func<string, bool>?) Mlock()
    {
        var p = Proc();
        var (a, len) = (Addr(p), Len());
        return rng.Next(4) switch
        {
            0 => ($"{p}.Munlock({a}, {len:x})", () => p.Munlock(a, len), null),
            1 => ($"{p}.MlockAll", () => p.MlockAll((MlockAllFlags)rng.Next(0, 8)), null),
            2 => ($"{p}.MunlockAll", () => p.MunlockAll(), null),
            _ => ($"{p}.Mlock({a}, {len:x})", () => p.Mlock(a, len), _ => true), // a hole: -ENOMEM after the earlier vmas (mm/mlock.c)
        };
    }

    private (string, Func<object?>, Func<string, bool>?) Access()
    {
        var p = Proc();
        var a = Addr(p);
        var value = (byte)rng.Next(256);
        return rng.Next(3) switch
        {
            0 => ($"{p}.ReadByte({a})", () => p.ReadByte(a, out _), Reclaims),
            1 => ($"{p}.WriteByte({a}, {value})", () => p.WriteByte(a, value), Reclaims),
            _ => ($"{p}.Touch({a}, write)", () => p.Touch(a, true), Reclaims),
        };
    }

    private (string, Func<object?>, Func<string, bool>?) Fork()
    {
        var p = Proc();
        return ($"{p}.Fork", () =>
        {
            if (live.Count >= MaxProcesses)
            {
                return null;
            }

            var child = p.Fork();
            if (child.IsOk)
            {
                live.Add(child.Value!);
            }

            return child;
        }, Reclaims);
    }

    private (string, Func<object?>, Func<string, bool>?) Exit()
    {
        var p = Proc();
        return ($"{p}.Exit", () => live.Count > 1 || p.State != ProcessState.Running ? p.Exit() : null, null);
    }

    private (string, Func<object?>, Func<string, bool>?) Files()
    {
        var p = Proc();
        var fd = Fd(p);
        return rng.Next(3) switch
        {
            0 => ($"{p}.Open", () => p.Open(Chance(80) ? RobustDriver.Path : "/dev/stale"), null),
            1 => ($"{p}.Close({fd})", () => p.Close(fd), null),
            _ => ($"{p}.Ioctl({fd}, release)", () => p.Ioctl(fd, RobustDriver.IoctlRelease), null),
        };
    }

    private (string, Func<object?>, Func<string, bool>?) Gup()
    {
        var p = Proc();
        var a = Addr(p);
        var fd = Fd(p);

        // mm/gup.c __get_user_pages: faultin_page runs before follow_page can still refuse the page (-EFAULT, -EEXIST).
        return ($"{p}.Ioctl({fd}, GUP {a})", () => p.Ioctl(fd, RobustDriver.IoctlGup, a.Value), _ => true);
    }

    private (string, Func<object?>, Func<string, bool>?) PageAllocator()
    {
        var k = f.K;
        switch (rng.Next(7))
        {
            case 0:
            case 1:
                var order = Chance(8) ? Pick(new[] { -1, 11, int.MaxValue }) : rng.Next(0, 4);
                var comp = Chance(30);
                return ($"AllocPages(order {order}{(comp ? ", comp" : string.Empty)})", () =>
                {
                    if (owned.Count >= MaxOwned)
                    {
                        return null;
                    }

                    var page = k.AllocPages(Gfp.Kernel | Gfp.NoWarn | (comp ? Gfp.Comp : 0), order);
                    if (!page.IsNull)
                    {
                        owned.Add((page, order, comp));
                    }

                    return page;
                }, Reclaims);
            case 2 when owned.Count > 0:
                var i = rng.Next(owned.Count);
                var (pg, o, c) = owned[i];
                var wrongOrder = Chance(10);
                var tail = o > 0 && Chance(10);
                var target = tail ? pg + 1 : pg;
                var use = wrongOrder ? o + 1 : o;
                return ($"FreePages({pg.Pfn}{(tail ? "+1" : string.Empty)}, order {use})", () =>
                {
                    k.FreePages(target, use);
                    owned.RemoveAt(i);
                    freed.Add(pg);
                    return null;
                }, null);
            case 3 when freed.Count > 0:
                var gone = Pick(freed);
                return ($"FreePages({gone.Pfn}) again", () => k.IsFreeFrame((int)gone.Pfn.Value) ? Void(() => k.FreePages(gone, 0)) : null, null);
            case 4 when owned.Count > 0:
                var held = Pick(owned).Page;
                return ($"GetPage({held.Pfn})", () => Void(() =>
                {
                    k.GetPage(held);
                    extraRefs.Add(held);
                }), null);
            case 5 when extraRefs.Count > 0:
                var j = rng.Next(extraRefs.Count);
                var put = extraRefs[j];
                return ($"PutPage({put.Pfn})", () => Void(() =>
                {
                    extraRefs.RemoveAt(j);
                    k.PutPage(put);
                }), null);
            case 6 when freed.Count > 0:
                var stale = Pick(freed);
                return ($"PutPage({stale.Pfn}) of a freed page", () => k.IsFreeFrame((int)stale.Pfn.Value) ? Void(() => k.PutPage(stale)) : null, null);
            default:
                return ("DrainAllPages", () => Void(k.DrainAllPages), null);
        }
    }

    private (string, Func<object?>, Func<string, bool>?) SlabVmalloc()
    {
        var k = f.K;
        switch (rng.Next(6))
        {
            case 0:
                var size = Chance(10) ? Pick(BadLengths) : (ulong)rng.Next(1, 9000);
                return ($"Kmalloc({size})", () =>
                {
                    var a = k.Kmalloc(size, Gfp.Kernel | Gfp.NoWarn);
                    if (!a.IsNull && a != Kernel.ZeroSizePtr)
                    {
                        objects.Add(a);
                    }

                    return a;
                }, Reclaims);
            case 1 when objects.Count > 0:
                var i = rng.Next(objects.Count);
                var obj = objects[i];
                var interior = Chance(10);
                return ($"Kfree({obj}{(interior ? "+8" : string.Empty)})", () => Void(() =>
                {
                    k.Kfree(interior ? obj + 8UL : obj);
                    objects.RemoveAt(i);
                    freedObjects.Add(obj);
                }), null);
            case 2 when freedObjects.Count > 0:
                var again = Pick(freedObjects);
                return ($"Kfree({again}) again", () => objects.Contains(again) ? null : Void(() => k.Kfree(again)), null);
            case 3:
                var bytes = Chance(10) ? Pick(BadLengths) : (ulong)rng.Next(1, 6) * P4;
                var user = Chance(50) && k.Policy.Exists("Kernel.VmallocUser");
                return ($"Vmalloc{(user ? "User" : string.Empty)}({bytes:x})", () =>
                {
                    var a = user ? k.VmallocUser(bytes) : k.Vmalloc(bytes);
                    if (!a.IsNull)
                    {
                        areas.Add(a);
                    }

                    return a;
                }, Reclaims);
            case 4 when areas.Count > 0:
                var j = rng.Next(areas.Count);
                var area = areas[j];
                return ($"Vfree({area})", () => Void(() =>
                {
                    k.Vfree(area);
                    areas.RemoveAt(j);
                    freedAreas.Add(area);
                }), null);
            case 5 when freedAreas.Count > 0:
                var stale = Pick(freedAreas);
                return ($"Vfree({stale}) again", () => areas.Contains(stale) ? null : Void(() => k.Vfree(stale)), null);
            default:
                return ("Kmalloc(64)", () => k.Kmalloc(64, Gfp.Kernel), Reclaims);
        }
    }

    private (string, Func<object?>, Func<string, bool>?) Dma()
    {
        var k = f.K;
        switch (rng.Next(4))
        {
            case 0 when owned.Count > 0:
                var page = Pick(owned).Page;
                var offset = Chance(10) ? Pick(new[] { -1, 4096, 4090 }) : rng.Next(0, 4000);
                var delay = Chance(10) ? Pick(new[] { 0, -1 }) : rng.Next(1, 5);
                return ($"Dma.Submit({page.Pfn}, {offset}, 8 bytes, delay {delay})", () => k.Dma.Submit(page, offset, new byte[8], delay), null);
            case 1:
                return ("Dma.RunUntilIdle", () => Void(k.Dma.RunUntilIdle), null);
            default:
                return ("Dma.Step", () => Void(k.Dma.Step), null);
        }
    }

    /// <summary>
    /// The suite's own bad calls: every system-call case and every misbehaving-callback case that needs no
    /// arrangement, run against whatever state the machine is in now (its objects may be gone, which is more bad input).
    /// </summary>
    /// <summary>DRIVERKIT_CHAOS_BORROW=0 leaves the suite's cases out (to look past a known defect they hit first).</summary>
    private static readonly bool Borrowing = Environment.GetEnvironmentVariable("DRIVERKIT_CHAOS_BORROW") != "0";

    private static readonly BadCase[] Borrowed = BadInputCatalog.All
        .Where(c => c.Arrange is null && c.DriverBug is null && (c.Input is BadInput.Throwing or BadInput.Reentrant || c.Api.StartsWith("Process.", StringComparison.Ordinal)))
        .ToArray();

    private (string, Func<object?>, Func<string, bool>?) Borrow()
    {
        if (f.P.State != ProcessState.Running && live.FirstOrDefault(p => p.State == ProcessState.Running && p.Mm.VmaAt(f.FaultMap) is not null) is { } heir)
        {
            f.ReplaceP(heir); // a fork of P has its layout: the suite's addresses still mean something
        }

        var c = Pick(Borrowed);
        return ($"suite case {c}", () =>
        {
            c.Hook?.Invoke(f);
            return c.Call(f);
        }, ChangesBeforeFailing.Contains(c.Api) ? _ => true : c.KernelChangesStateToo is null ? Reclaims : c.AllowedChange ?? (_ => true));
    }

    /// <summary>
    /// Calls that change the machine before they can fail, as the chaos's own calls of them may: mlock and madvise apply
    /// to the vmas before a hole or a failed populate (mm/mlock.c do_mlock, mm/madvise.c), mremap unmaps an
    /// MREMAP_FIXED target before it checks the source (mm/mremap.c mremap_to). A suite case's allowance describes the
    /// fixture; against the machine the chaos has made, the same call may fail after any of these.
    /// </summary>
    private static readonly HashSet<string> ChangesBeforeFailing = ["Process.Mlock", "Process.Madvise", "Process.Mremap"];

    private (string, Func<object?>, Func<string, bool>?) Reclaim()
    {
        var n = Chance(5) ? -1L : rng.Next(0, 64);
        return ($"Reclaim({n})", () => f.K.Reclaim(n), null);
    }

    /// <summary>Errors of calls that allocate may follow direct reclaim (mm/page_alloc.c __alloc_pages_slowpath).</summary>
    private static bool Reclaims(string d) => ReclaimFilter(d);

    private static readonly Func<string, bool> ReclaimFilter = BadInputCatalog.ReclaimEffect;

    private static object? Void(Action a)
    {
        a();
        return null;
    }
}
