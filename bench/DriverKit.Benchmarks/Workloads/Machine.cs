using DriverKit.Runtime;

namespace DriverKit.Benchmarks.Workloads;

/// <summary>Machine and process helpers shared by the workloads.</summary>
internal static class Machine
{
    /// <summary>Pages per run of the page-sized workloads: 65,536 pages = 256 MiB, the same size bench/native uses.</summary>
    internal const int Pages = 65536;

    /// <summary>Pages of the reclaim workload.</summary>
    internal const int ReclaimPages = 100_000;

    /// <summary>Frames of the boot workload: 1M frames = 4 GiB.</summary>
    internal const int BootFrames = 1 << 20;

    internal const ulong PageSize = Kernel.PageSize;

    /// <summary>A 7.0 machine in the faithful checker mode (the configuration users run).</summary>
    internal static Kernel Boot(ulong memoryBytes, int swapPages = 1024) => new(new KernelOptions
    {
        Version = "7.0",
        MemoryBytes = memoryBytes,
        CheckerMode = CheckerMode.Faithful,
        SwapPages = swapPages,
    });

    /// <summary>mmap(NULL, pages * 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS).</summary>
    internal static UserAddr MapAnon(Process p, int pages) =>
        p.Mmap(default, (ulong)pages * PageSize, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous).Unwrap();

    /// <summary>Write-faults every page of [start, start + pages) (no data is stored: frame contents stay lazy).</summary>
    internal static void TouchWrite(Process p, UserAddr start, int pages)
    {
        var a = start.Value;
        for (var i = 0; i < pages; i++, a += PageSize)
        {
            var r = p.Touch(new UserAddr(a), write: true);
            if (!r.IsOk)
            {
                throw new InvalidOperationException($"touch of {a:x} failed: {r}");
            }
        }
    }

    /// <summary>Read-faults every page of [start, start + pages).</summary>
    internal static void TouchRead(Process p, UserAddr start, int pages)
    {
        var a = start.Value;
        for (var i = 0; i < pages; i++, a += PageSize)
        {
            var r = p.Touch(new UserAddr(a));
            if (!r.IsOk)
            {
                throw new InvalidOperationException($"touch of {a:x} failed: {r}");
            }
        }
    }

    /// <summary>Writes one byte into every page (faults it in and materialises its 4 KiB of contents).</summary>
    internal static void WriteBytes(Process p, UserAddr start, int pages)
    {
        var a = start.Value;
        for (var i = 0; i < pages; i++, a += PageSize)
        {
            var r = p.WriteByte(new UserAddr(a), 1);
            if (!r.IsOk)
            {
                throw new InvalidOperationException($"write of {a:x} failed: {r}");
            }
        }
    }

    /// <summary>Exits <paramref name="p"/> if it still runs, and fails loudly if the machine reported anything.</summary>
    internal static void Exit(Process? p)
    {
        if (p is { State: ProcessState.Running })
        {
            p.Exit().ToString();
        }
    }

    /// <summary>A benchmark that produced kernel reports measured the wrong thing.</summary>
    internal static void AssertClean(Kernel k)
    {
        if (k.Reports.Count != 0)
        {
            throw new InvalidOperationException("the benchmark machine reported: " + k.Reports[0].Text);
        }
    }
}
