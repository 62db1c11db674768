using System.Text.RegularExpressions;
using DriverKit.Tests.Analyzers;
using DriverKit.Tests.Tooling;

namespace DriverKit.Tests.Package;

/// <summary>
/// The package packed once for a test class: <c>dotnet pack DriverKit</c> (already built in the tests' configuration) into
/// <c>driverkit/feed</c> under a temporary root, with a unique version, restored into a packages folder of its own so no
/// cached copy of an older build is used.
/// </summary>
public sealed partial class PackedFeed : IAsyncLifetime
{
    private readonly TempDirectory root = new("docs");

    /// <summary>The temporary folder everything of the class lives in.</summary>
    public string Root => root.Path;

    /// <summary>The folder holding DriverKit.{Version}.nupkg: <c>driverkit/feed</c>, where the docs' layout puts it.</summary>
    public string Feed => Path.Combine(Root, "driverkit", "feed");

    /// <summary>The unique version the package was packed with.</summary>
    public string Version { get; } = UniqueVersion();

    /// <summary>The package version the repository builds (Directory.Build.props), the one the docs must name.</summary>
    public static string RepositoryVersion { get; } =
        RepositoryVersionElement().Match(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "Directory.Build.props"))).Groups["version"].Value;

    /// <summary>The environment of every dotnet command of the class: the isolated packages folder.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Root, "packages") };

    /// <summary>A version no earlier test run packed: 0.1.0-test.{time}.{pid}.</summary>
    public static string UniqueVersion() => $"{RepositoryVersion}-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{System.Environment.ProcessId}";

    /// <summary>Packs the built DriverKit project into <paramref name="feed"/> with <paramref name="version"/>.</summary>
    public static async Task PackAsync(string feed, string version)
    {
        var pack = await DotnetCli.RunAsync(
            RepositoryRoot.Path,
            null,
            "pack", Path.Combine(RepositoryRoot.Path, "DriverKit", "DriverKit.csproj"), "-c", DotnetCli.Configuration, "--no-build",
            "-o", feed, $"-p:PackageVersion={version}", "-nologo");
        Assert.True(pack.ExitCode == 0, pack.Describe());
    }

    /// <summary>
    /// A nuget.config for <paramref name="directory"/> that adds the feed to the machine's sources (not cleared: everything
    /// else restores from where it always does).
    /// </summary>
    public void WriteNuGetConfig(string directory) => File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="driverkit-test" value="{Feed}" />
          </packageSources>
        </configuration>
        """);

    /// <summary>Replaces the DriverKit version of a PackageReference (which must be the repository's) with the packed one.</summary>
    public string WithPackedVersion(string text, string where)
    {
        foreach (Match reference in DriverKitReference().Matches(text))
        {
            Assert.True(reference.Groups["version"].Value == RepositoryVersion,
                $"{where} references DriverKit {reference.Groups["version"].Value}; the repository packs {RepositoryVersion}");
        }

        return DriverKitReference().Replace(text, match => match.Value.Replace(match.Groups["version"].Value, Version, StringComparison.Ordinal));
    }

    public Task InitializeAsync() => PackAsync(Feed, Version);

    public Task DisposeAsync()
    {
        root.Dispose();
        return Task.CompletedTask;
    }

    [GeneratedRegex(@"<Version>(?<version>[^<]+)</Version>")]
    private static partial Regex RepositoryVersionElement();

    [GeneratedRegex(@"Include=""DriverKit""\s+Version=""(?<version>[^""]+)""")]
    private static partial Regex DriverKitReference();
}
