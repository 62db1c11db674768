using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// The rules of one reference discipline per VMA, asked of the per-VMA model (<see cref="VmaModel"/>): what ->mmap left the VMA
/// as, and what the handlers of the vm_ops it installed do with it.
/// <list type="bullet">
/// <item>DK0009: vm_insert_page or vm_map_pages on a VMA that ->mmap makes VM_PFNMAP, in ->mmap or in another handler.</item>
/// <item>DK0011: vm_insert_page from a fault handler (or a helper it calls) on a VMA whose ->mmap never sets VM_MIXEDMAP.</item>
/// <item>DK0015: an ->mmap that installs a fault handler or inserts pages and never sets VM_DONTEXPAND.</item>
/// <item>DK0017: vmf_insert_pfn or vmf_insert_mixed of device memory in a handler, on VMAs whose ->mmap never sets VM_IO.</item>
/// <item>
/// DK0020: vmf_insert_pfn on a VMA that ->mmap makes VM_PFNMAP, or remap_pfn_range of a part of the VMA in ->mmap, while ->mmap
/// neither refuses private mappings (a VM_SHARED or VM_MAYSHARE test that leaves) nor touches VM_MAYWRITE.
/// </item>
/// </list>
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class VmaDisciplineAnalyzer : DriverKitAnalyzer
{
    /// <summary>The calls the per-VMA rules judge: the roots that spell one are analyzed (the mapping rules bind them too).</summary>
    private static readonly string[] Words = { "VmInsertPage", "VmMapPages", "VmInsertPages", "VmfInsertPfn", "VmfInsertPfnProt", "VmfInsertMixed", "RemapPfnRange", "IoRemapPfnRange" };

    private const ulong PfnMap = (ulong)VmFlags.PfnMap;

    /// <summary>Locals copied into locals followed before a value counts as unknown.</summary>
    private const int MaxLocalChain = 4;
    private const ulong MixedMap = (ulong)VmFlags.MixedMap;

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.InsertPageIntoPfnMap, DiagnosticDescriptors.InsertPageFromFaultWithoutMixedMap, DiagnosticDescriptors.ExpandableDeviceMapping,
        DiagnosticDescriptors.MmioWithoutVmIo, DiagnosticDescriptors.PartialOrCowPfnMap);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(model => Analyze(model, engine));

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        var cancellationToken = context.CancellationToken;
        var policy = engine.GetPolicy(context.Options, context.SemanticModel.SyntaxTree);
        // The ->mmap handlers of the tree come from the driver model's tables, so functions no table names are never bound here.
        foreach (var mmap in engine.Vmas.MmapsDeclaredIn(context.SemanticModel, policy, cancellationToken))
        {
            if (engine.IsGenerated(mmap.Function.Root(), cancellationToken) || (context.FilterSpan is { } span && !mmap.Function.Syntax.Span.IntersectsWith(span)))
            {
                continue;
            }

            CheckExpandable(context, policy, mmap);
        }

        foreach (var root in engine.RootsAt(context, engine.Words.Cached(Words, cancellationToken)))
        {
            foreach (var invocation in root.Descendants().OfType<IInvocationOperation>())
            {
                if (invocation.Argument(0) is not { } vma)
                {
                    continue;
                }

                switch (engine.Symbols.Classify(invocation.TargetMethod))
                {
                    case KernelApi.VmInsertPage or KernelApi.VmMapPages when policy.MissingApi("Kernel.VmInsertPage") is null:
                        CheckInsert(context, engine, policy, invocation, engine.Vmas.ContextsOf(vma, policy, cancellationToken));
                        break;
                    case KernelApi.VmfInsertPfn or KernelApi.VmfInsertMixed:
                        var contexts = engine.Vmas.ContextsOf(vma, policy, cancellationToken);
                        CheckMmioWithoutIo(context, engine, policy, invocation, contexts);
                        if (engine.Symbols.Classify(invocation.TargetMethod) == KernelApi.VmfInsertMixed || policy.MissingApi("Kernel.VmfInsertPfn") is not null)
                        {
                            break;
                        }

                        CheckCow(context, policy, invocation, "maps pfns into a VM_PFNMAP VMA",
                            "vmf_insert_pfn BUG()s on a COW VM_PFNMAP VMA at its first fault",
                            contexts.Where(vmaContext => !vmaContext.InMmap && (vmaContext.Mmap.MaySet & PfnMap) != 0));
                        break;
                    case KernelApi.RemapPfnRange or KernelApi.IoRemapPfnRange when policy.RemapCowNeedsWholeVma && IsPartial(engine, engine.Values.FlowOf(root, cancellationToken), invocation):
                        CheckCow(context, policy, invocation, "maps a part of the VMA",
                            "remap_pfn_range of a COW VMA must cover all of it (the linear rule), so every private mapping fails with EINVAL",
                            engine.Vmas.ContextsOf(vma, policy, cancellationToken).Where(vmaContext => vmaContext.InMmap));
                        break;
                }
            }
        }
    }

    /// <summary>DK0015.</summary>
    private static void CheckExpandable(SemanticModelAnalysisContext context, EraPolicy policy, MmapState mmap)
    {
        if (mmap.Inserts.IsEmpty && !mmap.InstallsAny("Fault", "NoPage"))
        {
            return;
        }

        // Some path leaves the VMA with a fault handler or inserted pages, and growable.
        var growable = mmap.Exits.Where(exit => (exit & (PseudoBits.FaultOps | PseudoBits.InsertedPages)) != 0 && (exit & (ulong)policy.MremapGrowRejectMask) == 0)
            .Aggregate(0UL, (all, exit) => all | exit);
        var faults = mmap.Tables.SelectMany(table => table.Handlers.Where(handler => handler.Key is "Fault" or "NoPage")).ToList();
        var byFault = faults.Count > 0 && (growable & PseudoBits.FaultOps) != 0;
        var sites = byFault ? mmap.OpsSites : mmap.InsertSites;
        if (growable == 0 || sites.IsEmpty || sites[0].SyntaxTree != context.SemanticModel.SyntaxTree)
        {
            return;
        }

        string what, outcome;
        if (byFault)
        {
            var handler = HandlerName(faults[0].Value);
            what = $"installs vm_ops with the {faults[0].Key} handler '{handler}'";
            outcome = $"the new tail faults into '{handler}' at offsets ->mmap never saw";
        }
        else
        {
            what = "inserts its pages without a fault handler";
            outcome = policy.NoFaultHandlerSigbus
                ? $"in Linux {policy.Describe()} touching the new tail is SIGBUS"
                : $"in Linux {policy.Describe()} touching the new tail maps anonymous pages inside the device mapping";
        }

        var statement = mmap.SetFlagsStatement(policy, ReservedReplacement.For(policy));
        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.ExpandableDeviceMapping,
            sites[0].GetLocation(),
            AnchorLocations(mmap),
            FixForms.Properties(FixForms.MmapStatement).Add(FixForms.Statement, statement),
            mmap.Name,
            what,
            outcome,
            statement));
    }

    /// <summary>DK0009 and DK0011 for one vm_insert_page or vm_map_pages, in every context its VMA may come from.</summary>
    private static void CheckInsert(SemanticModelAnalysisContext context, DriverKitEngine engine, EraPolicy policy, IInvocationOperation insert, IReadOnlyList<VmaContext> contexts)
    {
        var name = insert.TargetMethod.Name;
        var pfnMap = contexts.FirstOrDefault(vma => vma.InMmap
            ? (vma.Mmap.SetBefore(vma.Site) & (PfnMap | MixedMap)) == PfnMap
            : (vma.Mmap.MaySet & PfnMap) != 0 && (vma.Mmap.DriverSet & MixedMap) == 0);
        if (pfnMap.Mmap is { } pfnMmap)
        {
            var by = pfnMmap.Remaps.FirstOrDefault(remap => engine.Symbols.Classify(remap.TargetMethod) is KernelApi.RemapPfnRange or KernelApi.IoRemapPfnRange or KernelApi.VmIomapMemory
                && ((ulong)policy.RemapPfnRangeFlags & PfnMap) != 0) is { } remap
                ? remap.TargetMethod.Name
                : "the driver";
            var outcome = policy.VmInsertPageBugChecks
                ? "vm_insert_page BUG()s on a VM_PFNMAP VMA"
                : "zap asks vm_normal_page, which calls the page special, so its reference and mapcount are never dropped (a leak, then 'Bad page state')";
            context.ReportVisible(Diagnostic.Create(
                DiagnosticDescriptors.InsertPageIntoPfnMap,
                insert.Syntax.GetLocation(),
                FixForms.Properties(FixForms.None),
                name,
                pfnMmap.Name,
                by,
                policy.Describe(),
                outcome));
        }

        // 2.6.15-rc4/rc5: vm_insert_page marks nothing, so there is no unlocked write to report.
        if (policy.MissingApi("Kernel.VmInsertPage") is null && policy.VmInsertPageSetsFlag != VmFlags.None
            && contexts.FirstOrDefault(vma => !vma.InMmap && (vma.Mmap.MaySet & MixedMap) == 0) is { Mmap: { } mmap } outside)
        {
            var fixable = policy.VmInsertPageBugChecks && mmap.Anchor is not null;
            var statement = mmap.SetFlagsStatement(policy, VmFlags.MixedMap);
            var consequence = policy.VmInsertPageBugChecks
                ? $"in Linux {policy.Describe()} it BUG()s there (BUG_ON(mmap_read_trylock)): the fault holds the mmap lock for read, not for write"
                : $"in Linux {policy.Describe()} it writes {policy.KernelName(policy.VmInsertPageSetsFlag)} into vm_flags without the mmap write lock (a data race), and from 3.7 it is a kernel BUG";
            var advice = fixable
                ? $"set VM_MIXEDMAP in '{mmap.Name}' with '{statement}'"
                : "insert the pages from ->mmap, or hand the page to the fault (vmf.Page, with a reference)";
            context.ReportVisible(Diagnostic.Create(
                DiagnosticDescriptors.InsertPageFromFaultWithoutMixedMap,
                insert.Syntax.GetLocation(),
                policy.VmInsertPageBugChecks ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
                fixable ? AnchorLocations(mmap) : null,
                fixable ? FixForms.Properties(FixForms.MmapStatement).Add(FixForms.Statement, statement) : FixForms.Properties(FixForms.None),
                name,
                outside.Role,
                Functions.DisplayName(outside.Handler),
                mmap.Name,
                consequence,
                advice));
        }
    }

    /// <summary>DK0017: a pfn insertion of device memory outside ->mmap, on VMAs whose ->mmap never sets VM_IO.</summary>
    private static void CheckMmioWithoutIo(SemanticModelAnalysisContext context, DriverKitEngine engine, EraPolicy policy, IInvocationOperation insert, IReadOnlyList<VmaContext> contexts)
    {
        if (contexts.FirstOrDefault(vma => !vma.InMmap && (vma.Mmap.MaySet & (ulong)VmFlags.IO) == 0) is not { Mmap: { } mmap } outside
            || insert.Argument(2) is not { } pfn
            || engine.Provenance.Of(pfn, MemoryProvenance.Bit(MemoryKind.Mmio), context.CancellationToken).Count == 0)
        {
            return;
        }

        var flags = policy.FlagExists(VmFlags.DontDump) ? VmFlags.IO | VmFlags.DontDump : VmFlags.IO;
        var statement = mmap.SetFlagsStatement(policy, flags);
        var fixable = mmap.Anchor is not null;
        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.MmioWithoutVmIo,
            insert.Syntax.GetLocation(),
            fixable ? AnchorLocations(mmap) : null,
            fixable ? FixForms.Properties(FixForms.MmapStatement).Add(FixForms.Statement, statement) : FixForms.Properties(FixForms.None),
            insert.TargetMethod.Name,
            "'" + pfn.Syntax + "'",
            outside.Role,
            Functions.DisplayName(outside.Handler),
            mmap.Name,
            statement));
    }

    /// <summary>DK0020, for one call in the contexts where its VMA is a pfn mapping.</summary>
    private static void CheckCow(SemanticModelAnalysisContext context, EraPolicy policy, IInvocationOperation call, string what, string outcome, IEnumerable<VmaContext> contexts)
    {
        if (contexts.FirstOrDefault(vma => !vma.Mmap.RejectsPrivate && !vma.Mmap.MentionsMayWrite) is not { Mmap: { } mmap })
        {
            return;
        }

        var statement = $"if (({mmap.Vma.Name}.Flags & VmFlags.Shared) == 0) return -Errno.EINVAL;";
        var fixable = mmap.Top is not null;
        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.PartialOrCowPfnMap,
            call.Syntax.GetLocation(),
            fixable ? new[] { mmap.Top!.GetLocation() } : null,
            fixable ? FixForms.Properties(FixForms.RefusePrivate).Add(FixForms.Statement, statement) : FixForms.Properties(FixForms.None),
            call.TargetMethod.Name,
            what,
            mmap.Name,
            $"in Linux {policy.Describe()} {outcome}",
            statement));
    }

    /// <summary>A remap whose start is not the VMA's start or whose size is not the VMA's whole length.</summary>
    private static bool IsPartial(DriverKitEngine engine, ValueFlow flow, IInvocationOperation remap) =>
        !(IsVmaMember(engine, flow, remap.Argument(1), "Start") && IsWholeLength(engine, flow, remap.Argument(3)));

    private static bool IsWholeLength(DriverKitEngine engine, ValueFlow flow, IOperation? size, int depth = 0) => size.WithoutConversions() switch
    {
        ILocalReferenceOperation local when depth < MaxLocalChain => AllReaching(flow, local, value => IsWholeLength(engine, flow, value, depth + 1)),
        IPropertyReferenceOperation property => IsVmaMember(engine, flow, property, "Length"),
        IBinaryOperation { OperatorKind: BinaryOperatorKind.Subtract } difference =>
            IsVmaMember(engine, flow, difference.LeftOperand, "End") && IsVmaMember(engine, flow, difference.RightOperand, "Start"),
        IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply or BinaryOperatorKind.LeftShift } scaled =>
            IsVmaMember(engine, flow, scaled.LeftOperand, "Pages") || IsVmaMember(engine, flow, scaled.RightOperand, "Pages"),
        _ => false,
    };

    private static bool IsVmaMember(DriverKitEngine engine, ValueFlow flow, IOperation? operation, string name, int depth = 0) => operation.WithoutConversions() switch
    {
        IPropertyReferenceOperation { Property.Name: var member, Instance: { } instance } => member == name && engine.Symbols.IsVmArea(instance.Type),
        ILocalReferenceOperation local when depth < MaxLocalChain => AllReaching(flow, local, value => IsVmaMember(engine, flow, value, name, depth + 1)),
        _ => false,
    };

    /// <summary>
    /// Whether every value that reaches a read of a local (C style: declared at the top, assigned later) is known and passes; a
    /// local changed in place (<c>addr += PAGE_SIZE</c>) has no value that passes.
    /// </summary>
    private static bool AllReaching(ValueFlow flow, ILocalReferenceOperation local, Func<IOperation, bool> test) =>
        flow.ValuesReaching(local).ToList() is { Count: > 0 } values && values.All(value => value is not null && test(value));

    private static IEnumerable<Location>? AnchorLocations(MmapState mmap) => mmap.Anchor is { } anchor ? new[] { anchor.GetLocation() } : null;

    private static string HandlerName(IOperation handler) => handler switch
    {
        IMethodReferenceOperation reference => reference.Method.Name,
        _ => "(lambda)",
    };
}
