using Microsoft.CodeAnalysis;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKit.Tests.Verification.Tests.BadNameAnalyzer,
    DriverKit.Tests.Verification.Tests.RenameToGoodFix>;

namespace DriverKit.Tests.Verification.Tests;

public class CodeFixVerifierTests
{
    private const string TwoBadLocals = """
        class C
        {
            void M()
            {
                int [|bad|] = 0;
            }

            void N()
            {
                int [|bad|] = 1;
            }
        }
        """;

    private const string TwoGoodLocals = """
        class C
        {
            void M()
            {
                int good = 0;
            }

            void N()
            {
                int good = 1;
            }
        }
        """;

    [Fact]
    public Task Fix_from_markup_passes() =>
        Verify.VerifyFixAsync("class C { void M() { int [|bad|] = 0; } }", "class C { void M() { int good = 0; } }");

    [Fact]
    public Task Fix_with_explicit_diagnostic_passes() => Verify.VerifyFixAsync(
        "class C { void M() { int {|#0:bad|} = 0; } }",
        Verify.Diagnostic().WithLocation(0).WithArguments("bad"),
        "class C { void M() { int good = 0; } }");

    [Fact]
    public Task Several_diagnostics_fixed_one_by_one_and_by_Fix_All_pass() => Verify.VerifyFixAsync(TwoBadLocals, TwoGoodLocals);

    [Fact]
    public Task Equivalence_key_selects_the_action() => new CodeFixTest<BadNameAnalyzer, RenameToGoodFix>
    {
        TestCode = TwoBadLocals,
        FixedCode = TwoGoodLocals.Replace("good", "better"),
        CodeActionEquivalenceKey = "RenameToBetter",
    }.RunAsync();

    [Fact]
    public async Task Unknown_equivalence_key_fails_and_lists_the_offered_keys()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() => new CodeFixTest<BadNameAnalyzer, RenameToGoodFix>
        {
            TestCode = TwoBadLocals,
            FixedCode = TwoGoodLocals,
            CodeActionEquivalenceKey = "RenameToBest",
        }.RunAsync());

        Assert.Contains("Context: Code fix\n", exception.Message, StringComparison.Ordinal);
        Assert.Contains(
            "none with equivalence key 'RenameToBest': 'Rename to 'good'' (equivalence key RenameToGood), 'Rename to 'better'' (equivalence key RenameToBetter)",
            exception.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exact_iteration_count_is_checked()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() => new CodeFixTest<BadNameAnalyzer, RenameToGoodFix>
        {
            TestCode = TwoBadLocals,
            FixedCode = TwoGoodLocals,
            NumberOfIncrementalIterations = 3,
        }.RunAsync());

        Assert.Contains("Expected 3 code-fix iteration(s), but 2 were applied.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fix_whose_result_does_not_compile_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() => Verify.VerifyFixAsync(
            "class C { int M() { int [|bad|] = 0; return bad; } }",
            "class C { int M() { int good = 0; return bad; } }"));

        Assert.Contains("Context: Diagnostics of fixed state", exception.Message, StringComparison.Ordinal);
        Assert.Contains("Unexpected diagnostic: CompilerError(\"CS0103\").WithSpan(1, 42, 1, 45).WithArguments(\"bad\")", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task Compiler_error_expected_in_the_fixed_code_passes() => Verify.VerifyFixAsync(
        "class C { int M() { int [|bad|] = 0; return bad; } }",
        "class C { int M() { int good = 0; return {|CS0103:bad|}; } }");

    [Fact]
    public async Task Fix_All_that_differs_from_one_by_one_fixing_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<BadNameAnalyzer, InconsistentFixAllFix>.VerifyFixAsync(TwoBadLocals, TwoGoodLocals));

        Assert.Contains("Context: Fix All in document", exception.Message, StringComparison.Ordinal);
        Assert.Contains("-        int good = 0;\n+        int allGood = 0;", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task Fix_All_result_can_be_declared_separately() => new CodeFixTest<BadNameAnalyzer, InconsistentFixAllFix>
    {
        TestCode = TwoBadLocals,
        FixedCode = TwoGoodLocals,
        BatchFixedCode = TwoGoodLocals.Replace("good", "allGood"),
    }.RunAsync();

    [Fact]
    public async Task Fix_offered_when_none_was_expected_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() =>
            Verify.VerifyNoFixAsync("class C { void M() { int [|bad|] = 0; } }"));

        Assert.Contains("Context: Code fix, iteration 1", exception.Message, StringComparison.Ordinal);
        Assert.Contains(
            "No code fix was expected, but 'Rename to 'good'' (equivalence key RenameToGood) was offered for Diagnostic(\"TST0001\").WithSpan(1, 26, 1, 29)",
            exception.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public Task No_fix_expected_and_none_offered_passes() => Verify.VerifyNoFixAsync("class C { void M(int [|bad|]) { } }");

    [Fact]
    public async Task Wrong_fixed_code_fails_with_a_diff_against_the_expected_text()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() =>
            Verify.VerifyFixAsync(TwoBadLocals, TwoGoodLocals.Replace("int good = 1;", "int nice = 1;")));

        Assert.Contains("The fixed code of /0/Test0.cs differs from the expected code:", exception.Message, StringComparison.Ordinal);
        Assert.Contains(
            "--- expected\n+++ actual\n@@ -7,6 +7,6 @@\n \n     void N()\n     {\n-        int nice = 1;\n+        int good = 1;\n     }\n }\n",
            exception.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fix_whose_tree_does_not_round_trip_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<BadNameAnalyzer, NonRoundTrippingFix>.VerifyFixAsync(
                "class C { void M() { int [|bad|] = 0; } }",
                "class C { void M() { int int = 0; } }"));

        Assert.Contains("differs from the tree parsed from its own text", exception.Message, StringComparison.Ordinal);
        Assert.Contains("code action tree: IdentifierToken token 'int'", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Action_with_more_than_one_operation_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() =>
            CodeFixVerifier<BadNameAnalyzer, TwoOperationsFix>.VerifyFixAsync(
                "class C { void M() { int [|bad|] = 0; } }",
                "class C { void M() { int good = 0; } }"));

        Assert.Contains(
            "Code action 'Rename and open' must produce exactly one ApplyChangesOperation, but produced [ApplyChangesOperation, OpenDocumentOperation].",
            exception.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fix_still_offered_after_the_iteration_budget_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() => new CodeFixTest<BadNameAnalyzer, RenameToGoodFix>
        {
            TestCode = "class C { void M() { int [|bad|] = 0; } }",
            FixedCode = "class C { void M() { int good = 0; } }",
            EditorConfig = "[*.cs]\ntst.bad_names = bad, good",
        }.RunAsync());

        Assert.Contains("A fix is still offered after 1 iteration(s)", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fix_that_brings_the_code_back_to_an_earlier_state_fails()
    {
        var exception = await Assert.ThrowsAsync<VerificationException>(() => new CodeFixTest<BadNameAnalyzer, RenameToGoodFix>
        {
            TestCode = "class C { void M() { int [|bad|] = 0; } }",
            FixedCode = "class C { void M() { int good = 0; } }",
            EditorConfig = "[*.cs]\ntst.bad_names = bad, good",
            NumberOfIncrementalIterations = -5,
        }.RunAsync());

        Assert.Contains("Context: Code fix, iteration 2", exception.Message, StringComparison.Ordinal);
        Assert.Contains("brought the code back to an earlier state", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task Remaining_diagnostics_can_be_expected_in_the_fixed_code() => new CodeFixTest<BadNameAnalyzer, RenameToGoodFix>
    {
        TestCode = "class C { void M(int [|bad|]) { int [|bad2|] = 0; } }",
        FixedCode = "class C { void M(int {|#0:bad|}) { int good = 0; } }",
        EditorConfig = "[*.cs]\ntst.bad_names = bad, bad2",
        FixedExpectedDiagnostics = { Verify.Diagnostic().WithLocation(0).WithSeverity(DiagnosticSeverity.Warning).WithArguments("bad") },
    }.RunAsync();

    [Fact]
    public async Task Missing_FixedCode_is_a_usage_error()
    {
        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            new CodeFixTest<BadNameAnalyzer, RenameToGoodFix> { TestCode = "class C { }" }.RunAsync());

        Assert.Contains("Set FixedCode", exception.Message, StringComparison.Ordinal);
    }
}
