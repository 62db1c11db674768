using DriverKit.Runtime;

namespace DriverKit.Scenarios;

/// <summary>A kernel version (and machine options) a scenario variant is played in.</summary>
/// <param name="Version">The kernel version ("2.6.15-rc1", "6.1.0-27-amd64").</param>
/// <param name="CheckPages">6.4+ check_pages on (init_on_free, init_on_alloc, debug_pagealloc, page poisoning, DEBUG_VM).</param>
/// <param name="DebugVm">CONFIG_DEBUG_VM.</param>
/// <param name="PteSpecial">The architecture has a PTE special bit (only matters from 2.6.26).</param>
public sealed record EraPoint(string Version, bool CheckPages = false, bool DebugVm = false, bool PteSpecial = true)
{
    /// <summary>RAM of every scenario machine: small enough to picture, large enough for every scenario.</summary>
    public const ulong MemoryBytes = 32UL << 20;

    /// <summary>The parsed version.</summary>
    public KernelVersion Parsed => KernelVersion.Parse(Version);

    /// <summary>Kernel options for this point.</summary>
    /// <param name="strict">Strict checker mode.</param>
    /// <param name="whatIfVmReservedSpecial">Ben Herrenschmidt's proposal (S2 b).</param>
    public KernelOptions Options(bool strict, bool whatIfVmReservedSpecial) => new()
    {
        Version = Version,
        MemoryBytes = MemoryBytes,
        CheckPages = CheckPages,
        DebugVm = DebugVm,
        ArchHasPteSpecial = PteSpecial,
        WhatIfVmReservedSpecial = whatIfVmReservedSpecial,
        CheckerMode = strict ? CheckerMode.Strict : CheckerMode.Faithful,
    };

    /// <summary>Shorthand for a list of plain versions.</summary>
    /// <param name="versions">Kernel versions.</param>
    public static IReadOnlyList<EraPoint> At(params string[] versions) => versions.Select(v => new EraPoint(v)).ToArray();
}
