using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The pages of a high-order block (DK0010): whether a block's tail pages lack references of their own (allocated without
/// Gfp.Comp and never given to SplitPage), and whether a page handed to a mapping call may be one past the head — page
/// arithmetic (<c>PfnToPage(PageToPfn(page) + i)</c>), a cursor, or an array of the block's pages.
/// </summary>
internal static class BlockPages
{
    private const int MaxDepth = 16;

    /// <summary>Whether <paramref name="source"/> is a block of more than one page whose tails have refcount 0.</summary>
    public static bool HasUnreferencedTails(DriverKitEngine engine, MemorySource source, CancellationToken cancellationToken) =>
        source is { Kind: MemoryKind.PageBlock, Compound: false, Allocation: not null } && source.Order != 0
        && !engine.Provenance.IsSplit(source, cancellationToken);

    /// <summary>Whether the page (or pages) a vm_insert_page / vm_map_pages call maps may lie past the head of its block.</summary>
    public static bool MayBeTail(DriverKitEngine engine, MappingCall call, CancellationToken cancellationToken) =>
        call.Api == KernelApi.VmMapPages
        || MayBeOffset(engine, engine.Values.FlowOf(call.Invocation, cancellationToken), call.Memory, new HashSet<Definition>(), 0);

    private static bool MayBeOffset(DriverKitEngine engine, ValueFlow flow, IOperation? operation, HashSet<Definition> visiting, int depth)
    {
        operation = operation.WithoutConversions();
        if (operation is IArgumentOperation argument)
        {
            operation = argument.Value.WithoutConversions();
        }

        if (operation is null || depth > MaxDepth)
        {
            return false;
        }

        bool Next(IOperation? inner) => MayBeOffset(engine, flow, inner, visiting, depth + 1);
        switch (operation)
        {
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract } binary:
                return binary.RightOperand.ConstantBits() != 0 || Next(binary.LeftOperand);
            case IIncrementOrDecrementOperation or ICompoundAssignmentOperation:
                return true;
            case IArrayElementReferenceOperation:
                // An array of a block's pages holds its tails.
                return true;
            case IInvocationOperation invocation when engine.Symbols.RoleOf(invocation.TargetMethod) is ValueRole.Conversion or ValueRole.DeviceConversion:
                return Next(invocation.Argument(0));
            case IInvocationOperation invocation when invocation.Instance is { } instance && engine.Symbols.IsAddressType(instance.Type):
                return Next(instance);
            case IObjectCreationOperation creation when engine.Symbols.IsAddressType(creation.Type):
                return creation.Arguments.Any(created => Next(created.Value));
            case IPropertyReferenceOperation property when engine.Symbols.IsAddressType(property.Property.ContainingType):
                return Next(property.Instance);
            case ISimpleAssignmentOperation assignment:
                return Next(assignment.Value);
            case ILocalReferenceOperation or IParameterReferenceOperation:
                foreach (var definition in flow.DefinitionsReaching(operation) ?? Array.Empty<Definition>())
                {
                    if (!visiting.Add(definition))
                    {
                        continue;
                    }

                    var offset = definition.Kind switch
                    {
                        DefinitionKind.Assignment => Next(definition.Value),
                        DefinitionKind.Update or DefinitionKind.Element => true,
                        _ => false,
                    };
                    visiting.Remove(definition);
                    if (offset)
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }
}
