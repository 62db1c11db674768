using System.Globalization;
using System.Text;
using DriverKit.Benchmarks.Quick;
using DriverKit.Benchmarks.Workloads;

namespace DriverKit.Benchmarks.Report;

/// <summary>A target of issue 23 and whether a row meets it.</summary>
/// <param name="Text">How the table states it.</param>
/// <param name="Met">Given the simulator's and (when there is one) the real kernel's median.</param>
public sealed record Target(string Text, Func<double, double?, bool?> Met);

/// <summary>The spread of one operation's values over the interleaved rounds.</summary>
/// <param name="Min">Smallest value.</param>
/// <param name="Median">Median (the upper middle for an even count).</param>
/// <param name="Max">Largest value.</param>
public sealed record Spread(double Min, double Median, double Max)
{
    /// <summary>The spread of <paramref name="values"/>, or null when there are none.</summary>
    /// <param name="values">One value per round.</param>
    public static Spread? Of(IReadOnlyCollection<double> values) =>
        values.Count == 0 ? null : new Spread(values.Min(), Report.Median.Of(values), values.Max());

    /// <summary>Every value divided by <paramref name="d"/>.</summary>
    /// <param name="d">The divisor.</param>
    public Spread Scale(double d) => new(Min / d, Median / d, Max / d);
}

/// <summary>One row of the comparison table.</summary>
/// <param name="Title">Operation.</param>
/// <param name="Unit">What one value is per ("ns/page", "ms", "B/frame").</param>
/// <param name="Real">The real kernel's values over the rounds, if it has any.</param>
/// <param name="Sim">The simulator's values over the rounds.</param>
/// <param name="Paired">sim/real of each round (the simulator's round divided by the native run just before it).</param>
/// <param name="Allocated">Managed bytes the simulator allocated per operation, the largest of the rounds (NaN when not measured).</param>
/// <param name="Target">The target, if the row has one.</param>
public sealed record Row(string Title, string Unit, Spread? Real, Spread? Sim, Spread? Paired, double Allocated, Target? Target)
{
    /// <summary>Nothing may be allocated per page: under this many bytes per operation is the per-call constant amortised.</summary>
    public const double AllocationLimit = 1.0;

    /// <summary>sim / real of the medians.</summary>
    public double? Ratio => Real is { Median: > 0 } r && Sim is { } s ? s.Median / r.Median : null;

    /// <summary>Whether the row is held to the no-allocation rule.</summary>
    public bool NoAllocation { get; init; }

    /// <summary>True / false when the row has a target and a value, null otherwise.</summary>
    public bool? Met
    {
        get
        {
            var timed = Target is { } t && Sim is { } s ? t.Met(s.Median, Real?.Median) : null;
            if (NoAllocation && !double.IsNaN(Allocated) && Allocated >= AllocationLimit)
            {
                return false;
            }

            return timed;
        }
    }
}

/// <summary>
/// The table bench/run prints: operation, the real kernel's and the simulator's min/median/max over the interleaved
/// rounds, the ratio of the medians and the spread of the per-round ratios, allocation, the target and whether it is met.
/// Real-kernel values come from bench/native's output ("key value" lines), one run per round.
/// </summary>
public static class ComparisonTable
{
    private static Target FractionOfReal(int n) => new($"sim <= real/{n}", (s, r) => r is { } real ? s <= real / n : null);

    /// <summary>Reads bench/native's "key value" lines (comments start with '#').</summary>
    /// <param name="path">The file.</param>
    public static Dictionary<string, double> ReadNative(string path) => ParseNative(File.ReadAllLines(path));

    /// <summary>Parses bench/native's "key value" lines (comments start with '#').</summary>
    /// <param name="lines">The output.</param>
    public static Dictionary<string, double> ParseNative(IEnumerable<string> lines)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var t = line.Trim();
            if (t.Length == 0 || t.StartsWith('#'))
            {
                continue;
            }

            var parts = t.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            {
                values[parts[0]] = v;
            }
        }

        return values;
    }

    /// <summary>Builds the rows from the rounds' measurements and the metadata size.</summary>
    /// <param name="sim">Simulator measurements by key, one dictionary per round.</param>
    /// <param name="native">Real-kernel values by key, one dictionary per round (empty without a native side).</param>
    /// <param name="bytesPerFrame">Bytes a 1M-frame boot allocates per frame.</param>
    public static List<Row> Build(IReadOnlyList<IReadOnlyDictionary<string, SimResult>> sim, IReadOnlyList<IReadOnlyDictionary<string, double>> native, double bytesPerFrame)
    {
        var titles = AllWorkloads.Create().ToDictionary(w => w.Key, w => w.Title);
        Spread? Real(string key) => Spread.Of(native.Where(n => n.ContainsKey(key)).Select(n => n[key]).ToList());
        Spread? Sim(string key) => Spread.Of(sim.Where(s => s.ContainsKey(key)).Select(s => s[key].NsPerOp).ToList());
        double Alloc(string key) => sim.Any(s => s.ContainsKey(key)) ? sim.Where(s => s.ContainsKey(key)).Max(s => s[key].BytesPerOp) : double.NaN;
        Spread? Paired(string key)
        {
            var ratios = new List<double>();
            for (var i = 0; i < Math.Min(sim.Count, native.Count); i++)
            {
                if (sim[i].TryGetValue(key, out var s) && native[i].TryGetValue(key, out var r) && r > 0)
                {
                    ratios.Add(s.NsPerOp / r);
                }
            }

            return Spread.Of(ratios);
        }

        Row PerPage(string key, Target? target = null, bool noAllocation = false) =>
            new(titles[key], "ns/page", Real(key), Sim(key), Paired(key), Alloc(key), target) { NoAllocation = noAllocation };

        var boot = Sim("boot")?.Scale(1e6);
        var reclaim = Sim("reclaim");
        return
        [
            PerPage("anon-fault", FractionOfReal(20), noAllocation: true),
            PerPage("anon-fault-data"),
            PerPage("driver-fault"),
            PerPage("remap-pfn-range"),
            PerPage("vm-insert-page"),
            PerPage("fork", FractionOfReal(4), noAllocation: true),
            PerPage("cow-fault", FractionOfReal(20), noAllocation: true),
            PerPage("munmap", FractionOfReal(4), noAllocation: true),
            PerPage("exit", FractionOfReal(4), noAllocation: true),
            new(titles["tlb-read"] + " (real: hardware TLB)", "ns/read", Real("tlb-read"), Sim("tlb-read"), Paired("tlb-read"), Alloc("tlb-read"), new("sim <= 2.5 ns", (s, _) => s <= 2.5)) { NoAllocation = true },
            new(titles["tlb-write"] + " (real: hardware TLB)", "ns/write", Real("tlb-write"), Sim("tlb-write"), Paired("tlb-write"), Alloc("tlb-write"), null),
            new(titles["boot"], "ms", null, boot, null, double.NaN, new("<= 10 ms", (s, _) => s <= 10)),
            new("metadata per frame (1M-frame boot)", "B/frame", null, new Spread(bytesPerFrame, bytesPerFrame, bytesPerFrame), null, double.NaN, new("<= 64 B", (s, _) => s <= 64)),
            PerPage("reclaim"),
            new("reclaim 100k pages, total", "ms", null, reclaim?.Scale(1e6 / Machine.ReclaimPages), null, double.NaN, null),
        ];
    }

    /// <summary>Formats the rows as a Markdown table (readable as plain text too).</summary>
    /// <param name="rows">The rows.</param>
    public static string Format(IReadOnlyList<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| operation | unit | real kernel min / median / max | simulator min / median / max | sim/real (medians) | per-round sim/real min - max | sim alloc B/op (max) | target | result |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---|---|");
        foreach (var r in rows)
        {
            var result = r.Met switch
            {
                true => "PASS",
                false => "FAIL",
                null => r.Target is null && !r.NoAllocation ? string.Empty : "n/a",
            };
            var target = r.Target?.Text ?? "—";
            if (r.NoAllocation)
            {
                target += $", alloc < {Row.AllocationLimit:F0} B/op";
            }

            sb.Append(CultureInfo.InvariantCulture, $"| {r.Title} | {r.Unit} | {Triple(r.Real)} | {Triple(r.Sim)} | {(r.Ratio is { } q ? q.ToString("F3", CultureInfo.InvariantCulture) : "—")} | ")
              .Append(r.Paired is { } p ? string.Create(CultureInfo.InvariantCulture, $"{p.Min:F3} - {p.Max:F3}") : "—")
              .Append(CultureInfo.InvariantCulture, $" | {(double.IsNaN(r.Allocated) ? "—" : r.Allocated.ToString("F1", CultureInfo.InvariantCulture))} | {target} | {result} |")
              .AppendLine();
        }

        return sb.ToString();
    }

    private static string Triple(Spread? s) => s is null ? "—" : $"{Num(s.Min)} / {Num(s.Median)} / {Num(s.Max)}";

    private static string Num(double x) => x switch
    {
        _ when double.IsNaN(x) => "—",
        >= 1000 => x.ToString("F0", CultureInfo.InvariantCulture),
        >= 10 => x.ToString("F1", CultureInfo.InvariantCulture),
        _ => x.ToString("F2", CultureInfo.InvariantCulture),
    };
}
