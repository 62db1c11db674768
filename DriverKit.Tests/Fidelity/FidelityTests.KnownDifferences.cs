namespace DriverKit.Tests.Fidelity;

public sealed partial class FidelityTests
{
    /// <summary>
    /// Where the simulator disagrees with the kernel. Each entry: golden file (<c>File</c>: "linux-" = the Debian 6.1
    /// VM, "host-" = the 6.18 host, "" = both), scenarios / steps / keys ("*" or a "|" list), the shape of the
    /// difference (a <see cref="Tolerance"/>: flag tokens the kernel shows and the simulator lacks or adds, an exact
    /// value pair, an integer offset, or any value), then the kernel's behaviour, the simulator's, the DriverKit.Runtime
    /// function that is wrong and the suggested fix. DriverKit.Runtime is fixed by its owner; when an entry stops
    /// matching, <see cref="EveryKnownDifferenceIsStillObserved"/> fails and the entry must go. Goal: an empty list.
    /// </summary>
    internal static readonly IReadOnlyList<KnownDifference> KnownDifferences =
    [
    ];
}
