using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>The driver callbacks a bad-input case can hook (to throw or to re-enter the kernel).</summary>
public enum Callback
{
    Open,
    Release,
    Mmap,
    Ioctl,
    VmOpen,
    VmClose,
    Fault,
    PageMkwrite,
    MaySplit,
    MmioRead,
    MmioWrite,
}

/// <summary>
/// A correct driver of the configured era with one region per mmap offset, like the reference driver: pgoff 0–3
/// served by -&gt;fault (-&gt;nopage before 2.6.23) with get_page, 16–19 remap_pfn_range of a split order-2 block,
/// 32–35 vm_insert_page, 48 a VM_PFNMAP window filled by vmf_insert_pfn, 64–71 an MMIO window (io_remap_pfn_range,
/// uncached). Cases hook a callback (<see cref="Hooks"/>, run once at its entry) to throw or re-enter the kernel,
/// and may override what -&gt;mmap, -&gt;fault and -&gt;ioctl return.
/// </summary>
internal sealed class RobustDriver
{
    public const string Path = "/dev/robust";
    public const ulong FaultBase = 0, RemapBase = 16, InsertBase = 32, PfnBase = 48, MmioBase = 64;
    public const int RegionPages = 4, MmioPages = 8;
    public const uint IoctlNop = 0, IoctlGup = 1, IoctlRelease = 2;

    private readonly Kernel k;
    private readonly List<Page> held = new();

    public RobustDriver(Kernel kernel, MachineState.Names names)
    {
        k = kernel;
        FaultPages = Enumerable.Range(0, RegionPages).Select(_ => k.AllocPage(Gfp.Kernel | Gfp.Zero)).ToArray();
        var block = k.AllocPages(Gfp.Kernel | Gfp.Zero, 2);
        k.SplitPage(block, 2);
        RemapPages = Enumerable.Range(0, RegionPages).Select(i => block + i).ToArray();
        if (k.Era == Era.E0)
        {
            foreach (var p in RemapPages)
            {
                k.SetPageReserved(p); // ≤ 2.6.14 remap_pfn_range maps only PG_reserved RAM
            }
        }

        InsertPages = Enumerable.Range(0, RegionPages).Select(_ => k.AllocPage(Gfp.Kernel | Gfp.Zero)).ToArray();
        for (var i = 0; i < RegionPages; i++)
        {
            k.WriteKernel(k.PageAddress(FaultPages[i]), [(byte)('f' + i)]);
            k.WriteKernel(k.PageAddress(RemapPages[i]), [(byte)('r' + i)]);
        }

        Registers = new MmioRegisters(this);
        Mmio = k.RegisterMmioRegion("robust-bar", MmioPages * Kernel.PageSize, Registers);
        FaultOps = names.Add(new VmOperations
        {
            Open = VmOpen,
            Close = VmClose,
            Fault = k.Policy.HasFault ? Fault : null,
            NoPage = k.Policy.HasFault ? null : NoPage,
            PageMkwrite = k.Policy.Exists("VmOperations.PageMkwrite") ? Mkwrite : null,
            MaySplit = k.Policy.HasMaySplit ? MaySplit : null,
        }, "faultOps");
        CountedOps = names.Add(new VmOperations { Open = VmOpen, Close = VmClose, MaySplit = k.Policy.HasMaySplit ? MaySplit : null }, "countedOps");
        PfnOps = names.Add(new VmOperations { Open = VmOpen, Close = VmClose, Fault = k.Policy.HasFault ? PfnFault : null }, "pfnOps");
        Fops = new FileOperations { Owner = "robustdrv", Open = Open, Release = Release, Mmap = Mmap, Ioctl = Ioctl };
        Device = k.RegisterChrdev(Path, Fops);
    }

    public Page[] FaultPages { get; }

    public Page[] RemapPages { get; }

    public Page[] InsertPages { get; }

    public MmioRegion Mmio { get; }

    public MmioRegisters Registers { get; }

    public CharDevice Device { get; }

    public FileOperations Fops { get; }

    public VmOperations FaultOps { get; }

    public VmOperations CountedOps { get; }

    public VmOperations PfnOps { get; }

    /// <summary>Actions run once at the entry of a callback (removed before they run, so re-entry does not repeat them).</summary>
    public Dictionary<Callback, Action> Hooks { get; } = new();

    /// <summary>Replaces what -&gt;mmap returns after setting the vma up (null: the region's result).</summary>
    public Func<VmArea, int>? MmapResult { get; set; }

    /// <summary>Replaces what -&gt;open returns (null: 0).</summary>
    public int? OpenResult { get; set; }

    /// <summary>Replaces -&gt;fault entirely (-&gt;nopage eras ignore it).</summary>
    public Func<VmFault, VmFaultResult>? FaultBody { get; set; }

    /// <summary>Replaces -&gt;ioctl entirely.</summary>
    public Func<DriverKit.Runtime.OpenFile, uint, ulong, long>? IoctlBody { get; set; }

    public long Opens { get; private set; }

    public long Releases { get; private set; }

    public long VmOpens { get; private set; }

    public long VmCloses { get; private set; }

    /// <summary>Driver-visible state for <see cref="MachineState"/>: the open/close balances.</summary>
    public IReadOnlyDictionary<string, long> Counters => new Dictionary<string, long>
    {
        ["opens"] = Opens,
        ["releases"] = Releases,
        ["vm-open-close"] = VmOpens - VmCloses,
        ["held"] = held.Count,
    };

    public void ClearHooks()
    {
        Hooks.Clear();
        MmapResult = null;
        OpenResult = null;
        FaultBody = null;
        IoctlBody = null;
    }

    internal void Fire(Callback c)
    {
        if (Hooks.Remove(c, out var action))
        {
            action();
        }
    }

    private int Open(Inode inode, DriverKit.Runtime.OpenFile file)
    {
        Fire(Callback.Open);
        var ret = OpenResult ?? 0;
        Opens += ret == 0 ? 1 : 0;
        return ret;
    }

    private int Release(Inode inode, DriverKit.Runtime.OpenFile file)
    {
        Fire(Callback.Release);
        Releases++;
        return 0;
    }

    private void VmOpen(VmArea vma)
    {
        Fire(Callback.VmOpen);
        VmOpens++;
    }

    private void VmClose(VmArea vma)
    {
        Fire(Callback.VmClose);
        VmCloses++;
    }

    private int MaySplit(VmArea vma, UserAddr addr)
    {
        Fire(Callback.MaySplit);
        return 0;
    }

    private VmFaultResult Mkwrite(VmFault vmf)
    {
        Fire(Callback.PageMkwrite);
        return VmFaultResult.None;
    }

    private int Mmap(DriverKit.Runtime.OpenFile f, VmArea vma)
    {
        Fire(Callback.Mmap);
        var ret = SetUp(vma);
        ret = MmapResult is { } result ? result(vma) : ret;
        if (ret == 0 && vma.Ops is not null)
        {
            VmOpens++; // the mmap counts as the vma's open; ->close balances it
        }

        return ret;
    }

    private int SetUp(VmArea vma)
    {
        var pgoff = vma.Pgoff;
        var pages = vma.Pages;
        bool Within(ulong start, int count) => pgoff >= start && pgoff + pages <= start + (ulong)count;

        if (Within(FaultBase, RegionPages))
        {
            vma.Ops = FaultOps;
            return 0;
        }

        if (Within(RemapBase, RegionPages))
        {
            vma.Flags |= VmFlags.DontExpand;
            vma.Ops = CountedOps;
            return k.RemapPfnRange(vma, vma.Start, k.PageToPfn(RemapPages[0]) + (pgoff - RemapBase), vma.Length, vma.PageProt);
        }

        if (Within(InsertBase, RegionPages) && k.Policy.HasVmInsertPage)
        {
            vma.Flags |= VmFlags.DontExpand;
            vma.Ops = CountedOps;
            for (var i = 0UL; i < pages; i++)
            {
                var ret = k.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, InsertPages[pgoff - InsertBase + i]);
                if (ret != 0)
                {
                    return ret;
                }
            }

            return 0;
        }

        if (Within(PfnBase, 1) && k.Policy.HasVmfInsertPfn && k.Policy.HasFault)
        {
            if (!vma.Flags.HasFlag(VmFlags.Shared))
            {
                return -Errno.EINVAL;
            }

            vma.Flags |= VmFlags.IO | VmFlags.PfnMap | VmFlags.DontExpand;
            vma.Ops = PfnOps;
            return 0;
        }

        if (Within(MmioBase, MmioPages))
        {
            vma.Flags |= VmFlags.DontExpand;
            return k.IoRemapPfnRange(vma, vma.Start, Mmio.StartPfn + (pgoff - MmioBase), vma.Length, Kernel.PgprotNoncached(vma.PageProt));
        }

        return -Errno.EINVAL;
    }

    private VmFaultResult Fault(VmFault vmf)
    {
        Fire(Callback.Fault);
        if (FaultBody is { } body)
        {
            return body(vmf);
        }

        if (vmf.Pgoff >= RegionPages)
        {
            return VmFaultResult.Sigbus;
        }

        k.GetPage(FaultPages[vmf.Pgoff]);
        vmf.Page = FaultPages[vmf.Pgoff];
        return VmFaultResult.None;
    }

    private Page NoPage(VmArea vma, UserAddr address)
    {
        Fire(Callback.Fault);
        var pgoff = vma.Pgoff + (address - vma.Start) / Kernel.PageSize;
        if (pgoff >= RegionPages)
        {
            return default;
        }

        k.GetPage(FaultPages[pgoff]);
        return FaultPages[pgoff];
    }

    private VmFaultResult PfnFault(VmFault vmf)
    {
        Fire(Callback.Fault);
        return FaultBody is { } body ? body(vmf) : k.VmfInsertPfn(vmf.Vma, vmf.Address, Mmio.StartPfn);
    }

    private long Ioctl(DriverKit.Runtime.OpenFile f, uint cmd, ulong arg)
    {
        Fire(Callback.Ioctl);
        if (IoctlBody is { } body)
        {
            return body(f, cmd, arg);
        }

        switch (cmd)
        {
            case IoctlGup:
                var pages = new Page[1];
                var n = k.GetUserPages(new UserAddr(arg), 1, FollFlags.Write, pages);
                if (n == 1)
                {
                    held.Add(pages[0]);
                }

                return n;
            case IoctlRelease:
                foreach (var p in held)
                {
                    k.PutPage(p);
                }

                held.Clear();
                return 0;
            case IoctlNop:
                return 0; // a no-op command
            default:
                return -Errno.ENOTTY;
        }
    }

    /// <summary>The device's register file; reads and writes fire the MMIO hooks.</summary>
    internal sealed class MmioRegisters(RobustDriver driver) : MmioDevice
    {
        private readonly byte[] regs = new byte[MmioPages * Kernel.PageSize];

        public override byte Read(ulong offset)
        {
            driver.Fire(Callback.MmioRead);
            return regs[offset];
        }

        public override void Write(ulong offset, byte value)
        {
            driver.Fire(Callback.MmioWrite);
            regs[offset] = value;
        }
    }
}
