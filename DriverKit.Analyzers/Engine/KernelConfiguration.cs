using System.Collections.Concurrent;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The kernel version the analyzers check against, per syntax tree: <c>driverkit.kernel_version</c> from .editorconfig or
/// a .globalconfig, else the MSBuild property <c>DriverKitKernelVersion</c> (compiler-visible through the package's
/// build/DriverKit.props), else the newest era. Era decisions are asked of the shared <see cref="EraPolicy"/>.
/// </summary>
internal sealed class KernelConfiguration
{
    /// <summary>The .editorconfig / .globalconfig key.</summary>
    public const string EditorConfigKey = "driverkit.kernel_version";

    /// <summary>The global option an MSBuild CompilerVisibleProperty becomes.</summary>
    public const string BuildPropertyKey = "build_property.DriverKitKernelVersion";

    private static readonly EraPolicy Newest = new(KernelVersion.Newest);

    private readonly ConcurrentDictionary<string, EraPolicy?> policies = new(StringComparer.Ordinal);

    /// <summary>The era rules fall back to when the setting is missing or not understood.</summary>
    public static EraPolicy Fallback => Newest;

    /// <summary>
    /// The settings that name no kernel version DriverKit knows, each once: (setting, value, parser's error). The tree
    /// settings of <paramref name="trees"/> and the global ones are read.
    /// </summary>
    public static IEnumerable<(string Setting, string Value, string Error)> Invalid(AnalyzerOptions options, IEnumerable<SyntaxTree> trees)
    {
        var provider = options.AnalyzerConfigOptionsProvider;
        var settings = new List<(string Setting, string Value)>();
        foreach (var tree in trees)
        {
            if (provider.GetOptions(tree).TryGetValue(EditorConfigKey, out var value))
            {
                settings.Add((EditorConfigKey, value));
            }
        }

        if (provider.GlobalOptions.TryGetValue(EditorConfigKey, out var global))
        {
            settings.Add((EditorConfigKey, global));
        }

        if (provider.GlobalOptions.TryGetValue(BuildPropertyKey, out var build))
        {
            settings.Add(("the MSBuild property DriverKitKernelVersion", build));
        }

        foreach (var (setting, value) in settings.Where(pair => !string.IsNullOrWhiteSpace(pair.Value)).Select(pair => (pair.Setting, pair.Value.Trim())).Distinct())
        {
            if (!KernelVersion.TryParse(value, out _, out var error))
            {
                yield return (setting, value, error.TrimEnd('.'));
            }
        }
    }

    /// <summary>The era policy that applies to <paramref name="tree"/>; an unparsable version falls back to the newest era (and DK1000 says so).</summary>
    public EraPolicy GetPolicy(AnalyzerOptions options, SyntaxTree? tree)
    {
        var provider = options.AnalyzerConfigOptionsProvider;
        string? value = null;
        if (tree is not null && provider.GetOptions(tree).TryGetValue(EditorConfigKey, out var fromTree) && !string.IsNullOrWhiteSpace(fromTree))
        {
            value = fromTree;
        }
        else if (provider.GlobalOptions.TryGetValue(EditorConfigKey, out var fromGlobal) && !string.IsNullOrWhiteSpace(fromGlobal))
        {
            value = fromGlobal;
        }
        else if (provider.GlobalOptions.TryGetValue(BuildPropertyKey, out var fromBuild) && !string.IsNullOrWhiteSpace(fromBuild))
        {
            value = fromBuild;
        }

        if (value is null)
        {
            return Newest;
        }

        return policies.GetOrAdd(value.Trim(), static text => KernelVersion.TryParse(text, out var version, out _) ? new EraPolicy(version) : null)
            ?? Newest;
    }
}
