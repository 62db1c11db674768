using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// Page tables are bounded by the simulated RAM beyond faults and MAP_POPULATE (<see cref="HostMemoryTests"/>):
/// remap_pfn_range (remap_pte_range) fails with -ENOMEM where the kernel's pte_alloc would, and maps nothing; fork
/// (copy_pte_range) fails with -ENOMEM when the child's copies of the parent's tables do not fit, and leaves the parent as it was;
/// vm_insert_page (insert_page → get_locked_pte) fails with -ENOMEM when its table does not fit.
/// </summary>
public sealed class PageTableBoundTests
{
    private const ulong P4 = Kernel.PageSize;

    public static TheoryData<string> Versions => new(CaseRunner.Versions);

    [Theory]
    [MemberData(nameof(Versions))]
    public void AHugeRemapOfASparseRangeFailsWithEnomemAndMapsNothing(string version)
    {
        var f = new RobustFixture(version);

        // 4 GiB of a physical hole far above RAM: 2,048 leaf tables, more than the machine's free frames.
        f.Driver.MmapResult = vma => f.K.RemapPfnRange(vma, vma.Start, new Pfn(1UL << 28), vma.Length, vma.PageProt);
        var before = f.Snapshot();
        var tables = f.K.PageTablePool.Live;
        var allocated = GC.GetAllocatedBytesForCurrentThread();

        var r = f.P.Mmap(default, 4UL << 30, Prot.Read | Prot.Write, MapFlags.Shared, f.Fd, 1000 * P4);

        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Equal(Errno.ENOMEM, r.Errno);
        Assert.Equal(tables, f.K.PageTablePool.Live);
        var diff = before.Diff(f.Snapshot()).Where(d => !BadInputCatalog.ReclaimEffect(d)).ToList();
        Assert.True(diff.Count == 0, MachineState.Describe(diff));
        Assert.True(allocated < 16L << 20, $"{allocated >> 20} MiB of host memory");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void AForkWhoseChildTablesDoNotFitFailsWithEnomemAndLeavesTheParentAsItWas(string version)
    {
        var f = new RobustFixture(version);

        // The parent ends with more tables than half the free frames, so the child's copies cannot fit beside them.
        var leaves = (ulong)(f.K.FreePageCount * 6 / 10);
        TouchOncePerLeaf(f, leaves, anonVma: true);

        var before = f.Snapshot();
        var tables = f.K.PageTablePool.Live;
        var processes = f.K.Processes.Count;

        var r = f.P.Fork();

        Assert.Equal(Errno.ENOMEM, r.Errno);
        Assert.Equal(tables, f.K.PageTablePool.Live);
        Assert.Equal(processes, f.K.Processes.Count);
        var diff = before.Diff(f.Snapshot()).Where(d => !BadInputCatalog.ReclaimEffect(d)).ToList();
        Assert.True(diff.Count == 0, MachineState.Describe(diff));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void AForkWhoseChildTablesFitSucceeds(string version)
    {
        var f = new RobustFixture(version);

        // The same shape with a third of the free frames in tables: the child's copies fit.
        var leaves = (ulong)(f.K.FreePageCount / 3);
        TouchOncePerLeaf(f, leaves, anonVma: true);

        var tables = f.K.PageTablePool.Live;

        var r = f.P.Fork();

        Assert.True(r.IsOk, r.ToString());
        Assert.True(f.K.PageTablePool.Live >= tables + (int)leaves, $"{f.K.PageTablePool.Live - tables} tables for the child");
    }

    /// <summary>The suite's eras that have vm_insert_page (2.6.15-rc4 on).</summary>
    public static TheoryData<string> InsertPageVersions => new(CaseRunner.Versions.Where(v => v is not ("2.6.14" or "2.6.15-rc1")));

    [Theory]
    [MemberData(nameof(InsertPageVersions))]
    public void AVmInsertPageWhoseTableDoesNotFitFailsWithEnomem(string version)
    {
        var f = new RobustFixture(version);
        var inserted = int.MinValue;
        f.Driver.MmapResult = vma => inserted = f.K.VmInsertPage(vma, vma.Start, f.Alloc0);

        // Everything reclaimable goes first, so that direct reclaim cannot make room for the table later.
        while (f.K.Reclaim(1L << 20) > 0)
        {
        }

        // Zero-page reads (no anonymous page to reclaim) until the live tables take every free frame.
        TouchOncePerLeaf(f, (ulong)(f.K.FreePageCount - f.K.PageTablePool.Live), anonVma: false);

        var tables = f.K.PageTablePool.Live;
        var refcount = f.Alloc0.Refcount;

        // At a 2 MiB boundary no mapping shares, so the insert needs a table of its own.
        var r = f.P.Mmap(new UserAddr(0x5000_0000_0000), P4, Prot.Read, MapFlags.Shared | MapFlags.Fixed, f.Fd, 0);

        Assert.Equal(-Errno.ENOMEM, inserted);
        Assert.False(r.IsOk);
        Assert.Equal(tables, f.K.PageTablePool.Live);
        Assert.Equal(refcount, f.Alloc0.Refcount);
    }

    /// <summary>
    /// A private anonymous mapping touched once per 2 MiB: each read maps the zero page and takes a leaf table. With
    /// <paramref name="anonVma"/> the mapping is writable (MAP_NORESERVE, so that its size is not charged) and its first touch
    /// is a write, which gives the vma an anon_vma, so fork copies its tables (copy_page_range skips a private vma without
    /// one: the child faults it in lazily); without it the mapping is read-only and holds no page to reclaim.
    /// </summary>
    private static void TouchOncePerLeaf(RobustFixture f, ulong leaves, bool anonVma)
    {
        var map = anonVma
            ? f.P.Mmap(default, leaves * PageTable.LeafSpan, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.NoReserve)
            : f.P.Mmap(default, leaves * PageTable.LeafSpan, Prot.Read, MapFlags.Private | MapFlags.Anonymous);
        Assert.True(map.IsOk, map.ToString());
        for (var i = 0UL; i < leaves; i++)
        {
            var addr = map.Value + (i * PageTable.LeafSpan);
            Assert.Equal(AccessResult.Ok, anonVma && i == 0 ? f.P.WriteByte(addr, 1) : f.P.ReadByte(addr, out _));
        }
    }
}
