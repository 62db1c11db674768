using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0010 (dropped errno): <c>kernel.VmInsertPage(…);</c> becomes <c>var err = kernel.VmInsertPage(…); if (err != 0) { return err; }</c>.
/// Not offered in a function with goto labels, try/finally, using or lock statements: an early return there would skip the
/// cleanup the function's error path does, and that is the author's call.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReturnMappingErrorCodeFix)), Shared]
public sealed class ReturnMappingErrorCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.InsertPageUnsuitablePage);

    private protected override string Form => FixForms.ReturnError;

    private protected override string Title => "Return the error";

    private protected override string EquivalenceKey => "DK0010.ReturnError";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        if (NodeAt<InvocationExpressionSyntax>(editor, diagnostic.Location) is not { Parent: ExpressionStatementSyntax statement } invocation
            || Function(statement) is not { } function
            || function.DescendantNodes().Any(node => node is LabeledStatementSyntax or GotoStatementSyntax or FinallyClauseSyntax or UsingStatementSyntax or LockStatementSyntax)
            || !planned.Add(statement))
        {
            return false;
        }

        var declared = new HashSet<string>(
            function.DescendantTokens().Where(token => token.IsKind(SyntaxKind.IdentifierToken)).Select(token => token.ValueText), StringComparer.Ordinal);
        var model = editor.SemanticModel;
        var name = planned.FreeName(function, "err", candidate => !declared.Contains(candidate) && model.LookupSymbols(statement.SpanStart, name: candidate).IsEmpty);
        var declaration = SyntaxFactory.LocalDeclarationStatement(SyntaxFactory.VariableDeclaration(
                SyntaxFactory.IdentifierName("var"),
                SyntaxFactory.SingletonSeparatedList(SyntaxFactory.VariableDeclarator(SyntaxFactory.Identifier(name))
                    .WithInitializer(SyntaxFactory.EqualsValueClause(invocation.WithoutTrivia())))))
            .WithTriviaFrom(statement);
        var check = SyntaxFactory.IfStatement(
                SyntaxFactory.BinaryExpression(SyntaxKind.NotEqualsExpression, SyntaxFactory.IdentifierName(name), SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(0))),
                SyntaxFactory.Block(SyntaxFactory.ReturnStatement(SyntaxFactory.IdentifierName(name))))
            .WithAdditionalAnnotations(Formatter.Annotation);
        if (statement.Parent is BlockSyntax or SwitchSectionSyntax)
        {
            editor.InsertAfter(statement, check);
            editor.ReplaceNode(statement, declaration);
        }
        else
        {
            editor.ReplaceNode(statement, SyntaxFactory.Block(declaration.WithoutTrivia(), check).WithTriviaFrom(statement).WithAdditionalAnnotations(Formatter.Annotation));
        }

        return true;
    }

    /// <summary>The method, local function or lambda the statement is in.</summary>
    private static SyntaxNode? Function(SyntaxNode statement) =>
        statement.Ancestors().FirstOrDefault(node => node is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax);
}
