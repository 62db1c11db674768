using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Mapping calls whose errno is dropped (DK0010): the call is a statement of its own in a function that returns an int or a
/// long (->mmap, a helper it calls, an ioctl), so the error could be returned. An explicit discard (<c>_ = …</c>) is a decision,
/// not an oversight, and a void helper has no error to return.
/// </summary>
internal static class MappingResults
{
    /// <summary>The function (method body, local function or lambda) that drops the call's result, or null.</summary>
    public static IOperation? IsIgnored(MappingCall call)
    {
        if (call.Api is KernelApi.VmfInsertPfn or KernelApi.VmfInsertMixed || call.Invocation.Parent is not IExpressionStatementOperation)
        {
            return null;
        }

        var function = EnclosingFunction(call.Invocation);
        return ReturnType(function)?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 ? function : null;
    }

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

    /// <summary>What a function found by <see cref="EnclosingFunction"/> returns.</summary>
    public static ITypeSymbol? ReturnType(IOperation? function) => function switch
    {
        ILocalFunctionOperation local => local.Symbol.ReturnType,
        IAnonymousFunctionOperation anonymous => anonymous.Symbol.ReturnType,
        { SemanticModel: { } model } => (model.GetDeclaredSymbol(function.Syntax) as IMethodSymbol)?.ReturnType,
        _ => null,
    };
}
