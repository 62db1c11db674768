using System.IO.Compression;
using DriverKit.Tests.Tooling;

namespace DriverKit.Tests.Package;

/// <summary>
/// The DriverKit package as users get it: <c>dotnet pack DriverKit</c> into a temporary feed, a throwaway consumer project
/// that references the package from that feed (with an isolated packages folder and a unique version, so no cache is
/// stale), built with the dotnet CLI: DK0001 appears in the build, and the MSBuild property DriverKitKernelVersion reaches
/// the analyzers (DK0005 is an error for the newest kernel and a warning for 3.6).
/// </summary>
[Collection(DotnetCliCollection.Name)]
public sealed class PackageTests
{
    private const string ConsumerProject = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>disable</ImplicitUsings>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="DriverKit" Version="$(DriverKitTestVersion)" />
          </ItemGroup>
        </Project>
        """;

    private const string ConsumerDriver = """
        using DriverKit.Runtime;

        namespace Consumer;

        public sealed class Driver
        {
            public static int Mmap(OpenFile file, VmArea vma)
            {
                vma.Flags |= VmFlags.Locked | VmFlags.IO;
                vma.Flags |= VmFlags.Reserved;
                return 0;
            }
        }
        """;

    [Fact]
    public async Task Package_carries_runtime_analyzers_and_props_and_its_analyzers_run_in_a_consumer_build()
    {
        using var temp = new TempDirectory("package");
        var feed = Path.Combine(temp.Path, "feed");
        var version = PackedFeed.UniqueVersion();
        await PackedFeed.PackAsync(feed, version);
        var package = Path.Combine(feed, $"DriverKit.{version}.nupkg");
        using (var archive = ZipFile.OpenRead(package))
        {
            var entries = archive.Entries.Select(entry => entry.FullName).ToHashSet();
            Assert.Contains("lib/net10.0/DriverKit.Runtime.dll", entries);
            Assert.Contains("analyzers/dotnet/cs/DriverKit.Analyzers.dll", entries);
            Assert.Contains("analyzers/dotnet/cs/DriverKit.CodeFixes.dll", entries);
            Assert.Contains("build/DriverKit.props", entries);
            using var props = new StreamReader(archive.GetEntry("build/DriverKit.props")!.Open());
            Assert.Contains("<CompilerVisibleProperty Include=\"DriverKitKernelVersion\" />", await props.ReadToEndAsync(), StringComparison.Ordinal);
        }

        var consumer = Path.Combine(temp.Path, "consumer");
        Directory.CreateDirectory(consumer);
        await File.WriteAllTextAsync(Path.Combine(consumer, "Consumer.csproj"), ConsumerProject);
        await File.WriteAllTextAsync(Path.Combine(consumer, "Driver.cs"), ConsumerDriver);
        await File.WriteAllTextAsync(Path.Combine(temp.Path, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="driverkit-local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="driverkit-local">
                  <package pattern="DriverKit" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);

        string[] build = ["build", Path.Combine(consumer, "Consumer.csproj"), "-nologo", $"-p:DriverKitTestVersion={version}"];
        var restore = await DotnetCli.RunAsync(
            temp.Path, null, "restore", Path.Combine(consumer, "Consumer.csproj"), "--packages", Path.Combine(temp.Path, "packages"), $"-p:DriverKitTestVersion={version}");
        Assert.True(restore.ExitCode == 0, restore.Describe());

        var newest = await DotnetCli.RunAsync(temp.Path, null, [.. build, "--no-restore"]);
        Assert.True(newest.ExitCode != 0, "DK0001 is an error, so the consumer build must fail.\n" + newest.Describe());
        Assert.Contains(newest.Diagnostics, diagnostic => diagnostic is ("error", "DK0001", _));
        Assert.Contains(newest.Diagnostics, diagnostic => diagnostic is ("error", "DK0005", _));
        Assert.Contains("in Linux 7.0 (era E7)", newest.Output, StringComparison.Ordinal);

        var kernel36 = await DotnetCli.RunAsync(temp.Path, null, [.. build, "--no-restore", "-p:DriverKitKernelVersion=3.6"]);
        Assert.Contains(kernel36.Diagnostics, diagnostic => diagnostic is ("warning", "DK0005", _));
        Assert.DoesNotContain(kernel36.Diagnostics, diagnostic => diagnostic is ("error", "DK0005", _));
        Assert.Contains(kernel36.Diagnostics, diagnostic => diagnostic is ("error", "DK0001", _));
        Assert.Contains("in Linux 3.6 (era E4)", kernel36.Output, StringComparison.Ordinal);
    }
}
