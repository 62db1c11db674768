using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using DriverKit.Scenarios;

namespace DriverKit.Samples.Output;

/// <summary>The machine-readable output: one compact JSON object per scenario run, one per line.</summary>
public static class JsonLines
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The run as one line of JSON.</summary>
    /// <param name="run">The run.</param>
    public static string Serialize(ScenarioRun run) => JsonSerializer.Serialize(run, Options);
}
