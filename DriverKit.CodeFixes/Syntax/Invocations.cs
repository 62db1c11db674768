using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.CodeFixes.Syntax;

/// <summary>Finding runtime calls in syntax, with their operations.</summary>
internal static class Invocations
{
    /// <summary>The invocation a diagnostic is reported on, when it calls one of <paramref name="apis"/>.</summary>
    public static (InvocationExpressionSyntax Syntax, IInvocationOperation Operation)? At(
        SyntaxNode root, SemanticModel model, DriverKitSymbols symbols, Location location, CancellationToken cancellationToken, params KernelApi[] apis)
    {
        if (location.SourceTree != root.SyntaxTree || !root.FullSpan.Contains(location.SourceSpan))
        {
            return null;
        }

        return root.FindNode(location.SourceSpan, getInnermostNodeForTie: true) is InvocationExpressionSyntax syntax
            && model.GetOperation(syntax, cancellationToken) is IInvocationOperation operation
            && apis.Contains(symbols.Classify(operation.TargetMethod))
            ? (syntax, operation)
            : null;
    }

    /// <summary>The expression statement an invocation forms, when it is one.</summary>
    public static ExpressionStatementSyntax? Statement(InvocationExpressionSyntax invocation) => invocation.Parent as ExpressionStatementSyntax;

    /// <summary>The called name of <c>kernel.Name(…)</c> or <c>Name(…)</c>, or null.</summary>
    public static string? Name(InvocationExpressionSyntax invocation) => invocation.Expression switch
    {
        MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
        SimpleNameSyntax name => name.Identifier.ValueText,
        _ => null,
    };

    /// <summary><c>kernel.Old(…)</c> → <c>kernel.New(…)</c>, trivia kept.</summary>
    public static InvocationExpressionSyntax Rename(InvocationExpressionSyntax invocation, string name) => invocation.Expression switch
    {
        MemberAccessExpressionSyntax access => invocation.WithExpression(
            access.WithName(Microsoft.CodeAnalysis.CSharp.SyntaxFactory.IdentifierName(name).WithTriviaFrom(access.Name))),
        IdentifierNameSyntax identifier => invocation.WithExpression(
            Microsoft.CodeAnalysis.CSharp.SyntaxFactory.IdentifierName(name).WithTriviaFrom(identifier)),
        _ => invocation,
    };
}
