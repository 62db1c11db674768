using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0011, DK0015 and DK0017: sets the flags the VMA lacks in its ->mmap handler, with the statement the analyzer spelt for the configured
/// kernel (<c>kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump)</c> on 6.x, <c>vma.Flags |= …</c> before), before the
/// first statement of the handler that installs vm_ops, maps or returns.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MmapStatementCodeFix)), Shared]
public sealed class MmapStatementCodeFix : StatementInsertionCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        DiagnosticIds.InsertPageFromFaultWithoutMixedMap, DiagnosticIds.ExpandableDeviceMapping, DiagnosticIds.MmioWithoutVmIo);

    private protected override string Form => FixForms.MmapStatement;

    private protected override string Title => "Set the VMA's flags in ->mmap";

    private protected override string EquivalenceKey => "DK0015.SetVmaFlags";
}
