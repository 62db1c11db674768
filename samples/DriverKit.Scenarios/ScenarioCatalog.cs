namespace DriverKit.Scenarios;

/// <summary>A sample driver.</summary>
/// <param name="Name">Its name on the command line.</param>
/// <param name="Description">What it is.</param>
public sealed record SampleInfo(string Name, string Description);

/// <summary>Every sample driver and scenario, and the plan of runs a selection picks.</summary>
public static class ScenarioCatalog
{
    /// <summary>The four sample drivers.</summary>
    public static IReadOnlyList<SampleInfo> Samples { get; } =
    [
        new("scullp", "LDD3 scullp: pages handed out by ->nopage/->fault with get_page (S1, S1F, S5)"),
        new("spulocalstore", "Cell SPE local store: a struct-page page the VM must never free (S2)"),
        new("mmiowindow", "NVIDIA-style register window mapped with VM_LOCKED | VM_IO (S3)"),
        new("framegrabber", "bttv-style frame grabber: PG_reserved pages for remap_pfn_range (S4, S6)"),
    ];

    /// <summary>Every scenario, in the order of docs/kernel-semantics.md §4.</summary>
    public static IReadOnlyList<Scenario> All { get; } =
    [
        new S1ScullpLeak(),
        new S1FScullpFork(),
        new S2SpuLocalStore(),
        new S3MmioWindow(),
        new S4FrameGrabber(),
        new S5MappingGrowth(),
        new S6CloseWithoutOpen(),
    ];

    /// <summary>The sample named <paramref name="name"/> (case, '-' and '_' ignored), or null.</summary>
    /// <param name="name">What the user typed.</param>
    public static SampleInfo? FindSample(string name)
    {
        var key = Normalize(name);
        return Samples.FirstOrDefault(s => s.Name == key);
    }

    /// <summary>The scenario with id <paramref name="id"/> (case ignored), or null.</summary>
    /// <param name="id">"S1", "s4" …</param>
    public static Scenario? FindScenario(string id) => All.FirstOrDefault(s => string.Equals(s.Id, id.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>The runs a selection picks, in catalog order; null filters pick everything.</summary>
    /// <param name="sample">A sample, or null.</param>
    /// <param name="scenario">A scenario, or null.</param>
    /// <param name="era">An era or version, or null for each variant's own eras.</param>
    public static IEnumerable<(Scenario Scenario, ScenarioVariant Variant, EraPoint Point)> Plan(SampleInfo? sample, Scenario? scenario, EraSelector? era)
    {
        foreach (var s in All)
        {
            if (scenario is not null && s != scenario)
            {
                continue;
            }

            foreach (var variant in s.Variants)
            {
                if (sample is not null && (variant.Sample ?? s.Sample) != sample.Name)
                {
                    continue;
                }

                foreach (var point in era?.Pick(variant.Eras) ?? variant.Eras)
                {
                    yield return (s, variant, point);
                }
            }
        }
    }

    private static string Normalize(string name) => name.Trim().Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
}
