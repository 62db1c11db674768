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
/// DK0018 (close without open): adds an Open handler that takes what the Close handler drops — a counter decremented becomes
/// incremented, <c>PutPage</c> becomes <c>GetPage</c>, <c>Interlocked.Decrement</c> becomes <c>Interlocked.Increment</c> — next to
/// the Close method, and sets it in the same VmOperations initializer. Offered only when Close is a method of this document
/// that compiles and whose every statement is one of those, so the new handler is exactly its inverse.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AddOpenHandlerCodeFix)), Shared]
public sealed class AddOpenHandlerCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.FreeWhileMapped);

    private protected override string Form => FixForms.AddOpen;

    private protected override string Title => "Add an Open handler that takes what Close drops";

    private protected override string EquivalenceKey => "DK0018.AddOpen";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        if (NodeAt<AssignmentExpressionSyntax>(editor, diagnostic.Location) is not { Parent: InitializerExpressionSyntax initializer } close
            || close.Right is not IdentifierNameSyntax handler
            || editor.SemanticModel.GetSymbolInfo(handler, cancellationToken).Symbol is not IMethodSymbol method
            || method.DeclaringSyntaxReferences.Length != 1
            || method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not MethodDeclarationSyntax closeMethod
            || closeMethod.SyntaxTree != editor.OriginalRoot.SyntaxTree
            // The new handler copies Close's modifiers, parameters and what it drops, so an error in Close would be written again.
            || CompileChecks.HasErrors(editor.SemanticModel, closeMethod.Span, cancellationToken)
            || Statements(closeMethod) is not { Count: > 0 } statements
            || statements.Select(Invert).ToList() is var inverted && inverted.Any(statement => statement is null)
            || !planned.Add(initializer))
        {
            return false;
        }

        var stem = method.Name.EndsWith("Close", StringComparison.Ordinal) ? method.Name.Substring(0, method.Name.Length - 5) + "Open" : method.Name + "Open";
        // An Open handler this fix made earlier (another VmOperations sharing the Close handler) is used again.
        var existing = method.ContainingType.GetMembers(stem).OfType<IMethodSymbol>()
            .Select(candidate => candidate.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken))
            .OfType<MethodDeclarationSyntax>()
            .FirstOrDefault(candidate => candidate.ParameterList.IsEquivalentTo(closeMethod.ParameterList, topLevel: false)
                && candidate.ReturnType.IsEquivalentTo(closeMethod.ReturnType, topLevel: false)
                && Statements(candidate) is { } body
                && body.Select(statement => statement.WithoutTrivia().ToString()).SequenceEqual(inverted!.Select(statement => statement!.NormalizeWhitespace().ToString())));
        if (existing is not null)
        {
            planned.NameFor(closeMethod, () => stem);
            planned.Add(closeMethod);
        }

        var name = planned.NameFor(closeMethod, () => planned.FreeName(closeMethod.Parent!, stem, candidate => method.ContainingType.GetMembers(candidate).IsEmpty));
        // The handler is a new private method: not an override, without Close's attributes or documentation.
        var open = closeMethod
            .WithAttributeLists(default)
            .WithModifiers(SyntaxFactory.TokenList(closeMethod.Modifiers.Where(modifier =>
                !modifier.IsKind(SyntaxKind.OverrideKeyword) && !modifier.IsKind(SyntaxKind.VirtualKeyword) && !modifier.IsKind(SyntaxKind.SealedKeyword)
                && !modifier.IsKind(SyntaxKind.NewKeyword) && !modifier.IsKind(SyntaxKind.AbstractKeyword)
                && !modifier.IsKind(SyntaxKind.PublicKeyword) && !modifier.IsKind(SyntaxKind.ProtectedKeyword) && !modifier.IsKind(SyntaxKind.InternalKeyword))))
            .WithLeadingTrivia(closeMethod.GetLeadingTrivia().Where(trivia => !trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) && !trivia.IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia)))
            .WithIdentifier(SyntaxFactory.Identifier(name))
            .WithExpressionBody(null)
            .WithSemicolonToken(default)
            .WithBody(SyntaxFactory.Block(inverted!))
            .WithAdditionalAnnotations(Formatter.Annotation);
        if (planned.Add(closeMethod))
        {
            editor.InsertBefore(closeMethod, open);
        }

        editor.ReplaceNode(initializer, (node, _) =>
        {
            var current = (InitializerExpressionSyntax)node;
            var index = current.Expressions.IndexOf(expression => expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "Close" } });
            var assignment = SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName("Open"), SyntaxFactory.IdentifierName(name));
            return current.WithExpressions(current.Expressions.Insert(index < 0 ? current.Expressions.Count : index, assignment));
        });
        return true;
    }

    private static List<StatementSyntax>? Statements(MethodDeclarationSyntax method) =>
        method.Body is { } body ? body.Statements.ToList()
        : method.ExpressionBody is { } arrow ? new List<StatementSyntax> { SyntaxFactory.ExpressionStatement(arrow.Expression) }
        : null;

    /// <summary>The statement that takes what <paramref name="statement"/> drops, or null when it is not a drop this fix knows.</summary>
    private static StatementSyntax? Invert(StatementSyntax statement)
    {
        if (statement is not ExpressionStatementSyntax { Expression: var expression })
        {
            return null;
        }

        ExpressionSyntax? inverse = expression switch
        {
            PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostDecrementExpression } post =>
                SyntaxFactory.PostfixUnaryExpression(SyntaxKind.PostIncrementExpression, post.Operand),
            PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreDecrementExpression } pre =>
                SyntaxFactory.PrefixUnaryExpression(SyntaxKind.PreIncrementExpression, pre.Operand),
            AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SubtractAssignmentExpression } subtract =>
                SyntaxFactory.AssignmentExpression(SyntaxKind.AddAssignmentExpression, subtract.Left, subtract.Right),
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "PutPage" } } put =>
                Syntax.Invocations.Rename(put, "GetPage"),
            InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "Interlocked" }, Name.Identifier.ValueText: "Decrement" } } decrement =>
                Syntax.Invocations.Rename(decrement, "Increment"),
            _ => null,
        };
        return inverse is null ? null : SyntaxFactory.ExpressionStatement(inverse.WithoutTrivia());
    }
}
