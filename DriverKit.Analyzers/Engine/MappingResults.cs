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

        var function = Functions.EnclosingFunction(call.Invocation);
        return Functions.ReturnType(function)?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 ? function : null;
    }
}
