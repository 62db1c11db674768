extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.PageLockAsPinAnalyzer,
    DriverKit.CodeFixes.LockToReferenceCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0006PageLockAsPinTests
{
    private const string NewestAdvice = "GetPage/PutPage, or PinUserPages/UnpinUserPages for user memory";

    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic().WithLocation(location);

    private static string Dma(string body, string members = "") => $$"""
        using DriverKit.Runtime;

        class Capture
        {
            private readonly Kernel kernel;
            private readonly Page[] pages = new Page[4];
            private Page current;

            Capture(Kernel kernel) => this.kernel = kernel;

            long Ioctl(OpenFile file, uint cmd, ulong arg)
            {
        {{body}}
                return 0;
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Locked_user_pages_handed_to_dma() => Verify.VerifyAsync(
        Dma("""
                    var n = kernel.GetUserPages(new UserAddr(arg), pages.Length, FollFlags.Write, pages);
                    for (var i = 0; i < n; i++)
                    {
                        {|#0:kernel.LockPage(pages[i])|};
                    }

                    for (var i = 0; i < n; i++)
                    {
                        kernel.Dma.Submit(pages[i], 0, new byte[16]);
                    }

                    for (var i = 0; i < n; i++)
                    {
                        kernel.UnlockPage(pages[i]);
                    }
            """),
        Diagnostic(0).WithArguments("LockPage", "pages[i]", " and hands the locked page to DMA", NewestAdvice));

    [Fact]
    public Task Lock_left_held_across_methods() => Verify.VerifyAsync(
        Dma("""
                    current = pages[0];
                    {|#0:kernel.LockPage(current)|};
            """,
            """
                void Complete()
                {
                    kernel.UnlockPage(current);
                }
            """),
        Diagnostic(0).WithArguments("LockPage", "current", " and leaves it locked when the method returns", NewestAdvice));

    [Fact]
    public Task SetPageLocked_is_always_reported() => Verify.VerifyAsync(
        Dma("""
                    {|#0:kernel.SetPageLocked(pages[0])|};
                    kernel.UnlockPage(pages[0]);
            """),
        Diagnostic(0).WithArguments("SetPageLocked", "pages[0]", " outside the lock protocol", NewestAdvice));

    [Fact]
    public Task Foreach_variables_and_locals_resolve_to_the_buffer() => Verify.VerifyAsync(
        Dma("""
                    foreach (var page in pages)
                    {
                        {|#0:kernel.LockPage(page)|};
                    }

                    var first = pages[0];
                    kernel.Dma.Submit(first, 0, new byte[8]);
            """),
        Diagnostic(0).WithArguments("LockPage", "page", " and hands the locked page to DMA", NewestAdvice));

    [Fact]
    public Task Lambda_and_conditional_paths() => Verify.VerifyAsync(
        Dma("""
                    System.Action start = () =>
                    {
                        {|#0:kernel.LockPage(current)|};
                        if (arg == 0)
                        {
                            kernel.UnlockPage(current);
                            return;
                        }

                        kernel.Dma.Submit(current, 0, new byte[8]);
                    };
                    start();
            """),
        Diagnostic(0));

    // ---- negatives ----------------------------------------------------------------------------------------------

    [Fact]
    public Task Lock_modify_unlock_is_a_lock() => Verify.VerifyAsync(
        Dma("""
                    kernel.LockPage(current);
                    kernel.Dma.Submit(pages[1], 0, new byte[4]);
                    kernel.UnlockPage(current);
                    kernel.Dma.Submit(current, 0, new byte[4]);
                    for (var i = 0; i < pages.Length; i++)
                    {
                        kernel.LockPage(pages[i]);
                    }

                    for (var i = 0; i < pages.Length; i++)
                    {
                        kernel.UnlockPage(pages[i]);
                    }
            """));

    [Fact]
    public Task Pins_are_not_reported() => Verify.VerifyAsync(
        Dma("""
                    var n = kernel.PinUserPages(new UserAddr(arg), pages.Length, FollFlags.Write | FollFlags.LongTerm, pages);
                    kernel.Dma.Submit(pages[0], 0, new byte[4]);
                    kernel.UnpinUserPages(pages, (int)n);
                    kernel.GetPage(current);
                    kernel.Dma.Submit(current, 0, new byte[4]);
            """));

    [Fact]
    public Task Code_without_DriverKit_is_not_analyzed() => new AnalyzerTest<DriverKitAnalyzers::DriverKit.Analyzers.PageLockAsPinAnalyzer>
    {
        ReferenceDriverKitRuntime = false,
        TestCode = """
            class Kernel { public void LockPage(int page) { } public void SetPageLocked(int page) { } }

            class Driver
            {
                void M(Kernel kernel) { kernel.LockPage(1); kernel.SetPageLocked(2); }
            }
            """,
    }.RunAsync();

    [Theory]
    [InlineData("5.5", "PinUserPages arrives in 5.6, after Linux 5.5 (era E5)")]
    [InlineData("5.6", "PinUserPages/UnpinUserPages for user memory")]
    public async Task Advice_follows_the_era(string version, string advice)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(
            new DriverKitAnalyzers::DriverKit.Analyzers.PageLockAsPinAnalyzer(),
            Dma("""
                        kernel.LockPage(current);
                        kernel.Dma.Submit(current, 0, new byte[4]);
                """),
            version);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains(advice, diagnostic.Message(), StringComparison.Ordinal);
    }

    // ---- code fix -----------------------------------------------------------------------------------------------

    [Fact]
    public Task Fix_turns_the_lock_into_a_reference_everywhere_in_the_type() => Verify.VerifyFixAsync(
        Dma("""
                    current = pages[0];
                    // keep it while the device writes
                    {|#0:kernel.LockPage(current)|}; // pin
                    kernel.Dma.Submit(current, 0, new byte[16]);
            """,
            """
                void Complete()
                {
                    kernel.UnlockPage(current);
                }
            """),
        Diagnostic(0),
        Dma("""
                    current = pages[0];
                    // keep it while the device writes
                    kernel.GetPage(current); // pin
                    kernel.Dma.Submit(current, 0, new byte[16]);
            """,
            """
                void Complete()
                {
                    kernel.PutPage(current);
                }
            """));

    [Fact]
    public Task Fix_all_for_loops() => Verify.VerifyFixAsync(
        Dma("""
                    foreach (var page in pages)
                    {
                        {|#0:kernel.SetPageLocked(page)|};
                    }

                    {|#1:kernel.LockPage(pages[0])|};
                    kernel.Dma.Submit(pages[0], 0, new byte[8]);
            """,
            """
                void Complete()
                {
                    foreach (var page in pages)
                    {
                        kernel.UnlockPage(page);
                    }
                }
            """),
        [Diagnostic(0), Diagnostic(1)],
        Dma("""
                    foreach (var page in pages)
                    {
                        kernel.GetPage(page);
                    }

                    kernel.GetPage(pages[0]);
                    kernel.Dma.Submit(pages[0], 0, new byte[8]);
            """,
            """
                void Complete()
                {
                    foreach (var page in pages)
                    {
                        kernel.PutPage(page);
                    }
                }
            """));
}
