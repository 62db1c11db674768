extern alias DriverKitAnalyzers;

using DriverKit.CodeFixes;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.VmReservedAnalyzer;
using Descriptors = DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.VmReservedAnalyzer,
    DriverKit.CodeFixes.ReplaceReservedFlagCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0005VmReservedTests
{
    private static ExpectedDiagnostic Error(int location) => Verify.Diagnostic(Descriptors.VmReservedObsolete).WithLocation(location);

    private static ExpectedDiagnostic Warning(int location) => Error(location).WithSeverity(DiagnosticSeverity.Warning);

    private static ExpectedDiagnostic Numeric(int location) => Verify.Diagnostic(Descriptors.NumericVmFlags).WithLocation(location);

    private static string Driver(string mmapBody, string members = "") => $$"""
        using DriverKit.Runtime;

        class Driver
        {
            private readonly Kernel kernel;

            Driver(Kernel kernel) => this.kernel = kernel;

            int Mmap(OpenFile file, VmArea vma)
            {
        {{mmapBody}}
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Set_on_a_vma() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= {|#0:VmFlags.Reserved|};
                    return 0;
            """),
        Error(0).WithArguments("is set on 'vma'", "it was removed in 3.7 and does not exist in Linux 7.0 (era E7)", "VM_DONTEXPAND | VM_DONTDUMP", ""));

    [Fact]
    public Task Spelt_with_a_unicode_escape() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= {|#0:VmFlags.R\u0065served|} | {|#1:(VmFl\u0061gs)0x2000|};
                    return 0;
            """),
        Error(0).WithArguments("is set on 'vma'", "it was removed in 3.7 and does not exist in Linux 7.0 (era E7)", "VM_DONTEXPAND | VM_DONTDUMP", ""),
        Numeric(1));

    [Fact]
    public Task Every_use_is_reported() => Verify.VerifyAsync(
        Driver("""
                    if ((vma.Flags & {|#0:VmFlags.Reserved|}) != 0 || vma.Flags.HasFlag({|#1:VmFlags.Reserved|}))
                    {
                        vma.Flags &= ~{|#2:VmFlags.Reserved|};
                    }

                    _ = nameof(VmFlags.Reserved);
                    return 0;
            """,
            """
                private const VmFlags Legacy = {|#3:VmFlags.Reserved|} | VmFlags.IO;
            """),
        Error(0).WithArguments("is used", "it was removed in 3.7 and does not exist in Linux 7.0 (era E7)", "VM_DONTEXPAND | VM_DONTDUMP", ""),
        Error(1), Error(2), Error(3));

    public static TheoryData<string, string> SetShapes => new()
    {
        { "compound assignment", "vma.Flags |= VmFlags.Reserved | VmFlags.DontCopy;" },
        { "plain assignment", "vma.Flags = vma.Flags | VmFlags.Reserved;" },
        { "VmFlagsSet", "kernel.VmFlagsSet(vma, VmFlags.Reserved);" },
        { "local", "var flags = VmFlags.DontCopy;\n        flags |= VmFlags.Reserved;\n        vma.Flags |= flags;" },
        { "conditional", "vma.Flags |= file.Flags == 0 ? VmFlags.Reserved : VmFlags.DontCopy;" },
        { "switch arm", "switch ((int)file.Flags) { case 1: vma.Flags |= VmFlags.Reserved; break; }" },
        { "object initializer", "var spec = new Spec { Flags = VmFlags.Reserved };\n        vma.Flags |= spec.Flags;" },
    };

    [Theory]
    [MemberData(nameof(SetShapes))]
    public async Task Flow_tells_which_vma_gets_it(string shape, string statements)
    {
        _ = shape;
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Driver(
            "        " + statements + "\n        return 0;",
            """
                private sealed class Spec
                {
                    public VmFlags Flags { get; init; }
                }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.StartsWith("VM_RESERVED is set on 'vma': it was removed in 3.7", diagnostic.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public Task Using_static_and_helper() => Verify.VerifyAsync("""
        using DriverKit.Runtime;
        using static DriverKit.Runtime.VmFlags;

        class Driver
        {
            int Mmap(OpenFile file, VmArea vma)
            {
                Legacy(vma);
                return 0;
            }

            static void Legacy(VmArea area) => area.Flags |= {|#0:Reserved|} | DontCopy;
        }
        """,
        Error(0).WithArguments("is set on 'area'", "it was removed in 3.7 and does not exist in Linux 7.0 (era E7)", "VM_DONTEXPAND | VM_DONTDUMP", ""));

    [Fact]
    public Task Remap_on_the_same_vma_offers_dropping_it() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= {|#0:VmFlags.Reserved|} | VmFlags.IO;
                    return kernel.RemapPfnRange(vma, vma.Start, new Pfn(0x100), vma.Length, vma.PageProt);
            """),
        Error(0).WithArguments("is set on 'vma'", "it was removed in 3.7 and does not exist in Linux 7.0 (era E7)", "VM_DONTEXPAND | VM_DONTDUMP",
            ", or drop it: RemapPfnRange on the same VMA sets what it stood for"));

    [Fact]
    public Task Code_without_DriverKit_is_not_analyzed() => new AnalyzerTest<Analyzer>
    {
        ReferenceDriverKitRuntime = false,
        TestCode = """
            enum VmFlags : ulong { Reserved = 0x80000 }

            class Driver
            {
                VmFlags flags = VmFlags.Reserved | (VmFlags)0x80000;
            }
            """,
    }.RunAsync();

    // ---- eras ---------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(Eras.E0, DiagnosticSeverity.Warning)]
    [InlineData(Eras.E1, DiagnosticSeverity.Warning)]
    [InlineData(Eras.E4Last, DiagnosticSeverity.Warning)]
    [InlineData(Eras.E5, DiagnosticSeverity.Error)]
    [InlineData(Eras.E6, DiagnosticSeverity.Error)]
    public async Task Error_from_3_7_warning_before(string version, DiagnosticSeverity severity)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(
            new Analyzer(),
            Driver("""
                        vma.Flags |= VmFlags.Reserved;
                        return 0;
                """),
            version);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Contains($"Linux {version}", diagnostic.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public Task Build_property_and_editorconfig_precedence() => new AnalyzerTest<Analyzer>
    {
        TestCode = Driver("""
                    vma.Flags |= {|#0:VmFlags.Reserved|};
                    return 0;
            """),
        BuildProperties = { ["DriverKitKernelVersion"] = "7.0" },
        EditorConfig = """
            [*.cs]
            driverkit.kernel_version = 3.6
            """,
        ExpectedDiagnostics = { Warning(0) },
    }.RunAsync();

    [Fact]
    public Task Unparsable_version_falls_back_to_the_newest_era() => new AnalyzerTest<Analyzer>
    {
        TestCode = Driver("""
                    vma.Flags |= {|#0:VmFlags.Reserved|};
                    return 0;
            """),
        GlobalConfig = "driverkit.kernel_version = banana",
        ExpectedDiagnostics = { Error(0) },
    }.RunAsync();

    // ---- numeric values -----------------------------------------------------------------------------------------

    [Fact]
    public Task Numeric_shim_is_its_own_finding() => Verify.VerifyAsync(
        Driver("""
                    const ulong VM_RESERVED = 0x00080000;
                    vma.Flags |= {|#0:(VmFlags)VM_RESERVED|};
                    VmFlags none = 0;
                    vma.Flags |= none | (VmFlags)0;
                    return 0;
            """),
        Numeric(0).WithArguments("(VmFlags)VM_RESERVED", "0x80000",
            "in Linux 7.0 (era E7) bit 0x80000 means VM_LOCKONFAULT; it was VM_RESERVED up to 3.6 and is VM_LOCKONFAULT from 4.4, and DriverKit's VmFlags reads it as LockOnFault"));

    /// <summary>The casts are found from the text: each way of spelling the type a cast ends with must be seen.</summary>
    [Theory]
    [InlineData("(VmFlags)0x80000")]
    [InlineData("( VmFlags )0x80000")]
    [InlineData("(DriverKit.Runtime.VmFlags)0x80000")]
    [InlineData("(global::DriverKit.Runtime.VmFlags)0x80000")]
    [InlineData("(VmFlags/* bits */)0x80000")]
    [InlineData("(VmFlags\n        )0x80000")]
    public Task Numeric_cast_spellings(string cast) => Verify.VerifyAsync(
        Driver($$"""
                    vma.Flags |= {|#0:{{cast}}|};
                    return 0;
            """),
        Numeric(0));

    [Theory]
    [InlineData(Eras.E4Last, "bit 0x80000 means VM_RESERVED")]
    [InlineData("4.3", "bit 0x80000 means no flag")]
    [InlineData("4.4", "bit 0x80000 means VM_LOCKONFAULT")]
    public async Task Numeric_message_names_the_bit_of_the_era(string version, string text)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(
            new Analyzer(),
            Driver("""
                        vma.Flags |= (VmFlags)0x80000;
                        return 0;
                """),
            version);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Contains(text, diagnostic.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public Task Fix_names_numeric_flags() => new CodeFixTest<Analyzer, ReplaceReservedFlagCodeFix>
    {
        TestCode = Driver("""
                    vma.Flags |= {|#0:(VmFlags)0x4400|}; // BAR window
                    return 0;
            """),
        ExpectedDiagnostics = { Numeric(0) },
        FixedCode = Driver("""
                    vma.Flags |= VmFlags.PfnMap | VmFlags.IO; // BAR window
                    return 0;
            """),
        CodeActionEquivalenceKey = ReplaceReservedFlagCodeFix.NameKey,
    }.RunAsync();

    // ---- code fix -----------------------------------------------------------------------------------------------

    [Fact]
    public Task Fix_replaces_in_flag_writes_and_constants_but_not_in_tests() => new CodeFixTest<Analyzer, ReplaceReservedFlagCodeFix>
    {
        TestCode = Driver("""
                    // legacy
                    vma.Flags |= {|#0:VmFlags.Reserved|} | VmFlags.DontCopy;
                    kernel.VmFlagsSet(vma, {|#1:VmFlags.Reserved|});
                    if ((vma.Flags & {|#2:VmFlags.Reserved|}) != 0) { }
                    return 0;
            """,
            """
                private const VmFlags Legacy = {|#3:VmFlags.Reserved|};
            """),
        ExpectedDiagnostics = { Error(0), Error(1), Error(2), Error(3) },
        FixedCode = Driver("""
                    // legacy
                    vma.Flags |= VmFlags.DontExpand | VmFlags.DontDump | VmFlags.DontCopy;
                    kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump);
                    if ((vma.Flags & {|#2:VmFlags.Reserved|}) != 0) { }
                    return 0;
            """,
            """
                private const VmFlags Legacy = VmFlags.DontExpand | VmFlags.DontDump;
            """),
        FixedExpectedDiagnostics = { Error(2) },
    }.RunAsync();

    [Fact]
    public Task Fix_drops_it_when_remap_sets_the_flags() => new CodeFixTest<Analyzer, ReplaceReservedFlagCodeFix>
    {
        TestCode = Driver("""
                    vma.Flags |= {|#0:VmFlags.Reserved|} | VmFlags.IO;
                    kernel.VmFlagsSet(vma, {|#1:VmFlags.Reserved|}); // was needed in 2.4
                    return kernel.RemapPfnRange(vma, vma.Start, new Pfn(0x100), vma.Length, vma.PageProt);
            """),
        ExpectedDiagnostics = { Error(0), Error(1) },
        CodeActionEquivalenceKey = ReplaceReservedFlagCodeFix.RemoveKey,
        FixedCode = Driver("""
                    vma.Flags |= VmFlags.IO;
                    return kernel.RemapPfnRange(vma, vma.Start, new Pfn(0x100), vma.Length, vma.PageProt);
            """),
    }.RunAsync();

    /// <summary>
    /// The Remove fix is for a flag every path maps with remap_pfn_range, which sets what VM_RESERVED stood for; where one path
    /// installs a fault handler instead, dropping the flag would leave that path without VM_DONTEXPAND | VM_DONTDUMP, so only
    /// the Replace fix is offered.
    /// </summary>
    [Fact]
    public async Task No_remove_fix_when_only_some_paths_remap()
    {
        var diagnostic = Assert.Single(await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Driver("""
                    vma.Flags |= VmFlags.Reserved;
                    if (vma.Pgoff == 0)
                        return kernel.RemapPfnRange(vma, vma.Start, new Pfn(0x100), vma.Length, vma.PageProt);
                    vma.Ops = new VmOperations();
                    return 0;
            """), "6.1"));
        Assert.False(diagnostic.Properties.ContainsKey(DriverKitAnalyzers::DriverKit.Analyzers.Engine.ReservedReplacement.RemapPropertyName));
    }

    [Fact]
    public Task Fix_with_using_static() => Verify.VerifyFixAsync("""
        using DriverKit.Runtime;
        using static DriverKit.Runtime.VmFlags;

        class Driver
        {
            int Mmap(OpenFile file, VmArea vma)
            {
                vma.Flags |= DontCopy | {|#0:Reserved|};
                return 0;
            }
        }
        """,
        Error(0),
        """
        using DriverKit.Runtime;
        using static DriverKit.Runtime.VmFlags;

        class Driver
        {
            int Mmap(OpenFile file, VmArea vma)
            {
                vma.Flags |= DontCopy | DontExpand | DontDump;
                return 0;
            }
        }
        """);

    [Fact]
    public Task No_fix_where_it_is_tested_or_cleared() => Verify.VerifyNoFixAsync(
        Driver("""
                    vma.Flags &= ~{|#0:VmFlags.Reserved|};
                    return vma.Flags.HasFlag({|#1:VmFlags.Reserved|}) ? 1 : 0;
            """),
        Error(0), Error(1));
}
