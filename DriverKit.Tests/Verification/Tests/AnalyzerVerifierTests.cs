using Microsoft.CodeAnalysis;
using Verify = DriverKit.Tests.Verification.AnalyzerVerifier<DriverKit.Tests.Verification.Tests.BadNameAnalyzer>;

namespace DriverKit.Tests.Verification.Tests;

public class AnalyzerVerifierTests
{
    private const string OneBadLocal = """
        class C
        {
            void M()
            {
                int bad = 0;
            }
        }
        """;

    [Fact]
    public Task No_markup_and_no_diagnostics_passes() => Verify.VerifyAsync("class C { void M(int fine) { } }");

    [Fact]
    public Task Square_markup_expects_the_default_descriptor() => Verify.VerifyAsync(OneBadLocal.Replace("bad", "[|bad|]"));

    [Fact]
    public Task Id_markup_expects_that_id() => Verify.VerifyAsync("class C { void M(int {|TST0001:bad|}) { } }");

    [Fact]
    public Task Location_marker_binds_to_WithLocation() =>
        Verify.VerifyAsync("class C { void M(int {|#0:bad|}) { } }", Verify.Diagnostic().WithLocation(0).WithArguments("bad"));

    [Fact]
    public Task Markup_with_a_compiler_id_expects_a_compiler_diagnostic() =>
        Verify.VerifyAsync("class C { int M() => {|CS0103:undefined|}; }");

    [Fact]
    public Task Explicit_span_point_message_and_severity_pass() => Verify.VerifyAsync(
        OneBadLocal.Replace("int bad = 0;", "int bad = 0; int bad = 1;"),
        Verify.Diagnostic().WithSpan(5, 13, 5, 16).WithMessage("'bad' is not a good name").WithSeverity(DiagnosticSeverity.Warning),
        Verify.Diagnostic().WithLocation(5, 26),
        Verify.CompilerError("CS0128").WithSpan(5, 26, 5, 29).WithArguments("bad"));

    [Fact]
    public async Task Wrong_span_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() =>
            Verify.VerifyAsync(OneBadLocal, Verify.Diagnostic().WithSpan(5, 12, 5, 16)));

        Assert.Contains("Context: Diagnostics of test state", exception.Message, StringComparison.Ordinal);
        Assert.Contains("wrong location: expected /0/Test0.cs(5,12)-(5,16), actual /0/Test0.cs(5,13)-(5,16)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_diagnostic_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() =>
            Verify.VerifyAsync("class C { void M(int [|good|]) { } }"));

        Assert.Contains("Missing diagnostic: Diagnostic(\"TST0001\").WithSpan(1, 22, 1, 26) was not reported.", exception.Message, StringComparison.Ordinal);
        Assert.Contains("~~~~ missing TST0001", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unexpected_diagnostic_fails_with_a_copy_pasteable_expectation_and_carets()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() => Verify.VerifyAsync(OneBadLocal));

        Assert.Contains("Unexpected diagnostic: Diagnostic(\"TST0001\").WithSpan(5, 13, 5, 16).WithArguments(\"bad\")", exception.Message, StringComparison.Ordinal);
        Assert.Contains(
            "5 |         int bad = 0;\n  |             ^^^ TST0001: 'bad' is not a good name",
            exception.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_message_arguments_fail()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() =>
            Verify.VerifyAsync(OneBadLocal, Verify.Diagnostic().WithSpan(5, 13, 5, 16).WithArguments("worse")));

        Assert.Contains("wrong message: expected \"'worse' is not a good name\", actual \"'bad' is not a good name\"", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_severity_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() =>
            Verify.VerifyAsync(OneBadLocal, Verify.Diagnostic().WithSpan(5, 13, 5, 16).WithSeverity(DiagnosticSeverity.Error)));

        Assert.Contains("wrong severity: expected Error, actual Warning", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unexpected_compiler_error_in_the_input_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() => Verify.VerifyAsync("class C { int M() => undefined; }"));

        Assert.Contains("Unexpected diagnostic: CompilerError(\"CS0103\").WithSpan(1, 22, 1, 31).WithArguments(\"undefined\")", exception.Message, StringComparison.Ordinal);
        Assert.Contains("The code does not compile", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyzer_exception_fails_with_the_exception_text()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() =>
            AnalyzerVerifier<ThrowingAnalyzer>.VerifyAsync("class C { }"));

        Assert.Contains("An analyzer threw an exception (AD0001)", exception.Message, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: boom from ThrowingAnalyzer", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unbalanced_markup_throws_ArgumentException_naming_the_file()
    {
        var exception = await Assert.ThrowsAsync<ArgumentException>(() => Verify.VerifyAsync("class C { void M(int [|bad) { } }"));

        Assert.Contains("/0/Test0.cs: Invalid markup at line 1, column 22: '[|' is never closed.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undeclared_location_key_throws_ArgumentException()
    {
        var exception = await Assert.ThrowsAsync<ArgumentException>(() =>
            Verify.VerifyAsync("class C { }", Verify.Diagnostic().WithLocation(3)));

        Assert.Contains("refers to location #3", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expectation_without_location_throws_ArgumentException()
    {
        var exception = await Assert.ThrowsAsync<ArgumentException>(() => Verify.VerifyAsync("class C { }", Verify.Diagnostic()));

        Assert.Contains("has no location", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_wrong_diagnostic_does_not_cascade()
    {
        const string code = "class C { void M(int bad) { } void N(int bad) { } void O(int bad) { } }";

        var exception = await Assert.ThrowsAsync<VerificationException>(() => Verify.VerifyAsync(
            code,
            Verify.Diagnostic().WithSpan(1, 22, 1, 25),
            Verify.Diagnostic().WithSpan(1, 40, 1, 43),
            Verify.Diagnostic().WithSpan(1, 62, 1, 65)));

        Assert.Contains("Expected 3 diagnostic(s), actual 3; 1 problem(s):", exception.Message, StringComparison.Ordinal);
        Assert.Contains("expected /0/Test0.cs(1,40)-(1,43), actual /0/Test0.cs(1,42)-(1,45)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task Disabled_by_default_descriptors_are_forced_on() =>
        AnalyzerVerifier<DisabledByDefaultAnalyzer>.VerifyAsync("class [|C|] { }");

    [Fact]
    public Task Several_analyzers_run_together() => AnalyzerVerifier.VerifyAsync(
        [new BadNameAnalyzer(), new DisabledByDefaultAnalyzer()],
        "class {|TST0005:C|} { void M(int {|TST0001:bad|}) { } }");

    [Fact]
    public Task Id_markup_selects_one_of_several_descriptors() =>
        AnalyzerVerifier<TwoDescriptorAnalyzer>.VerifyAsync("class {|TST0006:Apple|} { } class {|TST0007:Banana|} { }");

    [Fact]
    public async Task Square_markup_with_several_descriptors_throws_ArgumentException()
    {
        var exception = await Assert.ThrowsAsync<ArgumentException>(() =>
            AnalyzerVerifier<TwoDescriptorAnalyzer>.VerifyAsync("class [|Apple|] { }"));

        Assert.Contains("the first analyzer supports 2 (TST0006, TST0007)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task Diagnostics_in_additional_sources_are_expected_by_path() => new AnalyzerTest<BadNameAnalyzer>
    {
        TestCode = "partial class C { void M(int [|bad|]) { } }",
        AdditionalSources =
        {
            ("Helper.cs", "partial class C { void N(int [|bad|]) { } }"),
            ("Other.cs", "partial class C { void O(int bad) { } }"),
        },
        ExpectedDiagnostics = { Verify.Diagnostic().WithSpan("Other.cs", 1, 30, 1, 33).WithArguments("bad") },
    }.RunAsync();
}
