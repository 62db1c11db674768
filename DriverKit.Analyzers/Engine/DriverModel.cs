using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Which functions of a type are driver handlers, known from the driver model types: the method groups, lambdas and local
/// functions assigned to <c>FileOperations</c> (Open, Release, Mmap, Ioctl) and <c>VmOperations</c> (Open, Close, Fault,
/// NoPage, PageMkwrite, MaySplit) in object initializers anywhere in the type (constructors, methods, field initializers).
/// Names play no part. Computed once per type and compilation.
/// </summary>
internal sealed class DriverModel
{
    private readonly DriverKitSymbols symbols;
    private readonly MethodBodies bodies;
    private readonly ConcurrentDictionary<INamedTypeSymbol, Roles> types = new(SymbolEqualityComparer.Default);

    public DriverModel(DriverKitSymbols symbols, MethodBodies bodies)
    {
        this.symbols = symbols;
        this.bodies = bodies;
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

        return function is not null && roles.Methods.TryGetValue(function.OriginalDefinition, out var role) ? role : null;
    }

    private Roles Collect(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var methods = ImmutableDictionary.CreateBuilder<ISymbol, string>(SymbolEqualityComparer.Default);
        var lambdas = ImmutableDictionary.CreateBuilder<SyntaxNode, string>();
        foreach (var member in type.GetMembers())
        {
            var root = member switch
            {
                IMethodSymbol method => bodies.Get(method, cancellationToken)?.Operation,
                IFieldSymbol or IPropertySymbol => bodies.GetInitializer(member, cancellationToken),
                _ => null,
            };
            if (root is null)
            {
                continue;
            }

            foreach (var operation in root.DescendantsAndSelf())
            {
                if (operation is not IObjectCreationOperation { Initializer: { } initializer } creation)
                {
                    continue;
                }

                var prefix = SymbolEqualityComparer.Default.Equals(creation.Type, symbols.FileOperations) ? "->"
                    : symbols.IsVmOperations(creation.Type) ? "vm_ops->"
                    : null;
                if (prefix is null)
                {
                    continue;
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
        }

        return new Roles(methods.ToImmutable(), lambdas.ToImmutable());
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
