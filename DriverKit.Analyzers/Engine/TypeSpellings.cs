using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// How VmFlags and VmArea are spelt in a compilation's text: their names and the aliases using directives declare for them
/// (also <c>global using</c>), and whether VmFlags is imported with <c>using static</c>. Found from the using directives of
/// the files that name either type (<see cref="SourceWords"/>), with no binding.
/// </summary>
internal sealed class TypeSpellings
{
    private TypeSpellings(DriverKitSymbols symbols)
    {
        VmFlags = new HashSet<string>(StringComparer.Ordinal) { symbols.VmFlags.Name };
        VmArea = new HashSet<string>(StringComparer.Ordinal) { symbols.VmArea.Name };
    }

    /// <summary>VmFlags and its aliases: the words a cast to VmFlags is spelt with.</summary>
    public HashSet<string> VmFlags { get; }

    /// <summary>VmArea and its aliases.</summary>
    public HashSet<string> VmArea { get; }

    /// <summary>Whether some file imports VmFlags with <c>using static</c> (bare member names then spell its constants).</summary>
    public bool VmFlagsImportedStatically { get; private set; }

    /// <summary>Reads the using directives of the files that name VmFlags or VmArea.</summary>
    public static TypeSpellings Find(DriverKitSymbols symbols, SourceWords text, CancellationToken cancellationToken)
    {
        var spellings = new TypeSpellings(symbols);
        foreach (var tree in text.Find(new[] { symbols.VmFlags.Name, symbols.VmArea.Name }, cancellationToken).Trees)
        {
            var found = Read.GetValue(tree, _ => new StrongBox<TreeSpellings?>()) is var box && box.Value is { } known
                && known.VmFlagsName == symbols.VmFlags.Name && known.VmAreaName == symbols.VmArea.Name
                ? known
                : box.Value = TreeSpellings.Of(tree, symbols.VmFlags.Name, symbols.VmArea.Name, cancellationToken);
            spellings.VmFlags.UnionWith(found.VmFlagsAliases);
            spellings.VmArea.UnionWith(found.VmAreaAliases);
            spellings.VmFlagsImportedStatically |= found.VmFlagsStatic;
        }

        return spellings;
    }

    /// <summary>What each tree's using directives say, kept with the tree: an IDE edit reads only the edited file's again.</summary>
    private static readonly ConditionalWeakTable<SyntaxTree, StrongBox<TreeSpellings?>> Read = new();

    /// <summary>The aliases and static imports one file's using directives declare for VmFlags and VmArea.</summary>
    private sealed class TreeSpellings
    {
        private TreeSpellings(string vmFlagsName, string vmAreaName)
        {
            VmFlagsName = vmFlagsName;
            VmAreaName = vmAreaName;
        }

        public string VmFlagsName { get; }

        public string VmAreaName { get; }

        public List<string> VmFlagsAliases { get; } = new();

        public List<string> VmAreaAliases { get; } = new();

        public bool VmFlagsStatic { get; private set; }

        public static TreeSpellings Of(SyntaxTree tree, string vmFlags, string vmArea, CancellationToken cancellationToken)
        {
            var spellings = new TreeSpellings(vmFlags, vmArea);
            foreach (var directive in Usings(tree.GetRoot(cancellationToken)))
            {
                var target = directive.NamespaceOrType;
                if (directive.Alias is { } alias)
                {
                    var name = alias.Name.Identifier.ValueText;
                    if (Names(target, vmFlags))
                    {
                        spellings.VmFlagsAliases.Add(name);
                    }

                    if (Names(target, vmArea))
                    {
                        spellings.VmAreaAliases.Add(name);
                    }
                }
                else if (!directive.StaticKeyword.IsKind(SyntaxKind.None) && Names(target, vmFlags))
                {
                    spellings.VmFlagsStatic = true;
                }
            }

            return spellings;
        }
    }

    /// <summary>Whether <paramref name="type"/> names VmFlags or an alias of it.</summary>
    public bool IsVmFlags(TypeSyntax type) => Spelt(type, VmFlags, scope: null);

    /// <summary>
    /// Whether the filter may follow a call of the method: it takes a VmArea or returns VmFlags (or a type parameter,
    /// which may be either), judged by the names in its signature.
    /// </summary>
    public bool MayBeFollowed(BaseMethodDeclarationSyntax method)
    {
        if (method is MethodDeclarationSyntax { ReturnType: var returnType } && Spelt(returnType, VmFlags, method))
        {
            return true;
        }

        foreach (var parameter in method.ParameterList.Parameters)
        {
            if (parameter.Type is { } type && Spelt(type, VmArea, method))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="name"/> is a type parameter of a method or type around <paramref name="scope"/>.</summary>
    private static bool IsTypeParameter(string name, SyntaxNode scope)
    {
        for (var current = scope; current is not null; current = current.Parent)
        {
            var list = current switch
            {
                MethodDeclarationSyntax method => method.TypeParameterList,
                TypeDeclarationSyntax type => type.TypeParameterList,
                _ => null,
            };
            if (list is not null && list.Parameters.Any(parameter => parameter.Identifier.ValueText == name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="type"/> names one of <paramref name="names"/>, or a type parameter in <paramref name="scope"/>.</summary>
    private static bool Spelt(TypeSyntax type, HashSet<string> names, SyntaxNode? scope)
    {
        while (true)
        {
            switch (type)
            {
                case NullableTypeSyntax nullable:
                    type = nullable.ElementType;
                    continue;
                case RefTypeSyntax reference:
                    type = reference.Type;
                    continue;
                case QualifiedNameSyntax qualified:
                    type = qualified.Right;
                    continue;
                case AliasQualifiedNameSyntax qualified:
                    type = qualified.Name;
                    continue;
                case IdentifierNameSyntax identifier:
                    var name = identifier.Identifier.ValueText;
                    return names.Contains(name) || (scope is not null && IsTypeParameter(name, scope));
                default:
                    return false;
            }
        }
    }

    /// <summary>Whether a name in <paramref name="target"/> (a using directive's target, with its type arguments) is <paramref name="name"/>.</summary>
    private static bool Names(SyntaxNode target, string name) =>
        target.DescendantNodesAndSelf().OfType<SimpleNameSyntax>().Any(simple => simple.Identifier.ValueText == name);

    /// <summary>The using directives of a file and of its namespace declarations.</summary>
    private static IEnumerable<UsingDirectiveSyntax> Usings(SyntaxNode root)
    {
        var stack = new Stack<SyntaxNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            var (usings, members) = node switch
            {
                CompilationUnitSyntax unit => (unit.Usings, unit.Members),
                BaseNamespaceDeclarationSyntax ns => (ns.Usings, ns.Members),
                _ => (default(SyntaxList<UsingDirectiveSyntax>), default(SyntaxList<MemberDeclarationSyntax>)),
            };
            foreach (var directive in usings)
            {
                yield return directive;
            }

            foreach (var member in members.OfType<BaseNamespaceDeclarationSyntax>())
            {
                stack.Push(member);
            }
        }
    }
}
