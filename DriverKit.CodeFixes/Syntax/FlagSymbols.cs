using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.CodeFixes.Syntax;

/// <summary>A VmFlags member named in source (<c>VmFlags.Locked</c>, or <c>Locked</c> under <c>using static</c>).</summary>
internal sealed class FlagReference
{
    public FlagReference(ExpressionSyntax node, string name)
    {
        Node = node;
        Name = name;
    }

    public ExpressionSyntax Node { get; }

    public string Name { get; }
}

internal static class FlagSymbols
{
    public const string VmFlagsMetadataName = "DriverKit.Runtime.VmFlags";

    /// <summary>The VmFlags member reference a diagnostic points at, if it is one of <paramref name="names"/>.</summary>
    public static FlagReference? FindFlag(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken, params string[] names)
    {
        if (diagnostic.Location.SourceTree != root.SyntaxTree || !root.FullSpan.Contains(diagnostic.Location.SourceSpan))
        {
            return null;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (node is not (MemberAccessExpressionSyntax or IdentifierNameSyntax) || node.Span != diagnostic.Location.SourceSpan)
        {
            return null;
        }

        return FlagName(model, (ExpressionSyntax)node, cancellationToken) is { } name && names.Contains(name)
            ? new FlagReference((ExpressionSyntax)node, name)
            : null;
    }

    /// <summary>The VmFlags member an expression names, or null.</summary>
    public static string? FlagName(SemanticModel model, ExpressionSyntax expression, CancellationToken cancellationToken) =>
        model.GetSymbolInfo(expression, cancellationToken).Symbol is IFieldSymbol { ContainingType: { } type } field
            && type.ToDisplayString() == VmFlagsMetadataName
            ? field.Name
            : null;
}
