using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The operations of a code root (<see cref="CodeRoots"/>) spelt at the positions a <see cref="WordOccurrences"/> found,
/// looked up through the root's semantic model instead of walking every operation: a call whose method name, or a member
/// reference whose name, is one of the words. An operation is yielded only for the root it belongs to: the syntax of
/// top-level statements' root is the whole file, and a primary constructor's is its type, both holding other roots.
/// </summary>
internal static class NamedOperations
{
    /// <summary>The invocations of <paramref name="root"/> whose method name is one of the found words.</summary>
    public static IEnumerable<IInvocationOperation> Invocations(IOperation root, WordOccurrences words, CancellationToken cancellationToken)
    {
        if (root.SemanticModel is not { } model)
        {
            yield break;
        }

        foreach (var name in Names(root.Syntax, words))
        {
            var invocation = name.Parent switch
            {
                InvocationExpressionSyntax direct when direct.Expression == name => direct,
                MemberAccessExpressionSyntax access when access.Name == name => access.Parent as InvocationExpressionSyntax,
                MemberBindingExpressionSyntax binding when binding.Name == name => binding.Parent as InvocationExpressionSyntax,
                _ => null,
            };
            if (invocation is not null && model.GetOperation(invocation, cancellationToken) is IInvocationOperation operation && BelongsTo(operation, root))
            {
                yield return operation;
            }
        }
    }

    /// <summary>The member references of <paramref name="root"/> whose member name is one of the found words.</summary>
    public static IEnumerable<IMemberReferenceOperation> References(IOperation root, WordOccurrences words, CancellationToken cancellationToken)
    {
        if (root.SemanticModel is not { } model)
        {
            yield break;
        }

        foreach (var name in Names(root.Syntax, words))
        {
            SyntaxNode expression = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name;
            if (model.GetOperation(expression, cancellationToken) is IMemberReferenceOperation operation && BelongsTo(operation, root))
            {
                yield return operation;
            }
        }
    }

    /// <summary>The explicit casts of <paramref name="root"/> whose target type is spelt with one of the found words.</summary>
    public static IEnumerable<IConversionOperation> Casts(IOperation root, WordOccurrences words, CancellationToken cancellationToken)
    {
        if (root.SemanticModel is not { } model)
        {
            yield break;
        }

        foreach (var name in Names(root.Syntax, words))
        {
            var type = WholeTypeOf(name);
            if (type.Parent is CastExpressionSyntax cast && cast.Type == type
                && model.GetOperation(cast, cancellationToken) is IConversionOperation operation && BelongsTo(operation, root))
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

    private static bool BelongsTo(IOperation operation, IOperation root) => operation.Root().Syntax == root.Syntax;

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
