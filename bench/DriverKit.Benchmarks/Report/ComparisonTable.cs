using System.Globalization;
using System.Text;
using DriverKit.Benchmarks.Quick;
using DriverKit.Benchmarks.Workloads;

namespace DriverKit.Benchmarks.Report;

/// <summary>A target of issue 8 and whether a row meets it.</summary>
/// <param name="Text">How the table states it.</param>
/// <param name="Met">Given the simulator's and (when there is one) the real kernel's value.</param>
public sealed record Target(string Text, Func<double, double?, bool?> Met);

/// <summary>One row of the comparison table.</summary>
/// <param name="Title">Operation.</param>
/// <param name="Unit">What one value is per ("ns/page", "ms", "B/frame").</param>
/// <param name="Real">The real kernel's value, if it has one.</param>
/// <param name="Sim">The simulator's value.</param>
/// <param name="Allocated">Managed bytes the simulator allocated per operation (NaN when not measured).</param>
/// <param name="Target">The target, if the row has one.</param>
public sealed record Row(string Title, string Unit, double? Real, double? Sim, double Allocated, Target? Target)
{
    /// <summary>sim / real.</summary>
    public double? Ratio => Real is > 0 && Sim is { } s ? s / Real : null;

    /// <summary>True / false when the row has a target and a value, null otherwise.</summary>
    public bool? Met => Target is { } t && Sim is { } s ? t.Met(s, Real) : null;
}

/// <summary>
/// The table bench/run prints: operation, real kernel ns/page, simulator ns/page, ratio, the target and whether
/// it is met. Real-kernel values come from bench/native's output ("key value" lines).
/// </summary>
public static class ComparisonTable
{
    private static readonly Target TenthOfReal = new("sim <= real/10", (s, r) => r is { } real ? s <= real / 10 : null);
    private static readonly Target HalfOfReal = new("sim <= real/2", (s, r) => r is { } real ? s <= real / 2 : null);

    /// <summary>Reads bench/native's "key value" lines (comments start with '#').</summary>
    /// <param name="path">The file.</param>
    public static Dictionary<string, double> ReadNative(string path)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(path))
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

    /// <summary>Builds the rows from the simulator's measurements, the native results and the metadata size.</summary>
    /// <param name="sim">Simulator measurements by key.</param>
    /// <param name="native">Real-kernel values by key.</param>
    /// <param name="bytesPerFrame">Bytes a 1M-frame boot allocates per frame.</param>
    public static List<Row> Build(IReadOnlyDictionary<string, SimResult> sim, IReadOnlyDictionary<string, double> native, double bytesPerFrame)
    {
        var titles = AllWorkloads.Create().ToDictionary(w => w.Key, w => w.Title);
        double? Real(string key) => native.TryGetValue(key, out var v) ? v : null;
        double? Sim(string key) => sim.TryGetValue(key, out var m) ? m.NsPerOp : null;
        double Alloc(string key) => sim.TryGetValue(key, out var m) ? m.BytesPerOp : double.NaN;
        Row PerPage(string key, Target? target = null) => new(titles[key], "ns/page", Real(key), Sim(key), Alloc(key), target);

        return
        [
            PerPage("anon-fault", TenthOfReal),
            PerPage("anon-fault-data"),
            PerPage("driver-fault"),
            PerPage("remap-pfn-range"),
            PerPage("vm-insert-page"),
            PerPage("fork", HalfOfReal),
            PerPage("cow-fault"),
            PerPage("munmap", HalfOfReal),
            PerPage("exit"),
            new(titles["tlb-read"] + " (real: hardware TLB)", "ns/read", Real("tlb-read"), Sim("tlb-read"), Alloc("tlb-read"), new("sim <= 5 ns", (s, _) => s <= 5)),
            new(titles["tlb-write"] + " (real: hardware TLB)", "ns/write", Real("tlb-write"), Sim("tlb-write"), Alloc("tlb-write"), null),
            new(titles["boot"], "ms", null, Sim("boot") / 1e6, double.NaN, new("<= 100 ms", (s, _) => s <= 100)),
            new("metadata per frame (1M-frame boot)", "B/frame", null, bytesPerFrame, double.NaN, new("<= 64 B", (s, _) => s <= 64)),
            PerPage("reclaim"),
            new("reclaim 100k pages, total", "ms", null, Sim("reclaim") * Machine.ReclaimPages / 1e6, double.NaN, null),
        ];
    }

    /// <summary>Formats the rows as a Markdown table (readable as plain text too).</summary>
    /// <param name="rows">The rows.</param>
    public static string Format(IReadOnlyList<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| operation | unit | real kernel | simulator | sim/real | sim alloc B/op | target | result |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---|---|");
        foreach (var r in rows)
        {
            var result = r.Met switch
            {
                true => "PASS",
                false => "FAIL",
                null => r.Target is null ? string.Empty : "n/a",
            };
            sb.Append(CultureInfo.InvariantCulture, $"| {r.Title} | {r.Unit} | {Num(r.Real)} | {Num(r.Sim)} | {(r.Ratio is { } q ? q.ToString("F3", CultureInfo.InvariantCulture) : "—")} | ")
              .Append(CultureInfo.InvariantCulture, $"{(double.IsNaN(r.Allocated) ? "—" : r.Allocated.ToString("F1", CultureInfo.InvariantCulture))} | {r.Target?.Text ?? "—"} | {result} |")
              .AppendLine();
        }

        return sb.ToString();
    }

    private static string Num(double? v) => v switch
    {
        null => "—",
        { } x when double.IsNaN(x) => "—",
        { } x when x >= 1000 => x.ToString("F0", CultureInfo.InvariantCulture),
        { } x when x >= 10 => x.ToString("F1", CultureInfo.InvariantCulture),
        { } x => x.ToString("F2", CultureInfo.InvariantCulture),
    };
}
