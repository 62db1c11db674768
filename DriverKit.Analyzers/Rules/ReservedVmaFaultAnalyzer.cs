using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0004: driver code sets VM_RESERVED on a VMA that (on the same path) gets vm_ops whose Fault or NoPage handler hands out
/// RAM pages — the 2.6.15-rc1 leak of LDD3's scullp. The handlers are found from the driver model (VmOperations object
/// initializers, the fields and locals holding them), not from method names. An error where the configured kernel leaks
/// (2.6.15-rc1/rc2) or no longer has VM_RESERVED (3.7+), a warning where the pattern is harmless.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ReservedVmaFaultAnalyzer : DriverKitAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.ReservedVmaFaultInsert);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(tree => Analyze(tree, engine));

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        const ulong reserved = (ulong)VmFlags.Reserved;
        var policy = engine.GetPolicy(context.Options, context.SemanticModel.SyntaxTree);
        foreach (var root in engine.FlagSourceRoots(context))
        {
            var flow = engine.GetFlagFlow(root, policy, context.CancellationToken);
            var found = new Dictionary<SyntaxNode, (VmaKey Key, OpsInfo Ops)>();
            foreach (var exit in flow.ExitFacts)
            {
                var fact = exit.Fact;
                if ((fact.Mask & reserved) == 0 || (fact.Mask & PseudoBits.RamFaultOps) == 0 || OpsOf(fact, flow) is not { } ops)
                {
                    continue;
                }

                foreach (var (node, _) in flow.DriverSources(fact, reserved))
                {
                    if (!found.ContainsKey(node))
                    {
                        found.Add(node, (exit.Key, ops));
                    }
                }
            }

            if (found.Count == 0)
            {
                continue;
            }

            var replacement = ReservedReplacement.For(policy);
            var properties = ImmutableDictionary<string, string?>.Empty.Add(ReservedReplacement.PropertyName, ReservedReplacement.Format(replacement));
            foreach (var pair in found.OrderBy(pair => pair.Key.SpanStart))
            {
                var (key, ops) = pair.Value;
                context.ReportVisible(Diagnostic.Create(
                    DiagnosticDescriptors.ReservedVmaFaultInsert,
                    pair.Key.GetLocation(),
                    Severity(policy),
                    additionalLocations: null,
                    properties,
                    key.Display,
                    ops.Role,
                    ops.Handler,
                    Consequence(policy),
                    FlagNames.Of(policy, replacement)));
            }
        }
    }

    private static OpsInfo? OpsOf(FlagFact fact, FlagFlowResult flow)
    {
        foreach (var (node, _) in flow.DriverSources(fact, PseudoBits.RamFaultOps))
        {
            if (flow.Ops.TryGetValue(node, out var ops))
            {
                return ops;
            }
        }

        return null;
    }

    /// <summary>Error where the configured kernel leaks the pages (VM_RESERVED VMAs are not refcounted) or has no VM_RESERVED.</summary>
    private static DiagnosticSeverity Severity(EraPolicy policy) =>
        policy.SpecialPteRule == SpecialPteRule.VmaReserved || !policy.FlagExists(VmFlags.Reserved) ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;

    private static string Consequence(EraPolicy policy)
    {
        if (policy.SpecialPteRule == SpecialPteRule.VmaReserved)
        {
            return $"in Linux {policy.Describe()} the core neither refcounts nor unmaps the pages of a VM_RESERVED VMA, so the reference the handler takes on every fault leaks";
        }

        return policy.FlagExists(VmFlags.Reserved)
            ? $"harmless in Linux {policy.Describe()}, but in 2.6.15-rc1/rc2 every faulted page leaked, and VM_RESERVED is gone from 3.7"
            : $"VM_RESERVED does not exist in Linux {policy.Describe()} (removed in 3.7), and in 2.6.15-rc1/rc2 this shape leaked every faulted page";
    }
}
