using DriverKit.Samples.Scullp;
using static DriverKit.Scenarios.ScullpSteps;

namespace DriverKit.Scenarios;

/// <summary>S1F: S1's first cycle with a fork between reading and unmapping; the child reads all 4 pages and exits.</summary>
public sealed class S1FScullpFork : Scenario
{
    /// <inheritdoc />
    public override string Id => "S1F";

    /// <inheritdoc />
    public override string Sample => "scullp";

    /// <inheritdoc />
    public override string Title => "S1 with a fork: which eras copy the driver's PTEs, and what the child's exit undoes";

    /// <inheritdoc />
    public override IReadOnlyList<ScenarioVariant> Variants { get; } =
    [
        new("nopage", "LDD3 for 2.6.10: VM_RESERVED + ->nopage + get_page", ["DK0004", "DK0005", "DK0015"],
            EraPoint.At("2.6.14", "2.6.15-rc1", "2.6.15-rc2-git5", "2.6.20"),
            s => Play(s, ScullpVariant.ReservedNoPage)),
        new("fault", "after 2.6.23: VM_RESERVED + ->fault + get_page", ["DK0004", "DK0005", "DK0015"],
            EraPoint.At("2.6.30"),
            s => Play(s, ScullpVariant.ReservedFault)),
        new("modern", "the fix: VM_DONTEXPAND | VM_DONTDUMP, ->fault with a bounds check + get_page", [],
            EraPoint.At("7.0"),
            s => Play(s, ScullpVariant.Modern)),
    ];

    private static void Play(Script s, ScullpVariant variant)
    {
        if (Open(s, variant, out var u) is not { } fd || Map(s, u, fd, variant) is not { } addr)
        {
            return;
        }

        ReadAll(s, u, addr, "touch", "U", "read one byte of each page: 4 faults");
        if (s.Fork(u, "C", "fork: copy_page_range copies the driver's PTEs or leaves them to fault") is { } child)
        {
            s.Snapshot("after fork");
            ReadAll(s, child, addr, "child-touch", "C", "read one byte of each page");
            s.Step("child-exit", "C", "exit: the child's PTEs are zapped", Outcome.Of(child.Exit()));
        }

        s.Step("munmap", "U", "munmap the 4 pages", Outcome.Of(u.Munmap(addr, Size)));
        s.Step("close", "U", "close: scullp_release __free_page()s each page", Outcome.Of(u.Close(fd)));
    }
}
