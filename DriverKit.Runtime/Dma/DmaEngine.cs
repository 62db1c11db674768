namespace DriverKit.Runtime;

/// <summary>A DMA transfer submitted to the simulated device.</summary>
public sealed class DmaTransfer
{
    internal DmaTransfer(int id, int pfn, int offset, byte[] data, uint generation, long dueStep, MmStruct? userMm, ulong userAddr, int site)
    {
        UserVma = userMm?.VmaAt(new UserAddr(userAddr));
        Id = id;
        Pfn = pfn;
        Offset = offset;
        Data = data;
        Generation = generation;
        DueStep = dueStep;
        UserMm = userMm;
        UserAddr = userAddr;
        Site = site;
    }

    /// <summary>Transfer number.</summary>
    public int Id { get; }

    internal int Pfn { get; }

    internal int Offset { get; }

    internal byte[] Data { get; }

    internal uint Generation { get; }

    internal long DueStep { get; }

    internal MmStruct? UserMm { get; }

    internal ulong UserAddr { get; }

    /// <summary>The vma the user address belonged to at submission: COW replacement is judged within it only.</summary>
    internal VmArea? UserVma { get; }

    internal int Site { get; }

    /// <summary>True once the device wrote the data.</summary>
    public bool Completed { get; internal set; }
}

/// <summary>
/// A bus-mastering device that writes into physical frames asynchronously: a transfer completes on a later
/// <see cref="Step"/>. The checker reports a transfer that lands in a frame that was freed, re-allocated or (for
/// user memory) replaced by COW since submission — the data is lost or corrupts someone else (INV-06, INV-08, INV-19).
/// </summary>
public sealed class DmaEngine
{
    private readonly Kernel kernel;
    private readonly List<DmaTransfer> pending = new();
    private long step;
    private int nextId = 1;

    internal DmaEngine(Kernel kernel) => this.kernel = kernel;

    /// <summary>Transfers not yet completed.</summary>
    public IReadOnlyList<DmaTransfer> Pending => pending;

    /// <summary>
    /// Starts a device write of <paramref name="data"/> into <paramref name="page"/> at <paramref name="offset"/>,
    /// completing after <paramref name="delay"/> steps. When the page backs user memory, pass the user address so a
    /// later COW replacement is recognised.
    /// </summary>
    /// <param name="page">Target page (must be allocated now).</param>
    /// <param name="offset">Byte offset in the page.</param>
    /// <param name="data">Bytes the device writes.</param>
    /// <param name="delay">Steps until completion (at least 1).</param>
    /// <param name="userMm">The address space whose page this is, if any.</param>
    /// <param name="userAddr">The user address it is mapped at, if any.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public DmaTransfer Submit(Page page, int offset, byte[] data, int delay = 1, MmStruct? userMm = null, UserAddr userAddr = default,
        [System.Runtime.CompilerServices.CallerMemberName] string caller = "", [System.Runtime.CompilerServices.CallerFilePath] string file = "", [System.Runtime.CompilerServices.CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(data);
        var pfn = kernel.CheckPage(page);
        if (userMm is not null)
        {
            kernel.RequireMine(userMm.Kernel, "the user mm", nameof(userMm));
        }

        if (offset < 0 || offset > (int)Kernel.PageSize || data.Length > (int)Kernel.PageSize - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"DMA of {data.Length} bytes at offset {offset} leaves the page");
        }

        if (delay < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), "a DMA completes on a later step (delay >= 1)");
        }

        if (kernel.IsFreeFrame(pfn))
        {
            throw new ArgumentException($"DMA to free pfn {pfn:x5}", nameof(page));
        }

        var site = kernel.Sites.Intern(caller, file, line);
        kernel.NoteDmaTarget(pfn, userMm is not null, site);
        var transfer = new DmaTransfer(nextId++, pfn, offset, (byte[])data.Clone(), kernel.Mem.Generation[pfn], step + delay, userMm, userAddr.Value, site);
        pending.Add(transfer);
        return transfer;
    }

    /// <summary>Advances the device by one step, completing the transfers that are due.</summary>
    public void Step()
    {
        step++;
        CompleteDue();
    }

    /// <summary>
    /// Runs the device until no transfer is pending: the clock jumps from one completion to the next, so a long delay
    /// costs nothing and every transfer completes in order of its due step.
    /// </summary>
    public void RunUntilIdle()
    {
        while (pending.Count > 0)
        {
            step = Math.Max(step, pending.Min(t => t.DueStep));
            CompleteDue();
        }
    }

    private void CompleteDue()
    {
        foreach (var t in pending.Where(t => t.DueStep <= step).OrderBy(t => t.DueStep).ToArray())
        {
            pending.Remove(t);
            kernel.CompleteDma(t);
            t.Completed = true;
        }
    }
}
