namespace DriverKit.Scenarios;

/// <summary>A reproduction scenario of docs/kernel-semantics.md §4, played by one sample driver.</summary>
public abstract class Scenario
{
    /// <summary>"S1", "S1F", "S2" …</summary>
    public abstract string Id { get; }

    /// <summary>The sample driver that plays it (a name of <see cref="ScenarioCatalog.Samples"/>).</summary>
    public abstract string Sample { get; }

    /// <summary>One line: what the scenario shows.</summary>
    public abstract string Title { get; }

    /// <summary>The driver variants, each with the eras where its outcome differs.</summary>
    public abstract IReadOnlyList<ScenarioVariant> Variants { get; }
}

/// <summary>One driver variant of a scenario.</summary>
/// <param name="Key">Short key ("nopage", "A", "fix").</param>
/// <param name="Description">What the driver does.</param>
/// <param name="Rules">The DK rules that flag this driver code (empty for a correct driver).</param>
/// <param name="Eras">The kernel versions where it is played: those where the outcome differs.</param>
/// <param name="Play">The steps, played against a fresh machine.</param>
public sealed record ScenarioVariant(string Key, string Description, IReadOnlyList<string> Rules, IReadOnlyList<EraPoint> Eras, Action<Script> Play)
{
    /// <summary>Boot the machine with Ben Herrenschmidt's never-merged vm_normal_page proposal (S2 b).</summary>
    public bool WhatIfVmReservedSpecial { get; init; }

    /// <summary>The sample that plays this variant when it is not the scenario's own (S5's vm_insert_page-only driver).</summary>
    public string? Sample { get; init; }
}
