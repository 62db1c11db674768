using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Verify = DriverKit.Tests.Verification.AnalyzerVerifier<DriverKit.Tests.Verification.Tests.BadNameAnalyzer>;

namespace DriverKit.Tests.Verification.Tests;

public class OptionsTests
{
    [Fact]
    public Task EditorConfig_options_reach_the_analyzer() => new AnalyzerTest<BadNameAnalyzer>
    {
        TestCode = "class C { void M(int bad, int [|worse|]) { } }",
        EditorConfig = """
            root = true

            [*.cs]
            tst.bad_names = worse
            """,
    }.RunAsync();

    [Fact]
    public Task EditorConfig_applies_by_path() => new AnalyzerTest<BadNameAnalyzer>
    {
        TestCode = "partial class C { void M(int [|bad|], int worse) { } }",
        AdditionalSources = { ("Helper.cs", "partial class C { void N(int bad, int [|worse|]) { } }") },
        EditorConfig = """
            [Helper.cs]
            tst.bad_names = worse
            """,
    }.RunAsync();

    [Fact]
    public Task EditorConfig_severity_applies_and_is_checked() => new AnalyzerTest<BadNameAnalyzer>
    {
        TestCode = "class C { void M(int {|#0:bad|}) { } }",
        EditorConfig = """
            [*.cs]
            dotnet_diagnostic.TST0001.severity = error
            """,
        ExpectedDiagnostics = { Verify.Diagnostic().WithLocation(0).WithSeverity(DiagnosticSeverity.Error).WithArguments("bad") },
    }.RunAsync();

    [Theory]
    [InlineData("tst.bad_names = worse")]
    [InlineData("is_global = true\ntst.bad_names = worse")]
    public Task GlobalConfig_options_reach_the_analyzer(string globalConfig) => new AnalyzerTest<BadNameAnalyzer>
    {
        TestCode = "class C { void M(int bad, int [|worse|]) { } }",
        AdditionalSources = { ("Helper.cs", "class D { void N(int bad, int [|worse|]) { } }") },
        GlobalConfig = globalConfig,
    }.RunAsync();

    [Fact]
    public Task Build_properties_are_visible_as_global_options() => new AnalyzerTest<BuildPropertyAnalyzer>
    {
        TestCode = "class {|#0:C|} { }",
        BuildProperties = { ["DriverKitTestMode"] = "strict" },
        ExpectedDiagnostics = { AnalyzerVerifier<BuildPropertyAnalyzer>.Diagnostic().WithLocation(0).WithArguments("strict") },
    }.RunAsync();

    [Fact]
    public Task DriverKit_Runtime_is_referenced_by_default() =>
        AnalyzerVerifier<RuntimeReferenceAnalyzer>.VerifyAsync("class [|C|] { }");

    [Fact]
    public Task Without_DriverKit_Runtime_the_analyzer_bails_out() => new AnalyzerTest<RuntimeReferenceAnalyzer>
    {
        TestCode = "class C { }",
        ReferenceDriverKitRuntime = false,
    }.RunAsync();

    [Fact]
    public Task Language_version_is_applied() => new AnalyzerTest<BadNameAnalyzer>
    {
        TestCode = "class C { bool M(object o) => o is {|CS8400:not|} null; }",
        LanguageVersion = LanguageVersion.CSharp8,
    }.RunAsync();

    [Fact]
    public Task Nullable_context_and_compiler_warnings_are_applied() => new AnalyzerTest<BadNameAnalyzer>
    {
        TestCode = "class C { string{|CS8632:?|} M() => null; }",
        NullableContext = NullableContextOptions.Disable,
        CompilerDiagnostics = CompilerDiagnostics.ErrorsAndWarnings,
    }.RunAsync();

    [Fact]
    public Task Output_kind_is_applied() => new AnalyzerTest<BadNameAnalyzer>
    {
        TestCode = "class C { }",
        OutputKind = OutputKind.ConsoleApplication,
        ExpectedDiagnostics = { Verify.CompilerError("CS5001").WithNoLocation() },
    }.RunAsync();
}
