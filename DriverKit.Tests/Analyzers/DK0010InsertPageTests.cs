extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.InsertPageAnalyzer;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.InsertPageAnalyzer,
    DriverKit.CodeFixes.CompoundBlockCodeFix>;
using VerifyReturn = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.InsertPageAnalyzer,
    DriverKit.CodeFixes.ReturnMappingErrorCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0010InsertPageTests
{
    private static ExpectedDiagnostic Page(int location) => Verify.Diagnostic("DK0010").WithLocation(location);

    private static ExpectedDiagnostic Ignored(int location) => Verify.Diagnostic("DK0010").WithLocation(location).WithSeverity(DiagnosticSeverity.Warning);

    private static string Driver(string mmapBody, string members = "", string gfp = "Gfp.Kernel") => $$"""
        using DriverKit.Runtime;

        class Driver
        {
            private readonly Kernel kernel;
            private readonly Page block;
            private readonly Page single;
            private readonly KernelAddr obj;

            Driver(Kernel kernel)
            {
                this.kernel = kernel;
                block = kernel.AllocPages({{gfp}}, 2);
                single = kernel.AllocPage(Gfp.Kernel);
                obj = kernel.Kmalloc(512, Gfp.Kernel);
            }

            int Mmap(OpenFile file, VmArea vma)
            {
        {{mmapBody}}
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Tail_pages_by_pfn_arithmetic() => Verify.VerifyAsync(
        Driver("""
                    for (ulong i = 0; i < 4; i++)
                    {
                        var ret = {|#0:kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + i))|};
                        if (ret != 0)
                            return ret;
                    }

                    return 0;
            """),
        Page(0).WithArguments("VmInsertPage", "kernel.PfnToPage(kernel.PageToPfn(block) + i)", "a page past the head of a high-order block", "'kernel.AllocPages(Gfp.Kernel, 2)'",
            "7.0 (era E7)",
            "the tail pages of a block allocated without __GFP_COMP have refcount 0, which vm_insert_page refuses with -EINVAL (before 2.6.18 it took the reference from 0, and unmapping freed the pages one by one)",
            "allocate the block with Gfp.Comp (or split it with SplitPage and free its pages one by one)"));

    [Fact]
    public Task C_port_cursor_in_the_for_header() => Verify.VerifyAsync(
        Driver("""
                    Pfn pfn;
                    int i, ret;

                    ret = 0;
                    for (i = 0, pfn = kernel.PageToPfn(block); i < 4; i++, pfn = pfn + 1UL)
                    {
                        ret = {|#0:kernel.VmInsertPage(vma, vma.Start + (ulong)i * Kernel.PageSize, kernel.PfnToPage(pfn))|};
                        if (ret != 0)
                            goto fail;
                    }

                    return 0;
                fail:
                    return ret;
            """),
        Page(0));

    [Fact]
    public Task Array_of_the_block_pages_to_vm_map_pages() => Verify.VerifyAsync(
        Driver("""
                    var pages = new Page[4];
                    for (ulong i = 0; i < 4; i++)
                        pages[i] = kernel.PfnToPage(kernel.PageToPfn(block) + i);
                    return {|#0:kernel.VmMapPages(vma, pages)|};
            """),
        Page(0));

    [Fact]
    public Task Array_of_the_block_pages_to_vm_insert_pages() => Verify.VerifyAsync(
        Driver("""
                    var pages = new Page[4];
                    for (ulong i = 0; i < 4; i++)
                        pages[i] = kernel.PfnToPage(kernel.PageToPfn(block) + i);
                    ulong left = 4;
                    return {|#0:kernel.VmInsertPages(vma, vma.Start, pages, ref left)|};
            """),
        Page(0));

    [Fact]
    public Task Slab_page_is_reported_without_a_fix() => Verify.VerifyNoFixAsync(
        Driver("""
                    return {|#0:kernel.VmInsertPage(vma, vma.Start, kernel.VirtToPage(obj))|};
            """),
        Page(0).WithArguments("VmInsertPage", "kernel.VirtToPage(obj)", "the page of a kmalloc object", "'kernel.Kmalloc(512, Gfp.Kernel)'",
            "7.0 (era E7)", "it returns -EINVAL for slab pages", "allocate whole pages for memory user space maps (AllocPages, GetZeroedPage)"));

    [Fact]
    public Task Compound_split_head_only_and_single_pages_are_not_reported() => Verify.VerifyAsync(
        Driver("""
                    var comp = kernel.AllocPages(Gfp.Kernel | Gfp.Comp, 2);
                    var split = kernel.AllocPages(Gfp.Kernel, 1);
                    kernel.SplitPage(split, 1);
                    var ret = kernel.VmInsertPage(vma, vma.Start, block);
                    if (ret == 0)
                        ret = kernel.VmInsertPage(vma, vma.Start, single);
                    if (ret == 0)
                        ret = kernel.VmInsertPage(vma, vma.Start, kernel.PfnToPage(kernel.PageToPfn(comp) + 1));
                    if (ret == 0)
                        ret = kernel.VmInsertPage(vma, vma.Start, kernel.PfnToPage(kernel.PageToPfn(split) + 1));
                    _ = kernel.VmInsertPage(vma, vma.Start, single);
                    return ret;
            """));

    [Theory]
    [InlineData(Eras.E3, "it maps the slab page, and rmap writes the mapcount word")]
    [InlineData("5.2", "it returns -EINVAL for slab pages")]
    public async Task Slab_outcome_follows_the_era(string version, string outcome)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(
            new Analyzer(),
            Driver("""
                        return kernel.VmInsertPage(vma, vma.Start, kernel.VirtToPage(obj));
                """),
            version);
        Assert.Contains(outcome, Assert.Single(diagnostics).Message(), StringComparison.Ordinal);
    }

    [Fact]
    public Task Ignored_results_are_warnings() => VerifyReturn.VerifyAsync(
        Driver("""
                    {|#0:kernel.VmInsertPage(vma, vma.Start, single)|};
                    {|#1:kernel.RemapPfnRange(vma, vma.Start + Kernel.PageSize, kernel.PageToPfn(single), Kernel.PageSize, vma.PageProt)|};
                    return 0;
            """,
            """
                void Helper(VmArea vma) => kernel.VmInsertPage(vma, vma.Start, single);
            """),
        Ignored(0).WithArguments("VmInsertPage", "Mmap"), Ignored(1));

    [Fact]
    public Task Fix_adds_Gfp_Comp_and_keeps_trivia() => Verify.VerifyFixAsync(
        Driver("""
                    var ret = {|#0:kernel.VmInsertPage(vma, vma.Start + Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + 1))|};
                    return ret;
            """,
            gfp: "/* zeroed */ Gfp.Kernel | Gfp.Zero"),
        Page(0),
        Driver("""
                    var ret = kernel.VmInsertPage(vma, vma.Start + Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + 1));
                    return ret;
            """,
            gfp: "/* zeroed */ Gfp.Kernel | Gfp.Zero | Gfp.Comp"));

    [Fact]
    public Task Fix_all_changes_the_allocation_once() => Verify.VerifyFixAsync(
        Driver("""
                    var ret = {|#0:kernel.VmInsertPage(vma, vma.Start + Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + 1))|};
                    if (ret == 0)
                        ret = {|#1:kernel.VmInsertPage(vma, vma.Start + 2 * Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + 2))|};
                    return ret;
            """),
        [Page(0), Page(1)],
        Driver("""
                    var ret = kernel.VmInsertPage(vma, vma.Start + Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + 1));
                    if (ret == 0)
                        ret = kernel.VmInsertPage(vma, vma.Start + 2 * Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + 2));
                    return ret;
            """,
            gfp: "Gfp.Kernel | Gfp.Comp"));

    [Fact]
    public Task Return_fix_declares_a_fresh_error_and_keeps_trivia() => VerifyReturn.VerifyFixAsync(
        Driver("""
                    var err = 1;
                    // first page
                    {|#0:kernel.VmInsertPage(vma, vma.Start, single)|}; // the header
                    return err - 1;
            """),
        Ignored(0),
        Driver("""
                    var err = 1;
                    // first page
                    var err2 = kernel.VmInsertPage(vma, vma.Start, single); // the header
                    if (err2 != 0)
                    {
                        return err2;
                    }

                    return err - 1;
            """));

    [Fact]
    public Task Return_fix_all_in_loops_and_embedded_statements() => VerifyReturn.VerifyFixAsync(
        Driver("""
                    for (ulong i = 0; i < 2; i++)
                        {|#0:kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, single)|};
                    {|#1:kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(single), Kernel.PageSize, vma.PageProt)|};
                    return 0;
            """),
        [Ignored(0), Ignored(1)],
        Driver("""
                    for (ulong i = 0; i < 2; i++)
                    {
                        var err = kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, single);
                        if (err != 0)
                        {
                            return err;
                        }
                    }
                    var err2 = kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(single), Kernel.PageSize, vma.PageProt);
                    if (err2 != 0)
                    {
                        return err2;
                    }

                    return 0;
            """));

    [Fact]
    public Task No_return_fix_where_a_goto_path_cleans_up() => VerifyReturn.VerifyNoFixAsync(
        Driver("""
                    {|#0:kernel.VmInsertPage(vma, vma.Start, single)|};
                    if (vma.Pgoff != 0)
                        goto fail;
                    return 0;
                fail:
                    return -Errno.EINVAL;
            """),
        Ignored(0));
}
