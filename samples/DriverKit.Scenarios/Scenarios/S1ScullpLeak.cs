using DriverKit.Runtime;
using DriverKit.Samples.Scullp;
using static DriverKit.Scenarios.ScullpSteps;

namespace DriverKit.Scenarios;

/// <summary>
/// S1: LDD3's scullp (VM_RESERVED + nopage/fault + get_page). U maps the 4 pages, reads each, unmaps, K = 3 times,
/// tries a MAP_PRIVATE + PROT_WRITE mapping, and closes; the driver frees its pages.
/// </summary>
public sealed class S1ScullpLeak : Scenario
{
    private const int Cycles = 3;

    /// <inheritdoc />
    public override string Id => "S1";

    /// <inheritdoc />
    public override string Sample => "scullp";

    /// <inheritdoc />
    public override string Title => "VM_RESERVED + nopage/fault leak (the 2.6.15-rc1 regression)";

    /// <inheritdoc />
    public override IReadOnlyList<ScenarioVariant> Variants { get; } =
    [
        new("nopage", "LDD3 for 2.6.10: VM_RESERVED + ->nopage + get_page", ["DK0004", "DK0005", "DK0015"],
            EraPoint.At("2.6.14", "2.6.15-rc1", "2.6.15-rc2", "2.6.15-rc2-git5", "2.6.20", "2.6.30"),
            s => Play(s, ScullpVariant.ReservedNoPage)),
        new("fault", "after 2.6.23: VM_RESERVED + ->fault + get_page", ["DK0004", "DK0005", "DK0015"],
            EraPoint.At("2.6.24", "3.7"),
            s => Play(s, ScullpVariant.ReservedFault)),
        new("modern", "the fix: VM_DONTEXPAND | VM_DONTDUMP, ->fault with a bounds check + get_page", [],
            EraPoint.At("3.7", "7.0"),
            s => Play(s, ScullpVariant.Modern)),
    ];

    private static void Play(Script s, ScullpVariant variant)
    {
        if (Open(s, variant, out var u) is not { } fd || Map(s, u, fd, variant) is not { } addr)
        {
            return;
        }

        ReadAll(s, u, addr, "touch", "U", "read one byte of each page: 4 faults, each handler call does get_page");
        s.Snapshot("mapped");
        s.Step("munmap", "U", "munmap the 4 pages", Outcome.Of(u.Munmap(addr, Size)));
        for (var cycle = 2; cycle <= Cycles; cycle++)
        {
            s.Step($"cycle{cycle}", "U", $"cycle {cycle}: mmap, read the 4 pages, munmap", Cycle(u, fd));
        }

        var priv = u.Mmap(default, Size, Prot.Read | Prot.Write, MapFlags.Private, fd);
        if (priv.IsOk)
        {
            u.Munmap(priv.Value, Size);
        }

        s.Step("private-write", "U", "mmap MAP_PRIVATE, PROT_WRITE of the O_RDWR fd (then munmap)", Outcome.Of(priv, a => a.ToString()));
        s.Step("close", "U", "close: scullp_release __free_page()s each page", Outcome.Of(u.Close(fd)));
    }

    /// <summary>One more mmap / read / munmap cycle, as one step.</summary>
    private static Outcome Cycle(Process u, int fd)
    {
        var map = u.Mmap(default, Size, Prot.Read, MapFlags.Shared, fd);
        if (!map.IsOk)
        {
            return Outcome.Of(map, _ => "ok");
        }

        UserReads.FirstBytes(u, map.Value, N, out var failure);
        return failure ?? Outcome.Of(u.Munmap(map.Value, Size));
    }
}
