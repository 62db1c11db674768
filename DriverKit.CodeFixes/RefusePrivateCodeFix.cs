using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0020: refuses private (copy-on-write) mappings at the top of ->mmap with the check the analyzer spelt
/// (<c>if ((vma.Flags &amp; VmFlags.Shared) == 0) return -Errno.EINVAL;</c>), so a pfn mapping is never COW.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RefusePrivateCodeFix)), Shared]
public sealed class RefusePrivateCodeFix : StatementInsertionCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.PartialOrCowPfnMap);

    private protected override string Form => FixForms.RefusePrivate;

    private protected override string Title => "Refuse private mappings in ->mmap";

    private protected override string EquivalenceKey => "DK0020.RefusePrivate";
}
