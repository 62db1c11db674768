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

    /// <summary>The era policy that applies to <paramref name="tree"/>; an unparsable version falls back to the newest era.</summary>
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
