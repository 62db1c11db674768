using DriverKit.Runtime;
using Xunit.Abstractions;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// Issue 21: no input may take the host down. A MAP_POPULATE of a huge read-only or exec-only anonymous mapping fills
/// page tables with zero-page PTEs; the page-table pages are the simulated machine's, so a mapping whose tables do not
/// fit in its RAM stops populating (pte_alloc fails) instead of growing host memory without bound.
/// </summary>
public sealed class HostMemoryTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("2.6.14", Prot.Read, 64)]
    [InlineData("3.7", Prot.Read, 64)]
    [InlineData("7.0", Prot.Read, 64)]
    [InlineData("7.0", Prot.Exec, 64)]
    [InlineData("7.0", Prot.Read, 8192)]
    public void PopulatingAHugeReadOnlyAnonymousMappingStaysWithinTheMachine(string version, Prot prot, ulong gib)
    {
        var k = new Kernel(new KernelOptions { Version = version, MemoryBytes = 8UL << 20 });
        var p = k.Spawn("huge");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var r = p.Mmap(default, gib << 30, prot, MapFlags.Private | MapFlags.Anonymous | MapFlags.Populate);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{version} {prot} {gib} GiB: {r}, {allocated >> 20} MiB allocated on the host, {watch.Elapsed.TotalSeconds:0.0} s");

        // mm/util.c vm_mmap_pgoff: mm_populate's errors are ignored, the mapping stands.
        Assert.True(r.IsOk, r.ToString());
        Assert.True(allocated < 64L << 20, $"{allocated >> 20} MiB of host memory for an 8 MiB machine (more than 8 times its RAM)");

        // The machine still works: a later fork and fault do not throw.
        var child = p.Fork();
        Assert.True(child.IsOk, child.ToString());
        var small = p.Mmap(default, Kernel.PageSize, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous).Unwrap();
        Assert.True(p.Touch(small, true).IsOk);
        Assert.Empty(k.Checker.CheckAll());
    }
}
