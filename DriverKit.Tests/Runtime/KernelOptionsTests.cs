using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime;

/// <summary>Boot options: each bad value is refused with a message naming it, and a machine keeps its own copy.</summary>
public sealed class KernelOptionsTests
{
    public static TheoryData<string, Action<KernelOptions>> BadOptions => new()
    {
        { "CheckerMode", o => o.CheckerMode = (CheckerMode)99 },
        { "FullScanInterval", o => o.FullScanInterval = 0 },
        { "FullScanInterval", o => o.FullScanInterval = -5 },
        { "SwapPages", o => o.SwapPages = -1 },
        { "SwapPages", o => o.SwapPages = int.MaxValue },
        { "MemoryBytes", o => o.MemoryBytes = 4096 },
        { "MemoryBytes", o => o.MemoryBytes = ulong.MaxValue },
        { "KernelImageBytes", o => o.KernelImageBytes = ulong.MaxValue },
        { "KernelImageBytes", o => o.KernelImageBytes = 0 },
        { "2.6.9", o => o.Version = "2.6.9" },
        { "empty", o => o.Version = "" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_option_is_refused_with_a_message_naming_it(string named, Action<KernelOptions> spoil)
    {
        var options = new KernelOptions { MemoryBytes = 8UL << 20 };
        spoil(options);
        var e = Assert.Throws<ArgumentException>(() => new Kernel(options));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_largest_swap_device_boots()
        => Assert.NotNull(new Kernel(new KernelOptions { MemoryBytes = 8UL << 20, SwapPages = Kernel.MaxSwapPages }));

    [Fact]
    public void Changing_the_options_after_boot_changes_nothing()
    {
        var options = new KernelOptions { Version = "2.6.20", CheckerMode = CheckerMode.Faithful, MemoryBytes = 8UL << 20 };
        var k = new Kernel(options);
        options.CheckerMode = CheckerMode.Strict;
        options.Version = "7.0";
        Assert.Equal(CheckerMode.Faithful, k.Options.CheckerMode);
        Assert.Equal("2.6.20", k.Options.Version);
        Assert.Equal(Era.E3, k.Era);

        k.Options.CheckerMode = CheckerMode.Strict;
        Assert.Equal(CheckerMode.Faithful, k.Options.CheckerMode);
    }
}
