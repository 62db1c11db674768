using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// The rules about where mapped memory comes from (<see cref="MemoryProvenance"/>), checked at every mapping call
/// (<see cref="MappingCall"/>):
/// DK0007, a multi-page remap_pfn_range from a pfn of vmalloc memory;
/// DK0008, a byte address turned into a pfn without the page shift (<see cref="AddressUnits"/>), and a slab object's page mapped;
/// DK0016, an MMIO window mapped with a write-back protection, or RAM with an uncached one (<see cref="ProtectionCaching"/>);
/// DK0019, remap_pfn_range of an MMIO window.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MappingOriginAnalyzer : DriverKitAnalyzer
{
    /// <summary>The names of the code this rule looks at: the mapping calls and the Pfn constructor.</summary>
    private static readonly string[] Words = MappingCall.Names.Append("Pfn").ToArray();

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.RemapVmallocAsContiguous,
        DiagnosticDescriptors.PhysAddrPassedAsPfn,
        DiagnosticDescriptors.SlabPageMapped,
        DiagnosticDescriptors.CacheableMmio,
        DiagnosticDescriptors.UncachedRam,
        DiagnosticDescriptors.RemapPfnForIo);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(model => Analyze(model, engine));

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        var cancellationToken = context.CancellationToken;
        var words = engine.Words.Cached(Words, cancellationToken);
        foreach (var root in engine.RootsAt(context, words))
        {
            var policy = engine.GetPolicy(context.Options, root.Syntax.SyntaxTree);
            ValueFlow? flow = null;
            foreach (var operation in root.Descendants())
            {
                switch (operation)
                {
                    case IObjectCreationOperation { Arguments.Length: 1 } creation when creation.Type?.Name == "Pfn" && engine.Symbols.IsAddressType(creation.Type):
                        flow ??= engine.Values.FlowOf(root, cancellationToken);
                        var argument = creation.Arguments[0].Value;
                        if (AddressUnits.Of(engine, flow, argument, cancellationToken) == AddressUnit.Bytes)
                        {
                            context.ReportVisible(Diagnostic.Create(
                                DiagnosticDescriptors.PhysAddrPassedAsPfn, creation.Syntax.GetLocation(), Form(FixForms.ByteAddress), argument.Syntax.ToString(), engine.Symbols.PageSize));
                        }

                        break;
                    case IInvocationOperation invocation when MappingCall.From(engine.Symbols, invocation) is { } call:
                        flow ??= engine.Values.FlowOf(root, cancellationToken);
                        Check(context, engine, policy, flow, call);
                        break;
                }
            }
        }
    }

    private static void Check(SemanticModelAnalysisContext context, DriverKitEngine engine, EraPolicy policy, ValueFlow flow, MappingCall call)
    {
        var cancellationToken = context.CancellationToken;
        var remap = call.Api is KernelApi.RemapPfnRange or KernelApi.IoRemapPfnRange;

        // Ask only the questions this call can have a yes to; most mapping calls need no look across the compilation.
        var wanted = 0;
        if (remap && !IsAtMostOnePage(engine.Symbols.PageSize, flow, call.Size))
        {
            wanted |= MemoryProvenance.Bit(MemoryKind.Vmalloc);
        }

        if (remap || call.Api == KernelApi.VmfInsertPfn)
        {
            wanted |= MemoryProvenance.Bit(MemoryKind.Slab);
        }

        var uncachedHere = false;
        if (call.Api is KernelApi.RemapPfnRange or KernelApi.IoRemapPfnRange or KernelApi.VmIomapMemory or KernelApi.VmfInsertPfn)
        {
            wanted |= MemoryProvenance.Bit(MemoryKind.Mmio);
            uncachedHere = call.Protection is { } protection
                && ProtectionCaching.Of(engine, flow, protection, followVmaStores: false, cancellationToken) == CacheModes.Uncached;
            if (uncachedHere)
            {
                wanted |= MemoryProvenance.Bit(MemoryKind.PageBlock) | MemoryProvenance.Bit(MemoryKind.Vmalloc) | MemoryProvenance.Bit(MemoryKind.Slab);
            }
        }

        var sources = engine.Provenance.Of(call.Memory, wanted, cancellationToken);
        if (sources.Count == 0)
        {
            return;
        }

        var invocation = call.Invocation;
        var location = invocation.Syntax.GetLocation();
        var method = invocation.TargetMethod.Name;
        var memoryText = call.Memory?.Syntax.ToString() ?? "";

        if (remap && sources.FirstOrDefault(source => source.Kind == MemoryKind.Vmalloc) is { } vmalloc && !IsAtMostOnePage(engine.Symbols.PageSize, flow, call.Size))
        {
            var hasRemapVmalloc = policy.MissingApi("Kernel.RemapVmallocRange") is null;
            var advice = hasRemapVmalloc
                ? "allocate it with VmallocUser and map it with RemapVmallocRange"
                : $"remap it one page at a time (RemapVmallocRange arrives in 2.6.18, after Linux {policy.Describe()})";
            var allocations = sources
                .Where(source => source.Kind == MemoryKind.Vmalloc && source.Allocation is not null)
                .Select(source => source.Allocation!.Syntax.GetLocation());
            context.ReportVisible(Diagnostic.Create(
                DiagnosticDescriptors.RemapVmallocAsContiguous,
                location,
                allocations,
                Form(hasRemapVmalloc ? FixForms.RemapVmallocRange : FixForms.None),
                method,
                memoryText,
                call.Size?.Syntax.ToString() ?? "",
                Quote(vmalloc),
                advice));
        }

        if ((remap || call.Api == KernelApi.VmfInsertPfn) && sources.FirstOrDefault(source => source.Kind == MemoryKind.Slab) is { } slab)
        {
            context.ReportVisible(Diagnostic.Create(DiagnosticDescriptors.SlabPageMapped, location, Form(FixForms.None), method, memoryText, Quote(slab)));
        }

        if (call.Api is KernelApi.VmInsertPage or KernelApi.VmMapPages or KernelApi.RemapVmallocRange or KernelApi.VmfInsertMixed)
        {
            return;
        }

        var mmio = sources.FirstOrDefault(source => source.Kind == MemoryKind.Mmio);
        if (mmio is not null)
        {
            var cached = call.Protection is { } explicitProtection
                ? ProtectionCaching.Of(engine, flow, explicitProtection, followVmaStores: true, cancellationToken)
                : ProtectionCaching.OfVmaProtection(engine, flow, call.Invocation, cancellationToken);
            if ((cached & CacheModes.WriteBack) != 0)
            {
                context.ReportVisible(Diagnostic.Create(
                    DiagnosticDescriptors.CacheableMmio,
                    location,
                    Form(FixForms.Noncached),
                    method,
                    Quote(mmio),
                    call.Protection?.Syntax.ToString() ?? "vma.PageProt",
                    call.Protection is not null
                        ? "wrap the protection in Kernel.PgprotNoncached (Kernel.PgprotWritecombine for a frame buffer)"
                        : "set vma.PageProt = Kernel.PgprotNoncached(vma.PageProt) in ->mmap first"));
            }

            if (call.Api == KernelApi.RemapPfnRange)
            {
                context.ReportVisible(Diagnostic.Create(
                    DiagnosticDescriptors.RemapPfnForIo,
                    location,
                    Form(FixForms.IoRemap),
                    memoryText,
                    Quote(mmio),
                    policy.Era >= Era.E5
                        ? "applies pgprot_decrypted: with memory encryption (SME, SEV, TDX) remap_pfn_range maps the registers with the encryption bit"
                        : "encodes the I/O space where the architecture needs it (sparc, mips with 64-bit physical addresses)",
                    policy.MissingApi("Kernel.VmIomapMemory") is null ? ", or VmIomapMemory(vma, start, length) to map the window with its bounds checked" : ""));
            }
        }
        else if (uncachedHere && sources.Any(source => source.Kind is MemoryKind.PageBlock or MemoryKind.Vmalloc or MemoryKind.Slab))
        {
            var ram = sources.First(source => source.Kind is MemoryKind.PageBlock or MemoryKind.Vmalloc or MemoryKind.Slab);
            context.ReportVisible(Diagnostic.Create(DiagnosticDescriptors.UncachedRam, location, Form(FixForms.None), method, Quote(ram)));
        }
    }

    private static ImmutableDictionary<string, string?> Form(string form) => FixForms.Properties(form);

    private static string Quote(MemorySource source) => "'" + source.Display + "'";

    /// <summary>Whether a length is at most one page on every path (a per-page remap of vmalloc memory is correct).</summary>
    private static bool IsAtMostOnePage(ulong pageSize, ValueFlow flow, IOperation? size)
    {
        size = size.WithoutConversions();
        if (size?.ConstantBits() is { } bits)
        {
            return bits <= pageSize;
        }

        if (size is ILocalReferenceOperation && flow.DefinitionsReaching(size) is { Count: > 0 } definitions)
        {
            return definitions.All(definition => definition.Kind == DefinitionKind.Assignment
                && definition.Value.WithoutConversions()?.ConstantBits() is { } value && value <= pageSize);
        }

        return false;
    }
}
