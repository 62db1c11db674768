using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>How a function's code can name the simulated Kernel, for the statements code fixes insert (<c>kernel.GetPage(page);</c>).</summary>
internal static class KernelReceiver
{
    /// <summary>
    /// The receiver of the function's own calls on a Kernel (<c>kernel</c>, <c>dev.Kernel</c>); else a Kernel parameter of it or of
    /// the methods around it (a lambda's), or a field or property of its type; null when it can name none.
    /// </summary>
    public static string? In(DriverKitSymbols symbols, IOperation function)
    {
        foreach (var invocation in function.OperationsWithinFunction().OfType<IInvocationOperation>())
        {
            if (invocation.Instance is { Syntax: ExpressionSyntax syntax } instance && SymbolEqualityComparer.Default.Equals(instance.Type, symbols.Kernel))
            {
                return syntax.ToString();
            }
        }

        return Functions.SymbolOf(function) is { } symbol ? InScope(symbols, symbol) : null;
    }

    private static string? InScope(DriverKitSymbols symbols, IMethodSymbol function)
    {
        var isStatic = false;
        for (ISymbol? symbol = function; symbol is IMethodSymbol method; symbol = method.ContainingSymbol)
        {
            if (method.Parameters.FirstOrDefault(parameter => SymbolEqualityComparer.Default.Equals(parameter.Type, symbols.Kernel)) is { } parameter)
            {
                return parameter.Name;
            }

            isStatic = method.IsStatic;
        }

        return function.ContainingType?.GetMembers()
            .Where(member => (member.IsStatic || !isStatic) && !member.IsImplicitlyDeclared)
            .FirstOrDefault(member => member switch
            {
                IFieldSymbol field => SymbolEqualityComparer.Default.Equals(field.Type, symbols.Kernel),
                IPropertySymbol property => SymbolEqualityComparer.Default.Equals(property.Type, symbols.Kernel) && !property.IsIndexer,
                _ => false,
            })?.Name;
    }
}
