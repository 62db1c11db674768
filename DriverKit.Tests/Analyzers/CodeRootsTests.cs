extern alias DriverKitAnalyzers;

using System.Collections.Concurrent;
using System.Collections.Immutable;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using CodeRoots = DriverKitAnalyzers::DriverKit.Analyzers.Engine.CodeRoots;
using WordOccurrences = DriverKitAnalyzers::DriverKit.Analyzers.Engine.WordOccurrences;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// The rules run once per tree and find the code to analyze themselves (<c>CodeRoots</c>) instead of being handed every
/// operation block by the analyzer driver. These tests hold the roots they find to the roots of the blocks the driver hands
/// out, for every kind of code a file can hold.
/// </summary>
public class CodeRootsTests
{
    private const string Declarations = """
        using System;
        using DriverKit.Runtime;

        enum Mode { Plain = 1, Locked = Plain << 4 }

        [AttributeUsage(AttributeTargets.All)]
        sealed class NoteAttribute(string text) : Attribute
        {
            public string Text { get; } = text;
        }

        class Base(VmArea area)
        {
            public VmArea Area { get; } = area;
        }

        class Driver(VmArea area, int pages = 2) : Base(area)
        {
            private readonly VmFlags wanted = VmFlags.Locked | VmFlags.IO, other = VmFlags.Shared;
            private static int opened;

            public Driver() : this(null!, 1) => opened++;

            ~Driver() => opened--;

            public int Pages { get; set; } = pages;

            public VmFlags Wanted => wanted;

            public VmFlags Other
            {
                get => other;
                set { if (value != other) { Pages++; } }
            }

            public int this[int index, int scale = 3] => index * scale;

            [Note("mmap")]
            public int Mmap(OpenFile file, VmArea vma, int offset = 0)
            {
                vma.Flags |= wanted;
                int Local(int x = 5) => x + offset;
                Func<int, int> lambda = y => y + Local();
                return lambda(0);
            }

            public static Driver operator +(Driver driver, int pages) => driver;

            public static explicit operator int(Driver driver) => driver.Pages;

            public event EventHandler? Changed
            {
                add { opened++; }
                remove { opened--; }
            }
        }

        delegate int Mapper(VmArea vma, int offset = 7);
        """;

    private const string TopLevel = """
        using DriverKit.Runtime;

        var kernel = new Kernel();
        var page = kernel.AllocPage(Gfp.Kernel);
        Helper(page);

        static void Helper(Page page) => System.Console.WriteLine(page);

        partial class Program
        {
            static int count = 4;
        }
        """;

    [Fact]
    public async Task All_finds_the_roots_of_the_blocks_the_driver_hands_out()
    {
        var compilation = Compile();
        var handedOut = await DriverRootsAsync(compilation);
        foreach (var tree in compilation.SyntaxTrees)
        {
            var found = CodeRoots.All(compilation.GetSemanticModel(tree), null, CancellationToken.None).Select(root => Describe(root.Syntax));
            var expected = handedOut.Where(root => root.SyntaxTree == tree).Select(Describe).OrderBy(text => text).ToList();
            var actual = found.OrderBy(text => text).ToList();
            Assert.True(expected.SequenceEqual(actual), "missing:\n" + string.Join("\n", expected.Except(actual)) + "\nextra:\n" + string.Join("\n", actual.Except(expected)));
        }
    }

    [Fact]
    public async Task At_finds_the_root_around_each_identifier_of_it()
    {
        var compilation = Compile();
        var handedOut = await DriverRootsAsync(compilation);
        foreach (var syntax in handedOut)
        {
            var model = compilation.GetSemanticModel(syntax.SyntaxTree);
            foreach (var token in syntax.DescendantTokens().Where(token => token.IsKind(SyntaxKind.IdentifierToken)))
            {
                // Identifiers of code nested in the root (lambdas, local functions) or of declarations inside it belong to it.
                var words = new WordOccurrences(new Dictionary<SyntaxTree, int[]> { [syntax.SyntaxTree] = [token.SpanStart] });
                var roots = CodeRoots.At(model, words, null, null, CancellationToken.None);
                var innermost = handedOut.Where(root => root.SyntaxTree == syntax.SyntaxTree && Holds(root, token)).MinBy(root => root.Span.Length);
                if (innermost == syntax)
                {
                    Assert.Equal([Describe(syntax)], roots.Select(root => Describe(root.Syntax)));
                }
            }
        }
    }

    [Fact]
    public void At_binds_nothing_outside_code_and_keeps_to_the_filter_span()
    {
        var compilation = Compile();
        var tree = compilation.SyntaxTrees[0];
        var model = compilation.GetSemanticModel(tree);
        var text = tree.ToString();
        var usingPosition = text.IndexOf("DriverKit.Runtime;", StringComparison.Ordinal);
        var mmapFlags = text.IndexOf("vma.Flags |= wanted", StringComparison.Ordinal);
        var destructor = text.IndexOf("opened--", StringComparison.Ordinal);
        Assert.True(usingPosition < destructor && destructor < mmapFlags);
        var words = new WordOccurrences(new Dictionary<SyntaxTree, int[]> { [tree] = [usingPosition, destructor, mmapFlags] });

        Assert.Equal(2, CodeRoots.At(model, words, null, null, CancellationToken.None).Count);
        var filtered = CodeRoots.At(model, words, null, new TextSpan(mmapFlags, 1), CancellationToken.None);
        Assert.True(filtered.Count == 1, string.Join("\n", filtered.Select(root => Describe(root.Syntax))));
        Assert.Equal("Mmap", Assert.Single(filtered).Syntax is MethodDeclarationSyntax method ? method.Identifier.Text : "");
        Assert.Empty(CodeRoots.At(model, new WordOccurrences(new Dictionary<SyntaxTree, int[]> { [tree] = [usingPosition] }), null, null, CancellationToken.None));
    }

    /// <summary>
    /// Whether the token is code of the root: a primary constructor's root is its type declaration, whose code is the base
    /// call; top-level statements' root is the compilation unit, whose code is its global statements.
    /// </summary>
    private static bool Holds(SyntaxNode root, SyntaxToken token) => root switch
    {
        TypeDeclarationSyntax type => type.BaseList!.Types.OfType<PrimaryConstructorBaseTypeSyntax>().Single().Span.Contains(token.Span),
        CompilationUnitSyntax => token.Parent!.AncestorsAndSelf().Any(node => node is GlobalStatementSyntax),
        _ => root.Span.Contains(token.Span),
    };

    private static CSharpCompilation Compile()
    {
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Roots",
            [CSharpSyntaxTree.ParseText(Declarations, options, "/0/Declarations.cs"), CSharpSyntaxTree.ParseText(TopLevel, options, "/0/Program.cs")],
            ReferenceAssemblies.Get(includeDriverKitRuntime: true),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        Assert.Empty(compilation.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));
        return compilation;
    }

    /// <summary>The syntax of the root of every operation block the analyzer driver hands to an operation-block action.</summary>
    private static async Task<IReadOnlyList<SyntaxNode>> DriverRootsAsync(Compilation compilation)
    {
        var recorder = new BlockRecorder();
        await compilation.WithAnalyzers([recorder]).GetAnalyzerDiagnosticsAsync();
        Assert.NotEmpty(recorder.Roots);
        return recorder.Roots.Distinct().ToList();
    }

    private static string Describe(SyntaxNode syntax) =>
        $"{syntax.SyntaxTree.FilePath} {syntax.Kind()} {syntax.Span}: {syntax.ToString().Split('\n')[0].Trim()}";

#pragma warning disable RS1036, RS1025, RS1026 // a test recorder, not a shipped analyzer
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class BlockRecorder : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Unused = new("TEST0001", "unused", "unused", "Test", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

        public ConcurrentBag<SyntaxNode> Roots { get; } = [];

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [Unused];

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationBlockAction(block =>
            {
                foreach (var operation in block.OperationBlocks)
                {
                    var root = operation;
                    while (root.Parent is { } parent)
                    {
                        root = parent;
                    }

                    Roots.Add(root.Syntax);
                }
            });
        }
    }
#pragma warning restore RS1036, RS1025, RS1026
}
