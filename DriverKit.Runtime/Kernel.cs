using System.Globalization;

namespace DriverKit.Runtime;

/// <summary>
/// One simulated machine: physical memory with its frame table and allocators, processes with their address
/// spaces, registered devices and drivers, and the debug-VM checker. The public methods are the kernel functions
/// drivers call, one-to-one with the kernel's names in PascalCase (the XML doc of each names the kernel symbol).
/// A kernel is single-threaded; create as many as you like, each on its own thread.
/// </summary>
public sealed partial class Kernel
{
    /// <summary>PAGE_SIZE.</summary>
    public const ulong PageSize = 4096;

    /// <summary>PAGE_SHIFT.</summary>
    public const int PageShift = 12;

    /// <summary>Start of the legacy ISA hole (640 KiB), reserved at boot.</summary>
    private const int IsaHoleStartPfn = 0xA0;

    /// <summary>The largest swap device a machine gets: 64 GiB of 4 KiB slots.</summary>
    public const int MaxSwapPages = 1 << 24;

    /// <summary>End of the legacy ISA hole (1 MiB), where the kernel image starts.</summary>
    private const int IsaHoleEndPfn = 0x100;

    /// <summary>start_kernel: boots a machine.</summary>
    /// <param name="options">Its configuration; <see cref="KernelOptions.Version"/> must name a supported kernel.</param>
    /// <exception cref="ArgumentException">An option is not acceptable (the version string, the memory size, the checker
    /// mode, the scan interval, the swap size); the message says what is.</exception>
    /// <remarks>The machine keeps its own copy of <paramref name="options"/>: changing them after boot changes nothing.</remarks>
    public Kernel(KernelOptions? options = null)
    {
        Config = options?.Copy() ?? new KernelOptions();
        if (!KernelVersion.TryParse(Config.Version, out var version, out var error))
        {
            throw new ArgumentException(error, nameof(options));
        }

        if (!Enum.IsDefined(Config.CheckerMode))
        {
            throw new ArgumentException($"CheckerMode {(int)Config.CheckerMode} is neither Faithful nor Strict.", nameof(options));
        }

        if (Config.FullScanInterval < 1)
        {
            throw new ArgumentException($"FullScanInterval must be at least 1 (1: a full scan after every operation); got {Config.FullScanInterval}.", nameof(options));
        }

        if (Config.SwapPages < 0 || Config.SwapPages > MaxSwapPages)
        {
            throw new ArgumentException($"SwapPages must be between 0 (no swap) and {MaxSwapPages} (64 GiB); got {Config.SwapPages}.", nameof(options));
        }

        if (Config.MemoryBytes % PageSize != 0 || Config.MemoryBytes < (8UL << 20) || Config.MemoryBytes > (64UL << 30))
        {
            throw new ArgumentException(
                $"MemoryBytes must be a multiple of {PageSize} between 8 MiB and 64 GiB; got {Config.MemoryBytes}.", nameof(options));
        }

        var frames = (int)(Config.MemoryBytes / PageSize);
        var imageBytes = Config.KernelImageBytes;
        var imagePages = imageBytes / PageSize + (imageBytes % PageSize != 0 ? 1UL : 0UL);
        if (imagePages < 1 || imagePages > (ulong)frames || IsaHoleEndPfn + (int)imagePages + 512 > frames)
        {
            throw new ArgumentException($"KernelImageBytes {Config.KernelImageBytes} does not fit in {Config.MemoryBytes} bytes of RAM.", nameof(options));
        }

        Version = version;
        Policy = new EraPolicy(version, Config.ArchHasPteSpecial);
        Mem = new MemMap(frames);
        Buddy = new BuddyAllocator(Mem);
        Sites = new CallSites();
        Ledger = new RefLedger();
        Rmap = new RmapTable();
        ZeroPfn = IsaHoleEndPfn;
        MmioBase = new Pfn(Math.Max((ulong)frames, 0xC0000UL));
        BootOwner = Sites.Owner("boot");
        Boot((int)imagePages);
        Pcp = new PerCpuPages(Mem, Buddy, Policy, (int)Buddy.FreePages);
        Slab = new SlabAllocator(this);
        VmallocSpace = new VmallocArea(this);
        Lru = new LruLists(this);
        Swap = new SwapDevice(this, Config.SwapPages);
        Dma = new DmaEngine(this);
        Checker = new Checker(this);
        InitialFree = Buddy.FreePages;
    }

    /// <summary>The configuration the machine booted with (a copy: changing it changes nothing).</summary>
    public KernelOptions Options => Config.Copy();

    /// <summary>The machine's own copy of its boot options.</summary>
    internal KernelOptions Config { get; }

    /// <summary>The simulated kernel version (UTS_RELEASE, what <c>uname -r</c> prints).</summary>
    public KernelVersion Version { get; }

    /// <summary>The era of <see cref="Version"/>.</summary>
    public Era Era => Policy.Era;

    /// <summary>
    /// Every era-dependent decision of this machine. A driver that spans eras branches on it where C tests
    /// LINUX_VERSION_CODE: <c>kernel.Policy.FlagExists(VmFlags.Reserved)</c>.
    /// </summary>
    public EraPolicy Policy { get; }

    /// <summary>max_pfn: the number of RAM frames (pfn 0 … TotalRamPages-1), boot-reserved ones included.</summary>
    public int TotalRamPages => Mem.Count;

    /// <summary>Free frames: the buddy allocator's (NR_FREE_PAGES) plus those parked on the per-cpu lists.</summary>
    public long FreePageCount => Buddy.FreePages + Pcp.Count;

    /// <summary><see cref="FreePageCount"/> right after boot (the "Memory: …K available" line of mem_init).</summary>
    public long InitialFree { get; }

    /// <summary>The kernel log buffer (printk's log_buf, what dmesg prints): every line the simulated kernel printed.</summary>
    public IReadOnlyList<string> Dmesg => dmesg;

    /// <summary>The checker's and the kernel's reports: kernel-visible ones always, simulator-only ones in strict mode.</summary>
    public IReadOnlyList<Report> Reports => reports;

    /// <summary>The debug-VM checker of this machine: CONFIG_DEBUG_VM's checks and, in strict mode, the simulator's invariants.</summary>
    public Checker Checker { get; }

    /// <summary>The DMA engine that writes into physical frames asynchronously.</summary>
    public DmaEngine Dma { get; }

    internal MemMap Mem { get; }

    internal BuddyAllocator Buddy { get; }

    /// <summary>The per-cpu page lists (one CPU).</summary>
    internal PerCpuPages Pcp { get; }

    internal SlabAllocator Slab { get; }

    internal VmallocArea VmallocSpace { get; }

    internal LruLists Lru { get; }

    /// <summary>Empty leaf page tables of exited address spaces, for the next mm to use.</summary>
    internal LeafTablePool PageTablePool { get; } = new();

    internal SwapDevice Swap { get; }

    internal CallSites Sites { get; }

    internal RefLedger Ledger { get; }

    internal RmapTable Rmap { get; }

    /// <summary>The frame of empty_zero_page (ZERO_PAGE), inside the kernel image.</summary>
    internal int ZeroPfn { get; }

    /// <summary>First pfn of the MMIO hole above RAM; such pfns have no struct page.</summary>
    internal Pfn MmioBase { get; }

    internal int BootOwner { get; }

    internal bool Strict => Config.CheckerMode == CheckerMode.Strict;

    private readonly List<string> dmesg = new();
    private readonly List<Report> reports = new();
    private readonly Dictionary<string, Report> findings = new();

    /// <summary>Boot-time reservations (memblock): page 0, the ISA hole and the kernel image keep PG_reserved and a reference.</summary>
    private void Boot(int imagePages)
    {
        // Page 0, and the ISA hole with the kernel image right after it.
        ReadOnlySpan<(int Start, int End)> reserved = [(0, 1), (IsaHoleStartPfn, IsaHoleEndPfn + imagePages)];

        // mm/page_alloc.c: memmap_init_zone marks every page reserved; memblock_free_all then frees the usable ones.
        foreach (var (start, end) in reserved)
        {
            for (var pfn = start; pfn < end; pfn++)
            {
                Mem.Set(pfn, PageFlags.Reserved);
                Mem.RefCount[pfn] = 1;
                Mem.OwnerOrNext[pfn] = BootOwner;
                Ledger.Add(pfn, HolderKind.Owner, CallSites.Kernel);
            }
        }

        Buddy.Boot(reserved);
        Printk($"Linux version {Version} (DriverKit simulator)");
        Printk($"Memory: {Buddy.FreePages * 4}K/{(long)Mem.Count * 4}K available ({imagePages * 4}K kernel image, {(IsaHoleEndPfn - IsaHoleStartPfn + 1) * 4}K reserved)");
    }

    /// <summary>Appends a line to the kernel log.</summary>
    internal void Printk(string line) => dmesg.Add(line);

    /// <summary>
    /// Records a report. Simulator-only reports are kept only in strict mode, and one that repeats an earlier finding
    /// (the next page of the same object, the same fault again) is counted in that report, which is returned.
    /// </summary>
    internal Report? Record(Report report)
    {
        if (report.Kind == ReportKind.Simulator)
        {
            if (!Strict)
            {
                return null;
            }

            var key = report.MergeKey;
            if (findings.TryGetValue(key, out var earlier))
            {
                earlier.Absorb(report);
                return earlier;
            }

            findings.Add(key, report);
        }

        reports.Add(report);
        if (report.Kind == ReportKind.Kernel)
        {
            foreach (var line in report.Text.Split('\n'))
            {
                Printk(line);
            }
        }

        return report;
    }

    /// <summary><c>dmesg --clear</c> (SYSLOG_ACTION_CLEAR), and the reports are forgotten too (for scenario steps).</summary>
    public void ClearReports()
    {
        reports.Clear();
        findings.Clear();
        dmesg.Clear();
    }

    /// <summary>The fake struct page address the kernel would print (vmemmap base + pfn * 64).</summary>
    internal static string PagePointer(int pfn) => "ffffea" + ((ulong)pfn * 64).ToString("x10", CultureInfo.InvariantCulture);
}
