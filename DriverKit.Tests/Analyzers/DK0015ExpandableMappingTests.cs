extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.VmaDisciplineAnalyzer;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.VmaDisciplineAnalyzer,
    DriverKit.CodeFixes.MmapStatementCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0015ExpandableMappingTests
{
    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0015").WithLocation(location);

    /// <summary>A driver whose ->mmap body is <paramref name="mmap"/> and whose fault handler picks a page of its block by offset.</summary>
    private static string Driver(string mmap, string members = "") => $$"""
        using DriverKit.Runtime;

        class Pages
        {
            private readonly Kernel kernel;
            private readonly Page block;
            private readonly VmOperations vmOps;

            Pages(Kernel kernel)
            {
                this.kernel = kernel;
                block = kernel.AllocPages(Gfp.Kernel | Gfp.Comp, 1);
                vmOps = new VmOperations { Fault = PagesFault };
                kernel.RegisterChrdev("/dev/pages", new FileOperations { Mmap = PagesMmap });
            }

            int PagesMmap(OpenFile file, VmArea vma)
            {
        {{mmap}}
            }

            VmFaultResult PagesFault(VmFault vmf)
            {
                var page = kernel.PfnToPage(kernel.PageToPfn(block) + vmf.Pgoff);
                kernel.GetPage(page);
                vmf.Page = page;
                return VmFaultResult.None;
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Fault_handler_without_dont_expand_is_fixed_with_vm_flags_set() => Verify.VerifyFixAsync(
        Driver("""
                    {|#0:vma.Ops = vmOps|};
                    return 0;
            """),
        Diagnostic(0).WithArguments("PagesMmap", "installs vm_ops with the Fault handler 'PagesFault'", "the new tail faults into 'PagesFault' at offsets ->mmap never saw",
            "kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);"),
        Driver("""
                    kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);
                    vma.Ops = vmOps;
                    return 0;
            """));

    [Theory]
    [InlineData("@vmOps")]
    [InlineData("\\u0076mOps")]
    [InlineData("this.vmOps")]
    public Task Table_assigned_in_the_constructor_under_any_spelling_of_the_field_is_found(string spelling)
    {
        // The constructor is bound only when it spells the field, judged by the identifier index: a verbatim or escaped
        // spelling must count as the field's name, as the compiler reads it.
        static string Spelt(string source, string spelling) =>
            source.Replace("vmOps = new VmOperations", spelling + " = new VmOperations", StringComparison.Ordinal);
        return Verify.VerifyAsync(
            Spelt(Driver("""
                        {|#0:vma.Ops = vmOps|};
                        return 0;
                """), spelling),
            Diagnostic(0).WithArguments("PagesMmap", "installs vm_ops with the Fault handler 'PagesFault'", "the new tail faults into 'PagesFault' at offsets ->mmap never saw",
                "kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);"));
    }

    /// <summary>
    /// An <c>if</c> whose branch installs the vm_ops and returns success is the path the flag is for, not a guard that refuses
    /// the mapping: the statement goes before it, so every path that reaches the installation has the flag.
    /// </summary>
    [Fact]
    public Task A_success_branch_is_not_taken_for_a_guard() => Verify.VerifyFixAsync(
        Driver("""
                    if (vma.Pgoff == 0)
                    {
                        {|#0:vma.Ops = vmOps|};
                        return 0;
                    }
                    return -Errno.EINVAL;
            """),
        Diagnostic(0).WithArguments("PagesMmap", "installs vm_ops with the Fault handler 'PagesFault'", "the new tail faults into 'PagesFault' at offsets ->mmap never saw",
            "kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);"),
        Driver("""
                    kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);
                    if (vma.Pgoff == 0)
                    {
                        vma.Ops = vmOps;
                        return 0;
                    }
                    return -Errno.EINVAL;
            """));

    [Fact]
    public Task Dont_expand_set_directly_or_by_a_helper_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                    Prepare(vma);
                    vma.Ops = vmOps;
                    return 0;
            """, """
                void Prepare(VmArea area) => area.Flags |= VmFlags.DontExpand;
            """));

    [Fact]
    public Task Remap_pfn_range_sets_dont_expand_from_3_7_and_pfnmap_refuses_growth_before() => Verify.VerifyAsync(
        Driver("""
                    vma.Ops = vmOps;
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block), vma.Length, vma.PageProt);
            """));

    [Fact]
    public Task Inserted_pages_are_reported_at_the_insert() => Verify.VerifyAsync(
        Driver("""
                    for (ulong i = 0; i < 2; i++)
                    {
                        var ret = {|#0:kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + i))|};
                        if (ret != 0)
                            return ret;
                    }

                    return 0;
            """),
        Diagnostic(0).WithArguments("PagesMmap", "inserts its pages without a fault handler", "in Linux 7.0 (era E7) touching the new tail is SIGBUS",
            "kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);"));

    [Fact]
    public Task C_port_ops_installed_by_a_helper_with_a_goto_error_path() => Verify.VerifyFixAsync(
        Driver("""
                    int ret;

                    if (vma.Pgoff != 0)
                        goto out_inval;
                    {|#0:Setup(vma)|};
                    ret = 0;
                    return ret;
                out_inval:
                    ret = -Errno.EINVAL;
                    return ret;
            """, """
                void Setup(VmArea area)
                {
                    area.Ops = vmOps;
                    area.PrivateData = this;
                }
            """),
        Diagnostic(0),
        Driver("""
                    int ret;

                    if (vma.Pgoff != 0)
                        goto out_inval;
                    kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);
                    Setup(vma);
                    ret = 0;
                    return ret;
                out_inval:
                    ret = -Errno.EINVAL;
                    return ret;
            """, """
                void Setup(VmArea area)
                {
                    area.Ops = vmOps;
                    area.PrivateData = this;
                }
            """));

    [Fact]
    public Task Fix_keeps_comments_and_turns_an_expression_body_into_a_block() => Verify.VerifyFixAsync(
        """
        using DriverKit.Runtime;

        class Lazy
        {
            private static readonly VmOperations Ops = new VmOperations { Fault = vmf => VmFaultResult.Sigbus };

            Lazy(Kernel kernel) => kernel.RegisterChrdev("/dev/lazy", new FileOperations { Mmap = LazyMmap });

            // pages come later, from the fault handler
            int LazyMmap(OpenFile file, VmArea vma) => {|#0:Install(vma)|}; // trailing note

            static int Install(VmArea vma)
            {
                vma.Ops = Ops;
                return 0;
            }
        }
        """,
        Diagnostic(0).WithArguments("LazyMmap", "installs vm_ops with the Fault handler '(lambda)'", "the new tail faults into '(lambda)' at offsets ->mmap never saw",
            "vma.Flags |= VmFlags.DontExpand | VmFlags.DontDump;"),
        """
        using DriverKit.Runtime;

        class Lazy
        {
            private static readonly VmOperations Ops = new VmOperations { Fault = vmf => VmFaultResult.Sigbus };

            Lazy(Kernel kernel) => kernel.RegisterChrdev("/dev/lazy", new FileOperations { Mmap = LazyMmap });

            // pages come later, from the fault handler
            int LazyMmap(OpenFile file, VmArea vma)
            {
                vma.Flags |= VmFlags.DontExpand | VmFlags.DontDump;
                return Install(vma);
            } // trailing note

            static int Install(VmArea vma)
            {
                vma.Ops = Ops;
                return 0;
            }
        }
        """);

    [Fact]
    public Task Fix_all_sets_the_flags_in_each_handler() => Verify.VerifyFixAsync(
        """
        using DriverKit.Runtime;

        class Two
        {
            private readonly Kernel kernel;
            private readonly VmOperations ops = new VmOperations { Fault = vmf => VmFaultResult.Sigbus };

            Two(Kernel kernel)
            {
                this.kernel = kernel;
                kernel.RegisterChrdev("/dev/a", new FileOperations { Mmap = MmapA });
                kernel.RegisterChrdev("/dev/b", new FileOperations { Mmap = (file, vma) =>
                {
                    {|#1:vma.Ops = ops|};
                    return 0;
                } });
            }

            int MmapA(OpenFile file, VmArea vma)
            {
                {|#0:vma.Ops = ops|};
                return 0;
            }
        }
        """,
        [Diagnostic(0), Diagnostic(1)],
        """
        using DriverKit.Runtime;

        class Two
        {
            private readonly Kernel kernel;
            private readonly VmOperations ops = new VmOperations { Fault = vmf => VmFaultResult.Sigbus };

            Two(Kernel kernel)
            {
                this.kernel = kernel;
                kernel.RegisterChrdev("/dev/a", new FileOperations { Mmap = MmapA });
                kernel.RegisterChrdev("/dev/b", new FileOperations { Mmap = (file, vma) =>
                {
                    kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);
                    vma.Ops = ops;
                    return 0;
                } });
            }

            int MmapA(OpenFile file, VmArea vma)
            {
                kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);
                vma.Ops = ops;
                return 0;
            }
        }
        """);

    [Fact]
    public Task A_method_that_is_not_an_mmap_handler_is_not_reported() => Verify.VerifyAsync("""
        using DriverKit.Runtime;

        class Helperless
        {
            private readonly VmOperations ops = new VmOperations { Fault = vmf => VmFaultResult.Sigbus };

            void Attach(VmArea vma) => vma.Ops = ops;
        }
        """);

    [Theory]
    [InlineData(Eras.E0, "vma.Flags |= VmFlags.DontExpand;")]
    [InlineData(Eras.E4, "vma.Flags |= VmFlags.DontExpand;")]
    [InlineData("3.4", "vma.Flags |= VmFlags.DontExpand | VmFlags.DontDump;")]
    [InlineData(Eras.E5, "vma.Flags |= VmFlags.DontExpand | VmFlags.DontDump;")]
    [InlineData(Eras.E6, "kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);")]
    public async Task The_statement_follows_the_era(string version, string statement)
    {
        var diagnostic = Assert.Single(await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Driver("""
                    vma.Ops = vmOps;
                    return 0;
            """), version));
        Assert.Equal(statement, diagnostic.Properties["DriverKit.Statement"]);
    }

    [Theory]
    [InlineData(Eras.E3)]
    [InlineData(Eras.E4Last)]
    [InlineData(Eras.E5)]
    public async Task Pfnmap_or_dont_expand_from_remap_pfn_range_is_accepted_in_every_era(string version) =>
        Assert.Empty(await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Driver("""
                    vma.Ops = vmOps;
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block), vma.Length, vma.PageProt);
            """), version));

    [Fact]
    public async Task Remap_pfn_range_before_pfnmap_leaves_the_mapping_expandable()
    {
        // 2.6.14: remap_pfn_range sets VM_IO | VM_RESERVED only; mremap grows the mapping.
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Driver("""
                    vma.Ops = vmOps;
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block), vma.Length, vma.PageProt);
            """), Eras.E0);
        Assert.Equal("DK0015", Assert.Single(diagnostics).Id);
    }
}
