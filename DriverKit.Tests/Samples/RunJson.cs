using System.Text.Json;

namespace DriverKit.Tests.Samples;

/// <summary>The runs of one `--json` invocation, by key "S1/nopage@2.6.15-rc1" (+ "+check_pages", "+debug_vm", "+no_pte_special").</summary>
public sealed class RunSet
{
    private readonly Dictionary<string, RunJson> runs = new(StringComparer.Ordinal);
    private readonly List<RunJson> ordered = new();

    public RunSet(string jsonLines)
    {
        foreach (var line in jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var run = new RunJson(JsonDocument.Parse(line).RootElement);
            Assert.True(runs.TryAdd(run.Key, run), $"two runs with key {run.Key}");
            ordered.Add(run);
        }
    }

    public IReadOnlyCollection<RunJson> All => runs.Values;

    /// <summary>The runs in the order they were played.</summary>
    public IReadOnlyList<RunJson> InOrder => ordered;

    public RunJson this[string key] => runs.TryGetValue(key, out var run) ? run : throw new KeyNotFoundException($"no run {key}; runs: {string.Join(", ", runs.Keys)}");
}

/// <summary>One scenario run as the runner's JSON has it.</summary>
public sealed class RunJson(JsonElement root)
{
    public JsonElement Root => root;

    public string Key
    {
        get
        {
            var machine = root.GetProperty("machine");
            var key = $"{root.GetProperty("scenario").GetString()}/{root.GetProperty("variant").GetString()}@{root.GetProperty("kernel").GetString()}";
            if (machine.GetProperty("checkPages").GetBoolean()) key += "+check_pages";
            if (machine.GetProperty("debugVm").GetBoolean()) key += "+debug_vm";
            if (!machine.GetProperty("pteSpecial").GetBoolean()) key += "+no_pte_special";
            return key;
        }
    }

    public bool Compiles => root.GetProperty("compiles").GetBoolean();

    public string NotInEra => root.GetProperty("notInEra").GetString()!;

    public string[] Rules => root.GetProperty("rules").EnumerateArray().Select(r => r.GetString()!).ToArray();

    public long PoolDelta => root.GetProperty("totals").GetProperty("poolDelta").GetInt64();

    public ulong[] Leaked => root.GetProperty("totals").GetProperty("leakedFrames").EnumerateArray().Select(e => e.GetUInt64()).ToArray();

    public int KernelReports => root.GetProperty("totals").GetProperty("kernelReports").GetInt32();

    public IEnumerable<StepJson> Steps => root.GetProperty("steps").EnumerateArray().Select(s => new StepJson(s));

    public IEnumerable<JsonElement> Reports => Steps.SelectMany(s => s.Reports);

    public IEnumerable<string> Notes => root.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!);

    public StepJson Step(string key) => Steps.SingleOrDefault(s => s.Key == key) ?? throw new KeyNotFoundException($"{Key} has no step {key}");

    public override string ToString() => Key;
}

/// <summary>One step of a run.</summary>
public sealed class StepJson(JsonElement step)
{
    public string Key => step.GetProperty("key").GetString()!;

    public int N => step.GetProperty("n").GetInt32();

    public string Action => step.GetProperty("action").GetString()!;

    public int[] Rc => step.GetProperty("pages").EnumerateArray().Select(p => p.GetProperty("rc").GetInt32()).ToArray();

    public int[] Mc => step.GetProperty("pages").EnumerateArray().Select(p => p.GetProperty("mc").GetInt32()).ToArray();

    public long FreePages => step.GetProperty("freePages").GetInt64();

    public string Result => step.GetProperty("outcome").GetProperty("text").GetString()!;

    public string? Errno => Optional(step.GetProperty("outcome"), "errno");

    public string? Signal => Optional(step.GetProperty("outcome"), "signal");

    public string? Oops => Optional(step.GetProperty("outcome"), "oops");

    public IEnumerable<JsonElement> Reports => step.GetProperty("reports").EnumerateArray();

    public IEnumerable<string> Log => step.GetProperty("log").EnumerateArray().Select(l => l.GetString()!);

    public JsonElement Observed(string name) => step.GetProperty("observed").GetProperty(name);

    private static string? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetString() : null;
}

/// <summary>Every scenario run, played once for all the JSON tests: faithful and strict.</summary>
public sealed class ScenarioRunsFixture
{
    public const string Collection = "scenario runs";

    public ScenarioRunsFixture()
    {
        Faithful = Load("--json");
        Strict = Load("--json", "--strict");
    }

    public RunSet Faithful { get; }

    public RunSet Strict { get; }

    private static RunSet Load(params string[] args)
    {
        var result = SamplesCli.Run(args);
        Assert.True(result.Exit == 0, result.Err);
        return new RunSet(result.Out);
    }
}

/// <summary>The JSON test classes share one <see cref="ScenarioRunsFixture"/>.</summary>
[CollectionDefinition(ScenarioRunsFixture.Collection)]
public sealed class ScenarioRunsCollection : ICollectionFixture<ScenarioRunsFixture>;
