extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Engine = DriverKitAnalyzers::DriverKit.Analyzers.Engine.DriverKitEngine;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// Where mapped memory comes from (<c>MemoryProvenance</c>), asked of the argument of each <c>Probe(label, value)</c> call in a
/// driver: the kinds of memory found, with the page allocator's order, Gfp.Comp and SplitPage facts.
/// </summary>
public class MemoryProvenanceTests
{
    private const string Source = """
        using DriverKit.Runtime;

        class Driver
        {
            private readonly Kernel kernel;
            private readonly VmallocAddr ring;
            private readonly KernelAddr small;
            private readonly KernelAddr large;
            private readonly Page block;
            private readonly Page comp;
            private readonly Page split;
            private readonly MmioRegion bar;
            private Pfn barPfn;

            Driver(Kernel kernel, MmioDevice device)
            {
                this.kernel = kernel;
                ring = Make(kernel);
                small = kernel.Kzalloc(64, Gfp.Kernel);
                large = kernel.Kmalloc(3 * 8192, Gfp.Kernel);
                block = kernel.AllocPages(Gfp.Kernel, 3);
                comp = kernel.AllocPages(Gfp.Kernel | Gfp.Comp, 2);
                split = kernel.AllocPages(Gfp.Kernel, 1);
                bar = kernel.RegisterMmioRegion("bar", Kernel.PageSize, device);
                barPfn = BarPfn();
                kernel.RegisterChrdev("/dev/p", new FileOperations { Mmap = Mmap, Ioctl = Ioctl });
            }

            static VmallocAddr Make(Kernel kernel) => kernel.VmallocUser(2 * Kernel.PageSize);

            Pfn BarPfn() => bar.StartPfn;

            void Split() => kernel.SplitPage(split, 1);

            static void Probe(string label, object value) { }

            int Mmap(OpenFile file, VmArea vma)
            {
                Pfn pfn;

                pfn = kernel.VmallocToPfn(ring);
                Probe("vmalloc", pfn);
                Probe("slab", kernel.VirtToPage(small));
                Probe("large kmalloc", kernel.VirtToPhys(large).ToPfn());
                Probe("block", kernel.PfnToPage(kernel.PageToPfn(block) + 1));
                Probe("compound", comp);
                Probe("split", split);
                Probe("mmio", barPfn + vma.Pgoff);
                Probe("constant", new Pfn(0x1000));
                return 0;
            }

            long Ioctl(OpenFile file, uint cmd, ulong arg)
            {
                Probe("ioctl", new Pfn(arg));
                return 0;
            }
        }
        """;

    [Fact]
    public async Task Each_source_is_classified()
    {
        var settings = new ProjectSettings(LanguageVersion.Latest, NullableContextOptions.Enable, OutputKind.DynamicallyLinkedLibrary,
            ReferenceDriverKitRuntime: true, EditorConfig: null, GlobalConfig: null, BuildProperties: []);
        var project = ProjectBuilder.Build(settings, [new SourceFile(TestPaths.PrimarySource, Source)], []);
        var compilation = (await project.GetCompilationAsync())!;
        Assert.Empty(compilation.GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));
        var engine = Engine.Get(compilation)!;
        var tree = compilation.SyntaxTrees.Single();
        var model = compilation.GetSemanticModel(tree);
        var found = new Dictionary<string, string>();
        foreach (var call in tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>().Where(call => call.Expression.ToString() == "Probe"))
        {
            var operation = (IInvocationOperation)model.GetOperation(call)!;
            var label = (string)operation.Arguments[0].Value.ConstantValue.Value!;
            found[label] = string.Join(", ", engine.Provenance.Of(operation.Arguments[1].Value, CancellationToken.None)
                .Select(source => $"{source.Kind}{(source.Order is { } order ? " order " + order : "")}{(source.Compound ? " comp" : "")}{(engine.Provenance.IsSplit(source, CancellationToken.None) ? " split" : "")}")
                .Order(StringComparer.Ordinal));
        }

        Assert.Equal("Vmalloc", found["vmalloc"]);
        Assert.Equal("Slab", found["slab"]);
        Assert.Equal("PageBlock comp", found["large kmalloc"]);
        Assert.Equal("PageBlock order 3", found["block"]);
        Assert.Equal("PageBlock order 2 comp", found["compound"]);
        Assert.Equal("PageBlock order 1 split", found["split"]);
        Assert.Equal("Mmio, UserControlled", found["mmio"]);
        Assert.Equal("", found["constant"]);
        Assert.Equal("UserControlled", found["ioctl"]);
    }
}
