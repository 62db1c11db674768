using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DriverKit.Tests.Fidelity;

/// <summary>One field that differs between the kernel's golden file and the simulator, after normalisation.</summary>
internal sealed record FieldDiff(string Scenario, string Step, string Key, JsonNode? Kernel, bool KernelHas, JsonNode? Simulator, bool SimulatorHas)
{
    public string KernelText => KernelHas ? FidelityCompare.Text(Kernel) : "(absent)";

    public string SimulatorText => SimulatorHas ? FidelityCompare.Text(Simulator) : "(absent)";

    public override string ToString() => $"{Scenario}/{Step}/{Key}: kernel={KernelText} simulator={SimulatorText}";
}

/// <summary>
/// Normalisation of values that legitimately differ between machines, applied identically to the kernel's and the
/// simulator's observations before they are compared (fidelity/README.md, "Comparison with the simulator"):
/// <list type="number">
/// <item>pfn keys: <c>pfn</c> (the driver buffer) becomes offsets from its first page; <c>before_pfn</c>/<c>after_pfn</c>
/// offsets from <c>before_pfn[0]</c>; <c>pm_pfn</c>/<c>held_pfn</c> become labels — <c>0</c> (not present),
/// <c>drv+i</c> (driver page i), <c>blk+i</c> (page i of the RESFREE block) or <c>p#n</c>, n numbering the other
/// frames in order of first appearance in the scenario (so "the same page as before" survives). A frame that was absent
/// from the previous step that recorded pfns (freed, or at least unmapped from every observed range) gets a new label
/// when it comes back: which free frame an allocation gets depends on every allocation the whole machine made since
/// the free (the recording VM's kworkers, the program's own stack and heap faults), which no scenario controls;</item>
/// <item>VmFlags: <c>sd</c> (VM_SOFTDIRTY, CONFIG_MEM_SOFT_DIRTY) and <c>ar</c> (x86 PAT's VM_PAT) are dropped — kernel
/// configuration and architecture detail the simulator does not model;</item>
/// <item>the <c>lru</c> bit of anonymous pages (page flag strings containing <c>anon</c>) is dropped: a fresh anonymous
/// page sits in a per-cpu LRU batch until a timing-dependent drain;</item>
/// <item>dmesg: compared by message shape — the header, page, flags and reason lines of "Bad page state" and the
/// other BUG headers, with process names, pfns (as the labels above), pointers and node/zone fields replaced, and the
/// "comm (pid): " prefix of a warning (the pid depends on the boot) replaced; stack
/// dumps, register dumps, module lists and the lockdep taint notice are dropped;</item>
/// <item><c>probe_reused</c> of a freed block that is in the buddy allocator (every <c>after_inbuddy</c> true) becomes
/// <c>"in-buddy"</c>: whether the next alloc_pages of that order returns this block or another one from the head of
/// the order's free list depends on the free lists the boot left (two boots of one kernel gave false and true); that
/// the block was freed is what <c>after_inbuddy</c> shows.</item>
/// </list>
/// </summary>
internal static partial class FidelityCompare
{
    private static readonly string[] FlagKeys = ["pflags", "kpageflags", "pm_kpageflags", "held_pflags", "before_pflags", "after_pflags"];

    /// <summary>Compact JSON with only the escapes JSON requires (so "drv+1" and "->mmap" stay readable).</summary>
    public static readonly System.Text.Json.JsonSerializerOptions JsonText = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Text(JsonNode? v) => v is null ? "null" : v.ToJsonString(JsonText);

    /// <summary>The separator of a flag-set value: VmFlags are space-separated, page flags "|"-separated.</summary>
    public static char Separator(string key) => IsVmFlagsKey(key) ? ' ' : '|';

    /// <summary>smaps VmFlags of the mapping under test ("vmflags") or of another mapping ("d_vmflags", "stack_vmflags", …).</summary>
    public static bool IsVmFlagsKey(string key) => key == "vmflags" || key.EndsWith("_vmflags", StringComparison.Ordinal);

    public static bool IsFlagKey(string key) => IsVmFlagsKey(key) || FlagKeys.Contains(key);

    /// <summary>A normalised deep copy of <paramref name="scenario"/> (rules in the class summary).</summary>
    public static ObsScenario Normalise(ObsScenario scenario)
    {
        var labels = new Dictionary<long, string>();
        var lastSeen = new Dictionary<long, int>();
        var nextLabel = 0;
        var previousPfnStep = -1;
        long[]? driver = null;
        var copy = new ObsScenario(scenario.Name, scenario.Description);
        for (var index = 0; index < scenario.Steps.Count; index++)
        {
            var step = scenario.Steps[index];
            if (driver is null && step.Get("pfn") is JsonArray d && d.Count > 0)
            {
                driver = Longs(d);
            }

            long[]? block = step.Get("before_pfn") is JsonArray b && b.Count > 0 ? Longs(b) : null;
            string Label(long pfn) => LabelOf(pfn, observed: false);
            string LabelOf(long pfn, bool observed)
            {
                if (pfn == 0)
                {
                    return "0";
                }

                if (driver is not null && Array.IndexOf(driver, pfn) is var i and >= 0)
                {
                    return "drv+" + i.ToString(CultureInfo.InvariantCulture);
                }

                if (block is not null && pfn >= block[0] && pfn < block[0] + block.Length)
                {
                    return "blk+" + (pfn - block[0]).ToString(CultureInfo.InvariantCulture);
                }

                var known = labels.TryGetValue(pfn, out var l);
                var returned = observed && known && lastSeen.TryGetValue(pfn, out var seen) && seen != previousPfnStep && seen != index;
                if (!known || returned)
                {
                    l = "p#" + nextLabel++.ToString(CultureInfo.InvariantCulture);
                    labels[pfn] = l;
                }

                if (observed)
                {
                    lastSeen[pfn] = index;
                }

                return l!;
            }

            var ns = new ObsStep(step.Name);

            // First-appearance labels in a fixed key order, identical for both sides.
            var recordsPfns = false;
            foreach (var key in new[] { "held_pfn", "pm_pfn" })
            {
                if (step.Get(key) is JsonArray arr)
                {
                    recordsPfns = true;
                    foreach (var v in Longs(arr))
                    {
                        LabelOf(v, observed: true);
                    }
                }
            }

            foreach (var (key, value) in step.Obs)
            {
                ns.Obs.Add(new(key, NormaliseValue(key, value, step, Label, driver, block)));
            }

            copy.Steps.Add(ns);
            if (recordsPfns)
            {
                previousPfnStep = index;
            }
        }

        return copy;
    }

    private static long[] Longs(JsonArray a) => a.Select(x => x is null ? 0L : (long)x).ToArray();

    private static JsonNode? NormaliseValue(string key, JsonNode? value, ObsStep step, Func<long, string> label, long[]? driver, long[]? block)
    {
        if (value is null)
        {
            return null;
        }

        switch (key)
        {
            case "pfn" when value is JsonArray a && a.Count > 0:
            {
                var v = Longs(a);
                return Ints(v.Select(x => x - v[0]));
            }

            case "before_pfn" or "after_pfn" when value is JsonArray a && block is not null:
                return Ints(Longs(a).Select(x => x - block[0]));
            case "probe_reused" when step.Get("after_inbuddy") is JsonArray inBuddy && inBuddy.Count > 0 && inBuddy.All(x => x is not null && (bool)x):
                return JsonValue.Create("in-buddy");
            case "pm_pfn" or "held_pfn" when value is JsonArray a:
                return Strs(Longs(a).Select(label));
            case var vk when IsVmFlagsKey(vk) && value is JsonValue:
                return JsonValue.Create(string.Join(' ', ((string)value!).Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(t => t is not ("sd" or "ar"))));
            case "dmesg" when value is JsonArray a:
                return Strs(DmesgShape(a.Select(x => (string?)x ?? string.Empty), label, driver, block));
        }

        if (FlagKeys.Contains(key) && value is JsonArray fa)
        {
            return Strs(fa.Select(x =>
            {
                var tokens = ((string?)x ?? string.Empty).Split('|', StringSplitOptions.RemoveEmptyEntries).ToList();
                if (tokens.Contains("anon"))
                {
                    tokens.Remove("lru");
                }

                return string.Join('|', tokens);
            }));
        }

        return value.DeepClone();
    }

    private static JsonArray Ints(IEnumerable<long> v) => new(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());

    private static JsonArray Strs(IEnumerable<string> v) => new(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());

    [GeneratedRegex(@"^BUG: Bad page state in process (\S+)\s+pfn:([0-9a-f]+)$")]
    private static partial Regex BadPageHeader();

    [GeneratedRegex(@"^page:\S+ refcount:(-?\d+) mapcount:(-?\d+) mapping:(\S+) index:(\S+)")]
    private static partial Regex DumpPageLine();

    [GeneratedRegex(@"^flags: 0x[0-9a-f]+\((.*)\)\s*$")]
    private static partial Regex DumpFlagsLine();

    [GeneratedRegex(@"^BUG: Bad page map in process (\S+)")]
    private static partial Regex BadPageMap();

    [GeneratedRegex(@"^BUG: Bad rss-counter state mm:\S+ (.*)$")]
    private static partial Regex BadRss();

    [GeneratedRegex(@"^\S+ \(\d+\): ")]
    private static partial Regex CommPidPrefix();

    [GeneratedRegex(@"\b[0-9a-f]{8,16}\b")]
    private static partial Regex HexWord();

    /// <summary>Kernel-infrastructure lines of an oops or bad_page report that carry no memory-management state.</summary>
    private static bool IsDumpNoise(string line) =>
        line.Length == 0 || line[0] == ' ' || line.StartsWith("raw: ", StringComparison.Ordinal) ||
        line.StartsWith("Modules linked in:", StringComparison.Ordinal) || line.StartsWith("CPU: ", StringComparison.Ordinal) ||
        line.StartsWith("Hardware name:", StringComparison.Ordinal) || line.StartsWith("Call Trace:", StringComparison.Ordinal) ||
        line.StartsWith("<TASK>", StringComparison.Ordinal) || line.StartsWith("</TASK>", StringComparison.Ordinal) ||
        line.StartsWith("RIP: ", StringComparison.Ordinal) || line.StartsWith("Code: ", StringComparison.Ordinal) ||
        line.StartsWith("RSP: ", StringComparison.Ordinal) || line.StartsWith("RAX: ", StringComparison.Ordinal) ||
        line.StartsWith("RDX: ", StringComparison.Ordinal) || line.StartsWith("RBP: ", StringComparison.Ordinal) ||
        line.StartsWith("R10: ", StringComparison.Ordinal) || line.StartsWith("R13: ", StringComparison.Ordinal) ||
        line.StartsWith("Disabling lock debugging due to kernel taint", StringComparison.Ordinal);

    /// <summary>The message shape of the new kernel log lines of one step.</summary>
    public static IEnumerable<string> DmesgShape(IEnumerable<string> lines, Func<long, string> label, long[]? driver, long[]? block)
    {
        string Pfn(string hex)
        {
            var pfn = long.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var l = label(pfn);
            return l.StartsWith("p#", StringComparison.Ordinal) ? "<pfn>" : l;
        }

        foreach (var line in lines)
        {
            if (IsDumpNoise(line))
            {
                continue;
            }

            if (BadPageHeader().Match(line) is { Success: true } h)
            {
                yield return $"BUG: Bad page state in process <comm>  pfn:{Pfn(h.Groups[2].Value)}";
            }
            else if (DumpPageLine().Match(line) is { Success: true } pg)
            {
                var mapping = pg.Groups[3].Value.Trim('0').Length == 0 ? "null" : "set";
                yield return $"page: refcount:{pg.Groups[1].Value} mapcount:{pg.Groups[2].Value} mapping:{mapping} index:{pg.Groups[4].Value}";
            }
            else if (DumpFlagsLine().Match(line) is { Success: true } fl)
            {
                var names = fl.Groups[1].Value.Split('|').Where(t => t.Length > 0 && !t.Contains('=', StringComparison.Ordinal));
                yield return "flags: " + string.Join('|', names);
            }
            else if (BadPageMap().Match(line) is { Success: true })
            {
                yield return "BUG: Bad page map in process <comm>";
            }
            else if (BadRss().Match(line) is { Success: true } rss)
            {
                yield return "BUG: Bad rss-counter state " + rss.Groups[1].Value;
            }
            else if (CommPidPrefix().Match(line) is { Success: true } cp)
            {
                // pr_warn's "%s (%d): " (current->comm, task_pid_nr): the pid depends on what ran before the program.
                yield return "<comm> (<pid>): " + HexWord().Replace(line[cp.Length..], "<hex>");
            }
            else
            {
                yield return HexWord().Replace(line, "<hex>");
            }
        }
    }

    /// <summary>Every field of every step that differs between two normalised scenarios, plus missing/extra steps (key "(step)").</summary>
    public static List<FieldDiff> Diff(ObsScenario kernel, ObsScenario? sim, out int steps, out int fields)
    {
        var diffs = new List<FieldDiff>();
        steps = 0;
        fields = 0;
        var simSteps = sim?.Steps ?? new List<ObsStep>();
        foreach (var ks in kernel.Steps)
        {
            steps++;
            var ss = sim?.Step(ks.Name);
            if (ss is null)
            {
                fields += ks.Obs.Count;
                diffs.Add(new FieldDiff(kernel.Name, ks.Name, "(step)", JsonValue.Create("present"), true, null, false));
                continue;
            }

            var keys = ks.Obs.Select(o => o.Key).Concat(ss.Obs.Select(o => o.Key)).Distinct();
            foreach (var key in keys)
            {
                var kh = ks.Has(key);
                var sh = ss.Has(key);
                if (kh)
                {
                    fields++;
                }

                var kv = ks.Get(key);
                var sv = ss.Get(key);
                if (kh != sh || Text(kv) != Text(sv))
                {
                    diffs.Add(new FieldDiff(kernel.Name, ks.Name, key, kv, kh, sv, sh));
                }
            }
        }

        foreach (var ss in simSteps.Where(s => kernel.Step(s.Name) is null))
        {
            diffs.Add(new FieldDiff(kernel.Name, ss.Name, "(step)", null, false, JsonValue.Create("present"), true));
        }

        // The steps both sides have must come in the same order (a mirror that reorders steps would compare wrong snapshots).
        var common = kernel.Steps.Select(s => s.Name).Where(n => sim?.Step(n) is not null).ToList();
        var simOrder = simSteps.Select(s => s.Name).Where(n => kernel.Step(n) is not null).ToList();
        if (!common.SequenceEqual(simOrder))
        {
            diffs.Add(new FieldDiff(kernel.Name, "*", "(order)", Strs(common), true, Strs(simOrder), true));
        }

        return diffs;
    }
}

/// <summary>How a known difference looks: applied to a differing field, it reduces the difference it explains.</summary>
internal abstract class Tolerance
{
    /// <summary>
    /// Removes the part of the difference this tolerance explains from <paramref name="kernel"/> and
    /// <paramref name="sim"/>; true when it removed something.
    /// </summary>
    public abstract bool Reduce(string key, ref JsonNode? kernel, ref JsonNode? sim);

    /// <summary>Tokens of a flag set (VmFlags or page flags, per element for arrays) the kernel shows and the simulator lacks (missing) or the other way round (extra).</summary>
    public static Tolerance Tokens(string[]? missing = null, string[]? extra = null) => new TokenTolerance(missing ?? [], extra ?? []);

    /// <summary>The field is exactly <paramref name="kernel"/> in the kernel and <paramref name="sim"/> in the simulator (JSON after normalisation and token tolerances).</summary>
    public static Tolerance Values(string kernel, string sim) => new ValuesTolerance(kernel, sim);

    /// <summary>Integer arrays where every differing element is the kernel's value minus <paramref name="kernelMinusSim"/>.</summary>
    public static Tolerance Offset(long kernelMinusSim) => new OffsetTolerance(kernelMinusSim);

    /// <summary>The step is present on one side only (key "(step)"), or any value: for fields whose kernel value is not a stable oracle.</summary>
    public static Tolerance Any() => new AnyTolerance();

    private sealed class TokenTolerance(string[] missing, string[] extra) : Tolerance
    {
        public override string ToString() => $"tokens(missing: {string.Join(',', missing)}; extra: {string.Join(',', extra)})";

        public override bool Reduce(string key, ref JsonNode? kernel, ref JsonNode? sim)
        {
            if (!FidelityCompare.IsFlagKey(key))
            {
                return false;
            }

            var sep = FidelityCompare.Separator(key);
            var changed = false;
            string Strip(string k, string s, bool kernelSide)
            {
                var kt = k.Split(sep, StringSplitOptions.RemoveEmptyEntries).ToList();
                var st = s.Split(sep, StringSplitOptions.RemoveEmptyEntries).ToList();
                foreach (var t in missing)
                {
                    if (kt.Contains(t) && !st.Contains(t))
                    {
                        kt.Remove(t);
                        changed = true;
                    }
                }

                foreach (var t in extra)
                {
                    if (st.Contains(t) && !kt.Contains(t))
                    {
                        st.Remove(t);
                        changed = true;
                    }
                }

                return string.Join(sep, kernelSide ? kt : st);
            }

            if (kernel is JsonValue && sim is JsonValue)
            {
                var k = (string)kernel!;
                var s = (string)sim!;
                kernel = JsonValue.Create(Strip(k, s, true));
                sim = JsonValue.Create(Strip(k, s, false));
                return changed;
            }

            if (kernel is JsonArray ka && sim is JsonArray sa && ka.Count == sa.Count)
            {
                var nk = new JsonArray();
                var ns = new JsonArray();
                for (var i = 0; i < ka.Count; i++)
                {
                    var k = (string?)ka[i] ?? string.Empty;
                    var s = (string?)sa[i] ?? string.Empty;
                    nk.Add(JsonValue.Create(Strip(k, s, true)));
                    ns.Add(JsonValue.Create(Strip(k, s, false)));
                }

                kernel = nk;
                sim = ns;
                return changed;
            }

            return false;
        }
    }

    private sealed class ValuesTolerance(string kernelJson, string simJson) : Tolerance
    {
        private readonly string k = FidelityCompare.Text(JsonNode.Parse(kernelJson));
        private readonly string s = FidelityCompare.Text(JsonNode.Parse(simJson));

        public override string ToString() => $"values(kernel={k}, simulator={s})";

        public override bool Reduce(string key, ref JsonNode? kernel, ref JsonNode? sim)
        {
            if (FidelityCompare.Text(kernel) != k || FidelityCompare.Text(sim) != s)
            {
                return false;
            }

            sim = kernel?.DeepClone();
            return true;
        }
    }

    private sealed class OffsetTolerance(long delta) : Tolerance
    {
        public override string ToString() => $"offset(kernel - simulator = {delta})";

        public override bool Reduce(string key, ref JsonNode? kernel, ref JsonNode? sim)
        {
            if (kernel is not JsonArray ka || sim is not JsonArray sa || ka.Count != sa.Count)
            {
                return false;
            }

            var changed = false;
            for (var i = 0; i < ka.Count; i++)
            {
                if (ka[i] is not JsonValue kv || sa[i] is not JsonValue sv || !kv.TryGetValue<long>(out var k) || !sv.TryGetValue<long>(out var s))
                {
                    return false;
                }

                if (k != s)
                {
                    if (k - s != delta)
                    {
                        return false;
                    }

                    changed = true;
                }
            }

            if (changed)
            {
                sim = kernel.DeepClone();
            }

            return changed;
        }
    }

    private sealed class AnyTolerance : Tolerance
    {
        public override string ToString() => "any";

        public override bool Reduce(string key, ref JsonNode? kernel, ref JsonNode? sim)
        {
            sim = kernel?.DeepClone();
            return true;
        }
    }
}

/// <summary>
/// A documented disagreement between the kernel and the simulator: where (scenario, steps, key; "*" or a
/// "|"-separated list), what it looks like (<see cref="What"/>), the kernel's behaviour, the simulator's, the
/// runtime function at fault and the suggested fix.
/// </summary>
internal sealed record KnownDifference(string Scenarios, string Steps, string Keys, Tolerance What, string Kernel, string Simulator, string Function, string Fix)
{
    /// <summary>The golden file (file-name prefix, e.g. "linux-" or "host-") the entry applies to.</summary>
    public string File { get; init; } = "linux-";

    private static bool Match(string pattern, string value) => pattern == "*" || pattern.Split('|').Contains(value);

    public bool Matches(string file, FieldDiff d) =>
        file.StartsWith(File, StringComparison.Ordinal) && Match(Scenarios, d.Scenario) && Match(Steps, d.Step) && Match(Keys, d.Key);

    public override string ToString() => $"[{File}] {Scenarios} / {Steps} / {Keys}: {What} — {Function}";
}

/// <summary>The outcome of comparing one scenario: the differences explained by known entries, and the rest.</summary>
internal sealed class ScenarioComparison
{
    public int Steps { get; init; }

    public int Fields { get; init; }

    public List<(FieldDiff Diff, List<KnownDifference> By)> Known { get; } = new();

    public List<FieldDiff> Unexplained { get; } = new();

    public HashSet<KnownDifference> Used { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Compares one golden scenario with the simulator's, normalising both and applying <paramref name="known"/>.</summary>
    public static ScenarioComparison Run(string file, ObsScenario kernel, ObsScenario? sim, IReadOnlyList<KnownDifference> known)
    {
        var diffs = FidelityCompare.Diff(FidelityCompare.Normalise(kernel), sim is null ? null : FidelityCompare.Normalise(sim), out var steps, out var fields);
        var result = new ScenarioComparison { Steps = steps, Fields = fields };
        foreach (var d in diffs)
        {
            var entries = known.Where(k => k.Matches(file, d)).ToList();

            // Token tolerances first (they compose), then whole-value ones.
            var k = d.KernelHas ? d.Kernel?.DeepClone() : JsonValue.Create("(absent)");
            var s = d.SimulatorHas ? d.Simulator?.DeepClone() : JsonValue.Create("(absent)");
            var by = new List<KnownDifference>();
            foreach (var e in entries.OrderBy(e => e.What.GetType().Name.StartsWith("Token", StringComparison.Ordinal) ? 0 : 1))
            {
                if (FidelityCompare.Text(k) == FidelityCompare.Text(s))
                {
                    break;
                }

                if (e.What.Reduce(d.Key, ref k, ref s))
                {
                    by.Add(e);
                }
            }

            if (by.Count > 0 && FidelityCompare.Text(k) == FidelityCompare.Text(s))
            {
                result.Known.Add((d, by));
                foreach (var e in by)
                {
                    result.Used.Add(e);
                }
            }
            else
            {
                result.Unexplained.Add(d);
            }
        }

        return result;
    }
}
