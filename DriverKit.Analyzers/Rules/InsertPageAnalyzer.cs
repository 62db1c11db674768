using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0010: vm_insert_page / vm_map_pages of a page that is not an individual kernel allocation (<see cref="MemoryProvenance"/>):
/// a slab object's page, or a page past the head of a high-order block allocated without Gfp.Comp and never split
/// (<see cref="BlockPages"/>); and a mapping call whose errno is dropped in a function that could return it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class InsertPageAnalyzer : DriverKitAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.InsertPageUnsuitablePage, DiagnosticDescriptors.MappingResultIgnored);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(model => Analyze(model, engine));

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        var cancellationToken = context.CancellationToken;
        foreach (var root in engine.RootsAt(context, engine.Words.Cached(MappingCall.Names, cancellationToken)))
        {
            var policy = engine.GetPolicy(context.Options, root.Syntax.SyntaxTree);
            foreach (var invocation in root.Descendants().OfType<IInvocationOperation>())
            {
                if (MappingCall.From(engine.Symbols, invocation) is not { } call)
                {
                    continue;
                }

                if (call.Api is KernelApi.VmInsertPage or KernelApi.VmMapPages)
                {
                    CheckPage(context, engine, policy, call);
                }

                if (MappingResults.IsIgnored(call) is { } function)
                {
                    context.ReportVisible(Diagnostic.Create(
                        DiagnosticDescriptors.MappingResultIgnored,
                        invocation.Syntax.GetLocation(),
                        FixForms.Properties(FixForms.ReturnError),
                        invocation.TargetMethod.Name,
                        FunctionName(function)));
                }
            }
        }
    }

    private static void CheckPage(SemanticModelAnalysisContext context, DriverKitEngine engine, EraPolicy policy, MappingCall call)
    {
        var cancellationToken = context.CancellationToken;
        // The block question only where the page may lie past a block's head; the slab question always.
        var wanted = MemoryProvenance.Bit(MemoryKind.Slab)
            | (BlockPages.MayBeTail(engine, call, cancellationToken) ? MemoryProvenance.Bit(MemoryKind.PageBlock) : 0);
        var sources = call.Api == KernelApi.VmMapPages
            ? engine.Provenance.OfArrayElements(call.Memory, wanted, cancellationToken)
            : engine.Provenance.Of(call.Memory, wanted, cancellationToken);
        string? what = null;
        string? outcome = null;
        string? advice = null;
        var form = FixForms.None;
        MemorySource? source = sources.FirstOrDefault(candidate => candidate.Kind == MemoryKind.Slab);
        if (source is not null)
        {
            what = "the page of a kmalloc object";
            outcome = policy.VmInsertPageRejectsSlab
                ? "it returns -EINVAL for slab pages"
                : "it maps the slab page, and rmap writes the mapcount word the slab allocator uses for its own state";
            advice = "allocate whole pages for memory user space maps (AllocPages, GetZeroedPage)";
        }
        else if (sources.FirstOrDefault(candidate => BlockPages.HasUnreferencedTails(engine, candidate, cancellationToken)) is { } block)
        {
            source = block;
            form = FixForms.CompoundBlock;
            what = "a page past the head of a high-order block";
            outcome = "the tail pages of a block allocated without __GFP_COMP have refcount 0, which vm_insert_page refuses with -EINVAL (before 2.6.18 it took the reference from 0, and unmapping freed the pages one by one)";
            advice = "allocate the block with Gfp.Comp (or split it with SplitPage and free its pages one by one)";
        }

        if (source is null)
        {
            return;
        }

        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.InsertPageUnsuitablePage,
            call.Invocation.Syntax.GetLocation(),
            source.Allocation is { } allocation ? new[] { allocation.Syntax.GetLocation() } : null,
            FixForms.Properties(form),
            call.Invocation.TargetMethod.Name,
            call.Memory?.Syntax.ToString() ?? "",
            what,
            "'" + source.Display + "'",
            policy.Describe(),
            outcome,
            advice));
    }

    private static string FunctionName(IOperation function) => function switch
    {
        ILocalFunctionOperation local => local.Symbol.Name,
        IAnonymousFunctionOperation => "the lambda",
        _ => function.SemanticModel?.GetDeclaredSymbol(function.Syntax)?.Name ?? "the method",
    };
}
