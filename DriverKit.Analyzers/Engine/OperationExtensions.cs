using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

internal static class OperationExtensions
{
    /// <summary>The operation without implicit or identity conversions around it.</summary>
    public static IOperation? WithoutConversions(this IOperation? operation)
    {
        while (operation is IConversionOperation conversion
            && (conversion.IsImplicit || conversion.Conversion.IsIdentity
                || SymbolEqualityComparer.Default.Equals(conversion.Type, conversion.Operand.Type)))
        {
            operation = conversion.Operand;
        }

        return operation;
    }

    /// <summary>
    /// Whether a value is read without side effects: a local, parameter or <c>this</c>, or a field or argument-less property of
    /// one. Code fixes that write such a value a second time (a receiver, a window) need it.
    /// </summary>
    public static bool IsPlainRead(this IOperation? operation) => operation.WithoutConversions() switch
    {
        ILocalReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation => true,
        IFieldReferenceOperation field => field.Instance is null || field.Instance.IsPlainRead(),
        IPropertyReferenceOperation property => property.Arguments.IsEmpty && (property.Instance is null || property.Instance.IsPlainRead()),
        _ => false,
    };

    /// <summary>The argument passed for the parameter at <paramref name="ordinal"/>, or null.</summary>
    public static IOperation? Argument(this IInvocationOperation invocation, int ordinal)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == ordinal)
            {
                return argument.Value;
            }
        }

        return null;
    }

    /// <summary>The argument passed for the parameter named <paramref name="name"/>, or null.</summary>
    public static IOperation? Argument(this IInvocationOperation invocation, string name)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == name)
            {
                return argument.Value;
            }
        }

        return null;
    }

    /// <summary>The topmost operation of the tree <paramref name="operation"/> belongs to.</summary>
    public static IOperation Root(this IOperation operation)
    {
        while (operation.Parent is { } parent)
        {
            operation = parent;
        }

        return operation;
    }

    /// <summary>The integral value of a constant, reinterpreted as 64 bits; null when there is none.</summary>
    public static ulong? ConstantBits(this IOperation operation)
    {
        var constant = operation.ConstantValue;
        if (!constant.HasValue)
        {
            return null;
        }

        return constant.Value switch
        {
            ulong u => u,
            long l => unchecked((ulong)l),
            uint u => u,
            int i => unchecked((ulong)i),
            ushort u => u,
            short s => unchecked((ulong)s),
            byte b => b,
            sbyte s => unchecked((ulong)s),
            char c => c,
            _ => null,
        };
    }

    /// <summary>True for integral types other than enums (the operand of a numeric VmFlags cast).</summary>
    public static bool IsIntegral(this ITypeSymbol? type) => type?.SpecialType is
        SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16 or
        SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64 or
        SpecialType.System_Char;

    /// <summary>True when the operation is nested in a <c>nameof</c>.</summary>
    public static bool IsInNameOf(this IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is INameOfOperation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The operations of a function's code, without those of the lambdas and local functions inside it.</summary>
    public static IEnumerable<IOperation> OperationsWithinFunction(this IOperation body)
    {
        var work = new Stack<IOperation>();
        work.Push(body);
        while (work.Count > 0)
        {
            var operation = work.Pop();
            yield return operation;
            foreach (var child in operation.ChildOperations)
            {
                if (child is not (IAnonymousFunctionOperation or ILocalFunctionOperation))
                {
                    work.Push(child);
                }
            }
        }
    }

    /// <summary>
    /// The local functions declared anywhere in a function's code, reachable or not (a local function after the last
    /// return is still code), but not those of the lambdas and local functions inside it.
    /// </summary>
    public static IEnumerable<IOperation> LocalFunctionsDeclaredIn(this IOperation body)
    {
        if (!DeclaresLocalFunctions(body.Syntax))
        {
            yield break;
        }

        var work = new Stack<IOperation>();
        work.Push(body);
        while (work.Count > 0)
        {
            var operation = work.Pop();
            if (!ReferenceEquals(operation, body) && operation is ILocalFunctionOperation or IAnonymousFunctionOperation)
            {
                if (operation is ILocalFunctionOperation)
                {
                    yield return operation;
                }

                continue;
            }

            foreach (var child in operation.ChildOperations)
            {
                work.Push(child);
            }
        }
    }

    /// <summary>
    /// Whether the code of <paramref name="function"/> declares a local function, judged by syntax: a local function is a
    /// statement, and the only statements inside an expression are those of lambdas, whose local functions are the lambda's.
    /// Only statements are visited, so most bodies need no operation walk at the price of a few nodes.
    /// </summary>
    private static bool DeclaresLocalFunctions(SyntaxNode function) =>
        function.DescendantNodes(node => node == function
                || node is StatementSyntax and not LocalFunctionStatementSyntax
                || node is GlobalStatementSyntax or SwitchSectionSyntax or CatchClauseSyntax or FinallyClauseSyntax or ElseClauseSyntax)
            .Any(node => node.IsKind(SyntaxKind.LocalFunctionStatement));
}
