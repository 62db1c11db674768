using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Workloads;

/// <summary>The operations a random workload is made of.</summary>
public enum OpKind
{
    Map,
    MapRaw,
    Touch,
    Munmap,
    Mremap,
    Mprotect,
    Mlock,
    Munlock,
    Madvise,
    Fork,
    Exit,
    Reclaim,
    Gup,
    Dma,
    Release,
    DmaStep,
    DriverFree,
}

/// <summary>One operation; its numbers are reduced modulo the machine's current state when it runs.</summary>
public readonly record struct Op(OpKind Kind, int A, int B, int C);

/// <summary>
/// Plays operations against a machine with the <see cref="ReferenceDriver"/>: processes map its regions and
/// anonymous memory, touch, fork, exit, unmap, remap, protect, lock, GUP and DMA, under memory pressure.
/// Failures the kernel legitimately returns (errno, signals) are part of the game; oopses are counted.
/// </summary>
internal sealed class Workload
{
    private const ulong P = Kernel.PageSize;
    private const int MaxProcesses = 4;
    private const int MaxVmas = 24;
    private static readonly ulong[] RegionOffsets = { ReferenceDriver.FaultBase, ReferenceDriver.RemapBase, ReferenceDriver.InsertBase, ReferenceDriver.PfnBase, ReferenceDriver.MmioBase, ulong.MaxValue };

    private readonly List<Process> live = new();
    private readonly Dictionary<Process, int> fds = new();

    public Workload(Kernel kernel, InjectedBug bug = InjectedBug.None)
    {
        Kernel = kernel;
        Driver = new ReferenceDriver(kernel, bug);
        var first = kernel.Spawn("work0");
        first.SetMemlockLimit(64 * P);
        live.Add(first);
    }

    public Kernel Kernel { get; }

    public ReferenceDriver Driver { get; }

    public int Oopses { get; private set; }

    public static Op Random(System.Random rng) => new((OpKind)Weighted(rng), rng.Next(1 << 20), rng.Next(1 << 20), rng.Next(1 << 20));

    private static int Weighted(System.Random rng)
    {
        var r = rng.Next(100);
        return r switch
        {
            < 14 => (int)OpKind.Map,
            < 46 => (int)OpKind.Touch,
            < 54 => (int)OpKind.Munmap,
            < 58 => (int)OpKind.Mremap,
            < 63 => (int)OpKind.Mprotect,
            < 66 => (int)OpKind.Mlock,
            < 68 => (int)OpKind.Munlock,
            < 70 => (int)OpKind.Madvise,
            < 75 => (int)OpKind.Fork,
            < 79 => (int)OpKind.Exit,
            < 81 => (int)OpKind.Reclaim,
            < 87 => (int)OpKind.Gup,
            < 90 => (int)OpKind.Dma,
            < 94 => (int)OpKind.Release,
            < 99 => (int)OpKind.DmaStep,
            _ => (int)OpKind.DriverFree,
        };
    }

    public void Run(IEnumerable<Op> ops)
    {
        foreach (var op in ops)
        {
            Step(op);
        }
    }

    public void Step(Op op)
    {
        live.RemoveAll(p => p.State != ProcessState.Running);
        if (live.Count == 0)
        {
            var p = Kernel.Spawn("work");
            p.SetMemlockLimit(64 * P);
            live.Add(p);
        }

        var proc = live[op.A % live.Count];
        var vmas = proc.Mm.VmAreas;

        // B < 0 picks the process's most recent mapping (deterministic exercises), otherwise B chooses one.
        var vma = vmas.Count == 0 ? null : op.B < 0 && newest.TryGetValue(proc, out var recent) && proc.Mm.VmaAt(recent) is { } v ? v : vmas[Math.Abs(op.B) % vmas.Count];
        var kind = op.Kind is OpKind.Map or OpKind.MapRaw && vmas.Count >= MaxVmas ? OpKind.Munmap : op.Kind;
        switch (kind)
        {
            case OpKind.Map:
                Map(proc, op);
                break;
            case OpKind.MapRaw:
                Remember(proc, proc.Mmap(default, (ulong)op.C * P, Prot.Read, MapFlags.Shared, Fd(proc), (ulong)op.B * P));
                break;
            case OpKind.Touch when vma is not null:
                var addr = vma.Start + (ulong)(op.C % (int)vma.Pages) * P + (ulong)(op.C % 4096);
                Count(op.C % 2 == 0 ? proc.ReadByte(addr, out _) : proc.WriteByte(addr, (byte)op.C));
                break;
            case OpKind.Munmap when vma is not null:
                var (start, len) = SubRange(vma, op.C);
                Count(proc.Munmap(start, len));
                break;
            case OpKind.Mremap when vma is not null:
                var newLen = (ulong)(1 + op.C % 6) * P;
                Count(proc.Mremap(vma.Start, vma.Length, newLen, op.C % 3 == 0 ? MremapFlags.None : MremapFlags.MayMove));
                break;
            case OpKind.Mprotect when vma is not null:
                Count(proc.Ioctl(Fd(proc), ReferenceDriver.IoctlRelease)); // no DMA across a protection change (COW)
                var (ps, pl) = SubRange(vma, op.C);
                Count(proc.Mprotect(ps, pl, (Prot)(op.C % 4)));
                break;
            case OpKind.Mlock when vma is not null:
                Count(proc.Mlock(vma.Start, vma.Length));
                break;
            case OpKind.Munlock when vma is not null:
                Count(proc.Munlock(vma.Start, vma.Length));
                break;
            case OpKind.Madvise when vma is not null:
                // MADV_DONTNEED on a device mapping lets the core refault anonymous pages into it (pre-4.18): user error, not the driver's.
                var advice = (op.C % 3) switch { 0 when vma.IsAnonymous => Advice.DontNeed, 1 => Advice.DontFork, _ => Advice.DoFork };
                Count(proc.Madvise(vma.Start, vma.Length, advice));
                break;
            case OpKind.Fork when live.Count < MaxProcesses:
                // A careful user lets its DMA finish and the driver drop its page references before forking.
                Count(proc.Ioctl(Fd(proc), ReferenceDriver.IoctlRelease));
                var child = proc.Fork();
                Count(child);
                if (child.IsOk)
                {
                    live.Add(child.Value!);
                }

                break;
            case OpKind.Exit when live.Count > 1:
                Count(proc.Exit());
                break;
            case OpKind.Reclaim:
                Kernel.Reclaim(1 + op.C % 64);
                break;
            case OpKind.Gup when vma is not null:
                Count(proc.Ioctl(Fd(proc), ReferenceDriver.IoctlGup, (vma.Start + (ulong)(op.C % (int)vma.Pages) * P).Value));
                break;
            case OpKind.Dma when vma is not null:
                Count(proc.Ioctl(Fd(proc), ReferenceDriver.IoctlDma, vma.Start.Value));
                break;
            case OpKind.Release:
                Count(proc.Ioctl(Fd(proc), ReferenceDriver.IoctlRelease));
                break;
            case OpKind.DmaStep:
                Kernel.Dma.Step();
                break;
            case OpKind.DriverFree:
                Count(proc.Ioctl(Fd(proc), ReferenceDriver.IoctlFreeRemap));
                break;
        }
    }

    /// <summary>Everything exits, the driver unloads: the machine must be back to its boot state.</summary>
    public void TearDown()
    {
        foreach (var p in live.Where(p => p.State == ProcessState.Running).ToArray())
        {
            Count(p.Exit());
        }

        Driver.Unload();
    }

    private void Map(Process proc, Op op)
    {
        var region = RegionOffsets[op.B % RegionOffsets.Length];
        var pages = (ulong)(1 + op.C % 4);
        var priv = op.C % 5 == 0;
        var prot = op.C % 7 == 0 ? Prot.Read : Prot.Read | Prot.Write;
        var flags = priv ? MapFlags.Private : MapFlags.Shared;
        if (region == ulong.MaxValue)
        {
            Remember(proc, proc.Mmap(default, pages * P, prot, flags | MapFlags.Anonymous));
            return;
        }

        var limit = region == ReferenceDriver.MmioBase ? (ulong)ReferenceDriver.MmioPages : ReferenceDriver.RegionPages;
        var first = region + (ulong)(op.A % (int)limit);
        if (op.C % 11 != 10)
        {
            pages = Math.Min(pages, region + limit - first); // otherwise the user asks for more than the region
        }
        Remember(proc, proc.Mmap(default, pages * P, prot, flags, Fd(proc), first * P));
    }

    private readonly Dictionary<Process, UserAddr> newest = new();

    private void Remember(Process proc, SysResult<UserAddr> r)
    {
        Count(r);
        if (r.IsOk)
        {
            newest[proc] = r.Value;
        }
    }

    private int Fd(Process proc)
    {
        if (!fds.TryGetValue(proc, out var fd) || !proc.Files.ContainsKey(fd))
        {
            var r = proc.Open("/dev/ref");
            fd = r.IsOk ? (int)r.Value : -1;
            fds[proc] = fd;
        }

        return fd;
    }

    private static (UserAddr Start, ulong Length) SubRange(VmArea vma, int seed)
    {
        var pages = (int)vma.Pages;
        var first = seed % pages;
        var count = 1 + (seed / 7) % (pages - first);
        return (vma.Start + (ulong)first * P, (ulong)count * P);
    }

    private void Count(AccessResult r) => Oopses += r.Oops is null ? 0 : 1;

    private void Count(SysResult r) => Oopses += r.Oops is null ? 0 : 1;

    private void Count<T>(SysResult<T> r) => Oopses += r.Oops is null ? 0 : 1;
}
