extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.KernelVersionSettingAnalyzer;
using Descriptors = DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors;

namespace DriverKit.Tests.Analyzers;

public class DK1000KernelVersionSettingTests
{
    private const string Code = """
        using DriverKit.Runtime;

        class Driver
        {
            int Mmap(OpenFile file, VmArea vma) => 0;
        }
        """;

    private const string Newest = "7.0 (era E7)";

    private static ExpectedDiagnostic Invalid(string setting, string value) =>
        ExpectedDiagnostic.Create(Descriptors.InvalidKernelVersion).WithNoLocation()
            .WithArguments(setting, value, $"'{value}' is not a kernel version; " + KernelVersionForms, Newest);

    /// <summary>The accepted forms the parser's error lists (the message quotes the parser).</summary>
    private static string KernelVersionForms
    {
        get
        {
            DriverKit.Runtime.KernelVersion.TryParse("x", out _, out var error);
            return error["'x' is not a kernel version; ".Length..].TrimEnd('.');
        }
    }

    [Fact]
    public Task Global_config_with_a_typo() => new AnalyzerTest<Analyzer>
    {
        TestCode = Code,
        GlobalConfig = "driverkit.kernel_version = 6.l",
        ExpectedDiagnostics = { Invalid("driverkit.kernel_version", "6.l") },
    }.RunAsync();

    [Fact]
    public Task Editorconfig_value_is_reported_once_for_all_files() => new AnalyzerTest<Analyzer>
    {
        TestCode = Code,
        AdditionalSources = { ("Other.cs", "class Other { }") },
        EditorConfig = """
            [*.cs]
            driverkit.kernel_version = linux-6.1
            """,
        ExpectedDiagnostics = { Invalid("driverkit.kernel_version", "linux-6.1") },
    }.RunAsync();

    [Fact]
    public Task Build_property_and_editorconfig_each_reported() => new AnalyzerTest<Analyzer>
    {
        TestCode = Code,
        BuildProperties = { ["DriverKitKernelVersion"] = "banana" },
        EditorConfig = """
            [*.cs]
            driverkit.kernel_version = 6.1
            """,
        ExpectedDiagnostics = { Invalid("the MSBuild property DriverKitKernelVersion", "banana") },
    }.RunAsync();

    [Theory]
    [InlineData("2.6.14")]
    [InlineData("2.6.15-rc1")]
    [InlineData("2.6.15-rc2-git5")]
    [InlineData("3.7")]
    [InlineData(" 6.1.0-27-amd64 ")]
    [InlineData("7.0")]
    public Task Every_documented_form_is_accepted(string version) => new AnalyzerTest<Analyzer>
    {
        TestCode = Code,
        GlobalConfig = $"driverkit.kernel_version = {version}",
        BuildProperties = { ["DriverKitKernelVersion"] = version.Trim() },
    }.RunAsync();

    [Fact]
    public Task Nothing_configured_is_not_a_finding() => new AnalyzerTest<Analyzer> { TestCode = Code }.RunAsync();

    [Fact]
    public Task Silent_without_DriverKit_Runtime() => new AnalyzerTest<Analyzer>
    {
        TestCode = "class Driver { }",
        ReferenceDriverKitRuntime = false,
        GlobalConfig = "driverkit.kernel_version = banana",
    }.RunAsync();
}
