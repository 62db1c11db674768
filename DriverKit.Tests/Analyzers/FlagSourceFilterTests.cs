extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Engine = DriverKitAnalyzers::DriverKit.Analyzers.Engine.DriverKitEngine;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// The flag rules (DK0001, DK0004, DK0005) build a control-flow graph only for blocks whose analysis can find a reported bit
/// (<c>FlagSourceFilter</c>). These tests pin the shapes the filter must follow — bits that reach a block from other files,
/// classes, fields, helpers, lambdas and local functions — with all three rules on; and the blocks it must let through without
/// a graph, which is where the analyzers' cost went.
/// </summary>
public class FlagSourceFilterTests
{
    private static AnalyzerTest Test(string code, params (string Path, string Code)[] more)
    {
        var test = new AnalyzerTest
        {
            TestCode = code,
            Analyzers =
            {
                new DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer(),
                new DriverKitAnalyzers::DriverKit.Analyzers.ReservedVmaFaultAnalyzer(),
                new DriverKitAnalyzers::DriverKit.Analyzers.VmReservedAnalyzer(),
            },
        };
        test.AdditionalSources.AddRange(more);
        return test;
    }

    /// <summary>A driver whose ->mmap body is <paramref name="mmapBody"/>; it has a RAM-page fault handler for DK0004.</summary>
    private static string Driver(string mmapBody, string members = "") => $$"""
        using System;
        using DriverKit.Runtime;

        class Driver
        {
            private readonly Kernel kernel;
            private readonly Page[] pages = new Page[4];
            private readonly VmOperations vmOps;

            Driver(Kernel kernel)
            {
                this.kernel = kernel;
                vmOps = new VmOperations { Fault = Fault };
                kernel.RegisterChrdev("/dev/driver", new FileOperations { Mmap = Mmap });
            }

            int Mmap(OpenFile file, VmArea vma)
            {
        {{mmapBody}}
            }

            private VmFaultResult Fault(VmFault vmf)
            {
                var page = pages[vmf.Pgoff];
                kernel.GetPage(page);
                vmf.Page = page;
                return 0;
            }
        {{members}}
        }
        """;

    // ---- bits from elsewhere: the filter must follow them --------------------------------------------------------

    [Fact]
    public Task Pass_through_helpers_in_other_files() => Test(
        Driver("""
                    {|DK0001:Setup.Map(vma)|};
                    vma.Flags |= VmFlags.IO;
                    return 0;
            """),
        ("Setup.cs", """
            using DriverKit.Runtime;

            static class Setup
            {
                public static void Map(VmArea vma) => {|DK0001:Lock.Apply(vma, 1)|};
            }
            """),
        ("Lock.cs", """
            using DriverKit.Runtime;

            static class Lock
            {
                public static void Apply(VmArea area, int mode)
                {
                    if (mode > 0)
                    {
                        area.Flags |= {|DK0001:Bits.Pin|};
                    }
                }
            }
            """),
        ("Bits.cs", """
            using DriverKit.Runtime;

            static class Bits
            {
                public const VmFlags Pin = VmFlags.Locked;
            }
            """)).RunAsync();

    [Fact]
    public Task Const_of_another_class_in_another_file() => Test(
        Driver("""
                    vma.Flags |= {|DK0001:Bits.Pinned|};
                    return 0;
            """),
        ("Bits.cs", """
            using DriverKit.Runtime;

            static class Bits
            {
                public const VmFlags Pinned = VmFlags.Locked | VmFlags.IO;
            }
            """)).RunAsync();

    [Fact]
    public Task Readonly_field_of_another_class_initialized_from_a_const_elsewhere() => Test(
        Driver("""
                    kernel.VmFlagsSet(vma, {|DK0001:Modes.Device|});
                    return 0;
            """),
        ("Modes.cs", """
            using DriverKit.Runtime;

            static class Modes
            {
                public static readonly VmFlags Device = Bits.Pin | VmFlags.IO;
            }
            """),
        ("Bits.cs", """
            using DriverKit.Runtime;

            static class Bits
            {
                public const VmFlags Pin = VmFlags.LockOnFault;
            }
            """)).RunAsync();

    [Fact]
    public Task Readonly_field_initialized_by_a_helper() => Test(
        Driver("""
                    vma.Flags |= {|DK0001:Modes.Device|};
                    return 0;
            """),
        ("Modes.cs", """
            using DriverKit.Runtime;

            static class Modes
            {
                public static readonly VmFlags Device = Make();

                private static VmFlags Make() => VmFlags.Locked | VmFlags.IO;
            }
            """)).RunAsync();

    [Fact]
    public Task Numeric_cast_and_using_static_in_another_file() => Test(
        Driver("""
                    vma.Flags |= {|DK0001:Bits.Old|} | {|DK0001:Bits.New|};
                    return 0;
            """),
        ("Bits.cs", """
            using DriverKit.Runtime;
            using static DriverKit.Runtime.VmFlags;

            static class Bits
            {
                public const VmFlags Old = {|DK0005:(VmFlags)0x2000|};
                public const VmFlags New = LockOnFault | IO;
            }
            """)).RunAsync();

    [Fact]
    public Task Lambda_passing_the_vma_to_a_helper_in_another_file() => Test(
        Driver("""
                    Action map = () => {|DK0001:Lock.Apply(vma)|};
                    map();
                    return 0;
            """),
        ("Lock.cs", """
            using DriverKit.Runtime;

            static class Lock
            {
                public static void Apply(VmArea area) => area.Flags |= {|DK0001:VmFlags.Locked|} | VmFlags.IO;
            }
            """)).RunAsync();

    [Fact]
    public Task Local_function_passing_the_vma_along() => Test(
        Driver("""
                    {|DK0001:Map(vma)|};
                    return 0;

                    static void Map(VmArea area) => {|DK0001:Lock.Apply(area)|};
            """),
        ("Lock.cs", """
            using DriverKit.Runtime;

            static class Lock
            {
                public static void Apply(VmArea area) => area.Flags |= {|DK0001:VmFlags.Locked|} | VmFlags.IO;
            }
            """)).RunAsync();

    [Fact]
    public Task Conditional_value_from_a_constant_in_another_file() => Test(
        Driver("""
                    vma.Flags |= file.Flags == 0 ? {|DK0001:Bits.Pin|} : VmFlags.DontDump;
                    vma.Flags |= VmFlags.IO;
                    return 0;
            """),
        ("Bits.cs", """
            using DriverKit.Runtime;

            static class Bits
            {
                public const VmFlags Pin = VmFlags.Locked;
            }
            """)).RunAsync();

    [Fact]
    public Task Helper_sets_VM_RESERVED_for_a_vma_with_a_RAM_fault_handler() => Test(
        Driver("""
                    vma.Ops = vmOps;
                    {|DK0004:Legacy.Reserve(vma)|};
                    return 0;
            """),
        ("Legacy.cs", """
            using DriverKit.Runtime;

            static class Legacy
            {
                public static void Reserve(VmArea area) => area.Flags |= {|DK0005:VmFlags.Reserved|};
            }
            """)).RunAsync();

    /// <summary>
    /// A cycle A → B → A where A's bit comes from C, reached after B: an answer for B computed while A was still open must not
    /// be cached as "no", or the block that calls B alone would be skipped.
    /// </summary>
    [Fact]
    public Task Cycle_whose_bit_is_found_after_the_back_edge() => Test(
        Driver("""
                    {|DK0001:Chain.B(vma, 2)|};
                    vma.Flags |= VmFlags.IO;
                    return 0;
            """,
            """
                int Other(OpenFile file, VmArea vma)
                {
                    {|DK0001:Chain.A(vma, 2)|};
                    return 0;
                }
            """),
        ("Chain.cs", """
            using DriverKit.Runtime;

            static class Chain
            {
                public static void A(VmArea vma, int n)
                {
                    {|DK0001:B(vma, n)|};
                    {|DK0001:C(vma)|};
                }

                public static void B(VmArea vma, int n)
                {
                    if (n > 0)
                    {
                        {|DK0001:A(vma, n - 1)|};
                    }
                }

                private static void C(VmArea vma) => vma.Flags |= {|DK0001:VmFlags.Locked|};
            }
            """)).RunAsync();

    // ---- spellings the text search must see (FlagSourceWords) ----------------------------------------------------

    [Fact]
    public Task Alias_of_VmFlags_in_a_numeric_cast() => Test(
        Driver("""
                    vma.Flags |= {|DK0005:{|DK0001:(F)0x2000|}|} | F.IO;
                    return 0;
            """).Replace("using DriverKit.Runtime;", "using DriverKit.Runtime;\nusing F = DriverKit.Runtime.VmFlags;")).RunAsync();

    [Fact]
    public Task Unicode_escape_in_a_member_name() => Test(
        Driver("""
                    vma.Flags |= {|DK0001:Bits.Pin|} | VmFlags.IO;
                    return 0;
            """),
        ("Bits.cs", """
            using DriverKit.Runtime;

            static class Bits
            {
                public const VmFlags Pin = DriverKit.Runtime.VmFlags.Lock\u0065d;
            }
            """)).RunAsync();

    [Fact]
    public Task Constant_of_a_referenced_driver_library()
    {
        var library = CSharpCompilation.Create(
            "DriverLibrary",
            [CSharpSyntaxTree.ParseText("""
                namespace Vendor;

                public static class Modes
                {
                    public const DriverKit.Runtime.VmFlags Pinned = DriverKit.Runtime.VmFlags.Locked | DriverKit.Runtime.VmFlags.IO;
                }
                """)],
            ReferenceAssemblies.Get(includeDriverKitRuntime: true),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var test = Test(Driver("""
                    vma.Flags |= {|DK0001:Vendor.Modes.Pinned|};
                    return 0;
            """));
        test.AdditionalReferences.Add(library.ToMetadataReference());
        return test.RunAsync();
    }

    [Fact]
    public Task Constructor_chained_through_base_with_the_vma() => Test(
        Driver("""
                    _ = new Mapping(vma);
                    return 0;
            """),
        ("Mapping.cs", """
            using DriverKit.Runtime;

            class Pinning
            {
                protected Pinning(VmArea area) => area.Flags |= {|DK0001:VmFlags.Locked|} | VmFlags.IO;
            }

            class Mapping : Pinning
            {
                public Mapping(VmArea area)
                    {|DK0001:: base(area)|}
                {
                }
            }
            """)).RunAsync();

    /// <summary>
    /// Constants the flag analysis does not turn into reports today (a complement, a default parameter value) still reach
    /// the block as reported bits, so the text search must let the block through: the analysis decides, not the search.
    /// </summary>
    [Theory]
    [InlineData("vma.Flags |= ~Bits.Quiet;", "using DriverKit.Runtime; static class Bits { public const VmFlags Quiet = VmFlags.DontExpand; }")]
    [InlineData("vma.Flags |= ~DontExpand;", "global using static DriverKit.Runtime.VmFlags;")]
    [InlineData("Lock.Apply(vma);", "using DriverKit.Runtime; static class Lock { public static void Apply(VmArea area, VmFlags flags = VmFlags.Locked) => area.Flags |= flags; }")]
    [InlineData("vma.Flags |= (F)0x2000;", "global using F = DriverKit.Runtime.VmFlags;")]
    [InlineData("vma.Flags |= ~VmFlags.DontExpand;", "class Other { }")]
    [InlineData("vma.Flags |= VmFlags.DontExpand + 0x2000;", "class Other { }")]
    [InlineData("vma.Flags |= 0x2000 + VmFlags.DontExpand;", "class Other { }")]
    [InlineData("vma.Flags |= (VmFlags.Shared | VmFlags.IO) + 0x2000;", "class Other { }")]
    [InlineData("const VmFlags quiet = VmFlags.Shared;\n        vma.Flags |= quiet + 0x2000;", "class Other { }")]
    [InlineData("Helpers.Quiet(vma);", "using DriverKit.Runtime; static class Helpers { public static void Quiet(VmArea area) { const VmFlags q = VmFlags.Shared; area.Flags |= q + 0x2000; } }")]
    [InlineData("vma.Flags |= Bits.Quiet + 0x2000;", "using DriverKit.Runtime; static class Bits { public const VmFlags Quiet = VmFlags.DontExpand; }")]
    public void Text_search_lets_through_constants_spelt_without_a_reported_name(string statement, string elsewhere)
    {
        var driver = Driver(statement + "\n        return 0;");
        var (engine, body) = Load(driver, "Mmap", elsewhere);
        Assert.True(engine.Sources.TextMayHoldSource(body.Syntax, CancellationToken.None));
        Assert.True(engine.MayReportFlags(body, CancellationToken.None));
    }

    /// <summary>
    /// Plain reads of unreported members, declarations typed VmFlags, helpers that return only unreported bits and method
    /// groups of a carrying helper spell no reported bit: the text search rules such blocks out without walking them.
    /// </summary>
    [Theory]
    [InlineData("vma.Flags |= VmFlags.IO | VmFlags.DontExpand;", "class Other { }")]
    [InlineData("VmFlags wanted = VmFlags.DontDump;\n        vma.Flags |= wanted;", "class Other { }")]
    [InlineData("vma.Flags |= Helpers.Map(io: true);", "using DriverKit.Runtime; static class Helpers { public static VmFlags Map(bool io) => io ? VmFlags.IO | VmFlags.DontDump : VmFlags.DontDump; }")]
    [InlineData("Action<VmArea> later = Helpers.Lock;\n        vma.Flags |= VmFlags.IO;", "using DriverKit.Runtime; static class Helpers { public static void Lock(VmArea area) => area.Flags |= VmFlags.Locked; }")]
    [InlineData("vma.Flags |= VmFlags.IO;", "static class Text { public const string Cafe = \"caf\\u00e9\"; public const string Home = @\"C:\\users\\u\"; }")]
    public void Text_search_rules_out_blocks_without_a_reported_spelling(string statement, string elsewhere)
    {
        var driver = Driver(statement + "\n        return 0;");
        var (engine, body) = Load(driver, "Mmap", elsewhere);
        Assert.False(engine.Sources.TextMayHoldSource(body.Syntax, CancellationToken.None));
        Assert.False(engine.MayReportFlags(body, CancellationToken.None));
    }

    /// <summary>Whether the engine lets the named method's body through to the flag analysis.</summary>
    private static bool MayReportFlags(string code, string method, params string[] more)
    {
        var (engine, body) = Load(code, method, more);
        return engine.MayReportFlags(body, CancellationToken.None);
    }

    /// <summary>The engine of a compilation of <paramref name="code"/> (and <paramref name="more"/>) and the named method's body.</summary>
    private static (Engine Engine, IOperation Body) Load(string code, string method, params string[] more)
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var tree = CSharpSyntaxTree.ParseText(code, options, "/0/Test0.cs");
        var compilation = CSharpCompilation.Create(
            "FilterTest",
            [tree, .. more.Select((text, i) => CSharpSyntaxTree.ParseText(text, options, $"/0/More{i}.cs"))],
            ReferenceAssemblies.Get(includeDriverKitRuntime: true),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));
        var engine = Engine.Get(compilation);
        Assert.NotNull(engine);
        var declaration = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().Single(node => node.Identifier.ValueText == method);
        var body = compilation.GetSemanticModel(tree).GetOperation(declaration);
        Assert.NotNull(body);
        return (engine, body);
    }

    /// <summary>
    /// An IDE edit makes a compilation that shares all trees but one with the last, and the text search reuses the last
    /// search's names when the edited tree adds none. An edit that makes a helper three files away carry a reported bit adds a
    /// name (the helper's), so the search runs again and the ->mmap that reaches it through an unchanged file is let through;
    /// an edit that adds nothing keeps the answers.
    /// </summary>
    [Fact]
    public void An_edit_that_makes_a_helper_carry_a_bit_is_followed_through_unchanged_files()
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var driver = CSharpSyntaxTree.ParseText(Driver("        Middle.Map(vma);\n        return 0;"), options, "/0/Driver.cs");
        var middle = CSharpSyntaxTree.ParseText("using DriverKit.Runtime; static class Middle { public static void Map(VmArea vma) => Low.Apply(vma); }", options, "/0/Middle.cs");
        const string quiet = "using DriverKit.Runtime; static class Low { public static void Apply(VmArea area) => area.Flags |= VmFlags.IO; }";
        var low = CSharpSyntaxTree.ParseText(quiet, options, "/0/Low.cs");
        var before = CSharpCompilation.Create(
            "EditTest",
            [driver, middle, low],
            ReferenceAssemblies.Get(includeDriverKitRuntime: true),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        Assert.False(MayHoldSource(before, driver));

        // An edit elsewhere in the quiet helper's file: nothing new to follow, the answer stays.
        var renamed = low.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(quiet.Replace("area", "target", StringComparison.Ordinal)));
        var unrelated = before.ReplaceSyntaxTree(low, renamed);
        Assert.False(MayHoldSource(unrelated, driver));

        var locked = unrelated.ReplaceSyntaxTree(renamed, renamed.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(quiet.Replace("VmFlags.IO", "VmFlags.Locked | VmFlags.IO", StringComparison.Ordinal))));
        Assert.True(MayHoldSource(locked, driver));
        Assert.True(MayHoldSource(locked, middle));
    }

    /// <summary>Whether the text search of a fresh engine for <paramref name="compilation"/> lets the first method of <paramref name="tree"/> through.</summary>
    private static bool MayHoldSource(Compilation compilation, SyntaxTree tree)
    {
        Assert.Empty(compilation.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));
        var engine = Engine.Get(compilation);
        Assert.NotNull(engine);
        var method = tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().First(node => node.Identifier.ValueText is "Mmap" or "Map");
        return engine.Sources.TextMayHoldSource(method, CancellationToken.None);
    }

    /// <summary>
    /// The flag analysis of a root is computed once for all rules; when the caller that started it is cancelled, the next
    /// caller must get a fresh computation, not the cancellation.
    /// </summary>
    [Fact]
    public void A_flow_cancelled_by_one_caller_is_computed_again_for_the_next()
    {
        var (engine, body) = Load(TypicalDriver, "MmapPinned");
        var policy = engine.GetPolicy(new AnalyzerOptions([]), body.Syntax.SyntaxTree);
        Assert.True(engine.MayReportFlags(body, CancellationToken.None));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            engine.GetFlagFlow(body, policy, cancelled.Token));

        var flow = engine.GetFlagFlow(body, policy, CancellationToken.None);
        Assert.NotEmpty(flow.ExitFacts);
    }

    // ---- blocks without a reported bit: found without a graph, and still nothing reported -------------------------

    [Fact]
    public Task Helpers_that_set_only_unreported_bits_are_not_reported() => Test(
        Driver("""
                    vma.Ops = vmOps;
                    Setup.Map(vma);
                    return kernel.RemapPfnRange(vma, vma.Start, default, vma.Length, vma.PageProt);
            """),
        ("Setup.cs", """
            using DriverKit.Runtime;

            static class Setup
            {
                public static void Map(VmArea vma)
                {
                    vma.Flags |= VmFlags.DontExpand | VmFlags.DontDump;
                    Check(vma);
                }

                private static void Check(VmArea vma) => Map(vma);
            }
            """)).RunAsync();

    private const string TypicalDriver = """
        using System;
        using DriverKit.Runtime;

        class Typical
        {
            private const VmFlags Pin = VmFlags.Locked;
            private static readonly VmFlags Quiet = VmFlags.DontExpand | VmFlags.DontDump;
            private readonly Kernel kernel;
            private readonly VmOperations vmOps;
            private Page buffer;
            private int users;

            Typical(Kernel kernel)
            {
                this.kernel = kernel;
                vmOps = new VmOperations { Open = VmaOpen, Fault = Fault };
            }

            int Open(Inode inode, OpenFile file)
            {
                buffer = kernel.AllocPages(Gfp.Kernel | Gfp.Zero, 2);
                users++;
                return 0;
            }

            long Ioctl(OpenFile file, uint cmd, ulong arg) => cmd switch { 1 => users, _ => -Errno.ENOTTY };

            int CheckRange(VmArea vma) => vma.Pgoff > 4 ? -Errno.EINVAL : 0;

            int MmapRemap(OpenFile file, VmArea vma)
            {
                var err = CheckRange(vma);
                if (err != 0)
                {
                    return err;
                }

                vma.Ops = vmOps;
                vma.Flags |= Quiet;
                VmaOpen(vma);
                return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(buffer), vma.Length, vma.PageProt);
            }

            int MmapInsert(OpenFile file, VmArea vma)
            {
                for (ulong i = 0; i < vma.Pages; i++)
                {
                    kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, buffer + (int)i);
                }

                return 0;
            }

            void VmaOpen(VmArea vma) => users++;

            VmFaultResult Fault(VmFault vmf)
            {
                kernel.GetPage(buffer);
                vmf.Page = buffer;
                return 0;
            }

            int MmapPinned(OpenFile file, VmArea vma)
            {
                vma.Flags |= Pin;
                return 0;
            }

            int MmapThroughHelper(OpenFile file, VmArea vma)
            {
                PinIt(vma);
                return 0;
            }

            static void PinIt(VmArea area) => area.Flags |= VmFlags.LockOnFault;

            int MmapWithLambda(OpenFile file, VmArea vma)
            {
                Action later = () => vma.Flags |= VmFlags.Reserved;
                later();
                return 0;
            }
        }
        """;

    [Theory]
    [InlineData("Open", false)]
    [InlineData("Ioctl", false)]
    [InlineData("CheckRange", false)]
    [InlineData("MmapRemap", false)]
    [InlineData("MmapInsert", false)]
    [InlineData("VmaOpen", false)]
    [InlineData("Fault", false)]
    [InlineData("MmapPinned", true)]
    [InlineData("MmapThroughHelper", true)]
    [InlineData("PinIt", true)]
    [InlineData("MmapWithLambda", true)]
    public void Filter_lets_through_only_blocks_that_can_report(string method, bool analyzed) =>
        Assert.Equal(analyzed, MayReportFlags(TypicalDriver, method));
}
