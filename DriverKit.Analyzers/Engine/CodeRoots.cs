using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The roots of a syntax tree's operation trees — method, accessor, operator and constructor bodies (with their
/// initializers), expression-bodied properties, field, property, enum-member and parameter initializers, top-level
/// statements, a primary constructor's base call, attributes — which the rules analyze once per tree instead of being
/// called by the analyzer driver for every operation block. Only the roots that hold a position the text search found are
/// bound; a tree without one costs a look-up.
/// </summary>
internal static class CodeRoots
{
    /// <summary>
    /// The roots holding one of the positions of <paramref name="first"/> or <paramref name="second"/> in the model's tree
    /// (inside <paramref name="filter"/> when it is set), each once, in source order.
    /// </summary>
    public static IReadOnlyList<IOperation> At(SemanticModel model, WordOccurrences first, WordOccurrences? second, TextSpan? filter, CancellationToken cancellationToken) =>
        At(model, first, second, filter, accept: null, cancellationToken);

    /// <summary>
    /// The roots <see cref="At(SemanticModel, WordOccurrences, WordOccurrences?, TextSpan?, CancellationToken)"/> finds, less
    /// those whose syntax <paramref name="accept"/> turns down before they are bound (a rule that can tell from the text that a
    /// root holds nothing for it saves the binding).
    /// </summary>
    public static IReadOnlyList<IOperation> At(SemanticModel model, WordOccurrences first, WordOccurrences? second, TextSpan? filter, Func<SyntaxNode, bool>? accept, CancellationToken cancellationToken)
    {
        var tree = model.SyntaxTree;
        var span = filter ?? new TextSpan(0, tree.Length);
        if (!first.AnyWithin(tree, span) && second?.AnyWithin(tree, span) != true)
        {
            return Array.Empty<IOperation>();
        }

        var treeRoot = tree.GetRoot(cancellationToken);
        var found = new List<IOperation>();
        var seen = new HashSet<SyntaxNode>();
        Add(first.Within(tree, span));
        if (second is not null)
        {
            Add(second.Within(tree, span));
        }

        found.Sort((a, b) => a.Syntax.SpanStart.CompareTo(b.Syntax.SpanStart));
        return found;

        void Add(IEnumerable<int> positions)
        {
            var covered = default(TextSpan);
            foreach (var position in positions)
            {
                if (covered.Contains(position) || RootSyntaxAt(treeRoot, position) is not { } syntax)
                {
                    continue;
                }

                covered = syntax.Span;
                if ((accept is null || accept(syntax)) && OperationOf(model, syntax, cancellationToken) is { } root && seen.Add(root.Syntax))
                {
                    found.Add(root);
                }
            }
        }
    }

    /// <summary>Every root of the model's tree (inside <paramref name="filter"/> when it is set), in source order.</summary>
    public static IReadOnlyList<IOperation> All(SemanticModel model, TextSpan? filter, CancellationToken cancellationToken)
    {
        var span = filter ?? new TextSpan(0, model.SyntaxTree.Length);
        var found = new List<IOperation>();
        var seen = new HashSet<SyntaxNode>();
        var nodes = model.SyntaxTree.GetRoot(cancellationToken).DescendantNodes(span, node => !IsCode(node));
        foreach (var node in nodes)
        {
            if (IsRootSyntax(node)
                && OperationOf(model, node, cancellationToken) is { } root
                && seen.Add(root.Syntax))
            {
                found.Add(root);
            }
        }

        return found;
    }

    /// <summary>The symbol whose code <paramref name="root"/> is: the method, accessor, constructor, field, property or parameter's method.</summary>
    public static ISymbol? OwnerOf(IOperation root, CancellationToken cancellationToken) => root switch
    {
        IFieldInitializerOperation field when !field.InitializedFields.IsEmpty => field.InitializedFields[0],
        IPropertyInitializerOperation property when !property.InitializedProperties.IsEmpty => property.InitializedProperties[0],
        IParameterInitializerOperation parameter => parameter.Parameter.ContainingSymbol,
        _ when root.SemanticModel is { } model => (root.Syntax is CompilationUnitSyntax or ArrowExpressionClauseSyntax or AttributeSyntax
                ? null
                : model.GetDeclaredSymbol(root.Syntax, cancellationToken))
            ?? model.GetEnclosingSymbol(FirstCodePosition(root), cancellationToken),
        _ => null,
    };

    /// <summary>The nearest node around <paramref name="position"/> whose operation is a root; null outside code.</summary>
    private static SyntaxNode? RootSyntaxAt(SyntaxNode treeRoot, int position)
    {
        for (var node = treeRoot.FindToken(position).Parent; node is not null; node = node.Parent)
        {
            if (IsRootSyntax(node))
            {
                return node;
            }

            if (node is BaseTypeDeclarationSyntax or DelegateDeclarationSyntax or BaseNamespaceDeclarationSyntax)
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// The syntax of the code the analyzer driver hands out as operation blocks. A local function's or lambda's parameter
    /// default is not one: it belongs to the code around it.
    /// </summary>
    private static bool IsRootSyntax(SyntaxNode node) => node switch
    {
        BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or GlobalStatementSyntax or PrimaryConstructorBaseTypeSyntax or AttributeSyntax => true,
        ArrowExpressionClauseSyntax { Parent: BasePropertyDeclarationSyntax } => true,
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax } } => true,
        EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax or EnumMemberDeclarationSyntax } => true,
        EqualsValueClauseSyntax { Parent: ParameterSyntax { Parent.Parent: BaseMethodDeclarationSyntax or TypeDeclarationSyntax or IndexerDeclarationSyntax or DelegateDeclarationSyntax } } => true,
        _ => false,
    };

    /// <summary>
    /// Code itself, which <see cref="All"/> does not descend into: roots found inside a declaration (its attributes and
    /// parameter defaults) are found, while code nested in a root (lambdas, local functions) belongs to that root.
    /// </summary>
    private static bool IsCode(SyntaxNode node) =>
        node is BlockSyntax or ArrowExpressionClauseSyntax or EqualsValueClauseSyntax or GlobalStatementSyntax or AttributeSyntax
            or PrimaryConstructorBaseTypeSyntax or ConstructorInitializerSyntax;

    /// <summary>
    /// The root of the operation tree of <paramref name="syntax"/> (top-level statements share one), remembered per semantic
    /// model: every rule asks for the roots of the same tree, and the model's own look-up (the member model, then the node)
    /// costs more than the rest of finding a root.
    /// </summary>
    private static IOperation? OperationOf(SemanticModel model, SyntaxNode syntax, CancellationToken cancellationToken)
    {
        var known = RootOperations.GetValue(model, _ => new ConcurrentDictionary<SyntaxNode, IOperation?>(concurrencyLevel: 1, capacity: 16));
        if (known.TryGetValue(syntax, out var root))
        {
            return root;
        }

        root = (syntax is GlobalStatementSyntax global ? model.GetOperation(global.Statement, cancellationToken) : model.GetOperation(syntax, cancellationToken))?.Root();
        return known.GetOrAdd(syntax, root);
    }

    private static readonly ConditionalWeakTable<SemanticModel, ConcurrentDictionary<SyntaxNode, IOperation?>> RootOperations = new();

    /// <summary>The position of a root's first operation with syntax of its own, inside the code (past usings, attributes, modifiers).</summary>
    private static int FirstCodePosition(IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            if (operation.Syntax != root.Syntax)
            {
                return operation.Syntax.SpanStart;
            }
        }

        return root.Syntax.SpanStart;
    }
}
