using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The initializers that assign a handler of one simple name, kept so that the ones that can name a given method are found
/// without looking at the others: thousands of drivers name their handlers alike (<c>VmaFault</c>), and a scan of every
/// initializer per method made the role look-ups quadratic in the size of the solution.
/// </summary>
internal sealed class HandlerCandidates
{
    /// <summary>Handlers named without a receiver (<c>Fault = VmaFault</c>), by tree: only the method's own type can mean them.</summary>
    private readonly Dictionary<SyntaxTree, List<BaseObjectCreationExpressionSyntax>> unqualified = new();

    /// <summary>Handlers named through a receiver (<c>Mmap = dev.Mmap</c>), which can be any type's method.</summary>
    private readonly List<BaseObjectCreationExpressionSyntax> throughReceiver = new();

    /// <summary>Every initializer recorded, once per way of naming: one initializer may assign the name to several properties.</summary>
    private readonly HashSet<(BaseObjectCreationExpressionSyntax Creation, bool ThroughReceiver)> recorded = new();

    /// <summary>Records an initializer that assigns a handler of this name.</summary>
    public void Add(BaseObjectCreationExpressionSyntax creation, bool throughReceiver)
    {
        if (!recorded.Add((creation, throughReceiver)))
        {
            return;
        }

        if (throughReceiver)
        {
            this.throughReceiver.Add(creation);
            return;
        }

        if (!unqualified.TryGetValue(creation.SyntaxTree, out var inTree))
        {
            unqualified[creation.SyntaxTree] = inTree = new List<BaseObjectCreationExpressionSyntax>();
        }

        inTree.Add(creation);
    }

    /// <summary>
    /// The initializers that can assign <paramref name="method"/>, each once: those naming it without a receiver inside its
    /// type's declarations (a nested type's table included), then those naming it through a receiver, the ones in the
    /// method's own files first — the handler's file almost always holds its table.
    /// </summary>
    public IEnumerable<BaseObjectCreationExpressionSyntax> Plausible(IMethodSymbol method)
    {
        var seen = new HashSet<BaseObjectCreationExpressionSyntax>();
        var types = method.ContainingType is { } containing ? containing.DeclaringSyntaxReferences : ImmutableArray<SyntaxReference>.Empty;
        foreach (var type in types)
        {
            if (unqualified.TryGetValue(type.SyntaxTree, out var inTree))
            {
                foreach (var creation in inTree)
                {
                    if (type.Span.Contains(creation.Span) && seen.Add(creation))
                    {
                        yield return creation;
                    }
                }
            }
        }

        var trees = method.DeclaringSyntaxReferences.Select(reference => reference.SyntaxTree).ToList();
        foreach (var creation in throughReceiver)
        {
            if (trees.Contains(creation.SyntaxTree) && seen.Add(creation))
            {
                yield return creation;
            }
        }

        foreach (var creation in throughReceiver)
        {
            if (seen.Add(creation))
            {
                yield return creation;
            }
        }
    }
}
