using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// A small machine (8 MiB, strict checker) in a realistic state for bad-input cases: the <see cref="RobustDriver"/>
/// registered; process <see cref="P"/> with the device open and mapped through every region it has in this era,
/// anonymous and shared-anonymous memory, a memfd, a closed descriptor and a forked <see cref="Child"/>; an exited
/// process <see cref="Dead"/>; kernel allocations of every kind, one of each freed; an unregistered device; and a
/// DMA transfer in flight. Built deterministically, so two fixtures of one version compare equal.
/// </summary>
internal sealed class RobustFixture
{
    private const ulong P4 = Kernel.PageSize;

    public RobustFixture(string version, bool debugVm = false)
    {
        Version = version;
        K = new Kernel(new KernelOptions
        {
            Version = version,
            MemoryBytes = 8UL << 20,
            CheckerMode = CheckerMode.Strict,
            SwapPages = 64,
            DebugVm = debugVm,
        });
        Driver = new RobustDriver(K, Names);

        Alloc0 = K.AllocPage(Gfp.Kernel);
        Block2 = K.AllocPages(Gfp.Kernel, 2);
        Comp2 = K.AllocPages(Gfp.Kernel | Gfp.Comp, 2);
        Freed = K.AllocPage(Gfp.Kernel);
        K.FreePage(Freed);
        Kobj = K.Kmalloc(100, Gfp.Kernel);
        KobjFreed = K.Kmalloc(100, Gfp.Kernel);
        K.Kfree(KobjFreed);
        PagesAddr = K.GetFreePages(Gfp.Kernel, 1);
        Vbuf = K.Policy.Exists("Kernel.VmallocUser") ? K.VmallocUser(RobustDriver.RegionPages * P4) : K.Vmalloc(RobustDriver.RegionPages * P4);
        Vplain = K.Vmalloc(2 * P4);
        VbufFreed = K.Vmalloc(2 * P4);
        K.Vfree(VbufFreed);
        Stale = StaleDevice.Make(K);

        P = K.Spawn("victim");
        P.SetMemlockLimit(64 * P4);
        Fd = Ok(P.Open(RobustDriver.Path));
        FaultMap = Map(P, 4 * P4, Fd, RobustDriver.FaultBase);
        Touch(P, FaultMap, false);
        Touch(P, FaultMap + P4, true);
        RemapMap = Map(P, 4 * P4, Fd, RobustDriver.RemapBase);
        Touch(P, RemapMap, true);
        if (K.Policy.HasVmInsertPage)
        {
            InsertMap = Map(P, 2 * P4, Fd, RobustDriver.InsertBase);
        }

        if (K.Policy.HasVmfInsertPfn && K.Policy.HasFault)
        {
            PfnMap = Map(P, P4, Fd, RobustDriver.PfnBase);
        }

        MmioMap = Map(P, 2 * P4, Fd, RobustDriver.MmioBase);
        Touch(P, MmioMap, false);
        AnonMap = P.Mmap(default, 4 * P4, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous).Unwrap();
        Touch(P, AnonMap, true);
        Touch(P, AnonMap + P4, true);
        ShmemMap = P.Mmap(default, 2 * P4, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous).Unwrap();
        Touch(P, ShmemMap, true);
        MemFd = Ok(P.MemfdCreate("robust"));
        Ok(P.Ftruncate(MemFd, 2 * P4));
        ClosedFd = Ok(P.Open(RobustDriver.Path));
        Ok(P.Close(ClosedFd));
        SpareFd = Ok(P.Open(RobustDriver.Path, OpenFlags.ReadOnly));
        Child = P.Fork().Unwrap();
        Touch(Child, AnonMap, true);

        Dead = K.Spawn("dead");
        DeadFd = Ok(Dead.Open(RobustDriver.Path));
        var deadMap = Map(Dead, 2 * P4, DeadFd, RobustDriver.FaultBase);
        Touch(Dead, deadMap, false);
        DeadVma = Dead.Mm.VmaAt(deadMap)!;
        Ok(Dead.Exit());

        Dma = K.Dma.Submit(Alloc0, 0, [1, 2, 3], delay: 3);
        Other = new Lazy<RobustFixture>(() => new RobustFixture(version));
        if (K.Reports.Count > 0)
        {
            throw new InvalidOperationException($"the fixture of {version} is not clean: {K.Reports[0].Describe()}");
        }
    }

    public string Version { get; }

    public Kernel K { get; }

    public MachineState.Names Names { get; } = new();

    public RobustDriver Driver { get; }

    /// <summary>The process most cases act as: device open, every region mapped.</summary>
    public Process P { get; private set; }

    /// <summary>Chaos: another process with P's layout (a fork) takes its place once P has died.</summary>
    public void ReplaceP(Process p) => P = p;

    /// <summary>A fork of <see cref="P"/> sharing its anonymous pages copy-on-write.</summary>
    public Process Child { get; }

    /// <summary>A process that mapped the device and exited.</summary>
    public Process Dead { get; }

    public int Fd { get; }

    public int ClosedFd { get; }

    /// <summary>A read-only descriptor of the device that nothing maps: closing it calls -&gt;release.</summary>
    public int SpareFd { get; }

    public int DeadFd { get; }

    public int MemFd { get; }

    public UserAddr FaultMap { get; }

    public UserAddr RemapMap { get; }

    /// <summary>The vm_insert_page mapping (default before 2.6.15-rc4).</summary>
    public UserAddr InsertMap { get; }

    /// <summary>The vmf_insert_pfn window (default before 2.6.23).</summary>
    public UserAddr PfnMap { get; }

    public UserAddr MmioMap { get; }

    public UserAddr AnonMap { get; }

    public UserAddr ShmemMap { get; }

    public VmArea FaultVma => P.Mm.VmaAt(FaultMap)!;

    public VmArea RemapVma => P.Mm.VmaAt(RemapMap)!;

    public VmArea AnonVma => P.Mm.VmaAt(AnonMap)!;

    /// <summary>The PFNMAP window, or the remap vma where the era has none.</summary>
    public VmArea PfnVma => PfnMap.Value != 0 ? P.Mm.VmaAt(PfnMap)! : RemapVma;

    /// <summary>The vm_insert_page vma (VM_MIXEDMAP from 3.7), or the fault vma where the era has none.</summary>
    public VmArea InsertVma => InsertMap.Value != 0 ? P.Mm.VmaAt(InsertMap)! : FaultVma;

    /// <summary>A vma of the exited process: unmapped and closed.</summary>
    public VmArea DeadVma { get; }

    public Page Alloc0 { get; }

    /// <summary>An order-2 allocation without __GFP_COMP: its tails have refcount 0.</summary>
    public Page Block2 { get; }

    /// <summary>An order-2 compound page.</summary>
    public Page Comp2 { get; }

    /// <summary>A page that was allocated and freed.</summary>
    public Page Freed { get; }

    public KernelAddr Kobj { get; }

    public KernelAddr KobjFreed { get; }

    /// <summary>An order-1 __get_free_pages block.</summary>
    public KernelAddr PagesAddr { get; }

    /// <summary>A vmalloc_user area of four pages.</summary>
    public VmallocAddr Vbuf { get; }

    /// <summary>A plain vmalloc area (not for remap_vmalloc_range).</summary>
    public VmallocAddr Vplain { get; }

    public VmallocAddr VbufFreed { get; }

    /// <summary>A device that was registered and unregistered.</summary>
    public CharDevice Stale { get; }

    /// <summary>The transfer in flight into <see cref="Alloc0"/>.</summary>
    public DmaTransfer Dma { get; }

    /// <summary>A second machine built the same way, for objects of another machine.</summary>
    public Lazy<RobustFixture> Other { get; }

    /// <summary>Objects a case's arrange step made (a coherent buffer, an ioremap mapping …), by name, for its call.</summary>
    public Dictionary<string, object> Extra { get; } = new(StringComparer.Ordinal);

    /// <summary>Best effort to end a hung case: empties the DMA queue a RunUntilIdle spins on.</summary>
    public void Poison()
    {
        var pending = typeof(DmaEngine).GetField("pending", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        ((System.Collections.IList)pending.GetValue(K.Dma)!).Clear();
    }

    /// <summary>The struct page of a present PTE of <paramref name="p"/>.</summary>
    public Page PageAt(Process p, UserAddr addr) => K.PfnToPage(Proc.Pagemap(p, addr).Pfn);

    /// <summary>The snapshot of this machine with its driver's counters.</summary>
    public MachineState Snapshot() => MachineState.Capture(K, Names.Of, Driver.Counters);

    private UserAddr Map(Process p, ulong len, int fd, ulong pgoff) =>
        p.Mmap(default, len, Prot.Read | Prot.Write, MapFlags.Shared, fd, pgoff * P4).Unwrap();

    private static void Touch(Process p, UserAddr addr, bool write)
    {
        var r = p.Touch(addr, write);
        if (!r.IsOk)
        {
            throw new InvalidOperationException($"fixture touch of {addr} failed: {r}");
        }
    }

    private static int Ok(SysResult r) => r.IsOk ? (int)r.Value : throw new InvalidOperationException($"fixture call failed: {r}");
}
