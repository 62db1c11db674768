extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics.Telemetry;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// How the rules are registered — once per tree, never per block or per type (both measured slower, bench/README.md) — and
/// places code can be that a rule finding its own code roots could miss: top-level statements and their local functions,
/// script code in its implicitly declared class, the other part of a partial type, and a primary constructor's base call.
/// </summary>
public class BlockRegistrationTests
{
    private static AnalyzerTest Test(string code, OutputKind kind, params (string Path, string Code)[] more)
    {
        var test = new AnalyzerTest
        {
            TestCode = code,
            OutputKind = kind,
            Analyzers =
            {
                new DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer(),
                new DriverKitAnalyzers::DriverKit.Analyzers.PageReservedAnalyzer(),
                new DriverKitAnalyzers::DriverKit.Analyzers.VmReservedAnalyzer(),
                new DriverKitAnalyzers::DriverKit.Analyzers.PageLockAsPinAnalyzer(),
            },
        };
        test.AdditionalSources.AddRange(more);
        return test;
    }

    [Fact]
    public Task Top_level_statements_and_their_local_functions() => Test("""
        using DriverKit.Runtime;

        var kernel = new Kernel();
        var page = kernel.AllocPage(Gfp.Kernel);
        {|DK0002:kernel.SetPageReserved(page)|};
        {|DK0006:kernel.LockPage(page)|};
        kernel.RegisterChrdev("/dev/regs", new FileOperations { Mmap = Map });

        static int Map(OpenFile file, VmArea vma)
        {
            vma.Flags |= {|DK0001:VmFlags.Locked|} | VmFlags.IO | {|DK0005:VmFlags.Reserved|};
            return 0;
        }
        """,
        OutputKind.ConsoleApplication).RunAsync();

    [Fact]
    public Task Top_level_statements_beside_a_partial_Program() => Test("""
        using DriverKit.Runtime;

        Program.Map(default!);

        partial class Program
        {
            internal static void Map(VmArea vma) => vma.Flags |= {|DK0001:VmFlags.Locked|} | VmFlags.IO;
        }
        """,
        OutputKind.ConsoleApplication).RunAsync();

    [Fact]
    public Task A_block_whose_words_are_in_another_part_of_its_type() => Test("""
        using DriverKit.Runtime;

        partial class Driver
        {
            int Mmap(OpenFile file, VmArea vma)
            {
                {|DK0001:Pin(vma)|};
                vma.Flags |= VmFlags.IO;
                return 0;
            }
        }
        """,
        OutputKind.DynamicallyLinkedLibrary,
        ("Pinning.cs", """
            using DriverKit.Runtime;

            partial class Driver
            {
                static void Pin(VmArea vma) => vma.Flags |= {|DK0001:VmFlags.Locked|};
            }
            """)).RunAsync();

    [Fact]
    public Task A_primary_constructor_passes_its_vma_to_the_base() => Test("""
        using DriverKit.Runtime;

        class Pinning
        {
            protected Pinning(VmArea area) => area.Flags |= {|DK0001:VmFlags.Locked|} | VmFlags.IO;
        }

        class Mapping(VmArea area) : {|DK0001:Pinning(area)|}
        {
            public VmArea Area { get; } = area;
        }
        """,
        OutputKind.DynamicallyLinkedLibrary).RunAsync();

    /// <summary>
    /// Top-level statements' root is the whole compilation unit, which also holds the types declared after them: a call in
    /// such a type is found once, under the type's member, not again under the top-level statements.
    /// </summary>
    [Fact]
    public Task Top_level_statements_and_a_type_in_the_same_file_report_each_finding_once() => Test("""
        using DriverKit.Runtime;

        var kernel = new Kernel();
        var page = kernel.AllocPage(Gfp.Kernel);
        {|DK0002:kernel.SetPageReserved(page)|};
        new Buffers(kernel).Reserve();

        static void Map(VmArea vma) => vma.Flags |= {|DK0005:VmFlags.Reserved|};

        class Buffers(Kernel kernel)
        {
            public void Reserve() => {|DK0002:kernel.SetPageReserved(kernel.AllocPage(Gfp.Kernel))|};

            public static void Map(VmArea vma) => vma.Flags |= {|DK0005:VmFlags.Reserved|};
        }
        """,
        OutputKind.ConsoleApplication).RunAsync();

    [Fact]
    public async Task Script_code_in_its_implicitly_declared_class()
    {
        var script = CSharpSyntaxTree.ParseText(
            """
            using DriverKit.Runtime;

            int Map(OpenFile file, VmArea vma)
            {
                vma.Flags |= VmFlags.Locked | VmFlags.IO;
                return 0;
            }

            class Pinning
            {
                public static void Pin(VmArea vma) => vma.Flags |= VmFlags.Locked;
            }
            """,
            new CSharpParseOptions(LanguageVersion.Latest, kind: SourceCodeKind.Script));
        var compilation = CSharpCompilation.CreateScriptCompilation("Script", script, ReferenceAssemblies.Get(includeDriverKitRuntime: true));
        Assert.Empty(compilation.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));

        var diagnostics = await compilation
            .WithAnalyzers([new DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer()])
            .GetAnalyzerDiagnosticsAsync();
        // Once each: the script's own method and the class declared inside the script.
        Assert.Equal(["DK0001", "DK0001"], diagnostics.Select(diagnostic => diagnostic.Id));
        Assert.Equal(2, diagnostics.Select(diagnostic => diagnostic.Location.SourceSpan).Distinct().Count());
    }

    /// <summary>
    /// No rule may register a symbol-start action: with an empty one per rule the analyzer driver's own bookkeeping made the
    /// Csc task of the 2,000-file benchmark corpus about 5 s (a third) slower, a cost ReportAnalyzer charges to nobody
    /// (bench/README.md, analyzer cost, step 7).
    /// </summary>
    [Fact]
    public async Task No_rule_registers_symbol_start_actions()
    {
        foreach (var (analyzer, telemetry) in await RegistrationsAsync())
        {
            Assert.True(telemetry.SymbolStartActionsCount == 0, $"{analyzer.GetType().Name} registers {telemetry.SymbolStartActionsCount} symbol-start action(s)");
        }
    }

    /// <summary>
    /// Each code rule registers one semantic-model action and no operation or operation-block action: a callback per block
    /// per rule was about 40 % of DriverKit's time on the benchmark corpus (bench/README.md, analyzer cost, steps 7 and 9).
    /// DK1000 reads only the configuration, at compilation end.
    /// </summary>
    [Fact]
    public async Task Rules_run_once_per_tree()
    {
        var rules = (await RegistrationsAsync()).Where(pair => pair.Analyzer is not DriverKitAnalyzers::DriverKit.Analyzers.KernelVersionSettingAnalyzer).ToList();
        Assert.Equal(12, rules.Count);
        foreach (var (rule, telemetry) in rules)
        {
            Assert.True(
                telemetry.SemanticModelActionsCount == 1 && telemetry.OperationBlockActionsCount == 0 && telemetry.OperationBlockStartActionsCount == 0
                    && telemetry.OperationActionsCount == 0 && telemetry.SyntaxNodeActionsCount == 0,
                $"{rule.GetType().Name}: {telemetry.SemanticModelActionsCount} semantic-model, {telemetry.OperationBlockActionsCount} operation-block, {telemetry.OperationActionsCount} operation, {telemetry.SyntaxNodeActionsCount} syntax-node actions");
        }
    }

    /// <summary>What every DriverKit analyzer registers in a compilation that references DriverKit.Runtime.</summary>
    private static async Task<List<(DiagnosticAnalyzer Analyzer, AnalyzerTelemetryInfo Telemetry)>> RegistrationsAsync()
    {
        var compilation = CSharpCompilation.Create(
            "Registration",
            [CSharpSyntaxTree.ParseText("class C { int M(DriverKit.Runtime.VmArea vma) => 0; }", new CSharpParseOptions(LanguageVersion.Latest))],
            ReferenceAssemblies.Get(includeDriverKitRuntime: true),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var analyzers = typeof(DriverKitAnalyzers::DriverKit.Analyzers.DriverKitAnalyzer).Assembly.GetTypes()
            .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type))
            .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
            .ToImmutableArray();
        Assert.NotEmpty(analyzers);
        var withAnalyzers = compilation.WithAnalyzers(analyzers);
        var registrations = new List<(DiagnosticAnalyzer, AnalyzerTelemetryInfo)>();
        foreach (var analyzer in analyzers)
        {
            registrations.Add((analyzer, await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None)));
        }

        return registrations;
    }

    /// <summary>An editor asks for the diagnostics of a span: a rule running per tree reports only the findings inside it.</summary>
    [Fact]
    public async Task A_span_request_gets_the_findings_in_the_span()
    {
        var tree = CSharpSyntaxTree.ParseText(
            """
            using DriverKit.Runtime;

            class Regs
            {
                int First(VmArea vma) { vma.Flags |= VmFlags.Locked | VmFlags.IO; return 0; }

                int Second(VmArea vma) { vma.Flags |= VmFlags.Locked; return 0; }
            }
            """,
            new CSharpParseOptions(LanguageVersion.Latest),
            "/0/Regs.cs");
        var compilation = CSharpCompilation.Create(
            "Span", [tree], ReferenceAssemblies.Get(includeDriverKitRuntime: true), new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var second = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.MethodDeclarationSyntax>().Last();

        var inSpan = await compilation.WithAnalyzers([new DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer()])
            .GetAnalyzerSemanticDiagnosticsAsync(compilation.GetSemanticModel(tree), second.Span, CancellationToken.None);
        var all = await compilation.WithAnalyzers([new DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer()]).GetAnalyzerDiagnosticsAsync();

        Assert.Equal(2, all.Length);
        var only = Assert.Single(inSpan);
        Assert.True(second.Span.Contains(only.Location.SourceSpan));
        Assert.Equal(DiagnosticSeverity.Warning, only.Severity);
    }
}
