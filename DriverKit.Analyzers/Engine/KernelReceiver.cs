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
            // The receiver is written again in the statement, so it must be a plain read (not GetKernel(), kernels[i++]).
            if (invocation.Instance is { Syntax: ExpressionSyntax syntax } instance && SymbolEqualityComparer.Default.Equals(instance.Type, symbols.Kernel)
                && instance.IsPlainRead()
                && !(instance is IFieldReferenceOperation or IPropertyReferenceOperation && syntax is IdentifierNameSyntax name
                    && Functions.SymbolOf(function) is { } method && IsHidden(name.Identifier.ValueText, method, function)))
            {
                return syntax.ToString();
            }
        }

        return Functions.SymbolOf(function) is { } symbol ? InScope(symbols, symbol, function) : null;
    }

    private static string? InScope(DriverKitSymbols symbols, IMethodSymbol function, IOperation code)
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

        var member = function.ContainingType?.GetMembers()
            .Where(member => (member.IsStatic || !isStatic) && !member.IsImplicitlyDeclared)
            .FirstOrDefault(member => member switch
            {
                IFieldSymbol field => SymbolEqualityComparer.Default.Equals(field.Type, symbols.Kernel),
                IPropertySymbol property => SymbolEqualityComparer.Default.Equals(property.Type, symbols.Kernel) && !property.IsIndexer,
                _ => false,
            });
        if (member is null)
        {
            return null;
        }

        // A parameter or local of the same name hides the member where the statement goes (a C port's handler taking
        // 'kernel' for something else): qualify it.
        return IsHidden(member.Name, function, code) ? (member.IsStatic ? member.ContainingType.Name : "this") + "." + member.Name : member.Name;
    }

    private static bool IsHidden(string name, IMethodSymbol function, IOperation code)
    {
        for (ISymbol? symbol = function; symbol is IMethodSymbol method; symbol = method.ContainingSymbol)
        {
            if (method.Parameters.Any(parameter => parameter.Name == name))
            {
                return true;
            }
        }

        return code.DescendantsAndSelf().Any(operation => operation switch
        {
            IVariableDeclaratorOperation declarator => declarator.Symbol.Name == name,
            IAnonymousFunctionOperation lambda => lambda.Symbol.Parameters.Any(parameter => parameter.Name == name),
            ILocalFunctionOperation local => local.Symbol.Name == name || local.Symbol.Parameters.Any(parameter => parameter.Name == name),
            _ => false,
        });
    }
}
