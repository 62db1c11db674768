using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Which functions of a type are driver handlers, known from the driver model types: the method groups, lambdas and local
/// functions assigned to <c>FileOperations</c> (Open, Release, Mmap, Ioctl) and <c>VmOperations</c> (Open, Close, Fault,
/// NoPage, NoPfn, PageMkwrite, MaySplit) in object initializers anywhere in the type (constructors, methods, field and
/// property initializers, accessors). Names of functions play no part. An initializer spells each property it sets, so
/// the text search (<see cref="SourceWords"/>) finds them and only those object creations are bound, not every member of
/// the type. Computed once per type and compilation.
/// </summary>
internal sealed class DriverModel
{
    private readonly DriverKitSymbols symbols;
    private readonly MethodBodies bodies;
    private readonly SourceWords words;
    private readonly string[] propertyNames;

    /// <summary>The property names as one string: what a tree's kept assignments were searched for.</summary>
    private readonly string propertyKey;
    private readonly ConcurrentDictionary<INamedTypeSymbol, Roles> types = new(SymbolEqualityComparer.Default);

    /// <summary>The initializers that assign a handler, by its simple name, wherever the table is filled (a module class filling it with another class's methods).</summary>
    private readonly ConcurrentDictionary<string, HandlerCandidates> named = new(StringComparer.Ordinal);

    /// <summary>The handler assignments of every tree, gathered on first need.</summary>
    private CompilationAssignments? compilationAssignments;

    private readonly ConcurrentDictionary<SyntaxNode, BoundInitializer?> bound = new();

    /// <summary>The role found for a method outside its type's tables (null: none), once per method.</summary>
    private readonly ConcurrentDictionary<ISymbol, string?> elsewhere = new(SymbolEqualityComparer.Default);

    public DriverModel(DriverKitSymbols symbols, MethodBodies bodies, SourceWords words)
    {
        this.symbols = symbols;
        this.bodies = bodies;
        this.words = words;
        propertyNames = new[] { symbols.FileOperations, symbols.VmOperations }
            .SelectMany(type => type?.GetMembers().OfType<IPropertySymbol>() ?? Enumerable.Empty<IPropertySymbol>())
            .Select(property => property.Name)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        propertyKey = string.Join(",", propertyNames);
    }

    /// <summary>The handlers of one type: named methods and local functions by symbol, lambdas by syntax.</summary>
    private sealed class Roles
    {
        public Roles(ImmutableDictionary<ISymbol, string> methods, ImmutableDictionary<SyntaxNode, string> lambdas)
        {
            Methods = methods;
            Lambdas = lambdas;
        }

        public ImmutableDictionary<ISymbol, string> Methods { get; }

        public ImmutableDictionary<SyntaxNode, string> Lambdas { get; }
    }

    /// <summary>
    /// The handler role of a function ("->mmap", "vm_ops->fault", …), or null. <paramref name="function"/> is the method or
    /// local function; <paramref name="lambdaSyntax"/> the lambda's syntax when the function is a lambda.
    /// </summary>
    public string? RoleOf(IMethodSymbol? function, SyntaxNode? lambdaSyntax, CancellationToken cancellationToken)
    {
        var type = function?.ContainingType;
        if (type is null)
        {
            return null;
        }

        var roles = types.GetOrAdd(type.OriginalDefinition, t => Collect(t, cancellationToken));
        if (lambdaSyntax is not null)
        {
            return roles.Lambdas.TryGetValue(lambdaSyntax, out var lambdaRole) ? lambdaRole : null;
        }

        if (function is null)
        {
            return null;
        }

        return roles.Methods.TryGetValue(function.OriginalDefinition, out var role) ? role : RoleElsewhere(function, cancellationToken);
    }

    /// <summary>
    /// The role a table filled outside the method's own type gives it: only the initializers that assign a handler spelt like
    /// the method (found by the text search, without binding) are bound, once each.
    /// </summary>
    private string? RoleElsewhere(IMethodSymbol function, CancellationToken cancellationToken)
    {
        if (!IsHandlerName(function.Name, cancellationToken))
        {
            return null;
        }

        var named = Named(function.Name, cancellationToken);

        return elsewhere.GetOrAdd(function.OriginalDefinition, symbol =>
        {
            var method = (IMethodSymbol)symbol;
            foreach (var creation in named.Plausible(method))
            {
                if (Bound(creation, cancellationToken) is { } table && table.Methods.TryGetValue(method, out var role))
                {
                    return role;
                }
            }

            return null;
        });
    }

    /// <summary>
    /// Whether a function may be assigned to one of the handler properties (by its name, or, for a lambda, by the initializer
    /// it sits in), judged by syntax: a cheap "no" before a role is bound.
    /// </summary>
    public bool MayBeHandler(IOperation function, IReadOnlyCollection<string> properties, CancellationToken cancellationToken)
    {
        if (function is IAnonymousFunctionOperation lambda)
        {
            return lambda.Syntax.Parent is AssignmentExpressionSyntax { Left: IdentifierNameSyntax left } && properties.Contains(left.Identifier.ValueText);
        }

        var name = Functions.SymbolOf(function)?.Name;
        return name is not null && properties.Any(property => HandlerNames(property, cancellationToken).Contains(name));
    }

    /// <summary>Every VmOperations table of a tree that sets Open, with the handlers it sets by property name.</summary>
    public IEnumerable<OpsTable> VmOpsTablesWithOpen(SyntaxTree tree, CancellationToken cancellationToken) =>
        CreationsIn(tree, "Open", cancellationToken).Select(creation => Bound(creation, cancellationToken)?.Table).OfType<OpsTable>();

    /// <summary>
    /// The handlers set as <paramref name="property"/> (<c>Mmap</c>, <c>Fault</c>) in a FileOperations or VmOperations
    /// initializer that are declared in the model's tree — an <see cref="IMethodReferenceOperation"/> or an
    /// <see cref="IAnonymousFunctionOperation"/>. Only the initializers that can name them are bound: those in the tree, and
    /// for each method of the tree spelt like a handler, those <see cref="HandlerCandidates"/> finds for it. An editor asking
    /// about one document binds that document's tables, not the solution's.
    /// </summary>
    public IEnumerable<IOperation> HandlersDeclaredIn(string property, SemanticModel model, CancellationToken cancellationToken)
    {
        var tree = model.SyntaxTree;
        var seen = new HashSet<IOperation>();
        foreach (var creation in CreationsIn(tree, property, cancellationToken))
        {
            if (Bound(creation, cancellationToken)?.Handlers.TryGetValue(property, out var handler) == true && seen.Add(handler))
            {
                yield return handler;
            }
        }

        foreach (var declaration in MethodsDeclaredIn(tree.GetRoot(cancellationToken)))
        {
            if (!HandlerNames(property, cancellationToken).Contains(declaration.Identifier.ValueText)
                || model.GetDeclaredSymbol(declaration, cancellationToken) is not IMethodSymbol method)
            {
                continue;
            }

            foreach (var creation in Named(method.Name, cancellationToken).Plausible(method.OriginalDefinition))
            {
                if (creation.SyntaxTree != tree
                    && Bound(creation, cancellationToken)?.Handlers.TryGetValue(property, out var handler) == true
                    && handler is IMethodReferenceOperation reference
                    && SymbolEqualityComparer.Default.Equals(reference.Method.OriginalDefinition, method.OriginalDefinition)
                    && seen.Add(handler))
                {
                    yield return handler;
                }
            }
        }
    }

    /// <summary>The method declarations of a tree's types, without looking into any member's code.</summary>
    private static IEnumerable<MethodDeclarationSyntax> MethodsDeclaredIn(SyntaxNode root) =>
        root.DescendantNodes(node => node is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax)
            .OfType<MethodDeclarationSyntax>();

    /// <summary>
    /// The VmOperations tables that set a function (a method body, local function or lambda) as one of their handlers: for a
    /// lambda the initializer it sits in, for a method the initializers that name it (found by the text search).
    /// </summary>
    public IEnumerable<OpsTable> TablesSetting(IOperation function, CancellationToken cancellationToken)
    {
        if (function is IAnonymousFunctionOperation lambda)
        {
            return lambda.Syntax.Parent is AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax { Parent: BaseObjectCreationExpressionSyntax creation } }
                && Bound(creation, cancellationToken)?.Table is { } table && table.SetsAnywhere(null, lambda.Syntax)
                ? new[] { table }
                : Enumerable.Empty<OpsTable>();
        }

        if (Functions.SymbolOf(function) is not { } method || !IsHandlerName(method.Name, cancellationToken))
        {
            return Enumerable.Empty<OpsTable>();
        }

        return Named(method.Name, cancellationToken).Plausible(method)
            .Select(creation => Bound(creation, cancellationToken)?.Table)
            .OfType<OpsTable>()
            .Where(table => table.SetsAnywhere(method, null));
    }

    /// <summary>The VmOperations table an object creation is, with its handlers; null for other creations.</summary>
    public OpsTable? Table(IObjectCreationOperation creation, CancellationToken cancellationToken) =>
        creation.Syntax is BaseObjectCreationExpressionSyntax syntax ? Bound(syntax, cancellationToken)?.Table : null;

    /// <summary>
    /// The initializers that assign a handler of simple name <paramref name="name"/>, found once per compilation in the trees
    /// that spell the name (from each tree's assignments, which are kept per tree): a look-up touches only what can name it.
    /// </summary>
    private HandlerCandidates Named(string name, CancellationToken cancellationToken) =>
        named.GetOrAdd(name, key =>
        {
            var candidates = new HandlerCandidates();
            foreach (var (creation, throughReceiver) in Assignments(cancellationToken).ByName.TryGetValue(key, out var list) ? list : NoAssignments)
            {
                candidates.Add(creation, throughReceiver);
            }

            return candidates;
        });

    /// <summary>Whether the compilation assigns a handler of this simple name to some property.</summary>
    private bool IsHandlerName(string name, CancellationToken cancellationToken) => Assignments(cancellationToken).ByName.ContainsKey(name);

    /// <summary>The simple names of the handlers the compilation assigns to <paramref name="property"/>.</summary>
    private HashSet<string> HandlerNames(string property, CancellationToken cancellationToken) =>
        Assignments(cancellationToken).NamesByProperty.TryGetValue(property, out var found) ? found : NoNames;

    /// <summary>
    /// Every tree's kept handler assignments gathered once per compilation: the names per property, and per handler name
    /// the initializers that assign it (the lists are cheap to append; a name's <see cref="HandlerCandidates"/> is made
    /// from its list when first asked for).
    /// </summary>
    private CompilationAssignments Assignments(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref compilationAssignments) is { } known)
        {
            return known;
        }

        var gathered = new CompilationAssignments();
        var occurrences = words.Cached(propertyNames, cancellationToken);
        foreach (var tree in occurrences.Trees)
        {
            foreach (var assignment in AssignmentsIn(tree, occurrences, cancellationToken))
            {
                if (assignment.Handler is not { } handler)
                {
                    continue;
                }

                if (!gathered.NamesByProperty.TryGetValue(assignment.Property, out var names))
                {
                    gathered.NamesByProperty[assignment.Property] = names = new HashSet<string>(StringComparer.Ordinal);
                }

                names.Add(handler);
                if (!gathered.ByName.TryGetValue(handler, out var list))
                {
                    gathered.ByName[handler] = list = new List<(BaseObjectCreationExpressionSyntax, bool)>();
                }

                list.Add((assignment.Creation, assignment.ThroughReceiver));
            }
        }

        Volatile.Write(ref compilationAssignments, gathered);
        return gathered;
    }

    private sealed class CompilationAssignments
    {
        public Dictionary<string, HashSet<string>> NamesByProperty { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, List<(BaseObjectCreationExpressionSyntax Creation, bool ThroughReceiver)>> ByName { get; } = new(StringComparer.Ordinal);
    }

    private static readonly HashSet<string> NoNames = new(StringComparer.Ordinal);

    private static readonly List<(BaseObjectCreationExpressionSyntax Creation, bool ThroughReceiver)> NoAssignments = new();

    /// <summary>The initializers of a tree that set <paramref name="property"/>, each once, in text order.</summary>
    private IEnumerable<BaseObjectCreationExpressionSyntax> CreationsIn(SyntaxTree tree, string property, CancellationToken cancellationToken)
    {
        var assignments = words.Cached(propertyNames, cancellationToken);
        return assignments.AnyIn(tree)
            ? AssignmentsIn(tree, assignments, cancellationToken).Where(assignment => assignment.Property == property).Select(assignment => assignment.Creation).Distinct()
            : Enumerable.Empty<BaseObjectCreationExpressionSyntax>();
    }

    /// <summary>
    /// The handler assignments of a tree's initializers (<c>Mmap = DevMmap</c>: the property, the handler's simple name or
    /// null for a lambda, the object creation, whether the handler is named through a receiver), found by syntax at the
    /// positions where the text search found a property's name. Kept per tree for as long as the tree lives, so the next
    /// compilation of an IDE session reads them instead of walking every tree again.
    /// </summary>
    private (string Property, string? Handler, BaseObjectCreationExpressionSyntax Creation, bool ThroughReceiver)[] AssignmentsIn(SyntaxTree tree, WordOccurrences occurrences, CancellationToken cancellationToken)
    {
        var box = TreeAssignments.GetValue(tree, _ => new StrongBox<TreeAssignmentList?>());
        if (Volatile.Read(ref box.Value) is { } known && known.Key == propertyKey)
        {
            return known.Assignments;
        }

        var found = new List<(string, string?, BaseObjectCreationExpressionSyntax, bool)>();
        var root = tree.GetRoot(cancellationToken);
        foreach (var position in occurrences.Within(tree, root.FullSpan))
        {
            if (root.FindToken(position).Parent is IdentifierNameSyntax name
                && name.Parent is AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax { Parent: BaseObjectCreationExpressionSyntax creation } } assignment
                && assignment.Left == name)
            {
                var handler = assignment.Right switch
                {
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
                    _ => null,
                };
                found.Add((name.Identifier.ValueText, handler, creation, assignment.Right is MemberAccessExpressionSyntax));
            }
        }

        var assignments = found.ToArray();
        Volatile.Write(ref box.Value, new TreeAssignmentList(propertyKey, assignments));
        return assignments;
    }

    /// <summary>The handler assignments found per tree, with the property names they were searched for.</summary>
    private static readonly ConditionalWeakTable<SyntaxTree, StrongBox<TreeAssignmentList?>> TreeAssignments = new();

    private sealed class TreeAssignmentList
    {
        public TreeAssignmentList(string key, (string Property, string? Handler, BaseObjectCreationExpressionSyntax Creation, bool ThroughReceiver)[] assignments)
        {
            Key = key;
            Assignments = assignments;
        }

        public string Key { get; }

        public (string Property, string? Handler, BaseObjectCreationExpressionSyntax Creation, bool ThroughReceiver)[] Assignments { get; }
    }

    /// <summary>An initializer bound: the roles it gives named methods and, for a VmOperations table, its handlers.</summary>
    private BoundInitializer? Bound(BaseObjectCreationExpressionSyntax creation, CancellationToken cancellationToken) =>
        bound.GetOrAdd(creation, syntax =>
        {
            if (bodies.GetModel(syntax.SyntaxTree)?.GetOperation(syntax, cancellationToken) is not IObjectCreationOperation { Initializer: { } initializer } operation)
            {
                return null;
            }

            var methods = ImmutableDictionary.CreateBuilder<ISymbol, string>(SymbolEqualityComparer.Default);
            AddRoles(operation, initializer, methods, ImmutableDictionary.CreateBuilder<SyntaxNode, string>());
            var handlers = Handlers(initializer);
            return new BoundInitializer(methods.ToImmutable(), handlers, symbols.IsVmOperations(operation.Type) ? new OpsTable(operation, handlers) : null);
        });

    /// <summary>The handlers an initializer sets, by property name (the last assignment of a name counts, as in C).</summary>
    private static ImmutableDictionary<string, IOperation> Handlers(IObjectOrCollectionInitializerOperation initializer)
    {
        var handlers = ImmutableDictionary.CreateBuilder<string, IOperation>(StringComparer.Ordinal);
        foreach (var assignment in initializer.Initializers.OfType<ISimpleAssignmentOperation>())
        {
            if (assignment.Target is IPropertyReferenceOperation target
                && assignment.Value.WithoutConversions() is IDelegateCreationOperation { Target: var handler })
            {
                handlers[target.Property.Name] = handler;
            }
        }

        return handlers.ToImmutable();
    }

    private sealed class BoundInitializer
    {
        public BoundInitializer(ImmutableDictionary<ISymbol, string> methods, ImmutableDictionary<string, IOperation> handlers, OpsTable? table)
        {
            Methods = methods;
            Handlers = handlers;
            Table = table;
        }

        public ImmutableDictionary<ISymbol, string> Methods { get; }

        /// <summary>The handlers the initializer sets, by property name.</summary>
        public ImmutableDictionary<string, IOperation> Handlers { get; }

        public OpsTable? Table { get; }
    }

    /// <summary>The handler role of the function (method, local function or lambda) whose code holds <paramref name="operation"/>, or null.</summary>
    public string? RoleAt(IOperation operation, CancellationToken cancellationToken) =>
        Functions.EnclosingFunction(operation) is { } function ? RoleOfFunction(function, cancellationToken) : null;

    /// <summary>The handler role of a function (method body, local function or lambda), or null.</summary>
    public string? RoleOfFunction(IOperation function, CancellationToken cancellationToken) => function switch
    {
        IAnonymousFunctionOperation lambda => RoleOf(lambda.Symbol.ContainingSymbol as IMethodSymbol ?? lambda.Symbol, lambda.Syntax, cancellationToken),
        _ => RoleOf(Functions.SymbolOf(function), null, cancellationToken),
    };

    private Roles Collect(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var methods = ImmutableDictionary.CreateBuilder<ISymbol, string>(SymbolEqualityComparer.Default);
        var lambdas = ImmutableDictionary.CreateBuilder<SyntaxNode, string>();
        var occurrences = words.Cached(propertyNames, cancellationToken);
        var seen = new HashSet<SyntaxNode>();
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (!occurrences.AnyWithin(reference.SyntaxTree, reference.Span) || bodies.GetModel(reference.SyntaxTree) is not { } model)
            {
                continue;
            }

            var declaration = reference.GetSyntax(cancellationToken);
            foreach (var position in occurrences.Within(reference.SyntaxTree, reference.Span))
            {
                if (InitializedCreation(declaration, position) is { } syntax && seen.Add(syntax)
                    && model.GetOperation(syntax, cancellationToken) is IObjectCreationOperation { Initializer: { } initializer } creation)
                {
                    AddRoles(creation, initializer, methods, lambdas);
                }
            }
        }

        return new Roles(methods.ToImmutable(), lambdas.ToImmutable());
    }

    /// <summary>
    /// The object creation whose initializer sets the property named at <paramref name="position"/>, when it belongs to the
    /// type <paramref name="declaration"/> declares (not to a type nested in it, which has its own roles).
    /// </summary>
    private static BaseObjectCreationExpressionSyntax? InitializedCreation(SyntaxNode declaration, int position)
    {
        if (declaration.FindToken(position).Parent is not IdentifierNameSyntax name
            || name.Parent is not AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax { Parent: BaseObjectCreationExpressionSyntax creation } } assignment
            || assignment.Left != name)
        {
            return null;
        }

        for (var node = creation.Parent; node is not null && node != declaration; node = node.Parent)
        {
            if (node is BaseTypeDeclarationSyntax)
            {
                return null;
            }
        }

        return creation;
    }

    /// <summary>The roles a FileOperations or VmOperations initializer gives the handlers it assigns.</summary>
    private void AddRoles(
        IObjectCreationOperation creation, IObjectOrCollectionInitializerOperation initializer,
        ImmutableDictionary<ISymbol, string>.Builder methods, ImmutableDictionary<SyntaxNode, string>.Builder lambdas)
    {
        var prefix = SymbolEqualityComparer.Default.Equals(creation.Type, symbols.FileOperations) ? "->"
            : symbols.IsVmOperations(creation.Type) ? "vm_ops->"
            : null;
        if (prefix is null)
        {
            return;
        }

        foreach (var assignment in initializer.Initializers.OfType<ISimpleAssignmentOperation>())
        {
            if (assignment.Target is not IPropertyReferenceOperation target
                || assignment.Value.WithoutConversions() is not IDelegateCreationOperation { Target: var handler })
            {
                continue;
            }

            var role = prefix + KernelName(target.Property.Name);
            switch (handler)
            {
                case IMethodReferenceOperation reference:
                    methods[reference.Method.OriginalDefinition] = role;
                    break;
                case IAnonymousFunctionOperation lambda:
                    lambdas[lambda.Syntax] = role;
                    break;
            }
        }
    }

    private static string KernelName(string property) => property switch
    {
        "NoPage" => "nopage",
        "PageMkwrite" => "page_mkwrite",
        "MaySplit" => "may_split",
        "Ioctl" => "unlocked_ioctl",
        _ => property.ToLowerInvariant(),
    };
}

/// <summary>A VmOperations table: its creation and the handlers it sets (a method reference or a lambda) by property name.</summary>
internal sealed class OpsTable
{
    public OpsTable(IObjectCreationOperation creation, ImmutableDictionary<string, IOperation> handlers)
    {
        Creation = creation;
        Handlers = handlers;
    }

    public IObjectCreationOperation Creation { get; }

    /// <summary>"Open", "Close", "Fault" … to an <see cref="IMethodReferenceOperation"/> or <see cref="IAnonymousFunctionOperation"/>.</summary>
    public ImmutableDictionary<string, IOperation> Handlers { get; }

    /// <summary>Whether the handler set as <paramref name="name"/> is the function <paramref name="function"/> (a method's symbol or a lambda's syntax).</summary>
    public bool Sets(string name, IMethodSymbol? function, SyntaxNode? lambda) => Handlers.TryGetValue(name, out var handler) && Is(handler, function, lambda);

    /// <summary>Whether the function is set as any of the table's handlers.</summary>
    public bool SetsAnywhere(IMethodSymbol? function, SyntaxNode? lambda) => Handlers.Values.Any(handler => Is(handler, function, lambda));

    private static bool Is(IOperation handler, IMethodSymbol? function, SyntaxNode? lambda) => handler switch
    {
        IMethodReferenceOperation reference => function is not null && SymbolEqualityComparer.Default.Equals(reference.Method.OriginalDefinition, function.OriginalDefinition),
        IAnonymousFunctionOperation anonymous => anonymous.Syntax == lambda,
        _ => false,
    };
}
