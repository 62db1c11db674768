using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>The DMA engine's clock: any delay is accepted, RunUntilIdle returns at once, completions keep their order.</summary>
public sealed class DmaClockTests
{
    [Fact]
    public async Task The_longest_delay_completes_without_stepping_through_it_in_order_with_the_others()
    {
        var k = Boot(E7);
        var page = k.AllocPage(Gfp.Kernel | Gfp.Zero);
        k.Dma.Step();
        var late = k.Dma.Submit(page, 0, [0x22], delay: int.MaxValue);
        var soon = k.Dma.Submit(page, 0, [0x11], delay: 3);

        await Task.Run(k.Dma.RunUntilIdle).WaitAsync(TimeSpan.FromSeconds(10)); // a TimeoutException if it does not return

        Assert.True(soon.Completed && late.Completed);
        Assert.Empty(k.Dma.Pending);
        var b = new byte[1];
        k.ReadKernel(k.PageAddress(page), b);
        Assert.Equal(0x22, b[0]); // the later completion wrote last
    }

    [Fact]
    public void A_step_completes_only_what_is_due()
    {
        var k = Boot(E7);
        var page = k.AllocPage(Gfp.Kernel | Gfp.Zero);
        var t = k.Dma.Submit(page, 0, [0x33], delay: 2);
        k.Dma.Step();
        Assert.False(t.Completed);
        k.Dma.Step();
        Assert.True(t.Completed);
    }
}
