using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Mm;

/// <summary>C's page arithmetic over a block: <c>page + i</c>, <c>page++</c>, <c>page--</c>, <c>b - a</c>.</summary>
public class PageArithmeticTests
{
    [Fact]
    public void A_cursor_walks_the_block_as_SetPageReserved_page_plus_plus_does()
    {
        var k = Boot("2.6.14", strict: true);
        var first = k.AllocPages(Gfp.Kernel, 2);
        var page = first;
        for (var i = 0; i < 4; i++)
        {
            k.SetPageReserved(page++);
        }

        Assert.Equal(4, page - first);
        Assert.All(Enumerable.Range(0, 4), i => Assert.True(k.PageReserved(first + i)));
        while (page != first)
        {
            k.ClearPageReserved(--page);
        }

        Assert.All(Enumerable.Range(0, 4), i => Assert.False(k.PageReserved(first + i)));
        k.FreePages(first, 2);
        Assert.Empty(k.Shutdown());
    }

    [Fact]
    public void Stepping_off_RAM_is_refused_and_leaves_the_cursor()
    {
        var k = Boot("7.0");
        var last = k.PfnToPage(new Pfn((ulong)k.Options.MemoryBytes / Kernel.PageSize - 1));
        var cursor = last;
        Assert.Throws<ArgumentOutOfRangeException>(() => cursor++);
        Assert.Equal(last, cursor);
        var first = k.PfnToPage(new Pfn(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => first--);
    }
}
