using System.Collections.Immutable;
using System.Globalization;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0005: any use of VmFlags.Reserved (VM_RESERVED), an error when the configured kernel is 3.7 or newer (the symbol is gone),
/// a warning before; and, as its own finding, any numeric value cast to VmFlags, whose bits changed meaning across kernels.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class VmReservedAnalyzer : DriverKitAnalyzer
{
    /// <summary>Kernel vm_flags bits that named different flags in different kernels.</summary>
    private static readonly (ulong Bit, VmFlags Old, string OldKernels, VmFlags New, string NewKernels)[] ReusedBits =
    {
        (0x80000, VmFlags.Reserved, "up to 3.6", VmFlags.LockOnFault, "from 4.4"),
        (0x2000000, VmFlags.InsertPage, "in 2.6.15 to 3.6", VmFlags.WipeOnFork, "from 4.14"),
        (0x400, VmFlags.Shm, "up to 2.6.14", VmFlags.PfnMap, "from 2.6.15"),
    };

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.VmReservedObsolete, DiagnosticDescriptors.NumericVmFlags);

    /// <summary>A reference to VmFlags.Reserved spells its name.</summary>
    private static readonly string[] ReservedName = { nameof(VmFlags.Reserved) };

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine)
    {
        var reserved = engine.Symbols.VmFlags.GetMembers(nameof(VmFlags.Reserved)).OfType<IFieldSymbol>().FirstOrDefault();
        context.RegisterSemanticModelAction(tree => Analyze(tree, engine, reserved));
    }

    /// <summary>
    /// Per tree, the operations spelt with the words a finding needs, found by the text search and looked up through the
    /// semantic model: references named Reserved (DK0005) and casts to a spelling of VmFlags (numeric flags). Most trees of
    /// a driver have neither, and nothing is bound.
    /// </summary>
    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine, IFieldSymbol? reserved)
    {
        var cancellationToken = context.CancellationToken;
        var reservedNames = engine.Words.Cached(ReservedName, cancellationToken);
        var spellings = engine.Sources.VmFlagsCastSpellings(cancellationToken);
        foreach (var root in engine.RootsAt(context, reservedNames, spellings))
        {
            if (reserved is not null)
            {
                foreach (var reference in NamedOperations.References(root, reservedNames, cancellationToken))
                {
                    if (reference is IFieldReferenceOperation field && SymbolEqualityComparer.Default.Equals(field.Field, reserved))
                    {
                        AnalyzeReference(context, engine, root, field);
                    }
                }
            }

            foreach (var conversion in NamedOperations.Casts(root, spellings, cancellationToken))
            {
                AnalyzeConversion(context, engine, conversion);
            }
        }
    }

    private static void AnalyzeReference(SemanticModelAnalysisContext context, DriverKitEngine engine, IOperation root, IFieldReferenceOperation reference)
    {
        if (reference.IsInNameOf())
        {
            return;
        }

        var policy = engine.GetPolicy(context.Options, reference.Syntax.SyntaxTree);
        var flow = engine.GetFlagFlow(root, policy, context.CancellationToken);
        // Remove is offered only when every exit the flag reaches maps with remap_pfn_range (whose VM_IO shows here): a path
        // that installs a fault handler instead would lose what VM_RESERVED stood for.
        ExitFact? target = null;
        var remap = true;
        foreach (var exit in flow.ExitFacts)
        {
            if (!flow.IsDriverSource(exit.Fact, (ulong)VmFlags.Reserved, reference.Syntax))
            {
                continue;
            }

            target ??= exit;
            remap &= (exit.Fact.Set.Runtime & (ulong)VmFlags.IO) != 0;
        }

        remap &= target is not null;

        var replacement = ReservedReplacement.For(policy);
        var properties = ImmutableDictionary<string, string?>.Empty.Add(ReservedReplacement.PropertyName, ReservedReplacement.Format(replacement));
        if (remap)
        {
            properties = properties.Add(ReservedReplacement.RemapPropertyName, "true");
        }

        var exists = policy.FlagExists(VmFlags.Reserved);
        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.VmReservedObsolete,
            reference.Syntax.GetLocation(),
            exists ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error,
            additionalLocations: null,
            properties,
            target is { } set ? $"is set on '{set.Key.Display}'{engine.HandlerContext(set.Function, set.Lambda, context.CancellationToken)}" : "is used",
            exists
                ? $"in Linux {policy.Describe()} it only changes accounting, core dumps and merging ('a bit of a mystery'), and it was removed in 3.7"
                : $"it was removed in 3.7 and does not exist in Linux {policy.Describe()}",
            FlagNames.Of(policy, replacement),
            remap ? ", or drop it: RemapPfnRange on the same VMA sets what it stood for" : ""));
    }

    private static void AnalyzeConversion(SemanticModelAnalysisContext context, DriverKitEngine engine, IConversionOperation conversion)
    {
        if (conversion.IsImplicit || !engine.Symbols.IsVmFlags(conversion.Type) || !conversion.Operand.Type.IsIntegral()
            || conversion.ConstantBits() is not { } bits || bits == 0)
        {
            return;
        }

        var policy = engine.GetPolicy(context.Options, conversion.Syntax.SyntaxTree);
        context.ReportVisible(Diagnostic.Create(
            DiagnosticDescriptors.NumericVmFlags,
            conversion.Syntax.GetLocation(),
            conversion.Syntax.ToString(),
            "0x" + bits.ToString("x", CultureInfo.InvariantCulture),
            Meaning(policy, bits)));
    }

    private static string Meaning(EraPolicy policy, ulong bits)
    {
        foreach (var (bit, old, oldKernels, current, newKernels) in ReusedBits)
        {
            if ((bits & bit) == 0)
            {
                continue;
            }

            var now = policy.FlagExists(current) ? policy.KernelName(current) : policy.FlagExists(old) ? policy.KernelName(old) : "no flag";
            return $"in Linux {policy.Describe()} bit 0x{bit.ToString("x", CultureInfo.InvariantCulture)} means {now}; it was " +
                $"{policy.KernelName(old)} {oldKernels} and is {policy.KernelName(current)} {newKernels}, and DriverKit's VmFlags reads it as {(VmFlags)bit}";
        }

        return $"in DriverKit's VmFlags it reads as {FlagNames.Of(policy, (VmFlags)bits)}, and kernels reused vm_flags bits " +
            "(VM_RESERVED's 0x80000 is VM_LOCKONFAULT today)";
    }
}
