extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.ReservedVmaFaultAnalyzer,
    DriverKit.CodeFixes.ReplaceReservedFlagCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0004ReservedVmaFaultTests
{
    private static ExpectedDiagnostic Error(int location) => Verify.Diagnostic().WithLocation(location);

    private static ExpectedDiagnostic Warning(int location) => Verify.Diagnostic().WithLocation(location).WithSeverity(DiagnosticSeverity.Warning);

    /// <summary>A scullp-like driver: pages, a fault handler that hands them out, an mmap handler given as <paramref name="mmap"/>.</summary>
    private static string Scullp(string mmap, string vmOps = "new VmOperations { Open = VmaOpen, Fault = Fault }", string extra = "") => $$"""
        using DriverKit.Runtime;

        class Scullp
        {
            private readonly Kernel kernel;
            private readonly Page[] pages = new Page[4];
            private readonly VmOperations vmOps;

            Scullp(Kernel kernel)
            {
                this.kernel = kernel;
                vmOps = {{vmOps}};
                kernel.RegisterChrdev("/dev/scullp", new FileOperations { Owner = "scullp", Mmap = Mmap });
            }

            private int Mmap(OpenFile file, VmArea vma)
            {
        {{mmap}}
            }

            private void VmaOpen(VmArea vma) { }

            private VmFaultResult Fault(VmFault vmf)
            {
                if (vmf.Pgoff >= (ulong)pages.Length)
                {
                    return VmFaultResult.Sigbus;
                }

                var page = pages[vmf.Pgoff];
                kernel.GetPage(page);
                vmf.Page = page;
                return 0;
            }
        {{extra}}
        }
        """;

    [Fact]
    public Task Ldd3_scullp_with_fault_handler() => Verify.VerifyAsync(
        Scullp("""
                    vma.Ops = vmOps;
                    vma.Flags |= {|#0:VmFlags.Reserved|};
                    return 0;
            """),
        Error(0).WithArguments("vma", "Fault", "Fault",
            "VM_RESERVED does not exist in Linux 7.0 (era E7) (removed in 3.7), and in 2.6.15-rc1/rc2 this shape leaked every faulted page",
            "VM_DONTEXPAND | VM_DONTDUMP"));

    [Fact]
    public Task Flags_before_ops_on_the_same_path() => Verify.VerifyAsync(
        Scullp("""
                    kernel.VmFlagsSet(vma, {|#0:VmFlags.Reserved|} | VmFlags.DontCopy);
                    vma.Ops = vmOps;
                    return 0;
            """),
        Error(0));

    [Fact]
    public Task Nopage_handler_lambda_in_an_object_initializer() => Verify.VerifyAsync(
        Scullp("""
                    vma.Ops = new VmOperations { NoPage = (area, address) => pages[0] };
                    vma.Flags |= {|#0:VmFlags.Reserved|};
                    return 0;
            """),
        Error(0).WithArguments("vma", "NoPage", "(lambda)",
            "VM_RESERVED does not exist in Linux 7.0 (era E7) (removed in 3.7), and in 2.6.15-rc1/rc2 this shape leaked every faulted page",
            "VM_DONTEXPAND | VM_DONTDUMP"));

    [Fact]
    public Task Local_function_handler_and_local_ops() => Verify.VerifyAsync(
        Scullp("""
                    var ops = new VmOperations { Fault = Handler };
                    vma.Ops = ops;
                    vma.Flags |= {|#0:VmFlags.Reserved|};
                    return 0;

                    VmFaultResult Handler(VmFault vmf)
                    {
                        vmf.Page = pages[0];
                        return 0;
                    }
            """),
        Error(0));

    [Fact]
    public Task Ops_chosen_by_a_conditional_in_the_constructor() => Verify.VerifyAsync(
        Scullp(
            """
                    vma.Ops = vmOps;
                    vma.Flags |= {|#0:VmFlags.Reserved|};
                    return 0;
            """,
            vmOps: "pages.Length > 8 ? new VmOperations { Open = VmaOpen } : new VmOperations { NoPage = NoPage }",
            extra: """
                private Page NoPage(VmArea vma, UserAddr address)
                {
                    var page = pages[(address - vma.Start) / Kernel.PageSize];
                    kernel.GetPage(page);
                    return page;
                }
            """),
        Error(0));

    [Fact]
    public Task Fault_handler_that_delegates_to_a_helper() => Verify.VerifyAsync(
        Scullp(
            """
                    vma.Ops = new VmOperations { Fault = vmf => Lookup(vmf) };
                    vma.Flags |= {|#0:VmFlags.Reserved|};
                    return 0;
            """,
            extra: """
                private VmFaultResult Lookup(VmFault vmf)
                {
                    vmf.Page = pages[0];
                    return 0;
                }
            """),
        Error(0));

    [Fact]
    public Task Helper_that_installs_ops_and_flags() => Verify.VerifyAsync(
        Scullp(
            """
                    {|#0:Setup(vma)|};
                    return 0;
            """,
            extra: """
                private void Setup(VmArea vma)
                {
                    vma.Ops = vmOps;
                    vma.Flags |= {|#1:VmFlags.Reserved|};
                }
            """),
        Error(0), Error(1));

    [Fact]
    public Task Using_static_and_const() => Verify.VerifyAsync("""
        using DriverKit.Runtime;
        using static DriverKit.Runtime.VmFlags;

        class Driver
        {
            private const VmFlags Legacy = Reserved | DontCopy;

            int Mmap(OpenFile file, VmArea vma)
            {
                vma.Ops = new VmOperations { Fault = vmf => { vmf.Page = default(Page) == vmf.Page ? vmf.Page : vmf.Page; return 0; } };
                vma.Flags |= {|#0:Legacy|};
                return 0;
            }
        }
        """,
        Error(0));

    public static TheoryData<string, string> FlagShapes => new()
    {
        { "compound assignment", "vma.Flags |= {|DK0004:VmFlags.Reserved|} | VmFlags.DontCopy;" },
        { "plain assignment", "vma.Flags = vma.Flags | {|DK0004:VmFlags.Reserved|};" },
        { "separate statements", "vma.Flags |= VmFlags.DontCopy;\n        vma.Flags |= {|DK0004:VmFlags.Reserved|};" },
        { "VmFlagsSet", "kernel.VmFlagsSet(vma, {|DK0004:VmFlags.Reserved|});" },
        { "local", "var flags = {|DK0004:VmFlags.Reserved|};\n        flags |= VmFlags.DontCopy;\n        vma.Flags |= flags;" },
        { "conditional", "vma.Flags |= file.Flags == 0 ? {|DK0004:VmFlags.Reserved|} : VmFlags.DontCopy;" },
        { "switch arm", "switch ((int)file.Flags)\n        {\n            case 1:\n                vma.Flags |= {|DK0004:VmFlags.Reserved|};\n                break;\n        }" },
        { "switch expression arm", "vma.Flags |= (int)file.Flags switch { 1 => {|DK0004:VmFlags.Reserved|}, _ => VmFlags.None };" },
        { "object initializer", "var spec = new Spec { Flags = {|DK0004:VmFlags.Reserved|} };\n        vma.Flags |= spec.Flags;" },
        { "const field", "vma.Flags |= {|DK0004:Legacy|};" },
        { "static readonly field", "vma.Flags |= {|DK0004:LegacyStatic|};" },
        { "helper", "{|DK0004:AddReserved(vma)|};" },
        { "numeric shim", "vma.Flags |= {|DK0004:(VmFlags)(1UL << 40)|};" },
    };

    [Theory]
    [MemberData(nameof(FlagShapes))]
    public Task Every_way_of_setting_the_flag_is_followed(string shape, string statements)
    {
        _ = shape;
        return Verify.VerifyAsync(Scullp(
            "        vma.Ops = vmOps;\n        " + statements + "\n        return 0;",
            extra: """
                private const VmFlags Legacy = VmFlags.Reserved;
                private static readonly VmFlags LegacyStatic = VmFlags.Reserved;

                private sealed class Spec
                {
                    public VmFlags Flags { get; init; }
                }

            #pragma warning disable DK0004 // the helper itself has no vm_ops: only its call counts
                private static void AddReserved(VmArea vma) => vma.Flags |= VmFlags.Reserved;
            #pragma warning restore DK0004
            """));
    }

    // ---- negatives ----------------------------------------------------------------------------------------------

    [Fact]
    public Task Fault_handler_that_maps_pfns_itself_is_not_reported() => Verify.VerifyAsync(
        Scullp("""
                    vma.Ops = new VmOperations { Fault = vmf => VmFaultResult.NoPage };
                    vma.Flags |= VmFlags.Reserved;
                    return 0;
            """));

    [Fact]
    public Task Nopage_that_only_signals_is_not_reported() => Verify.VerifyAsync(
        Scullp("""
                    vma.Ops = new VmOperations { NoPage = (area, address) => default, Open = VmaOpen };
                    vma.Flags |= VmFlags.Reserved;
                    return 0;
            """));

    [Fact]
    public Task Modern_flags_are_not_reported() => Verify.VerifyAsync(
        Scullp("""
                    vma.Ops = vmOps;
                    kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);
                    return 0;
            """));

    [Fact]
    public Task Reserved_on_another_vma_or_path_is_not_reported() => Verify.VerifyAsync(
        Scullp("""
                    if (file.Flags == 0)
                    {
                        vma.Ops = vmOps;
                    }
                    else
                    {
                        vma.Flags |= VmFlags.Reserved;
                    }

                    return 0;
            """));

    [Fact]
    public Task Reserved_set_by_remap_pfn_range_itself_is_not_reported() => new AnalyzerTest<DriverKitAnalyzers::DriverKit.Analyzers.ReservedVmaFaultAnalyzer>
    {
        TestCode = Scullp("""
                    vma.Ops = vmOps;
                    return kernel.RemapPfnRange(vma, vma.Start, new Pfn(1), Kernel.PageSize, vma.PageProt);
            """),
        GlobalConfig = "driverkit.kernel_version = 2.6.15-rc1",
    }.RunAsync();

    // ---- eras ---------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(Eras.E0, DiagnosticSeverity.Warning, "harmless in Linux 2.6.14")]
    [InlineData(Eras.E1, DiagnosticSeverity.Error, "the core neither refcounts nor unmaps the pages")]
    [InlineData(Eras.E1Rc2, DiagnosticSeverity.Error, "the core neither refcounts nor unmaps the pages")]
    [InlineData(Eras.E2, DiagnosticSeverity.Warning, "harmless in Linux 2.6.15-rc2-git5")]
    [InlineData(Eras.E3, DiagnosticSeverity.Warning, "harmless")]
    [InlineData(Eras.E4Last, DiagnosticSeverity.Warning, "harmless")]
    [InlineData(Eras.E5, DiagnosticSeverity.Error, "does not exist in Linux 3.7")]
    [InlineData(Eras.E7, DiagnosticSeverity.Error, "does not exist in Linux 7.0")]
    public async Task Severity_follows_the_era(string version, DiagnosticSeverity severity, string text)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(
            new DriverKitAnalyzers::DriverKit.Analyzers.ReservedVmaFaultAnalyzer(),
            Scullp("""
                        vma.Ops = vmOps;
                        vma.Flags |= VmFlags.Reserved;
                        return 0;
                """),
            version);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Contains(text, diagnostic.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public Task Replacement_before_3_4_has_no_VM_DONTDUMP() => new CodeFixTest<DriverKitAnalyzers::DriverKit.Analyzers.ReservedVmaFaultAnalyzer, DriverKit.CodeFixes.ReplaceReservedFlagCodeFix>
    {
        TestCode = Scullp("""
                    vma.Ops = vmOps;
                    vma.Flags |= {|#0:VmFlags.Reserved|};
                    return 0;
            """),
        EditorConfig = """
            [*.cs]
            driverkit.kernel_version = 2.6.15-rc1
            """,
        ExpectedDiagnostics = { Error(0) },
        FixedCode = Scullp("""
                    vma.Ops = vmOps;
                    vma.Flags |= VmFlags.DontExpand;
                    return 0;
            """),
    }.RunAsync();

    // ---- code fix -----------------------------------------------------------------------------------------------

    [Fact]
    public Task Fix_replaces_with_DontExpand_DontDump_and_keeps_comments() => Verify.VerifyFixAsync(
        Scullp("""
                    vma.Ops = vmOps;
                    // keep the swapper away (it never could)
                    vma.Flags |= {|#0:VmFlags.Reserved|}; /* LDD3 */
                    return 0;
            """),
        Error(0),
        Scullp("""
                    vma.Ops = vmOps;
                    // keep the swapper away (it never could)
                    vma.Flags |= VmFlags.DontExpand | VmFlags.DontDump; /* LDD3 */
                    return 0;
            """));

    [Fact]
    public Task Fix_adds_only_what_is_missing() => Verify.VerifyFixAsync(
        Scullp("""
                    vma.Ops = vmOps;
                    kernel.VmFlagsSet(vma, VmFlags.DontDump | {|#0:VmFlags.Reserved|});
                    return 0;
            """),
        Error(0),
        Scullp("""
                    vma.Ops = vmOps;
                    kernel.VmFlagsSet(vma, VmFlags.DontDump | VmFlags.DontExpand);
                    return 0;
            """));
}
