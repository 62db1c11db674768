using System.Text.Json.Serialization;

namespace DriverKit.Scenarios;

/// <summary>One scenario variant played once against a fresh machine of one kernel version.</summary>
/// <param name="Scenario">Scenario id of docs/kernel-semantics.md §4 ("S1", "S4").</param>
/// <param name="Sample">The sample driver that plays it ("scullp").</param>
/// <param name="Variant">Variant key ("nopage", "C").</param>
/// <param name="VariantDescription">What the driver does in this variant.</param>
/// <param name="Kernel">The kernel version simulated.</param>
/// <param name="Era">Its era (E0 … E7).</param>
/// <param name="Machine">Machine options besides the version.</param>
/// <param name="Rules">The DriverKit analyzer rules that flag this variant's driver code.</param>
/// <param name="NotInEra">Why the driver does not compile in this era (a flag, hook or function it uses does not exist), or null.</param>
/// <param name="Steps">What the driver and the user processes did, step by step, with the state after each step.</param>
/// <param name="Totals">Free pool before and after, leaked frames, report counts.</param>
/// <param name="Notes">What the run shows, in a sentence or two.</param>
/// <param name="Snapshots">Pictures of physical frames and address spaces at chosen moments (for the SVG).</param>
public sealed record ScenarioRun(
    string Scenario,
    string Sample,
    string Variant,
    string VariantDescription,
    string Kernel,
    string Era,
    MachineConfig Machine,
    IReadOnlyList<string> Rules,
    string? NotInEra,
    IReadOnlyList<StepRecord> Steps,
    RunTotals Totals,
    IReadOnlyList<string> Notes,
    [property: JsonIgnore] IReadOnlyList<MachineSnapshot> Snapshots)
{
    /// <summary>False when the driver variant does not exist in this era.</summary>
    public bool Compiles => NotInEra is null;
}

/// <summary>The options a machine booted with, besides its version.</summary>
/// <param name="Strict">Strict checker: simulator-only (DKSIM) findings are reported too.</param>
/// <param name="CheckPages">6.4+ check_pages (init_on_free and friends).</param>
/// <param name="DebugVm">CONFIG_DEBUG_VM.</param>
/// <param name="PteSpecial">The architecture has a PTE special bit.</param>
/// <param name="WhatIfVmReservedSpecial">Ben Herrenschmidt's never-merged proposal (S2 b).</param>
public sealed record MachineConfig(bool Strict, bool CheckPages, bool DebugVm, bool PteSpecial, bool WhatIfVmReservedSpecial)
{
    /// <summary>" (check_pages, DEBUG_VM)" or empty.</summary>
    [JsonIgnore]
    public string Suffix
    {
        get
        {
            var parts = new List<string>();
            if (CheckPages) parts.Add("check_pages");
            if (DebugVm) parts.Add("DEBUG_VM");
            if (!PteSpecial) parts.Add("no pte_special");
            if (WhatIfVmReservedSpecial) parts.Add("Ben's proposal");
            return parts.Count == 0 ? string.Empty : " (" + string.Join(", ", parts) + ")";
        }
    }
}

/// <summary>The sums of a run.</summary>
/// <param name="PoolBefore">Free frames when the run started (before the driver loaded).</param>
/// <param name="PoolAfter">Free frames at the end, after every process exited.</param>
/// <param name="LeakedFrames">Frames of the driver that nobody can free any more.</param>
/// <param name="KernelReports">Reports the real kernel prints.</param>
/// <param name="SimulatorReports">DKSIM findings (strict mode only).</param>
/// <param name="Signals">Signals delivered to user processes (SIGBUS, SIGSEGV, SIGKILL).</param>
public sealed record RunTotals(long PoolBefore, long PoolAfter, IReadOnlyList<ulong> LeakedFrames, int KernelReports, int SimulatorReports, IReadOnlyList<string> Signals)
{
    /// <summary>PoolAfter − PoolBefore: negative when frames never came back.</summary>
    public long PoolDelta => PoolAfter - PoolBefore;
}
