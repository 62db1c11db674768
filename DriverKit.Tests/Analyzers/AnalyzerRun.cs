extern alias DriverKitAnalyzers;

using System.Collections.Immutable;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Tests.Analyzers;

/// <summary>Runs analyzers on a source and returns their diagnostics, for tests that assert on messages rather than markup.</summary>
internal static class AnalyzerRun
{
    public static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(DiagnosticAnalyzer analyzer, string source, string? kernelVersion = null)
    {
        var parsed = MarkupParser.Parse(source);
        var settings = new ProjectSettings(
            LanguageVersion.Latest,
            NullableContextOptions.Enable,
            OutputKind.DynamicallyLinkedLibrary,
            ReferenceDriverKitRuntime: true,
            EditorConfig: null,
            GlobalConfig: kernelVersion is null ? null : $"driverkit.kernel_version = {kernelVersion}",
            BuildProperties: []);
        var project = ProjectBuilder.Build(settings, [new SourceFile(TestPaths.PrimarySource, parsed.Text)], [analyzer]);
        var diagnostics = await DiagnosticRunner.GetDiagnosticsAsync(project, [analyzer], CompilerDiagnostics.Errors, "AnalyzerRun", CancellationToken.None);
        var errors = diagnostics.Where(diagnostic => diagnostic.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.Compiler)).ToList();
        Assert.True(errors.Count == 0, "The test source does not compile: " + string.Join("; ", errors));
        return diagnostics;
    }

    public static string Message(this Diagnostic diagnostic) => diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Kernel versions on both sides of each era boundary the rules care about.</summary>
internal static class Eras
{
    public const string E0 = "2.6.14";
    public const string E1 = "2.6.15-rc1";
    public const string E1Rc2 = "2.6.15-rc2";
    public const string E2 = "2.6.15-rc2-git5";
    public const string E3 = "2.6.20";
    public const string E4Before2628 = "2.6.27";
    public const string E4 = "2.6.28";
    public const string E4Last = "3.6";
    public const string E5 = "3.7";
    public const string E6 = "6.6";
    public const string E7 = "7.0";
}
