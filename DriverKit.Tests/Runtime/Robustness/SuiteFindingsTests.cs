using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>Runtime defects the bad-input cases of the issue-19 functions exposed, one test each.</summary>
public sealed class SuiteFindingsTests
{
    [Theory]
    [InlineData("3.7", false)]
    [InlineData("6.1", false)]
    [InlineData("7.0", true)]
    public void DmaAllocCoherentRefusesGfpCompFrom62(string version, bool refused)
    {
        var k = new Kernel(new KernelOptions { Version = version, MemoryBytes = 8UL << 20, CheckerMode = CheckerMode.Strict });
        var dev = k.RegisterDevice("dma");
        var free = k.FreePageCount;

        var buf = k.DmaAllocCoherent(dev, 2 * Kernel.PageSize, out var handle, Gfp.Kernel | Gfp.Comp);

        // kernel/dma/mapping.c dma_alloc_attrs: if (WARN_ON_ONCE(flag & __GFP_COMP)) return NULL; (6.2+).
        Assert.Equal(refused, buf.IsNull);
        Assert.Equal(refused, handle.Value == 0);
        Assert.Equal(refused, k.FreePageCount == free);
        Assert.Equal(refused, k.Dmesg.Any(line => line.Contains("dma_alloc_attrs: flag & __GFP_COMP", StringComparison.Ordinal)));
    }
}

/// <summary>Chaos findings outside the issue-19 functions, one test each.</summary>
public sealed class ChaosFindingsTests
{
    /// <summary>
    /// Chaos seed 4, 7.0: the core dump's ELF-header probe (get_user on the vma's first word) faulted into a -&gt;fault
    /// that oopsed; the fault path killed the task and the dump went on faulting pages into the dead task's mm. An oops
    /// inside a system call ends the call with the task (make_task_dead): nothing after it runs.
    /// </summary>
    [Theory]
    [InlineData("3.7")]
    [InlineData("6.1")]
    [InlineData("7.0")]
    public void AnOopsInAFaultTakenInsideASystemCallEndsTheCall(string version)
    {
        var f = new RobustFixture(version);
        var probed = f.P.Mmap(default, Kernel.PageSize, Prot.Read | Prot.Exec, MapFlags.Private, f.Fd, RobustDriver.FaultBase * Kernel.PageSize).Unwrap();
        Assert.Same(f.P.Mm.VmAreas[0], f.P.Mm.VmaAt(probed)); // the lowest vma: every other one is dumped after it
        f.P.CoredumpFilter = 0x13; // anonymous memory and ELF headers: the device vma is only probed
        f.Driver.Hooks[Callback.Fault] = () => throw new InvalidOperationException("driver state machine broke");

        var dump = f.P.DumpCore();

        Assert.NotNull(dump.Oops);
        Assert.Equal(ProcessState.Exited, f.P.State);
        Assert.Empty(Structure.Check(f.K));
    }
}
