extern alias DriverKitAnalyzers;

using System.Collections.Immutable;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// The analyzers and fixes never throw (AD0001): on empty and garbage sources, and on every prefix and token-deleted variant of
/// drivers that exercise all rules — the half-typed code an IDE analyzes on every keystroke.
/// </summary>
public class RobustnessTests
{
    /// <summary>A driver that triggers every rule, written to be cut to pieces.</summary>
    internal const string KitchenSink = """
        using DriverKit.Runtime;
        using static DriverKit.Runtime.VmFlags;

        class Sink
        {
            private const VmFlags Legacy = Reserved | (VmFlags)0x80000;
            private readonly Kernel kernel;
            private readonly Page[] pages = new Page[4];
            private KernelAddr buf;
            private readonly VmOperations ops;

            Sink(Kernel kernel)
            {
                this.kernel = kernel;
                ops = new VmOperations { Fault = vmf => { vmf.Page = pages[vmf.Pgoff]; return 0; }, NoPage = (vma, a) => pages[0] };
                kernel.RegisterChrdev("/dev/sink", new FileOperations { Mmap = Mmap, Open = (i, f) => { buf = kernel.GetFreePages(Gfp.Kernel, 1); kernel.SetPageReserved(kernel.VirtToPage(buf)); return 0; } });
            }

            int Mmap(OpenFile file, VmArea vma)
            {
                vma.Ops = ops;
                vma.Flags |= (file.Flags == 0 ? Locked : Legacy) | VmFlags.IO;
                switch ((int)file.Flags) { case 1: Helper(vma); break; default: kernel.VmFlagsSet(vma, DontExpand | DontDump); break; }
                foreach (var page in pages) { kernel.LockPage(page); kernel.Dma.Submit(page, 0, new byte[4]); }
                return kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(buf).ToPfn(), vma.Length, vma.PageProt);
            }

            static void Helper(VmArea area) { area.Flags = area.Flags & ~Reserved | LockOnFault; Helper(area); }

            void Release() { kernel.FreePages(buf, 1); kernel.SetPageLocked(pages[0]); }
        }
        """;

    /// <summary>A driver that triggers DK0007, DK0008, DK0010, DK0016, DK0018 and DK0019, written to be cut to pieces.</summary>
    internal const string MappingSink = """
        using System.Threading;
        using DriverKit.Runtime;

        class Maps
        {
            private readonly Kernel kernel;
            private readonly VmallocAddr ring;
            private readonly KernelAddr obj;
            private readonly Page block;
            private readonly MmioRegion regs;
            private readonly VmOperations ops;
            private int users;

            Maps(Kernel kernel, MmioDevice device)
            {
                this.kernel = kernel;
                ring = kernel.Vmalloc(4 * Kernel.PageSize);
                obj = kernel.Kmalloc(64, Gfp.Kernel);
                block = kernel.AllocPages(Gfp.Kernel, 2);
                regs = kernel.RegisterMmioRegion("regs", Kernel.PageSize, device);
                ops = new VmOperations { Close = MapsClose, Fault = vmf => kernel.VmfInsertPfn(vmf.Vma, vmf.Address, regs.StartPfn) };
            }

            int Mmap(OpenFile file, VmArea vma)
            {
                ulong phys;
                int ret;

                phys = kernel.VirtToPhys(obj).Value;
                vma.Ops = ops;
                users++;
                switch (vma.Pgoff)
                {
                    case 0: return kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(ring), vma.Length, vma.PageProt);
                    case 1: return kernel.RemapPfnRange(vma, vma.Start, new Pfn(phys), vma.Length, Kernel.PgprotNoncached(vma.PageProt));
                    case 2: return kernel.RemapPfnRange(vma, vma.Start, regs.StartPfn, vma.Length, vma.PageProt);
                    case 3: return kernel.VmIomapMemory(vma, regs.Start, regs.Size);
                }

                for (ulong i = 0; i < 4; i++)
                    kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + i));
                ret = kernel.VmInsertPage(vma, vma.Start, kernel.VirtToPage(obj));
                return ret;
            }

            void MapsClose(VmArea vma) { users--; Interlocked.Decrement(ref users); kernel.PutPage(block); }
        }
        """;

    /// <summary>A driver that triggers both forms of DK0014 and the free-while-mapped form of DK0018, written to be cut to pieces.</summary>
    internal const string RangeSink = """
        using DriverKit.Runtime;

        class Ranges
        {
            private readonly Kernel kernel;
            private readonly MmioRegion regs;
            private Page block;
            private readonly Page[] table = new Page[4];
            private int maps;

            Ranges(Kernel kernel, MmioDevice device)
            {
                this.kernel = kernel;
                regs = kernel.RegisterMmioRegion("r", Kernel.PageSize, device);
                block = kernel.AllocPages(Gfp.Kernel | Gfp.Comp, 2);
                kernel.RegisterChrdev("/dev/r", new FileOperations { Mmap = Mmap, Ioctl = Ioctl });
            }

            int Mmap(OpenFile file, VmArea vma)
            {
                ulong i;
                ulong off = vma.Pgoff << Kernel.PageShift;
                if ((vma.Flags & VmFlags.Write) != 0) return -Errno.EPERM;
                if (off + vma.Length > 4 * Kernel.PageSize) goto fail;
                vma.Ops = new VmOperations { Fault = vmf => { vmf.Page = table[vmf.Pgoff]; return 0; }, Open = v => maps++ };
                for (i = 0; i < vma.Pages; i++) kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + i));
                return kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn + vma.Pgoff, vma.Length, Kernel.PgprotNoncached(vma.PageProt));
            fail:
                return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + vma.Pgoff, vma.Length, vma.PageProt);
            }

            long Ioctl(OpenFile file, uint cmd, ulong arg)
            {
                switch (cmd) { case 1: Drop(); break; default: return kernel.VmfInsertPfn(null!, default, kernel.PageToPfn(block) + arg) == 0 ? 0 : -1; }
                return 0;
            }

            void Drop() { kernel.FreePages(block, 2); block = default; }
        }
        """;

    private static readonly ImmutableArray<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer> AllAnalyzers = RuleCatalogTests.Analyzers;

    [Theory]
    [InlineData("")]
    [InlineData("class")]
    [InlineData("}}}{{{ ;;; using static ; VmFlags.Locked |=")]
    [InlineData("using DriverKit.Runtime; class C { int M(VmArea v) { v.Flags |= ; kernel.SetPageReserved(; return } }")]
    [InlineData("using DriverKit.Runtime; class C { void M(VmArea v, Kernel k) => v.Ops = new VmOperations { Fault = , NoPage = Missing }; }")]
    [InlineData("using DriverKit.Runtime; class C { VmFlags F => (VmFlags)unknown | VmFlags.Nope | Locked; void M(VmArea v) { v.Flags = F; } }")]
    [InlineData("using DriverKit.Runtime; class C { void M(VmArea v) { goto l; l: v.Flags |= VmFlags.Locked; try { throw null!; } catch { v.Flags |= VmFlags.IO; } finally { v.Flags &= ~VmFlags.IO; } } }")]
    [InlineData("using DriverKit.Runtime; class C { void M(VmArea vma) { Outer(vma); void Outer(VmArea v) { Inner(v); void Inner(VmArea w) => w.Flags |= VmFlags.Locked; } } }")]
    [InlineData("using DriverKit.Runtime; class C { void M(VmArea vma) { System.Action<VmArea> a = v => { Inner(v); void Inner(VmArea w) => w.Flags |= VmFlags.Locked; }; a(vma); } }")]
    [InlineData("using DriverKit.Runtime; class C { VmOperations O => new VmOperations { Close = X, Close = Y, Fault = }; void X(VmArea v) { } void Y(VmArea v) { } }")]
    [InlineData("using DriverKit.Runtime; class C { int M(Kernel k, VmArea v) { k.RemapPfnRange(v, v.Start, new Pfn(, v.Length, ); k.VmInsertPage(v, , k.VirtToPage(k.Kmalloc(1, ))); return new Pfn(k.VirtToPhys(default).Value >> ).Value; } }")]
    [InlineData("using DriverKit.Runtime; class C { int M(Kernel k, VmArea v, MmioRegion r) => k.RemapPfnRange(v, v.Start, r.StartPfn + , v.Length, Kernel.PgprotNoncached()); }")]
    [InlineData("using DriverKit.Runtime; class C { int M(Kernel k, VmArea v) { for (ulong i = 0; i < v.Pages; ) k.VmInsertPage(v, v.Start, k.PfnToPage(new Pfn(i) + )); if ((v.Pgoff << ) + v.Length > ) return; return k.RemapPfnRange(v, v.Start, new Pfn(v.Pgoff), v.End - , v.PageProt); } }")]
    [InlineData("using DriverKit.Runtime; class C { int M(VmArea v) { if ((v.Flags & VmFlags.Write) != ) goto ; while (v.Pgoff < ) { } return 0; } long I(OpenFile f, uint c, ulong a) { Free(; return 0; } void Free() => k.FreePages(; }")]
    [InlineData("using DriverKit.Runtime; class C { VmFaultResult F(VmFault vmf) { vmf.Page = t[vmf.Pgoff + ]; return 0; } Page[] t; VmOperations O => new() { Fault = F, Close = , Open = v => n++ }; int n; }")]
    [InlineData("using DriverKit.Runtime; class C { void M(VmArea vma) { System.Func<VmArea, int> a = v => { return Mid(v); int Mid(VmArea x) { System.Action f = () => Inner(x); f(); return 0; void Inner(VmArea w) { w.Flags |= VmFlags.Locked | VmFlags.IO; } } }; a(vma); } }")]
    public async Task Garbage_does_not_crash(string source)
    {
        await AnalyzeAsync(source, referenceRuntime: true);
        await AnalyzeAsync(source, referenceRuntime: false);
    }

    [Fact]
    public async Task Mapping_sink_triggers_the_rules_it_is_cut_for()
    {
        var ids = (await AnalyzeAsync(MappingSink, referenceRuntime: true)).Select(diagnostic => diagnostic.Id).ToHashSet();
        Assert.Superset(new HashSet<string> { "DK0007", "DK0008", "DK0010", "DK0016", "DK0018", "DK0019" }, ids);
    }

    [Fact]
    public async Task Range_sink_triggers_the_rules_it_is_cut_for()
    {
        var diagnostics = await AnalyzeAsync(RangeSink, referenceRuntime: true);
        Assert.Contains(diagnostics, d => d.Descriptor == DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors.UncheckedMmapRange);
        Assert.Contains(diagnostics, d => d.Descriptor == DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors.MayWriteLeftSet);
        Assert.Contains(diagnostics, d => d.Descriptor == DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors.FreedWhileMapped);
    }

    public static TheoryData<string> Seeds => ["KitchenSink", "MappingSink", "RangeSink", "Scullp"];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Every_prefix_of_a_driver_is_analyzed_and_fixed_without_exceptions(string seed)
    {
        var source = Seed(seed);
        // Cuts right after the characters where typing stops most often, sampled to keep the test around a second per seed.
        var cuts = Enumerable.Range(1, source.Length).Where(end => ".(|=,{;".Contains(source[end - 1], StringComparison.Ordinal)).ToList();
        foreach (var length in cuts.Where((_, index) => index % 12 == 0).Append(source.Length / 2).Append(0))
        {
            await AnalyzeAndFixAsync(source[..length], $"{seed}, first {length} characters");
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Drivers_with_a_token_missing_are_analyzed_and_fixed_without_exceptions(string seed)
    {
        var source = Seed(seed);
        var tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().ToList();
        for (var i = 3; i < tokens.Count; i += 41)
        {
            var span = tokens[i].Span;
            await AnalyzeAndFixAsync(source.Remove(span.Start, span.Length), $"{seed} without token {i} '{tokens[i].Text}'");
        }
    }

    private static string Seed(string name) => name switch
    {
        "KitchenSink" => KitchenSink,
        "MappingSink" => MappingSink,
        "RangeSink" => RangeSink,
        _ => File.ReadAllText(Path.Combine(RepositoryRoot.Path, "samples", "Scullp", "ScullpDriver.cs")),
    };

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(string source, bool referenceRuntime, string? version = null)
    {
        var project = Build(source, referenceRuntime, version);
        return await DiagnosticRunner.GetDiagnosticsAsync(project, AllAnalyzers, CompilerDiagnostics.None, "Robustness", CancellationToken.None);
    }

    private static Project Build(string source, bool referenceRuntime, string? version) => ProjectBuilder.Build(
        new ProjectSettings(LanguageVersion.Latest, NullableContextOptions.Enable, OutputKind.DynamicallyLinkedLibrary, referenceRuntime,
            null, version is null ? null : "driverkit.kernel_version = " + version, []),
        [new SourceFile(TestPaths.PrimarySource, source)],
        AllAnalyzers);

    private static async Task AnalyzeAndFixAsync(string source, string what)
    {
        try
        {
            var project = Build(source, referenceRuntime: true, version: null);
            var diagnostics = await DiagnosticRunner.GetDiagnosticsAsync(project, AllAnalyzers, CompilerDiagnostics.None, "Robustness", CancellationToken.None);
            var document = project.Documents.Single();
            foreach (var diagnostic in diagnostics.Where(diagnostic => diagnostic.Location.IsInSource))
            {
                foreach (var fixer in RuleCatalogTests.Fixers.Where(fixer => fixer.FixableDiagnosticIds.Contains(diagnostic.Id)))
                {
                    var actions = new List<CodeAction>();
                    await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
                    foreach (var action in actions)
                    {
                        await action.GetOperationsAsync(CancellationToken.None);
                    }
                }
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{what}:\n{exception}");
        }
    }
}
