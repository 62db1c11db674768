using System.Collections.Concurrent;
using System.Collections.Immutable;
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
    private readonly ConcurrentDictionary<INamedTypeSymbol, Roles> types = new(SymbolEqualityComparer.Default);

    /// <summary>Every initializer's named handlers, wherever the table is filled (a module class filling it with another class's methods).</summary>
    private Whole? everywhere;

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

        return roles.Methods.TryGetValue(function.OriginalDefinition, out var role) || Everywhere(cancellationToken).TryGetValue(function.OriginalDefinition, out role)
            ? role
            : null;
    }

    /// <summary>The roles every FileOperations and VmOperations initializer of the compilation gives named methods, found once.</summary>
    private ImmutableDictionary<ISymbol, string> Everywhere(CancellationToken cancellationToken) => Compilation(cancellationToken).Methods;

    /// <summary>Every VmOperations table the compilation fills in an initializer, with the handlers it sets by property name.</summary>
    public IReadOnlyList<OpsTable> VmOpsTables(CancellationToken cancellationToken) => Compilation(cancellationToken).Tables;

    private Whole Compilation(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref everywhere) is { } known)
        {
            return known;
        }

        var methods = ImmutableDictionary.CreateBuilder<ISymbol, string>(SymbolEqualityComparer.Default);
        var lambdas = ImmutableDictionary.CreateBuilder<SyntaxNode, string>();
        var tables = new List<OpsTable>();
        var seen = new HashSet<SyntaxNode>();
        foreach (var (tree, position) in words.Cached(propertyNames, cancellationToken).All)
        {
            if (tree.GetRoot(cancellationToken).FindToken(position).Parent is IdentifierNameSyntax name
                && name.Parent is AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax { Parent: BaseObjectCreationExpressionSyntax creation } } assignment
                && assignment.Left == name
                && seen.Add(creation)
                && bodies.GetModel(tree)?.GetOperation(creation, cancellationToken) is IObjectCreationOperation { Initializer: { } initializer } operation)
            {
                AddRoles(operation, initializer, methods, lambdas);
                if (symbols.IsVmOperations(operation.Type))
                {
                    tables.Add(new OpsTable(operation, Handlers(initializer)));
                }
            }
        }

        var result = new Whole(methods.ToImmutable(), tables);
        Volatile.Write(ref everywhere, result);
        return result;
    }

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

    /// <summary>What the whole-compilation scan found.</summary>
    private sealed class Whole
    {
        public Whole(ImmutableDictionary<ISymbol, string> methods, IReadOnlyList<OpsTable> tables)
        {
            Methods = methods;
            Tables = tables;
        }

        public ImmutableDictionary<ISymbol, string> Methods { get; }

        public IReadOnlyList<OpsTable> Tables { get; }
    }

    /// <summary>The handler role of the function (method, local function or lambda) whose code holds <paramref name="operation"/>, or null.</summary>
    public string? RoleAt(IOperation operation, CancellationToken cancellationToken) => Functions.EnclosingFunction(operation) switch
    {
        IAnonymousFunctionOperation lambda => RoleOf(lambda.Symbol.ContainingSymbol as IMethodSymbol ?? lambda.Symbol, lambda.Syntax, cancellationToken),
        var function => RoleOf(Functions.SymbolOf(function), null, cancellationToken),
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
    public bool Sets(string name, IMethodSymbol? function, SyntaxNode? lambda) => Handlers.TryGetValue(name, out var handler) && handler switch
    {
        IMethodReferenceOperation reference => function is not null && SymbolEqualityComparer.Default.Equals(reference.Method.OriginalDefinition, function.OriginalDefinition),
        IAnonymousFunctionOperation anonymous => anonymous.Syntax == lambda,
        _ => false,
    };
}
