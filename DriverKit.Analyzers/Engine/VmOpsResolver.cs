using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>A vm_ops value with a fault or nopage handler that hands out RAM pages.</summary>
internal sealed class OpsInfo
{
    public OpsInfo(string role, string handler)
    {
        Role = role;
        Handler = handler;
    }

    /// <summary>"Fault" or "NoPage" (the VmOperations property).</summary>
    public string Role { get; }

    /// <summary>The handler's name, or "(lambda)".</summary>
    public string Handler { get; }
}

/// <summary>
/// Decides from the driver model types whether a VmOperations value (an object initializer, or a field, property or local
/// it was stored in) has a Fault or NoPage handler — method group, lambda or local function — that hands out RAM pages:
/// a fault handler that sets <c>vmf.Page</c>, a nopage handler that returns a page.
/// </summary>
internal sealed class VmOpsResolver
{
    private const int MaxDepth = 4;

    private readonly DriverKitSymbols symbols;
    private readonly MethodBodies bodies;
    private readonly SourceWords words;
    private readonly ConcurrentDictionary<string, WordOccurrences> spellings = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ISymbol, ImmutableArray<IObjectCreationOperation>> members = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, bool> handlers = new(SymbolEqualityComparer.Default);

    public VmOpsResolver(DriverKitSymbols symbols, MethodBodies bodies, SourceWords words)
    {
        this.symbols = symbols;
        this.bodies = bodies;
        this.words = words;
    }

    /// <summary>The RAM-page handler of a VmOperations value (an operation of an original, not flow-graph, tree), or null.</summary>
    public OpsInfo? Resolve(IOperation? value, CancellationToken cancellationToken)
    {
        foreach (var creation in Tables(value, cancellationToken))
        {
            if (FromInitializer(creation.Initializer, cancellationToken) is { } info)
            {
                return info;
            }
        }

        return null;
    }

    /// <summary>
    /// The VmOperations object creations a value may be: the creation itself, the arms of a conditional, what a field,
    /// property or local was initialized or assigned with, what a helper returns.
    /// </summary>
    public IReadOnlyList<IObjectCreationOperation> Tables(IOperation? value, CancellationToken cancellationToken)
    {
        var found = new List<IObjectCreationOperation>();
        Collect(value, 0, found, cancellationToken);
        return found;
    }

    private void Collect(IOperation? value, int depth, List<IObjectCreationOperation> found, CancellationToken cancellationToken)
    {
        value = value.WithoutConversions();
        if (value is null || depth > MaxDepth)
        {
            return;
        }

        switch (value)
        {
            case IObjectCreationOperation creation when symbols.IsVmOperations(creation.Type):
                found.Add(creation);
                break;
            case IConditionalOperation conditional:
                Collect(conditional.WhenTrue, depth + 1, found, cancellationToken);
                Collect(conditional.WhenFalse, depth + 1, found, cancellationToken);
                break;
            case ICoalesceOperation coalesce:
                Collect(coalesce.Value, depth + 1, found, cancellationToken);
                Collect(coalesce.WhenNull, depth + 1, found, cancellationToken);
                break;
            case ISwitchExpressionOperation switchExpression:
                foreach (var arm in switchExpression.Arms)
                {
                    Collect(arm.Value, depth + 1, found, cancellationToken);
                }

                break;
            case IFieldReferenceOperation field:
                found.AddRange(MemberTables(field.Field, depth, cancellationToken));
                break;
            case IPropertyReferenceOperation property when property.Arguments.IsEmpty:
                found.AddRange(MemberTables(property.Property, depth, cancellationToken));
                break;
            case ILocalReferenceOperation local:
                CollectAssignments(value.Root(), local.Local, depth, found, cancellationToken);
                break;
            case IInvocationOperation invocation when bodies.Get(invocation.TargetMethod, cancellationToken) is { } body:
                foreach (var operation in body.Operation.OperationsWithinFunction())
                {
                    if (operation is IReturnOperation { ReturnedValue: { } returned })
                    {
                        Collect(returned, depth + 1, found, cancellationToken);
                    }
                }

                break;
        }
    }

    private OpsInfo? FromInitializer(IObjectOrCollectionInitializerOperation? initializer, CancellationToken cancellationToken)
    {
        if (initializer is null)
        {
            return null;
        }

        foreach (var member in initializer.Initializers)
        {
            if (member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation target } assignment)
            {
                var role = symbols.Is(target.Property, symbols.VmOperationsFault) ? "Fault"
                    : symbols.Is(target.Property, symbols.VmOperationsNoPage) ? "NoPage"
                    : null;
                if (role is not null && HandlerHandsOutRam(assignment.Value, role, 0, cancellationToken, out var name))
                {
                    return new OpsInfo(role, name);
                }
            }
        }

        return null;
    }

    private ImmutableArray<IObjectCreationOperation> MemberTables(ISymbol member, int depth, CancellationToken cancellationToken)
    {
        if (member.ContainingType is null || !member.Locations.Any(location => location.IsInSource))
        {
            return ImmutableArray<IObjectCreationOperation>.Empty;
        }

        // Only results computed from the top are cached, so a result never depends on which caller asked first.
        return depth == 0
            ? members.GetOrAdd(member.OriginalDefinition, symbol => MemberTablesCore(symbol, 0, cancellationToken))
            : MemberTablesCore(member.OriginalDefinition, depth, cancellationToken);
    }

    /// <summary>The member's initializer and every assignment to it in its type's methods and constructors.</summary>
    private ImmutableArray<IObjectCreationOperation> MemberTablesCore(ISymbol member, int depth, CancellationToken cancellationToken)
    {
        var found = new List<IObjectCreationOperation>();
        Collect(bodies.GetInitializer(member, cancellationToken), depth + 1, found, cancellationToken);
        var spelt = spellings.GetOrAdd(member.Name, name => words.Find(new[] { name }, cancellationToken));
        foreach (var candidate in member.ContainingType.GetMembers())
        {
            // Only methods that spell the member are bound: a driver class has many methods and few touch its vm_ops field.
            // Whether one does is a look-up in the identifier index, not a walk of its tokens.
            if (candidate is not IMethodSymbol method
                || !method.DeclaringSyntaxReferences.Any(reference => spelt.AnyWithin(reference.SyntaxTree, reference.Span))
                || bodies.Get(method, cancellationToken) is not { } body)
            {
                continue;
            }

            foreach (var operation in body.Operation.DescendantsAndSelf())
            {
                if (operation is ISimpleAssignmentOperation assignment && TargetSymbol(assignment.Target) is { } target
                    && SymbolEqualityComparer.Default.Equals(target.OriginalDefinition, member))
                {
                    Collect(assignment.Value, depth + 1, found, cancellationToken);
                }
            }
        }

        return found.ToImmutableArray();
    }

    private void CollectAssignments(IOperation root, ILocalSymbol local, int depth, List<IObjectCreationOperation> found, CancellationToken cancellationToken)
    {
        foreach (var operation in root.DescendantsAndSelf())
        {
            var value = operation switch
            {
                ISimpleAssignmentOperation assignment when TargetSymbol(assignment.Target) is ILocalSymbol target
                    && SymbolEqualityComparer.Default.Equals(target, local) => assignment.Value,
                IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local) =>
                    declarator.Initializer?.Value ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer?.Value,
                _ => null,
            };
            Collect(value, depth + 1, found, cancellationToken);
        }
    }

    private static ISymbol? TargetSymbol(IOperation target) => target switch
    {
        IFieldReferenceOperation field => field.Field,
        IPropertyReferenceOperation property => property.Property,
        ILocalReferenceOperation local => local.Local,
        _ => null,
    };

    /// <summary>Whether a handler (delegate creation from a method group, lambda or local function) hands out RAM pages; unknown handlers are assumed to.</summary>
    private bool HandlerHandsOutRam(IOperation value, string role, int depth, CancellationToken cancellationToken, out string name)
    {
        value = value.WithoutConversions() ?? value;
        if (value is IDelegateCreationOperation creation)
        {
            switch (creation.Target)
            {
                case IAnonymousFunctionOperation lambda:
                    name = "(lambda)";
                    return BodyHandsOutRam(lambda.Body, lambda.Symbol, role, depth, cancellationToken);
                case IMethodReferenceOperation reference:
                    name = reference.Method.Name;
                    return MethodHandsOutRam(reference.Method, role, depth, cancellationToken);
            }
        }

        name = value.Syntax.ToString();
        return true;
    }

    private bool MethodHandsOutRam(IMethodSymbol method, string role, int depth, CancellationToken cancellationToken)
    {
        if (depth > MaxDepth)
        {
            return true;
        }

        bool Compute(IMethodSymbol symbol) =>
            bodies.Get(symbol, cancellationToken) is not { } body
            || BodyHandsOutRam(body.Operation, symbol, role, depth + 1, cancellationToken);

        return depth == 0
            ? handlers.GetOrAdd(method.OriginalDefinition, symbol => Compute((IMethodSymbol)symbol))
            : Compute(method.OriginalDefinition);
    }

    private bool BodyHandsOutRam(IOperation body, IMethodSymbol function, string role, int depth, CancellationToken cancellationToken)
    {
        var faultParameter = function.Parameters.FirstOrDefault(parameter => symbols.IsVmFault(parameter.Type));
        foreach (var operation in body.OperationsWithinFunction())
        {
            switch (operation)
            {
                case IReturnOperation { ReturnedValue: { } returned } when role == "NoPage" && symbols.IsPage(returned.Type.WithoutNullable() ?? function.ReturnType) && !IsNoPage(returned):
                    return true;
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation target } assignment
                    when symbols.Is(target.Property, symbols.VmFaultPage) && !IsNoPage(assignment.Value):
                    return true;
                case IInvocationOperation invocation when role == "Fault" && faultParameter is not null
                    && invocation.Arguments.Any(argument => argument.Value.WithoutConversions() is IParameterReferenceOperation p
                        && SymbolEqualityComparer.Default.Equals(p.Parameter, faultParameter))
                    && invocation.TargetMethod.Locations.Any(location => location.IsInSource)
                    && symbols.Classify(invocation.TargetMethod) == KernelApi.None:
                    if (MethodHandsOutRam(invocation.TargetMethod, role, depth + 1, cancellationToken))
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>A fault result that is no page: <c>default</c>, <c>null</c>, <c>new Page()</c>, <c>Page.NoPageOom</c>.</summary>
    public bool IsNoPage(IOperation value)
    {
        value = value.WithoutConversions() ?? value;
        return value switch
        {
            IDefaultValueOperation => true,
            ILiteralOperation { ConstantValue: { HasValue: true, Value: null } } => true,
            IObjectCreationOperation { Arguments.IsEmpty: true, Initializer: null } creation => symbols.IsPage(creation.Type),
            IFieldReferenceOperation field => SymbolEqualityComparer.Default.Equals(field.Field, symbols.PageNoPageOom),
            _ => false,
        };
    }
}

internal static class TypeSymbolExtensions
{
    /// <summary>The type, with a nullable value type unwrapped.</summary>
    public static ITypeSymbol? WithoutNullable(this ITypeSymbol? type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : type;
}
