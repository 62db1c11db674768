using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// Page tables are bounded by the simulated RAM beyond faults and MAP_POPULATE (<see cref="HostMemoryTests"/>):
/// remap_pfn_range (remap_pte_range) fails with -ENOMEM where the kernel's pte_alloc would, and maps nothing.
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
}
