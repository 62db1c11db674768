extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.FaultReferenceAnalyzer;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.FaultReferenceAnalyzer,
    DriverKit.CodeFixes.GetPageCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0012FaultReferenceTests
{
    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0012").WithLocation(location);

    private static string Driver(string fault, string members = "") => $$"""
        using DriverKit.Runtime;

        class Buf
        {
            private readonly Kernel kernel;
            private readonly Page[] pages = new Page[4];

            Buf(Kernel kernel)
            {
                this.kernel = kernel;
                for (var i = 0; i < pages.Length; i++)
                    pages[i] = kernel.AllocPage(Gfp.Kernel);
                kernel.RegisterChrdev("/dev/buf", new FileOperations { Mmap = BufMmap });
            }

            int BufMmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { Fault = BufFault };
                return 0;
            }

            VmFaultResult BufFault(VmFault vmf)
            {
        {{fault}}
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Page_from_the_driver_table_without_get_page_is_fixed_and_the_comment_stays_with_its_statement() => Verify.VerifyFixAsync(
        Driver("""
                    if (vmf.Pgoff >= (ulong)pages.Length)
                        return VmFaultResult.Sigbus;
                    // the page of this offset
                    vmf.Page = {|#0:pages[vmf.Pgoff]|};
                    return VmFaultResult.None;
            """),
        Diagnostic(0).WithArguments("The vm_ops->fault handler 'BufFault'", "pages[vmf.Pgoff]", "take one with 'kernel.GetPage(pages[vmf.Pgoff]);' first"),
        Driver("""
                    if (vmf.Pgoff >= (ulong)pages.Length)
                        return VmFaultResult.Sigbus;
                    kernel.GetPage(pages[vmf.Pgoff]);
                    // the page of this offset
                    vmf.Page = pages[vmf.Pgoff];
                    return VmFaultResult.None;
            """));

    /// <summary>
    /// A value that is not a Page (a compile error: the fuzzer swapped two tokens) hands out no page: no finding, and no
    /// <c>GetPage</c> of a non-page that would add an error of its own.
    /// </summary>
    [Theory]
    [InlineData("vmf.Page = {|CS0029:vmf.Address|};")]
    [InlineData("vmf.Page = {|CS0029:vmf.Pgoff|};")]
    [InlineData("vmf.Page = {|CS0029:pages|};")]
    public Task A_value_that_is_not_a_page_is_not_reported(string store) => Verify.VerifyAsync(Driver($$"""
                    {{store}}
                    return VmFaultResult.None;
            """));

    [Fact]
    public Task Get_page_before_the_store_is_accepted() => Verify.VerifyAsync(Driver("""
                    var page = pages[vmf.Pgoff];
                    kernel.GetPage(page);
                    vmf.Page = page;
                    return VmFaultResult.None;
            """));

    [Fact]
    public Task Get_page_on_one_branch_only_is_reported() => Verify.VerifyAsync(Driver("""
                    var page = pages[vmf.Pgoff];
                    if (vmf.Pgoff == 0)
                        kernel.GetPage(page);
                    vmf.Page = {|#0:page|};
                    return VmFaultResult.None;
            """), Diagnostic(0));

    [Fact]
    public Task Get_page_of_a_local_reassigned_before_the_store_does_not_count() => Verify.VerifyAsync(Driver("""
                    var page = pages[0];
                    kernel.GetPage(page);
                    page = other;
                    vmf.Page = {|#0:page|};
                    return VmFaultResult.None;
            """, """
                private Page other;

                void Replace(Page replacement) => other = replacement;
            """), Diagnostic(0));

    [Fact]
    public Task A_page_the_handler_allocates_carries_its_reference() => Verify.VerifyAsync(Driver("""
                    var page = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                    vmf.Page = page;
                    return VmFaultResult.None;
            """));

    [Fact]
    public Task C_port_helper_that_takes_the_reference_and_goto_error_path() => Verify.VerifyAsync(Driver("""
                    Page page;

                    if (vmf.Pgoff >= (ulong)pages.Length)
                        goto out_sigbus;
                    page = Lookup(vmf.Pgoff);
                    vmf.Page = page;
                    return VmFaultResult.None;
                out_sigbus:
                    return VmFaultResult.Sigbus;
            """, """
                Page Lookup(ulong index)
                {
                    kernel.GetPage(pages[index]);
                    return pages[index];
                }
            """));

    [Fact]
    public Task C_port_helper_that_pins_before_the_store() => Verify.VerifyAsync(Driver("""
                    Page page;

                    page = pages[vmf.Pgoff];
                    Hold(page);
                    vmf.Page = page;
                    return VmFaultResult.None;
            """, """
                void Hold(Page p) => kernel.GetPage(p);
            """));

    [Fact]
    public Task A_fill_helper_given_the_fault_is_reported() => Verify.VerifyAsync(Driver("""
                    Fill(vmf);
                    return VmFaultResult.None;
            """, """
                void Fill(VmFault vmf) => vmf.Page = {|#0:pages[vmf.Pgoff]|};
            """), Diagnostic(0).WithArguments("The fault-path helper 'Fill'", "pages[vmf.Pgoff]", "take one with 'kernel.GetPage(pages[vmf.Pgoff]);' first"));

    [Fact]
    public Task Nopage_returning_the_page_without_a_reference_is_fixed_in_an_expression_body() => Verify.VerifyFixAsync("""
        using DriverKit.Runtime;

        class Old
        {
            private readonly Kernel kernel;
            private readonly Page page;

            Old(Kernel kernel)
            {
                this.kernel = kernel;
                page = kernel.AllocPage(Gfp.Kernel);
            }

            int OldMmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { NoPage = OldNoPage };
                return 0;
            }

            Page OldNoPage(VmArea vma, UserAddr address) => {|#0:page|}; // one page for every offset
        }
        """,
        Diagnostic(0).WithArguments("The vm_ops->nopage handler 'OldNoPage'", "page", "take one with 'kernel.GetPage(page);' first"),
        """
        using DriverKit.Runtime;

        class Old
        {
            private readonly Kernel kernel;
            private readonly Page page;

            Old(Kernel kernel)
            {
                this.kernel = kernel;
                page = kernel.AllocPage(Gfp.Kernel);
            }

            int OldMmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { NoPage = OldNoPage };
                return 0;
            }

            Page OldNoPage(VmArea vma, UserAddr address)
            {
                kernel.GetPage(page);
                return page;
            } // one page for every offset
        }
        """);

    [Fact]
    public Task Nopage_returning_a_value_that_is_not_a_page_is_not_reported() => Verify.VerifyAsync("""
        using DriverKit.Runtime;

        class Old
        {
            int OldMmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { NoPage = OldNoPage };
                return 0;
            }

            Page OldNoPage(VmArea vma, UserAddr address) => {|CS0029:address|};
        }
        """);

    /// <summary>
    /// The Kernel field named by the GetPage statement can be hidden where the statement goes — by a parameter (the fuzzer
    /// swapped two names) or a local of the handler — and is then qualified, so the statement still reaches the Kernel.
    /// </summary>
    [Fact]
    public Task Kernel_field_hidden_by_a_parameter_or_local_is_qualified() => Verify.VerifyFixAsync(
        """
        using DriverKit.Runtime;

        class Old
        {
            private readonly Kernel kernel;
            private readonly Page page;
            private readonly Page[] pages = new Page[2];

            Old(Kernel kernel)
            {
                this.kernel = kernel;
                page = kernel.AllocPage(Gfp.Kernel);
            }

            int OldMmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { NoPage = OldNoPage, Fault = OldFault };
                return 0;
            }

            Page OldNoPage(VmArea vma, UserAddr kernel) => {|#0:page|};

            VmFaultResult OldFault(VmFault vmf)
            {
                var kernel = (int)vmf.Pgoff & 1;
                vmf.Page = {|#1:pages[kernel]|};
                return VmFaultResult.None;
            }
        }
        """,
        [Diagnostic(0).WithArguments("The vm_ops->nopage handler 'OldNoPage'", "page", "take one with 'this.kernel.GetPage(page);' first"),
            Diagnostic(1).WithArguments("The vm_ops->fault handler 'OldFault'", "pages[kernel]", "take one with 'this.kernel.GetPage(pages[kernel]);' first")],
        """
        using DriverKit.Runtime;

        class Old
        {
            private readonly Kernel kernel;
            private readonly Page page;
            private readonly Page[] pages = new Page[2];

            Old(Kernel kernel)
            {
                this.kernel = kernel;
                page = kernel.AllocPage(Gfp.Kernel);
            }

            int OldMmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { NoPage = OldNoPage, Fault = OldFault };
                return 0;
            }

            Page OldNoPage(VmArea vma, UserAddr kernel)
            {
                this.kernel.GetPage(page);
                return page;
            }

            VmFaultResult OldFault(VmFault vmf)
            {
                var kernel = (int)vmf.Pgoff & 1;
                this.kernel.GetPage(pages[kernel]);
                vmf.Page = pages[kernel];
                return VmFaultResult.None;
            }
        }
        """);

    [Fact]
    public Task No_fix_when_the_statement_would_not_bind_where_it_goes() => Verify.VerifyNoFixAsync(
        Driver("""
                    vmf.Page = {|#0:pages[0]|};
                    var k = kernel;
                    _ = k.PageToPfn(pages[0]);
                    return VmFaultResult.None;
            """),
        Diagnostic(0).WithArguments("The vm_ops->fault handler 'BufFault'", "pages[0]", "take one with 'k.GetPage(pages[0]);' first"));

    [Fact]
    public Task No_fix_when_the_hand_out_itself_does_not_compile() => Verify.VerifyNoFixAsync(
        """
        using DriverKit.Runtime;

        static class Old
        {
            internal static Kernel kernel = null!;
            internal Page {|CS0708:page|};

            static int OldMmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { NoPage = OldNoPage };
                return 0;
            }

            static Page OldNoPage(VmArea vma, UserAddr address) => {|#0:{|CS0120:page|}|};
        }
        """,
        Diagnostic(0).WithArguments("The vm_ops->nopage handler 'OldNoPage'", "page", "take one with 'kernel.GetPage(page);' first"));

    /// <summary>
    /// A page that is no page on some path (the C idiom <c>struct page *page = NOPAGE_SIGBUS;</c>, a lookup whose result is
    /// tested): GetPage of it would oops on that path ("NULL struct page"), so the finding stands and no fix is offered.
    /// </summary>
    [Theory]
    [InlineData("""
                    var page = default(Page);
                    if (vmf.Pgoff < (ulong)pages.Length)
                        page = pages[vmf.Pgoff];
                    vmf.Page = {|#0:page|};
                    return page.IsNull ? VmFaultResult.Sigbus : VmFaultResult.None;
        """)]
    [InlineData("""
                    var page = vmf.Pgoff < (ulong)pages.Length ? pages[vmf.Pgoff] : Page.NoPageOom;
                    vmf.Page = {|#0:page|};
                    return VmFaultResult.None;
        """)]
    [InlineData("""
                    var page = Lookup(vmf.Pgoff);
                    vmf.Page = {|#0:page|};
                    return page.IsNull ? VmFaultResult.Sigbus : VmFaultResult.None;
        """)]
    public Task No_fix_for_a_page_that_may_be_no_page(string fault) => Verify.VerifyNoFixAsync(
        Driver(fault, """
                Page Lookup(ulong index) => index < (ulong)pages.Length ? pages[index] : default;
            """),
        Diagnostic(0).WithArguments("The vm_ops->fault handler 'BufFault'", "page", "take one with GetPage first, or map it with a special PTE (VmfInsertPfn)"));

    [Fact]
    public Task A_kernel_reached_through_a_call_is_not_called_again() => Verify.VerifyFixAsync(
        Driver("""
                    _ = Current().PageToPfn(pages[0]);
                    vmf.Page = {|#0:pages[0]|};
                    return VmFaultResult.None;
            """, """
                Kernel Current() => kernel;
            """),
        Diagnostic(0).WithArguments("The vm_ops->fault handler 'BufFault'", "pages[0]", "take one with 'kernel.GetPage(pages[0]);' first"),
        Driver("""
                    _ = Current().PageToPfn(pages[0]);
                    kernel.GetPage(pages[0]);
                    vmf.Page = pages[0];
                    return VmFaultResult.None;
            """, """
                Kernel Current() => kernel;
            """));

    [Fact]
    public Task Static_kernel_field_hidden_by_a_parameter_is_qualified_with_its_type() => Verify.VerifyFixAsync(
        """
        using DriverKit.Runtime;

        static class Old
        {
            internal static Kernel kernel = null!;
            internal static Page page;

            static int OldMmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { NoPage = OldNoPage };
                return 0;
            }

            static Page OldNoPage(VmArea vma, UserAddr kernel) => {|#0:page|};
        }
        """,
        Diagnostic(0).WithArguments("The vm_ops->nopage handler 'OldNoPage'", "page", "take one with 'Old.kernel.GetPage(page);' first"),
        """
        using DriverKit.Runtime;

        static class Old
        {
            internal static Kernel kernel = null!;
            internal static Page page;

            static int OldMmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { NoPage = OldNoPage };
                return 0;
            }

            static Page OldNoPage(VmArea vma, UserAddr kernel)
            {
                Old.kernel.GetPage(page);
                return page;
            }
        }
        """);

    [Fact]
    public Task No_page_results_are_not_reported() => Verify.VerifyAsync("""
        using DriverKit.Runtime;

        class Sig
        {
            int SigMmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { NoPage = (v, a) => default, Fault = vmf => { vmf.Page = default; return VmFaultResult.Sigbus; } };
                return 0;
            }
        }
        """);

    [Fact]
    public Task A_value_that_is_not_pure_gets_no_fix() => Verify.VerifyNoFixAsync(Driver("""
                    vmf.Page = {|#0:kernel.PfnToPage(kernel.PageToPfn(pages[0]) + vmf.Pgoff)|};
                    return VmFaultResult.None;
            """), Diagnostic(0));

    [Fact]
    public Task Fix_all_takes_references_in_each_handler() => Verify.VerifyFixAsync(
        Driver("""
                    if (vmf.Pgoff == 0)
                    {
                        vmf.Page = {|#0:pages[0]|};
                        return VmFaultResult.None;
                    }

                    vmf.Page = {|#1:pages[1]|};
                    return VmFaultResult.None;
            """),
        [Diagnostic(0), Diagnostic(1)],
        Driver("""
                    if (vmf.Pgoff == 0)
                    {
                        kernel.GetPage(pages[0]);
                        vmf.Page = pages[0];
                        return VmFaultResult.None;
                    }

                    kernel.GetPage(pages[1]);
                    vmf.Page = pages[1];
                    return VmFaultResult.None;
            """));

    [Theory]
    [InlineData(Eras.E0)]
    [InlineData(Eras.E3)]
    [InlineData(Eras.E5)]
    [InlineData(Eras.E7)]
    public async Task Reported_in_every_era(string version) =>
        Assert.Equal("DK0012", Assert.Single(await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Driver("""
                    vmf.Page = pages[vmf.Pgoff];
                    return VmFaultResult.None;
            """), version)).Id);
}
