using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DriverKit.Tests.Fidelity;

/// <summary>One step of a scenario: its id and its observations in recording order (a key may be absent).</summary>
internal sealed class ObsStep
{
    public ObsStep(string name) => Name = name;

    public string Name { get; }

    /// <summary>Key → JSON value (null for JSON null), in first-recorded order.</summary>
    public List<KeyValuePair<string, JsonNode?>> Obs { get; } = new();

    public bool Has(string key) => Obs.Exists(o => o.Key == key);

    public JsonNode? Get(string key) => Obs.Find(o => o.Key == key).Value;

    public void Set(string key, JsonNode? value)
    {
        var i = Obs.FindIndex(o => o.Key == key);
        if (i >= 0)
        {
            Obs[i] = new(key, value);
        }
        else
        {
            Obs.Add(new(key, value));
        }
    }
}

/// <summary>One scenario: its id, description and steps in execution order.</summary>
internal sealed class ObsScenario
{
    public ObsScenario(string name, string description)
    {
        Name = name;
        Description = description;
    }

    public string Name { get; }

    public string Description { get; }

    public List<ObsStep> Steps { get; } = new();

    public ObsStep? Step(string name) => Steps.Find(s => s.Name == name);
}

/// <summary>
/// A recorded run in the golden JSON schema of fidelity/README.md: kernel, source, arch and the scenarios. Built either
/// by <see cref="Load"/> from a golden file or by the C# mirrors of the user programs through <see cref="ObsLog"/>.
/// </summary>
internal sealed class ObsRun
{
    public string Kernel { get; init; } = string.Empty;

    public string Source { get; init; } = string.Empty;

    public string Arch { get; init; } = "x86_64";

    public List<ObsScenario> Scenarios { get; } = new();

    public ObsScenario? Scenario(string name) => Scenarios.Find(s => s.Name == name);

    /// <summary>Reads a golden file (ordinary JSON; key order inside "obs" is kept).</summary>
    public static ObsRun Load(string path)
    {
        var root = JsonNode.Parse(System.IO.File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false })!.AsObject();
        var run = new ObsRun
        {
            Kernel = (string)root["kernel"]!,
            Source = (string)root["source"]!,
            Arch = (string?)root["arch"] ?? "x86_64",
        };
        foreach (var s in root["scenarios"]!.AsArray())
        {
            var scenario = new ObsScenario((string)s!["name"]!, (string?)s["description"] ?? string.Empty);
            foreach (var st in s["steps"]!.AsArray())
            {
                var step = new ObsStep((string)st!["step"]!);
                foreach (var (key, value) in st["obs"]!.AsObject())
                {
                    step.Obs.Add(new(key, value?.DeepClone()));
                }

                scenario.Steps.Add(step);
            }

            run.Scenarios.Add(scenario);
        }

        return run;
    }

    /// <summary>Writes the run in the golden schema, one step per line like tools/obs2json.py (for tools/summary.py and diffs).</summary>
    public void Save(string path)
    {
        static string J(string s) => JsonValue.Create(s).ToJsonString(FidelityCompare.JsonText);
        var sb = new System.Text.StringBuilder();
        sb.Append("{\n \"kernel\": ").Append(J(Kernel)).Append(",\n \"source\": ").Append(J(Source)).Append(",\n \"arch\": ").Append(J(Arch)).Append(",\n \"scenarios\": [\n");
        for (var i = 0; i < Scenarios.Count; i++)
        {
            var s = Scenarios[i];
            sb.Append("  {\"name\": ").Append(J(s.Name)).Append(", \"description\": ").Append(J(s.Description)).Append(", \"steps\": [\n");
            for (var j = 0; j < s.Steps.Count; j++)
            {
                var obs = new JsonObject();
                foreach (var (k, v) in s.Steps[j].Obs)
                {
                    obs[k] = v?.DeepClone();
                }

                sb.Append("   {\"step\": ").Append(J(s.Steps[j].Name)).Append(", \"obs\": ").Append(obs.ToJsonString(FidelityCompare.JsonText)).Append('}').Append(j + 1 < s.Steps.Count ? ",\n" : "\n");
            }

            sb.Append("  ]}").Append(i + 1 < Scenarios.Count ? ",\n" : "\n");
        }

        sb.Append(" ]\n}\n");
        System.IO.File.WriteAllText(path, sb.ToString());
    }

    /// <summary>The directory holding the committed golden files (copied next to the test assembly).</summary>
    public static string GoldenDirectory => Path.Combine(AppContext.BaseDirectory, "fidelity-golden");
}

/// <summary>
/// The C# counterpart of fidelity/common/obs.h: OBS lines become entries of an <see cref="ObsRun"/>. Scenario and
/// step order is the order of first appearance, as tools/obs2json.py builds it from the OBS stream.
/// </summary>
internal sealed class ObsLog
{
    private ObsScenario? scenario;

    public ObsLog(string kernel, string source)
    {
        Run = new ObsRun { Kernel = kernel, Source = source };
    }

    public ObsRun Run { get; }

    /// <summary>begin(): DESC line; following observations belong to this scenario.</summary>
    public void Begin(string name, string description)
    {
        scenario = new ObsScenario(name, description);
        Run.Scenarios.Add(scenario);
    }

    private ObsStep StepOf(string step)
    {
        var s = scenario ?? throw new InvalidOperationException("no scenario begun");
        var found = s.Step(step);
        if (found is null)
        {
            found = new ObsStep(step);
            s.Steps.Add(found);
        }

        return found;
    }

    public void Json(string step, string key, JsonNode? value) => StepOf(step).Set(key, value);

    public void Int(string step, string key, long v) => Json(step, key, JsonValue.Create(v));

    public void Bool(string step, string key, bool v) => Json(step, key, JsonValue.Create(v));

    public void Null(string step, string key) => Json(step, key, null);

    public void Str(string step, string key, string? s) => Json(step, key, s is null ? null : JsonValue.Create(s));

    public void Ints(string step, string key, IEnumerable<long> v) => Json(step, key, new JsonArray(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()));

    public void Bools(string step, string key, IEnumerable<bool> v) => Json(step, key, new JsonArray(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()));

    public void Strs(string step, string key, IEnumerable<string> v) => Json(step, key, new JsonArray(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()));

    /// <summary>obs_errno: 0 as the integer 0, anything else as its name.</summary>
    public void Errno(string step, int e)
    {
        if (e == 0)
        {
            Int(step, "errno", 0);
        }
        else
        {
            Str(step, "errno", ErrName(e));
        }
    }

    /// <summary>obs.h errname().</summary>
    public static string ErrName(int e) => e switch
    {
        0 => "0",
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        6 => "ENXIO",
        7 => "E2BIG",
        9 => "EBADF",
        10 => "ECHILD",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        19 => "ENODEV",
        22 => "EINVAL",
        23 => "ENFILE",
        24 => "EMFILE",
        25 => "ENOTTY",
        27 => "EFBIG",
        28 => "ENOSPC",
        34 => "ERANGE",
        38 => "ENOSYS",
        75 => "EOVERFLOW",
        95 => "EOPNOTSUPP",
        133 => "EHWPOISON",
        _ => "E" + e.ToString(CultureInfo.InvariantCulture),
    };
}
