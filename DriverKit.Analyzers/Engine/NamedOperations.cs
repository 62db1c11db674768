using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The operations spelt at the positions a <see cref="WordOccurrences"/> found, looked up through the semantic model
/// instead of walking every operation of a block: a call whose method name, or a member reference whose name, is one of
/// the words.
/// </summary>
internal static class NamedOperations
{
    /// <summary>The invocations inside <paramref name="scope"/> whose method name is one of the found words.</summary>
    public static IEnumerable<IInvocationOperation> Invocations(SemanticModel model, SyntaxNode scope, WordOccurrences words, CancellationToken cancellationToken)
    {
        foreach (var name in Names(scope, words))
        {
            var invocation = name.Parent switch
            {
                InvocationExpressionSyntax direct when direct.Expression == name => direct,
                MemberAccessExpressionSyntax access when access.Name == name => access.Parent as InvocationExpressionSyntax,
                MemberBindingExpressionSyntax binding when binding.Name == name => binding.Parent as InvocationExpressionSyntax,
                _ => null,
            };
            if (invocation is not null && model.GetOperation(invocation, cancellationToken) is IInvocationOperation operation)
            {
                yield return operation;
            }
        }
    }

    /// <summary>The member references inside <paramref name="scope"/> whose member name is one of the found words.</summary>
    public static IEnumerable<IMemberReferenceOperation> References(SemanticModel model, SyntaxNode scope, WordOccurrences words, CancellationToken cancellationToken)
    {
        foreach (var name in Names(scope, words))
        {
            SyntaxNode expression = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name;
            if (model.GetOperation(expression, cancellationToken) is IMemberReferenceOperation operation)
            {
                yield return operation;
            }
        }
    }

    /// <summary>The explicit casts inside <paramref name="scope"/> whose target type is spelt with one of the found words.</summary>
    public static IEnumerable<IConversionOperation> Casts(SemanticModel model, SyntaxNode scope, WordOccurrences words, CancellationToken cancellationToken)
    {
        foreach (var name in Names(scope, words))
        {
            var type = WholeTypeOf(name);
            if (type.Parent is CastExpressionSyntax cast && cast.Type == type && model.GetOperation(cast, cancellationToken) is IConversionOperation operation)
            {
                yield return operation;
            }
        }
    }

    /// <summary>The whole type <paramref name="name"/> ends (<c>A.B.Name</c>, <c>alias::Name</c>, <c>Name?</c>, <c>Name[]</c>, <c>ref Name</c>), or the name itself.</summary>
    public static SyntaxNode WholeTypeOf(SimpleNameSyntax name)
    {
        SyntaxNode type = name;
        while (type.Parent is QualifiedNameSyntax { Right: var right } && right == type
            || type.Parent is AliasQualifiedNameSyntax { Name: var aliased } && aliased == type
            || type.Parent is NullableTypeSyntax or ArrayTypeSyntax or RefTypeSyntax)
        {
            type = type.Parent;
        }

        return type;
    }

    /// <summary>The simple names (identifiers) spelt at the positions inside <paramref name="scope"/>.</summary>
    private static IEnumerable<SimpleNameSyntax> Names(SyntaxNode scope, WordOccurrences words)
    {
        foreach (var position in words.Within(scope.SyntaxTree, scope.Span))
        {
            if (scope.FindToken(position).Parent is SimpleNameSyntax name && name.Identifier.Span.Contains(position))
            {
                yield return name;
            }
        }
    }
}
