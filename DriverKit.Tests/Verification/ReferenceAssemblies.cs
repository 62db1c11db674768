using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace DriverKit.Tests.Verification;

/// <summary>
/// Metadata references for compiling test code, resolved offline once per test run: the SDK's own
/// Microsoft.NETCore.App reference pack (or the running runtime's assemblies if no pack is installed) plus DriverKit.Runtime.
/// </summary>
internal static class ReferenceAssemblies
{
    private const string DriverKitRuntimeFileName = "DriverKit.Runtime.dll";

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyFramework = new(LoadFramework);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyWithDriverKitRuntime =
        new(() => LazyFramework.Value.Add(LoadDriverKitRuntime()));

    public static ImmutableArray<MetadataReference> Get(bool includeDriverKitRuntime) =>
        includeDriverKitRuntime ? LazyWithDriverKitRuntime.Value : LazyFramework.Value;

    private static ImmutableArray<MetadataReference> LoadFramework()
    {
        var files = FindReferencePack() ?? FindRuntimeAssemblies();
        return [.. files.Order(StringComparer.Ordinal).Select(file => MetadataReference.CreateFromFile(file))];
    }

    /// <summary>
    /// <c>&lt;dotnet root&gt;/packs/Microsoft.NETCore.App.Ref/&lt;version&gt;/ref/net&lt;major&gt;.0/*.dll</c>, where the dotnet root is four
    /// levels above <c>System.Private.CoreLib.dll</c> and the version is the highest one matching the running runtime's major version.
    /// </summary>
    private static IEnumerable<string>? FindReferencePack()
    {
        var dotnetRoot = Ancestor(typeof(object).Assembly.Location, 4);
        var packs = dotnetRoot is null ? null : Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        if (packs is null || !Directory.Exists(packs))
        {
            return null;
        }

        var major = Environment.Version.Major;
        var best = Directory.EnumerateDirectories(packs)
            .Select(directory => (Directory: directory, Version: PackVersion(Path.GetFileName(directory))))
            .Where(pack => pack.Version is { } version && version.Number.Major == major)
            .OrderByDescending(pack => pack.Version!.Value.Number)
            .ThenBy(pack => pack.Version!.Value.IsPrerelease)
            .Select(pack => Path.Combine(pack.Directory, "ref", $"net{major}.0"))
            .FirstOrDefault(Directory.Exists);
        return best is null ? null : Directory.EnumerateFiles(best, "*.dll");
    }

    /// <summary>Fallback: the running shared framework's implementation assemblies.</summary>
    private static IEnumerable<string> FindRuntimeAssemblies()
    {
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var trusted = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")
            ?? throw new InvalidOperationException("Neither a Microsoft.NETCore.App.Ref pack nor TRUSTED_PLATFORM_ASSEMBLIES is available.");
        return trusted.Split(Path.PathSeparator).Where(file => Path.GetDirectoryName(file) == runtimeDirectory);
    }

    /// <summary>DriverKit.Runtime.dll is copied next to the tests by the project reference, so no type from it is needed.</summary>
    private static MetadataReference LoadDriverKitRuntime()
    {
        var path = Path.Combine(AppContext.BaseDirectory, DriverKitRuntimeFileName);
        return File.Exists(path)
            ? MetadataReference.CreateFromFile(path)
            : throw new InvalidOperationException($"{path} is missing; DriverKit.Tests must reference DriverKit.Runtime.");
    }

    private static (Version Number, bool IsPrerelease)? PackVersion(string name)
    {
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return Version.TryParse(dash < 0 ? name : name[..dash], out var number) ? (number, dash >= 0) : null;
    }

    private static string? Ancestor(string path, int levels)
    {
        string? current = path;
        for (var i = 0; i < levels && !string.IsNullOrEmpty(current); i++)
        {
            current = Path.GetDirectoryName(current);
        }

        return string.IsNullOrEmpty(current) ? null : current;
    }
}
