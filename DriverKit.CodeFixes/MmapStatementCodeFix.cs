using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0011 and DK0015: sets the flags the VMA lacks in its ->mmap handler, with the statement the analyzer spelt for the configured
/// kernel (<c>kernel.VmFlagsSet(vma, VmFlags.DontExpand | VmFlags.DontDump)</c> on 6.x, <c>vma.Flags |= …</c> before), before the
/// first statement of the handler that installs vm_ops, maps or returns. An expression-bodied handler becomes a block. The
/// handler may be in another file than the finding (a fault handler's); the fix is offered only where it can edit it.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MmapStatementCodeFix)), Shared]
public sealed class MmapStatementCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
        DiagnosticIds.InsertPageFromFaultWithoutMixedMap, DiagnosticIds.ExpandableDeviceMapping);

    private protected override string Form => FixForms.MmapStatement;

    private protected override string Title => "Set the VMA's flags in ->mmap";

    private protected override string EquivalenceKey => "DriverKit.MmapStatement";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(FixForms.Statement, out var text) || text is null || diagnostic.AdditionalLocations.Count == 0
            || SyntaxFactory.ParseStatement("{" + text + "}") is not BlockSyntax { Statements.Count: > 0 } parsed || parsed.ContainsDiagnostics
            || NodeAt<SyntaxNode>(editor, diagnostic.AdditionalLocations[0]) is not { } anchor)
        {
            return false;
        }

        var statements = parsed.Statements.Select(statement => (StatementSyntax)SyntaxEdits.ParseStatement(statement.ToFullString().Trim())).ToList();
        switch (anchor)
        {
            case StatementSyntax { Parent: BlockSyntax or SwitchSectionSyntax } statement when planned.Add(statement):
                editor.InsertBefore(statement, statements);
                return true;
            case ArrowExpressionClauseSyntax { Parent: MethodDeclarationSyntax method } arrow when planned.Add(method):
                editor.ReplaceNode(method, method.WithExpressionBody(null).WithSemicolonToken(default)
                    .WithBody(Block(statements, arrow.Expression).WithTrailingTrivia(method.SemicolonToken.TrailingTrivia))
                    .WithAdditionalAnnotations(Formatter.Annotation));
                return true;
            case ExpressionSyntax body when body.Parent is LambdaExpressionSyntax lambda && lambda.Body == body && planned.Add(lambda):
                editor.ReplaceNode(lambda, lambda.WithExpressionBody(null).WithBlock(Block(statements, body)).WithAdditionalAnnotations(Formatter.Annotation));
                return true;
            default:
                return false;
        }
    }

    private static BlockSyntax Block(IEnumerable<StatementSyntax> statements, ExpressionSyntax returned) =>
        SyntaxFactory.Block(statements.Append(SyntaxFactory.ReturnStatement(returned.WithoutTrivia())));
}
