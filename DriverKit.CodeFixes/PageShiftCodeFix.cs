using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace DriverKit.CodeFixes;

/// <summary>DK0008: <c>new Pfn(bytes)</c> becomes <c>new Pfn(bytes &gt;&gt; Kernel.PageShift)</c>, the frame the byte address lies in.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PageShiftCodeFix)), Shared]
public sealed class PageShiftCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.PhysAddrPassedAsPfn);

    private protected override string Form => FixForms.ByteAddress;

    private protected override string Title => "Shift the byte address right by PageShift";

    private protected override string EquivalenceKey => "DK0008.PageShift";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        if (NodeAt<BaseObjectCreationExpressionSyntax>(editor, diagnostic.Location) is not { ArgumentList.Arguments: { Count: 1 } arguments }
            || !planned.Add(arguments[0]))
        {
            return false;
        }

        var argument = arguments[0];

        editor.ReplaceNode(argument.Expression, (node, _) =>
        {
            var bytes = (ExpressionSyntax)node;
            var shift = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, RuntimeType("Kernel"), SyntaxFactory.IdentifierName("PageShift"));
            return SyntaxFactory.BinaryExpression(
                    SyntaxKind.RightShiftExpression,
                    SyntaxFactory.ParenthesizedExpression(bytes.WithoutTrivia()).WithAdditionalAnnotations(Simplifier.Annotation),
                    shift)
                .WithTriviaFrom(bytes);
        });
        return true;
    }
}
