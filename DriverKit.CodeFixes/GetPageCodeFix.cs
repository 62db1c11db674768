using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0012 and DK0013: takes the reference the PTE will own before a fault handler hands out its page, with the statement the analyzer spelt
/// (<c>kernel.GetPage(page);</c>) before the statement that sets <c>vmf.Page</c> or returns the page.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(GetPageCodeFix)), Shared]
public sealed class GetPageCodeFix : StatementInsertionCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.FaultPageWithoutReference, DiagnosticIds.StructPageSpecialMapping);

    private protected override string Form => FixForms.TakeReference;

    private protected override string Title => "Take a reference with GetPage";

    private protected override string EquivalenceKey => "DK0012.GetPage";
}
