using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>The function (method body, local function or lambda) an operation belongs to, and what it is called.</summary>
internal static class Functions
{
    /// <summary>The innermost local function, lambda or method body around <paramref name="operation"/>.</summary>
    public static IOperation? EnclosingFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is ILocalFunctionOperation or IAnonymousFunctionOperation || current.Parent is null)
            {
                return current;
            }
        }

        return null;
    }

    /// <summary>The method, local function or lambda a function found by <see cref="EnclosingFunction"/> is.</summary>
    public static IMethodSymbol? SymbolOf(IOperation? function) => function switch
    {
        ILocalFunctionOperation local => local.Symbol,
        IAnonymousFunctionOperation anonymous => anonymous.Symbol,
        { SemanticModel: { } model } => model.GetDeclaredSymbol(function.Syntax) as IMethodSymbol,
        _ => null,
    };

    /// <summary>What a function returns.</summary>
    public static ITypeSymbol? ReturnType(IOperation? function) => SymbolOf(function)?.ReturnType;

    /// <summary>How a function reads in a message: its name, or "(lambda)".</summary>
    public static string DisplayName(IOperation? function) => function switch
    {
        IAnonymousFunctionOperation => "(lambda)",
        _ => SymbolOf(function)?.Name ?? "",
    };

    /// <summary>What a local is initialized and assigned with in a function (the C shape: declared at the top, assigned later).</summary>
    public static IEnumerable<IOperation> ValuesOf(ILocalSymbol local, IOperation function)
    {
        foreach (var operation in function.OperationsWithinFunction())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local)
                    && (declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer) is { } initializer:
                    yield return initializer.Value;
                    break;
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when SymbolEqualityComparer.Default.Equals(target.Local, local):
                    yield return assignment.Value;
                    break;
                case ICompoundAssignmentOperation { Target: ILocalReferenceOperation target } compound when SymbolEqualityComparer.Default.Equals(target.Local, local):
                    // The local changes in place (addr += PAGE_SIZE): its value is the compound, which matches no pattern.
                    yield return compound;
                    break;
                case IIncrementOrDecrementOperation { Target: ILocalReferenceOperation target } step when SymbolEqualityComparer.Default.Equals(target.Local, local):
                    yield return step;
                    break;
            }
        }
    }
}
