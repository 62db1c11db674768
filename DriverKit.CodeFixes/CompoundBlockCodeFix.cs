using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0010 (tail pages): the high-order block whose pages are inserted is allocated with <c>Gfp.Comp</c>, so its tails share the
/// head's reference and vm_insert_page accepts them. The block is still freed whole with <c>FreePages(page, order)</c>, so no
/// other code changes — which is why this fix is preferred to <c>SplitPage</c>, after which every page must be freed on its own.
/// Offered when the allocation is in the same document.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CompoundBlockCodeFix)), Shared]
public sealed class CompoundBlockCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.InsertPageUnsuitablePage);

    private protected override string Form => FixForms.CompoundBlock;

    private protected override string Title => "Allocate the block as a compound page (Gfp.Comp)";

    private protected override string EquivalenceKey => "DK0010.GfpComp";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        if (diagnostic.AdditionalLocations.Count != 1
            || NodeAt<InvocationExpressionSyntax>(editor, diagnostic.AdditionalLocations[0]) is not { } allocation
            || Invocations.Name(allocation) is not ("AllocPages" or "GetFreePages")
            || allocation.ArgumentList.Arguments.FirstOrDefault() is not { } gfp)
        {
            return false;
        }

        if (planned.Add(allocation))
        {
            editor.ReplaceNode(gfp.Expression, (node, _) =>
            {
                var flags = (ExpressionSyntax)node;
                var comp = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, RuntimeType("Gfp"), SyntaxFactory.IdentifierName("Comp"));
                return SyntaxFactory.BinaryExpression(SyntaxKind.BitwiseOrExpression, flags.WithoutTrivia(), comp).WithTriviaFrom(flags);
            });
        }

        return true;
    }
}
