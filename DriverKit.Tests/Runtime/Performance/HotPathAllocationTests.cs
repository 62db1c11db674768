using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Performance;

/// <summary>
/// The fault, fork, COW and unmap paths allocate no managed memory per page once the machine is warm (its pools and
/// page tables grown), in both checker modes; strict mode's periodic full scan (<see cref="KernelOptions.FullScanInterval"/>)
/// is the checker's own cost and is set apart here. Bytes are counted on this thread around a batch of pages; time is
/// never measured here (bench/ does that). Every path is measured: the anonymous write and read faults, fork, the COW
/// fault that copies (wp_page_copy) and the one that reuses (wp_page_reuse), exit and munmap both where they free the
/// pages and where another mm still maps them.
/// </summary>
public class HotPathAllocationTests
{
    private const int Pages = 8192;
    private const ulong P = Kernel.PageSize;

    /// <summary>What one fork or exit may allocate whatever its size: the task, the mm, its upper page-table levels.</summary>
    private const long PerCallAllowance = 48 * 1024;

    /// <summary>
    /// What a batch of <see cref="Pages"/> faults may allocate: under 2 B per page. Any object allocated per page is at least
    /// 24 B (192 KiB a batch); this leaves room for the runtime's own one-off work (tiered JIT, type loading) on a busy machine.
    /// </summary>
    private const long BatchAllowance = 16 * 1024;

    [Theory]
    [InlineData(CheckerMode.Faithful)]
    [InlineData(CheckerMode.Strict)]
    public void Warm_paths_allocate_nothing_per_page(CheckerMode mode)
    {
        var kernel = new Kernel(new KernelOptions { Version = "7.0", MemoryBytes = 256UL << 20, CheckerMode = mode, FullScanInterval = int.MaxValue });
        var parent = kernel.Spawn();
        Round(parent); // grows the pools, the page tables and the JIT'd code once
        var bytes = Round(parent);

        Assert.True(bytes.AnonFault <= BatchAllowance, $"anonymous write faults allocated {bytes.AnonFault} B for {Pages} pages");
        Assert.True(bytes.CowFault <= BatchAllowance, $"COW faults (copy) allocated {bytes.CowFault} B for {Pages} pages");
        Assert.True(bytes.CowReuse <= BatchAllowance, $"COW faults (reuse) allocated {bytes.CowReuse} B for {Pages} pages");
        Assert.True(bytes.ReadFault <= BatchAllowance, $"read faults allocated {bytes.ReadFault} B for {Pages} pages");
        Assert.True(bytes.Fork <= PerCallAllowance, $"a fork of {Pages} pages allocated {bytes.Fork} B");
        Assert.True(bytes.Munmap <= BatchAllowance, $"munmap of {Pages} pages allocated {bytes.Munmap} B");
        Assert.True(bytes.Exit <= PerCallAllowance, $"an exit with {Pages} pages allocated {bytes.Exit} B");
        Assert.True(bytes.ExitShared <= PerCallAllowance, $"an exit with {Pages} pages the parent still maps allocated {bytes.ExitShared} B");
        Assert.True(bytes.MunmapShared <= BatchAllowance, $"munmap of {Pages} pages a child still maps allocated {bytes.MunmapShared} B");
        Assert.Empty(kernel.Reports);
    }

    /// <summary>The allowances are tight enough to catch one small object per page on any of the measured paths.</summary>
    [Fact]
    public void One_object_per_page_exceeds_every_allowance()
    {
        var perPage = Measure(() =>
        {
            for (var i = 0; i < Pages; i++)
            {
                GC.KeepAlive(new object());
            }
        });

        Assert.True(perPage > PerCallAllowance, $"{Pages} objects were counted as {perPage} B");
        Assert.True(perPage > BatchAllowance, $"{Pages} objects were counted as {perPage} B");
    }

    /// <summary>A driver's -&gt;mmap that vm_insert_page()s every page: each call goes through the era check, which must not build strings.</summary>
    [Theory]
    [InlineData(CheckerMode.Faithful)]
    [InlineData(CheckerMode.Strict)]
    public void Inserting_driver_pages_allocates_nothing_per_page(CheckerMode mode)
    {
        var kernel = new Kernel(new KernelOptions { Version = "7.0", MemoryBytes = 256UL << 20, CheckerMode = mode, FullScanInterval = int.MaxValue });
        var pages = Enumerable.Range(0, Pages).Select(_ => kernel.AllocPage(Gfp.Kernel)).ToArray();
        kernel.RegisterChrdev("/dev/insert", new FileOperations
        {
            Owner = "insert",
            Mmap = (file, vma) =>
            {
                var addr = vma.Start;
                for (var i = 0; i < Pages; i++, addr += P)
                {
                    var err = kernel.VmInsertPage(vma, addr, pages[i]);
                    if (err != 0)
                    {
                        return err;
                    }
                }

                return 0;
            },
        });

        long Round()
        {
            var user = kernel.Spawn();
            var fd = (int)user.Open("/dev/insert").Value;
            var bytes = Measure(() => user.Mmap(default, Pages * P, Prot.Read | Prot.Write, MapFlags.Shared, fd).Unwrap());
            user.Exit();
            return bytes;
        }

        Round();
        var warm = Round();
        Assert.True(warm <= PerCallAllowance, $"an mmap that inserts {Pages} pages allocated {warm} B");
        Assert.Empty(kernel.Reports);
    }

    private static (long AnonFault, long ReadFault, long Fork, long CowFault, long CowReuse, long Exit, long ExitShared, long MunmapShared, long Munmap) Round(Process parent)
    {
        var start = parent.Mmap(default, Pages * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous).Unwrap();
        var anon = Measure(() => Touch(parent, start, write: true));
        var read = Measure(() => Touch(parent, start, write: false));
        Process? child = null;
        var fork = Measure(() => child = parent.Fork().Unwrap());
        var cow = Measure(() => Touch(parent, start, write: true));
        var reuse = Measure(() => Touch(child!, start, write: true));
        var exit = Measure(() => child!.Exit());
        var sharer = parent.Fork().Unwrap();
        var exitShared = Measure(() => sharer.Exit());
        var owner = parent.Fork().Unwrap();
        var munmapShared = Measure(() => parent.Munmap(start, Pages * P));
        var munmap = Measure(() => owner.Munmap(start, Pages * P));
        owner.Exit();
        return (anon, read, fork, cow, reuse, exit, exitShared, munmapShared, munmap);
    }

    private static void Touch(Process process, UserAddr start, bool write)
    {
        for (var i = 0; i < Pages; i++)
        {
            var result = process.Touch(start + (ulong)i * P, write);
            Assert.True(result.IsOk, result.ToString());
        }
    }

    private static long Measure(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
