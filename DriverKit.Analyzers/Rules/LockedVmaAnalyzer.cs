using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0001: driver code sets VM_LOCKED or VM_LOCKONFAULT on a VMA — directly, through a local, constant or readonly field,
/// through <c>VmFlagsSet</c>, or in a helper (reported at the call). An error when some path also gives the VMA VM_IO
/// (from the driver or from remap_pfn_range), a warning otherwise.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LockedVmaAnalyzer : DriverKitAnalyzer
{
    private const ulong LockedMask = (ulong)(VmFlags.Locked | VmFlags.LockOnFault);

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.LockedIoMapping);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(tree => Analyze(tree, engine));

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        var policy = engine.GetPolicy(context.Options, context.SemanticModel.SyntaxTree);
        foreach (var root in engine.FlagSourceRoots(context))
        {
            var flow = engine.GetFlagFlow(root, policy, context.CancellationToken);
            var found = new Dictionary<SyntaxNode, (ulong Bits, bool WithIo, ExitFact Exit)>();
            foreach (var exit in flow.ExitFacts)
            {
                var fact = exit.Fact;
                if ((fact.Mask & LockedMask) == 0)
                {
                    continue;
                }

                var withIo = (fact.Mask & (ulong)VmFlags.IO) != 0;
                foreach (var (node, bits) in flow.DriverSources(fact, LockedMask))
                {
                    found[node] = found.TryGetValue(node, out var previous)
                        ? (previous.Bits | bits, previous.WithIo || withIo, previous.Exit)
                        : (bits, withIo, exit);
                }
            }

            foreach (var pair in found.OrderBy(pair => pair.Key.SpanStart))
            {
                var (bits, withIo, exit) = pair.Value;
                context.ReportVisible(Diagnostic.Create(
                    DiagnosticDescriptors.LockedIoMapping,
                    pair.Key.GetLocation(),
                    withIo ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
                    additionalLocations: null,
                    properties: null,
                    exit.Key.Display,
                    FlagNames.Of(policy, (VmFlags)bits),
                    engine.HandlerContext(exit.Function, exit.Lambda, context.CancellationToken),
                    withIo ? " together with VM_IO" : "",
                    policy.Describe(),
                    Consequence(policy, withIo)));
            }
        }
    }

    private static string Consequence(EraPolicy policy, bool withIo) => (policy.DriverLockedHandling, withIo) switch
    {
        (DriverLockedHandling.ChargeLockedVm, true) =>
            "the kernel never pages out VM_IO regions anyway, yet mmap charges the whole mapping to the process's locked_vm and RLIMIT_MEMLOCK",
        (DriverLockedHandling.ChargeLockedVm, false) =>
            "mmap charges the mapping to the process's locked_vm and RLIMIT_MEMLOCK although driver pages are never on the LRU",
        (_, true) => "the kernel never pages out VM_IO regions and silently clears VM_LOCKED on them after ->mmap",
        _ => "driver pages are never on the LRU, so it only charges the process's locked_vm or is stripped from special VMAs",
    };
}
