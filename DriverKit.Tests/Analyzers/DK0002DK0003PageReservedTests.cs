extern alias DriverKitAnalyzers;

using DriverKit.CodeFixes;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.PageReservedAnalyzer;
using Descriptors = DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors;

namespace DriverKit.Tests.Analyzers;

public class DK0002DK0003PageReservedTests
{
    private static ExpectedDiagnostic Reserve(int location) => ExpectedDiagnostic.Create(Descriptors.ReservePagesForRemap).WithLocation(location);

    private static ExpectedDiagnostic LeftAtFree(int location) => ExpectedDiagnostic.Create(Descriptors.ReservedBitLeftAtFree).WithLocation(location);

    /// <summary>A bttv-style frame grabber: open allocates and reserves, mmap remaps, release frees.</summary>
    private static string Grabber(string open, string release, string members = "") => $$"""
        using DriverKit.Runtime;

        class Grabber
        {
            private const int Order = 2;
            private readonly Kernel kernel;
            private KernelAddr buf;

            Grabber(Kernel kernel) => this.kernel = kernel;

            private int Open(Inode inode, OpenFile file)
            {
                buf = kernel.GetFreePages(Gfp.Kernel, Order);
        {{open}}
                return 0;
            }

            private int Mmap(OpenFile file, VmArea vma) =>
                kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(buf).ToPfn(), vma.Length, vma.PageProt);

            private int Release(Inode inode, OpenFile file)
            {
        {{release}}
                return 0;
            }
        {{members}}
        }
        """;

    private const string ReserveLoop = """
                for (var i = 0; i < 1 << Order; i++)
                {
                    {|#0:kernel.SetPageReserved(kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize))|};
                }
        """;

    // ---- DK0002 -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task A_page_cursor_advanced_with_increment_is_followed()
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Grabber("""
                    var page = kernel.VirtToPage(buf);
                    for (var i = 0; i < 1 << Order; i++)
                        kernel.SetPageReserved(page++);
            """, """
                    kernel.FreePages(buf, Order);
            """));
        Assert.Equal(["DK0002", "DK0003"], diagnostics.Select(diagnostic => diagnostic.Id).Order());
    }

    [Fact]
    public Task SetPageReserved_on_allocator_memory() => AnalyzerVerifier.VerifyAsync(
        [new Analyzer()],
        Grabber(ReserveLoop, """
                    for (var i = 0; i < 1 << Order; i++)
                    {
                        kernel.ClearPageReserved(kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize));
                    }

                    kernel.FreePages(buf, Order);
            """),
        Reserve(0).WithArguments("kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize)", "7.0 (era E7)"));

    [Fact]
    public Task SetPageReserved_spelt_with_a_unicode_escape() => AnalyzerVerifier.VerifyAsync(
        [new Analyzer()],
        Grabber("""
                    {|#0:kernel.SetPage\u0052eserved(kernel.VirtToPage(buf))|};
            """, """
                    kernel.ClearPageReserved(kernel.VirtToPage(buf));
                    kernel.FreePages(buf, Order);
            """),
        Reserve(0).WithArguments("kernel.VirtToPage(buf)", "7.0 (era E7)"));

    [Fact]
    public Task Reserving_pfn_to_page_memory_is_not_DK0002() => AnalyzerVerifier.VerifyAsync(
        [new Analyzer()],
        Grabber("""
                    kernel.SetPageReserved(kernel.PfnToPage(new Pfn(0x9f)));
            """, ""));

    [Theory]
    [InlineData(Eras.E0, false)]
    [InlineData(Eras.E1, true)]
    [InlineData(Eras.E7, true)]
    public async Task Not_reported_where_remap_needed_reserved_pages(string version, bool reported)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Grabber(ReserveLoop, """
                    for (var i = 0; i < 1 << Order; i++)
                    {
                        kernel.ClearPageReserved(kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize));
                    }

                    kernel.FreePages(buf, Order);
            """), version);
        Assert.Equal(reported, diagnostics.Any(diagnostic => diagnostic.Id == "DK0002"));
        Assert.DoesNotContain(diagnostics, diagnostic => diagnostic.Id == "DK0003");
    }

    [Fact]
    public Task Fix_removes_the_pair_with_its_loops() => new CodeFixTest<Analyzer, RemovePageReservationCodeFix>
    {
        TestCode = Grabber("""
                    // remap_pfn_range only maps reserved pages
            """ + "\n" + ReserveLoop, """
                    // unreserve
                    for (var i = 0; i < 1 << Order; i++)
                    {
                        kernel.ClearPageReserved(kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize));
                    }

                    kernel.FreePages(buf, Order);
            """),
        ExpectedDiagnostics = { Reserve(0) },
        FixedCode = Grabber("""
                    // remap_pfn_range only maps reserved pages
            """, """
                    // unreserve

                    kernel.FreePages(buf, Order);
            """),
    }.RunAsync();

    /// <summary>
    /// Removing a reservation must not remove what else its statement does: a cursor advanced in the call's argument, or a
    /// loop whose header calls the driver. The fix is then not offered.
    /// </summary>
    [Theory]
    [InlineData("""
                    var n = 0;
                    while (n < 1 << Order)
                        {|#0:kernel.SetPageReserved(kernel.VirtToPage(buf + (ulong)n++ * Kernel.PageSize))|};
                    used = n;
        """)]
    [InlineData("""
                    for (var i = 0; i < Count(); i++)
                        {|#0:kernel.SetPageReserved(kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize))|};
        """)]
    public Task No_fix_when_the_reservation_does_more(string open) => CodeFixVerifier<Analyzer, RemovePageReservationCodeFix>.VerifyNoFixAsync(
        Grabber(open, """
                    for (var i = 0; i < 1 << Order; i++)
                    {
                        kernel.ClearPageReserved(kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize));
                    }

                    kernel.FreePages(buf, Order);
            """, """
                private int used;

                private int Count() => ++used > 0 ? 1 << Order : 0;
            """),
        Reserve(0));

    [Fact]
    public Task Fix_all_removes_every_reservation_once() => new CodeFixTest<Analyzer, RemovePageReservationCodeFix>
    {
        TestCode = """
            using DriverKit.Runtime;

            class Pool
            {
                private readonly Kernel kernel;
                private Page head;
                private KernelAddr slab;

                Pool(Kernel kernel) => this.kernel = kernel;

                void Open()
                {
                    head = kernel.AllocPages(Gfp.Kernel, 1);
                    {|#0:kernel.SetPageReserved(head)|};
                    {|#1:kernel.SetPageReserved(head + 1)|}; // the tail too
                    slab = kernel.Kmalloc(4096, Gfp.Kernel);
                    {|#2:kernel.SetPageReserved(kernel.VirtToPage(slab))|};
                }

                void Release()
                {
                    kernel.ClearPageReserved(head);
                    kernel.ClearPageReserved(head + 1);
                    kernel.FreePages(head, 1);
                    kernel.ClearPageReserved(kernel.VirtToPage(slab));
                    kernel.Kfree(slab);
                }
            }
            """,
        ExpectedDiagnostics = { Reserve(0), Reserve(1), Reserve(2) },
        FixedCode = """
            using DriverKit.Runtime;

            class Pool
            {
                private readonly Kernel kernel;
                private Page head;
                private KernelAddr slab;

                Pool(Kernel kernel) => this.kernel = kernel;

                void Open()
                {
                    head = kernel.AllocPages(Gfp.Kernel, 1);
                    slab = kernel.Kmalloc(4096, Gfp.Kernel);
                }

                void Release()
                {
                    kernel.FreePages(head, 1);
                    kernel.Kfree(slab);
                }
            }
            """,
    }.RunAsync();

    [Fact]
    public Task Fix_keeps_loops_that_do_more() => new CodeFixTest<Analyzer, RemovePageReservationCodeFix>
    {
        TestCode = """
            using DriverKit.Runtime;

            class Pool
            {
                private readonly Kernel kernel;
                private readonly Page[] pages = new Page[4];

                Pool(Kernel kernel)
                {
                    this.kernel = kernel;
                    for (var i = 0; i < pages.Length; i++)
                    {
                        pages[i] = kernel.AllocPage(Gfp.Kernel);
                        {|#0:kernel.SetPageReserved(pages[i])|};
                    }
                }

                void Release()
                {
                    foreach (var page in pages)
                    {
                        kernel.ClearPageReserved(page);
                        kernel.FreePage(page);
                    }
                }
            }
            """,
        ExpectedDiagnostics = { Reserve(0) },
        FixedCode = """
            using DriverKit.Runtime;

            class Pool
            {
                private readonly Kernel kernel;
                private readonly Page[] pages = new Page[4];

                Pool(Kernel kernel)
                {
                    this.kernel = kernel;
                    for (var i = 0; i < pages.Length; i++)
                    {
                        pages[i] = kernel.AllocPage(Gfp.Kernel);
                    }
                }

                void Release()
                {
                    foreach (var page in pages)
                    {
                        kernel.FreePage(page);
                    }
                }
            }
            """,
    }.RunAsync();

    // ---- DK0003 -------------------------------------------------------------------------------------------------

    [Fact]
    public Task Free_in_another_method_without_clear() => AnalyzerVerifier.VerifyAsync(
        [new Analyzer()],
        Grabber(ReserveLoop, """
                    {|#1:kernel.FreePages(buf, Order)|};
            """),
        Reserve(0),
        LeftAtFree(1).WithArguments("FreePages", "buf", "7.0 (era E7)",
            "with page checks (DEBUG_VM, init_on_alloc, init_on_free) bad_page() reports 'Bad page state' and the page is never freed (leaked); without them the flag is cleared and the page freed silently"));

    [Fact]
    public Task Clear_after_the_free_does_not_count() => AnalyzerVerifier.VerifyAsync(
        [new Analyzer()],
        Grabber(ReserveLoop, """
                    {|#1:kernel.FreePages(buf, Order)|};
                    kernel.ClearPageReserved(kernel.VirtToPage(buf));
            """),
        Reserve(0), LeftAtFree(1));

    /// <summary>
    /// A primary constructor with a base call has the whole type as its syntax: the clear after the free still belongs to
    /// Release, not to the constructor (which would count as another method, assumed to run first).
    /// </summary>
    [Fact]
    public Task Clear_after_the_free_does_not_count_in_a_type_with_a_primary_constructor() => AnalyzerVerifier.VerifyAsync(
        [new Analyzer()],
        """
        using DriverKit.Runtime;

        class Device(Kernel kernel)
        {
            protected Kernel Kernel { get; } = kernel;
        }

        class Grabber(Kernel kernel) : Device(kernel)
        {
            private KernelAddr buf;

            private void Open()
            {
                buf = Kernel.GetFreePages(Gfp.Kernel, 0);
                {|#0:Kernel.SetPageReserved(Kernel.VirtToPage(buf))|};
            }

            private void Release()
            {
                {|#1:Kernel.FreePages(buf, 0)|};
                Kernel.ClearPageReserved(Kernel.VirtToPage(buf));
            }
        }
        """,
        Reserve(0), LeftAtFree(1));

    [Fact]
    public Task Clear_in_a_cleanup_helper_counts() => AnalyzerVerifier.VerifyAsync(
        [new Analyzer()],
        Grabber(ReserveLoop, """
                    Unreserve();
                    kernel.FreePages(buf, Order);
            """,
            """
                private void Unreserve()
                {
                    for (var i = 0; i < 1 << Order; i++)
                    {
                        kernel.ClearPageReserved(kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize));
                    }
                }
            """),
        Reserve(0));

    [Fact]
    public Task Page_array_kfree_vfree_and_locals() => AnalyzerVerifier.VerifyAsync(
        [new Analyzer()],
        """
        using DriverKit.Runtime;

        class Buffers
        {
            private readonly Kernel kernel;
            private readonly Page[] pages = new Page[4];
            private KernelAddr slab;
            private VmallocAddr area;

            Buffers(Kernel kernel) => this.kernel = kernel;

            void Open()
            {
                slab = kernel.Kmalloc(8192, Gfp.Kernel);
                area = kernel.VmallocUser(4 * Kernel.PageSize);
                for (var i = 0; i < pages.Length; i++)
                {
                    pages[i] = kernel.AllocPage(Gfp.Kernel);
                    {|#0:kernel.SetPageReserved(pages[i])|};
                }

                var first = kernel.VirtToPage(slab);
                {|#1:kernel.SetPageReserved(first)|};
                {|#2:kernel.SetPageReserved(kernel.VmallocToPage(area + Kernel.PageSize))|};
            }

            void Release()
            {
                foreach (var page in pages)
                {
                    {|#3:kernel.FreePage(page)|};
                }

                {|#4:kernel.Kfree(slab)|};
                var local = area;
                {|#5:kernel.Vfree(local)|};
            }
        }
        """,
        Reserve(0), Reserve(1), Reserve(2), LeftAtFree(3), LeftAtFree(4), LeftAtFree(5));

    [Fact]
    public Task Partial_type_across_files() => new AnalyzerTest<Analyzer>
    {
        TestCode = """
            using DriverKit.Runtime;

            partial class Split
            {
                private readonly Kernel kernel = null!;
                private Page page;

                void Open()
                {
                    page = kernel.AllocPages(Gfp.Kernel, 1);
                    {|#0:kernel.SetPageReserved(page + 1)|};
                }
            }
            """,
        AdditionalSources =
        {
            ("Release.cs", """
                using DriverKit.Runtime;

                partial class Split
                {
                    void Release() => {|#1:kernel.FreePages(page, 1)|};
                }
                """),
        },
        ExpectedDiagnostics = { Reserve(0), LeftAtFree(1) },
    }.RunAsync();

    [Fact]
    public Task Unrelated_buffers_and_code_without_DriverKit() => AnalyzerVerifier.VerifyAsync(
        [new Analyzer()],
        Grabber("""
                    var other = kernel.GetFreePages(Gfp.Kernel, 0);
                    kernel.FreePages(other, 0);
            """, """
                    kernel.FreePages(buf, Order);
            """));

    [Fact]
    public Task Without_DriverKit_nothing_is_registered() => new AnalyzerTest<Analyzer>
    {
        ReferenceDriverKitRuntime = false,
        TestCode = """
            class Kernel { public void SetPageReserved(int page) { } public void FreePage(int page) { } }

            class Driver
            {
                void M(Kernel kernel, int page) { kernel.SetPageReserved(page); kernel.FreePage(page); }
            }
            """,
    }.RunAsync();

    [Theory]
    [InlineData(Eras.E0, "__free_pages ignores a reserved page, so it leaks without a message")]
    [InlineData(Eras.E1, "bad_page() reports 'Bad page state', then clears the flag and frees the page")]
    [InlineData(Eras.E3, "bad_page() reports 'Bad page state' and the page is never freed (leaked)")]
    [InlineData("6.3", "bad_page() reports 'Bad page state' and the page is never freed (leaked)")]
    [InlineData("6.4", "without them the flag is cleared and the page freed silently")]
    public async Task DK0003_is_an_error_in_every_era_with_the_era_consequence(string version, string consequence)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Grabber(ReserveLoop, """
                    kernel.FreePages(buf, Order);
            """), version);
        var diagnostic = Assert.Single(diagnostics, diagnostic => diagnostic.Id == "DK0003");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(consequence, diagnostic.Message(), StringComparison.Ordinal);
    }

    // ---- DK0003 fix ---------------------------------------------------------------------------------------------

    [Fact]
    public Task Fix_inserts_the_loop_for_the_freed_order() => new CodeFixTest<Analyzer, ClearReservedBeforeFreeCodeFix>
    {
        TestCode = Grabber(ReserveLoop, """
                    // give the frame buffer back
                    {|#1:kernel.FreePages(buf, Order)|}; // all of it
            """),
        ExpectedDiagnostics = { Reserve(0), LeftAtFree(1) },
        FixedCode = Grabber(ReserveLoop, """
                    for (var i = 0; i < 1 << Order; i++)
                    {
                        kernel.ClearPageReserved(kernel.VirtToPage(buf + (ulong)i * Kernel.PageSize));
                    }
                    // give the frame buffer back
                    kernel.FreePages(buf, Order); // all of it
            """),
        FixedExpectedDiagnostics = { Reserve(0) },
    }.RunAsync();

    [Fact]
    public Task Fix_for_single_pages_and_kfree() => new CodeFixTest<Analyzer, ClearReservedBeforeFreeCodeFix>
    {
        TestCode = """
            using DriverKit.Runtime;

            class Buffers
            {
                private readonly Kernel kernel;
                private readonly Page[] pages = new Page[4];
                private KernelAddr slab;

                Buffers(Kernel kernel) => this.kernel = kernel;

                void Open()
                {
                    slab = kernel.Kmalloc(8192, Gfp.Kernel);
                    for (var n = 0; n < 2; n++)
                        {|#0:kernel.SetPageReserved(kernel.VirtToPage(slab + (ulong)n * Kernel.PageSize))|};
                    foreach (var page in pages)
                    {
                        {|#1:kernel.SetPageReserved(page)|};
                    }
                }

                void Release()
                {
                    foreach (var page in pages)
                    {
                        {|#2:kernel.FreePage(page)|};
                    }

                    {|#3:kernel.Kfree(slab)|};
                }
            }
            """,
        ExpectedDiagnostics = { Reserve(0), Reserve(1), LeftAtFree(2), LeftAtFree(3) },
        FixedCode = """
            using DriverKit.Runtime;

            class Buffers
            {
                private readonly Kernel kernel;
                private readonly Page[] pages = new Page[4];
                private KernelAddr slab;

                Buffers(Kernel kernel) => this.kernel = kernel;

                void Open()
                {
                    slab = kernel.Kmalloc(8192, Gfp.Kernel);
                    for (var n = 0; n < 2; n++)
                        {|#0:kernel.SetPageReserved(kernel.VirtToPage(slab + (ulong)n * Kernel.PageSize))|};
                    foreach (var page in pages)
                    {
                        {|#1:kernel.SetPageReserved(page)|};
                    }
                }

                void Release()
                {
                    foreach (var page in pages)
                    {
                        kernel.ClearPageReserved(page);
                        kernel.FreePage(page);
                    }

                    for (var n = 0; n < 2; n++)
                        kernel.ClearPageReserved(kernel.VirtToPage(slab + (ulong)n * Kernel.PageSize));
                    kernel.Kfree(slab);
                }
            }
            """,
        FixedExpectedDiagnostics = { Reserve(0), Reserve(1) },
    }.RunAsync();

    private const string NoFixSource = """
        using DriverKit.Runtime;

        class Buffers
        {
            private readonly Kernel kernel;
            private VmallocAddr area;

            Buffers(Kernel kernel) => this.kernel = kernel;

            void Open(int count)
            {
                area = kernel.VmallocUser(4 * Kernel.PageSize);
                for (var i = 0; i < count; i++)
                {
                    {|#0:kernel.SetPageReserved(kernel.VmallocToPage(area + (ulong)i * Kernel.PageSize))|};
                }
            }

            void Release() => {|#1:kernel.Vfree(area)|};
        }
        """;

    [Fact]
    public Task No_fix_when_the_inserted_code_would_not_compile() => new CodeFixTest<Analyzer, ClearReservedBeforeFreeCodeFix>
    {
        TestCode = NoFixSource,
        ExpectedDiagnostics = { Reserve(0), LeftAtFree(1) },
        FixedCode = NoFixSource,
    }.RunAsync();
}
