using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.CodeFixes.Syntax;

/// <summary>Whether statements a fix inserts would compile at their place, bound there before anything is edited.</summary>
internal static class SpeculativeBinding
{
    /// <summary>
    /// Whether the statements bind where they go, as if written at <paramref name="position"/>: every name resolves to what the
    /// analyzer meant only if nothing at that place hides it, and an error there would make the program worse, so a fix that
    /// would insert them is not offered.
    /// </summary>
    public static bool Binds(SemanticModel model, int position, BlockSyntax statements, CancellationToken cancellationToken) =>
        model.TryGetSpeculativeSemanticModel(position, statements, out var speculative)
        && speculative.GetOperation(statements, cancellationToken) is { } block
        && !block.DescendantsAndSelf().Any(operation => operation is IInvalidOperation || operation is IConversionOperation { Conversion.Exists: false }
            || (operation is ILocalReferenceOperation { Local: var local } && DeclaredFrom(local, model.SyntaxTree, position)));

    /// <summary>
    /// A local of the document declared at or after <paramref name="position"/>: used there, it is used before its declaration
    /// (CS0841), which speculative binding does not report.
    /// </summary>
    private static bool DeclaredFrom(ILocalSymbol local, SyntaxTree tree, int position) =>
        local.DeclaringSyntaxReferences.Any(reference => reference.SyntaxTree == tree && reference.Span.Start >= position);
}
