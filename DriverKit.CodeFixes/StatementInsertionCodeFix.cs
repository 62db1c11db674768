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
/// The base of the fixes that insert statements the analyzer spelt for the configured kernel (in the diagnostic's
/// <see cref="FixForms.Statement"/> property) before the statement at the diagnostic's first additional location. An
/// expression body there (a method's or a lambda's) becomes a block that runs the statements and returns the expression. The
/// place may be in another file than the finding; the fix is offered only where it can edit it, and only when the statements,
/// bound speculatively at that place, have no error (a name hidden there, a value out of scope).
/// </summary>
public abstract class StatementInsertionCodeFix : MappingCodeFix
{
    private protected sealed override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(FixForms.Statement, out var text) || text is null || diagnostic.AdditionalLocations.Count == 0
            || SyntaxFactory.ParseStatement("{" + text + "}") is not BlockSyntax { Statements.Count: > 0 } parsed || parsed.ContainsDiagnostics
            || NodeAt<SyntaxNode>(editor, diagnostic.AdditionalLocations[0]) is not { } anchor)
        {
            return false;
        }

        var statements = parsed.Statements.Select(statement => SyntaxEdits.ParseStatement(statement.ToFullString().Trim())).ToList();
        // The statements repeat names of the code at the place (the page handed out there), so an error in that code would be
        // written a second time.
        if (CompileChecks.HasErrors(editor.SemanticModel, anchor.Span, cancellationToken)
            || !CompileChecks.BindsAt(editor.SemanticModel, anchor.SpanStart, parsed, cancellationToken))
        {
            return false;
        }

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
