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
