using Microsoft.CodeAnalysis;

namespace DriverKit.CodeFixes;

/// <summary>
/// What the fixes of one document have planned so far (<see cref="MappingCodeFix"/>): the nodes already edited, so that two
/// diagnostics on one node edit it once, and the names introduced per scope, so that two edits in one method do not declare
/// the same local.
/// </summary>
internal sealed class PlannedEdits
{
    private readonly HashSet<SyntaxNode> nodes = new();
    private readonly Dictionary<SyntaxNode, HashSet<string>> names = new();
    private readonly Dictionary<SyntaxNode, string> created = new();

    /// <summary>Marks <paramref name="node"/> as edited; false when it already was.</summary>
    public bool Add(SyntaxNode node) => nodes.Add(node);

    /// <summary>The name an earlier edit gave to what it made for <paramref name="node"/>, or the one <paramref name="create"/> gives now.</summary>
    public string NameFor(SyntaxNode node, Func<string> create)
    {
        if (!created.TryGetValue(node, out var name))
        {
            created[node] = name = create();
        }

        return name;
    }

    /// <summary>The first of <c>stem</c>, <c>stem2</c>, <c>stem3</c> … that <paramref name="isFree"/> accepts and no earlier edit in <paramref name="scope"/> took.</summary>
    public string FreeName(SyntaxNode scope, string stem, Func<string, bool> isFree)
    {
        if (!names.TryGetValue(scope, out var taken))
        {
            names[scope] = taken = new HashSet<string>(StringComparer.Ordinal);
        }

        for (var i = 1; ; i++)
        {
            var name = i == 1 ? stem : stem + i;
            if (!taken.Contains(name) && isFree(name))
            {
                taken.Add(name);
                return name;
            }
        }
    }
}
