using DriverKit.Runtime;

namespace DriverKit.Benchmarks.Workloads;

/// <summary>A workload on one 1 GiB machine that lives for the whole run.</summary>
public abstract class MachineWorkload : Workload
{
    /// <summary>The machine (booted in <see cref="GlobalSetup"/>).</summary>
    protected Kernel K { get; private set; } = null!;

    /// <summary>RAM of the machine.</summary>
    protected virtual ulong MemoryBytes => 1UL << 30;

    /// <summary>Swap slots of the machine.</summary>
    protected virtual int SwapPages => 1024;

    /// <inheritdoc/>
    public override void GlobalSetup() => K = Machine.Boot(MemoryBytes, SwapPages);

    /// <inheritdoc/>
    public override void GlobalCleanup() => Machine.AssertClean(K);
}

/// <summary>do_anonymous_page: a write to each page of a fresh private anonymous mapping.</summary>
public sealed class AnonFault : MachineWorkload
{
    private Process? p;
    private UserAddr start;

    /// <inheritdoc/>
    public override string Key => "anon-fault";

    /// <inheritdoc/>
    public override string Title => "anonymous fault (write)";

    /// <inheritdoc/>
    public override void IterationSetup()
    {
        p = K.Spawn("bench");
        start = Machine.MapAnon(p, Operations);
    }

    /// <inheritdoc/>
    public override void Run() => Machine.TouchWrite(p!, start, Operations);

    /// <inheritdoc/>
    public override void IterationCleanup() => Machine.Exit(p);
}

/// <summary>An anonymous write fault that also stores a byte, so the frame's 4 KiB of contents are materialised.</summary>
public sealed class AnonFaultWithData : MachineWorkload
{
    private Process? p;
    private UserAddr start;

    /// <inheritdoc/>
    public override string Key => "anon-fault-data";

    /// <inheritdoc/>
    public override string Title => "anonymous fault + first data byte";

    /// <inheritdoc/>
    public override void IterationSetup()
    {
        p = K.Spawn("bench");
        start = Machine.MapAnon(p, Operations);
    }

    /// <inheritdoc/>
    public override void Run() => Machine.WriteBytes(p!, start, Operations);

    /// <inheritdoc/>
    public override void IterationCleanup() => Machine.Exit(p);
}

/// <summary>A driver whose -&gt;fault hands out its own pages with a reference (the modern scullp pattern), read-faulted.</summary>
public sealed class DriverFault : MachineWorkload
{
    private Page[] pages = [];
    private Process? p;
    private UserAddr start;

    /// <inheritdoc/>
    public override string Key => "driver-fault";

    /// <inheritdoc/>
    public override string Title => "driver ->fault (read)";

    /// <inheritdoc/>
    public override void GlobalSetup()
    {
        base.GlobalSetup();
        var k = K;
        pages = new Page[Operations];
        for (var i = 0; i < pages.Length; i++)
        {
            pages[i] = k.AllocPage(Gfp.Kernel);
        }

        var ops = new VmOperations
        {
            Fault = vmf =>
            {
                if (vmf.Pgoff >= (ulong)pages.Length)
                {
                    return VmFaultResult.Sigbus;
                }

                var page = pages[vmf.Pgoff];
                k.GetPage(page);
                vmf.Page = page;
                return VmFaultResult.None;
            },
        };
        k.RegisterChrdev("/dev/benchfault", new FileOperations
        {
            Owner = "benchfault",
            Mmap = (file, vma) =>
            {
                k.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);
                vma.Ops = ops;
                return 0;
            },
        });
    }

    /// <inheritdoc/>
    public override void IterationSetup()
    {
        p = K.Spawn("bench");
        var fd = (int)p.Open("/dev/benchfault").Value;
        start = p.Mmap(default, (ulong)Operations * Machine.PageSize, Prot.Read | Prot.Write, MapFlags.Shared, fd).Unwrap();
    }

    /// <inheritdoc/>
    public override void Run() => Machine.TouchRead(p!, start, Operations);

    /// <inheritdoc/>
    public override void IterationCleanup() => Machine.Exit(p);
}

/// <summary>A driver's -&gt;mmap that remap_pfn_range()s its buffer (64 order-10 blocks, one call per block): per page of mmap(2).</summary>
public sealed class RemapPfnRange : MachineWorkload
{
    private const int BlockOrder = 10;
    private const int BlockPages = 1 << BlockOrder;
    private Process? p;
    private int fd;

    /// <inheritdoc/>
    public override string Key => "remap-pfn-range";

    /// <inheritdoc/>
    public override string Title => "mmap with remap_pfn_range";

    /// <inheritdoc/>
    public override void GlobalSetup()
    {
        base.GlobalSetup();
        var k = K;
        var blocks = new Pfn[Operations / BlockPages];
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = k.PageToPfn(k.AllocPages(Gfp.Kernel, BlockOrder));
        }

        k.RegisterChrdev("/dev/benchremap", new FileOperations
        {
            Owner = "benchremap",
            Mmap = (file, vma) =>
            {
                var chunks = (int)Math.Min((ulong)blocks.Length, vma.Pages / BlockPages);
                for (var i = 0; i < chunks; i++)
                {
                    var err = k.RemapPfnRange(vma, vma.Start + (ulong)i * BlockPages * Machine.PageSize, blocks[i], BlockPages * Machine.PageSize, vma.PageProt);
                    if (err != 0)
                    {
                        return err;
                    }
                }

                return 0;
            },
        });
    }

    /// <inheritdoc/>
    public override void IterationSetup()
    {
        p = K.Spawn("bench");
        fd = (int)p.Open("/dev/benchremap").Value;
    }

    /// <inheritdoc/>
    public override void Run() => p!.Mmap(default, (ulong)Operations * Machine.PageSize, Prot.Read | Prot.Write, MapFlags.Shared, fd).Unwrap();

    /// <inheritdoc/>
    public override void IterationCleanup() => Machine.Exit(p);
}

/// <summary>A driver's -&gt;mmap that vm_insert_page()s each of its order-0 pages: per page of mmap(2).</summary>
public sealed class VmInsertPage : MachineWorkload
{
    private Process? p;
    private int fd;

    /// <inheritdoc/>
    public override string Key => "vm-insert-page";

    /// <inheritdoc/>
    public override string Title => "mmap with vm_insert_page";

    /// <inheritdoc/>
    public override void GlobalSetup()
    {
        base.GlobalSetup();
        var k = K;
        var pages = new Page[Operations];
        for (var i = 0; i < pages.Length; i++)
        {
            pages[i] = k.AllocPage(Gfp.Kernel);
        }

        k.RegisterChrdev("/dev/benchinsert", new FileOperations
        {
            Owner = "benchinsert",
            Mmap = (file, vma) =>
            {
                var n = (int)Math.Min((ulong)pages.Length, vma.Pages);
                var addr = vma.Start;
                for (var i = 0; i < n; i++, addr += Machine.PageSize)
                {
                    var err = k.VmInsertPage(vma, addr, pages[i]);
                    if (err != 0)
                    {
                        return err;
                    }
                }

                return 0;
            },
        });
    }

    /// <inheritdoc/>
    public override void IterationSetup()
    {
        p = K.Spawn("bench");
        fd = (int)p.Open("/dev/benchinsert").Value;
    }

    /// <inheritdoc/>
    public override void Run() => p!.Mmap(default, (ulong)Operations * Machine.PageSize, Prot.Read | Prot.Write, MapFlags.Shared, fd).Unwrap();

    /// <inheritdoc/>
    public override void IterationCleanup() => Machine.Exit(p);
}

/// <summary>A parent with N resident anonymous pages (setup for fork, COW, munmap, exit).</summary>
public abstract class ResidentWorkload : MachineWorkload
{
    /// <summary>The process with the resident pages.</summary>
    protected Process? Parent { get; private set; }

    /// <summary>Start of its mapping.</summary>
    protected UserAddr Start { get; private set; }

    /// <inheritdoc/>
    public override void IterationSetup()
    {
        Parent = K.Spawn("bench");
        Start = Machine.MapAnon(Parent, Operations);
        Machine.TouchWrite(Parent, Start, Operations);
    }

    /// <inheritdoc/>
    public override void IterationCleanup() => Machine.Exit(Parent);
}

/// <summary>fork(2) of a process with N resident anonymous pages: copy_page_range write-protects and shares them.</summary>
public sealed class Fork : ResidentWorkload
{
    private Process? child;

    /// <inheritdoc/>
    public override string Key => "fork";

    /// <inheritdoc/>
    public override string Title => "fork (COW setup)";

    /// <inheritdoc/>
    public override void Run() => child = Parent!.Fork().Unwrap();

    /// <inheritdoc/>
    public override void IterationCleanup()
    {
        Machine.Exit(child);
        base.IterationCleanup();
    }
}

/// <summary>The child of a fork writes every shared page: wp_page_copy per page.</summary>
public sealed class CowFault : ResidentWorkload
{
    private Process? child;

    /// <inheritdoc/>
    public override string Key => "cow-fault";

    /// <inheritdoc/>
    public override string Title => "COW fault (child write)";

    /// <inheritdoc/>
    public override void IterationSetup()
    {
        base.IterationSetup();
        child = Parent!.Fork().Unwrap();
    }

    /// <inheritdoc/>
    public override void Run() => Machine.TouchWrite(child!, Start, Operations);

    /// <inheritdoc/>
    public override void IterationCleanup()
    {
        Machine.Exit(child);
        base.IterationCleanup();
    }
}

/// <summary>munmap(2) of N resident anonymous pages.</summary>
public sealed class Munmap : ResidentWorkload
{
    /// <inheritdoc/>
    public override string Key => "munmap";

    /// <inheritdoc/>
    public override string Title => "munmap";

    /// <inheritdoc/>
    public override void Run()
    {
        var r = Parent!.Munmap(Start, (ulong)Operations * Machine.PageSize);
        if (!r.IsOk)
        {
            throw new InvalidOperationException("munmap failed: " + r);
        }
    }
}

/// <summary>exit(2) of a process with N resident anonymous pages.</summary>
public sealed class Exit : ResidentWorkload
{
    /// <inheritdoc/>
    public override string Key => "exit";

    /// <inheritdoc/>
    public override string Title => "exit";

    /// <inheritdoc/>
    public override void Run() => Parent!.Exit().ToString();
}

/// <summary>Reclaim of 100,000 resident anonymous pages to swap.</summary>
public sealed class Reclaim : ResidentWorkload
{
    /// <inheritdoc/>
    public override string Key => "reclaim";

    /// <inheritdoc/>
    public override string Title => "reclaim 100k pages";

    /// <inheritdoc/>
    public override int Operations => Machine.ReclaimPages;

    /// <inheritdoc/>
    protected override int SwapPages => Machine.ReclaimPages + 1024;

    /// <inheritdoc/>
    public override void Run()
    {
        var n = K.Reclaim(Operations);
        if (n != Operations)
        {
            throw new InvalidOperationException($"reclaimed {n} of {Operations} pages");
        }
    }
}

/// <summary>User accesses through the MMU that hit the software TLB: 32 resident, dirty pages, 64 rounds of 4,096 accesses per run.</summary>
public abstract class TlbAccess : MachineWorkload
{
    /// <summary>Resident pages the accesses cycle over (all within the 64-entry TLB).</summary>
    protected const int TlbPages = 32;

    /// <summary>Rounds of 4,096 accesses per run.</summary>
    protected const int Rounds = 64;

    /// <summary>Accesses per run.</summary>
    public const int OperationsPerRun = Rounds * 4096;

    /// <summary>The process whose pages are accessed.</summary>
    protected Process P { get; private set; } = null!;

    /// <summary>The first of its resident pages.</summary>
    protected ulong Start { get; private set; }

    /// <inheritdoc/>
    public override int Operations => OperationsPerRun;

    /// <inheritdoc/>
    protected override ulong MemoryBytes => 64UL << 20;

    /// <summary>The address of access <paramref name="i"/> of a round: page i mod 32, byte i / 32.</summary>
    /// <param name="i">Index within the round.</param>
    protected ulong AddressOf(int i) => Start + ((ulong)(i & (TlbPages - 1)) << 12) + (ulong)(i >> 5);

    /// <inheritdoc/>
    public override void GlobalSetup()
    {
        base.GlobalSetup();
        P = K.Spawn("bench");
        var a = Machine.MapAnon(P, TlbPages);
        Machine.WriteBytes(P, a, TlbPages);
        Start = a.Value;
    }

    /// <inheritdoc/>
    public override void GlobalCleanup()
    {
        Machine.Exit(P);
        base.GlobalCleanup();
    }
}

/// <summary>TLB-hit translated reads.</summary>
public sealed class TlbRead : TlbAccess
{
    private int sink;

    /// <inheritdoc/>
    public override string Key => "tlb-read";

    /// <inheritdoc/>
    public override string Title => "TLB-hit translated read";

    /// <inheritdoc/>
    public override string Unit => "read";

    /// <inheritdoc/>
    public override void Run()
    {
        var proc = P;
        var s = 0;
        for (var r = 0; r < Rounds; r++)
        {
            for (var i = 0; i < 4096; i++)
            {
                proc.ReadByte(new UserAddr(AddressOf(i)), out var b);
                s += b;
            }
        }

        sink += s;
    }

    /// <inheritdoc/>
    public override void GlobalCleanup()
    {
        base.GlobalCleanup();
        GC.KeepAlive(sink);
    }
}

/// <summary>TLB-hit translated writes.</summary>
public sealed class TlbWrite : TlbAccess
{
    /// <inheritdoc/>
    public override string Key => "tlb-write";

    /// <inheritdoc/>
    public override string Title => "TLB-hit translated write";

    /// <inheritdoc/>
    public override string Unit => "write";

    /// <inheritdoc/>
    public override void Run()
    {
        var proc = P;
        for (var r = 0; r < Rounds; r++)
        {
            for (var i = 0; i < 4096; i++)
            {
                proc.WriteByte(new UserAddr(AddressOf(i)), (byte)i);
            }
        }
    }
}

/// <summary>Boot of a 4 GiB (1M-frame) machine.</summary>
public sealed class Boot : Workload
{
    private Kernel? last;

    /// <inheritdoc/>
    public override string Key => "boot";

    /// <inheritdoc/>
    public override string Title => "boot 1M frames (4 GiB)";

    /// <inheritdoc/>
    public override int Operations => 1;

    /// <inheritdoc/>
    public override string Unit => "boot";

    /// <inheritdoc/>
    public override void IterationSetup()
    {
        last = null;
        GC.Collect();
    }

    /// <inheritdoc/>
    public override void Run() => last = Machine.Boot((ulong)Machine.BootFrames * Machine.PageSize);

    /// <inheritdoc/>
    public override void IterationCleanup()
    {
        if (last is null || last.TotalRamPages != Machine.BootFrames)
        {
            throw new InvalidOperationException("boot did not produce a 1M-frame machine");
        }
    }

    /// <summary>Bytes the boot of a 1M-frame machine allocates, per frame (all of it: frame table, allocators, everything).</summary>
    public static double MeasureBytesPerFrame()
    {
        GC.Collect();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var k = Machine.Boot((ulong)Machine.BootFrames * Machine.PageSize);
        var after = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(k);
        return (double)(after - before) / k.TotalRamPages;
    }
}

/// <summary>Every workload, in table order.</summary>
public static class AllWorkloads
{
    /// <summary>New instances of every workload.</summary>
    public static Workload[] Create() =>
    [
        new AnonFault(),
        new AnonFaultWithData(),
        new DriverFault(),
        new RemapPfnRange(),
        new VmInsertPage(),
        new Fork(),
        new CowFault(),
        new Munmap(),
        new Exit(),
        new TlbRead(),
        new TlbWrite(),
        new Boot(),
        new Reclaim(),
    ];
}
