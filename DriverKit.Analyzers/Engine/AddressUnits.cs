using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>What a raw integer holding an address counts: bytes or page frames.</summary>
internal enum AddressUnit
{
    /// <summary>Not an address the analysis recognizes, or bytes on one path and frames on another.</summary>
    Unknown,

    /// <summary>A byte address or length: <c>phys.Value</c>, <c>vma.Length</c>, <c>pfn.Value &lt;&lt; PageShift</c>.</summary>
    Bytes,

    /// <summary>A page frame number or page count: <c>pfn.Value</c>, <c>vma.Pgoff</c>, <c>phys.Value &gt;&gt; PageShift</c>.</summary>
    Frames,
}

/// <summary>
/// The unit of the raw integers a driver computes addresses with (DK0008): the typed addresses make <c>RemapPfnRange(…, phys, …)</c>
/// a compile error, so a physical address reaches a pfn only through a raw round-trip (<c>new Pfn(phys.Value)</c>). The unit
/// follows locals and parameters through their reaching definitions (<see cref="ValueFlow"/>), shifts and divisions by the page
/// size, offsets and masks; anything else is <see cref="AddressUnit.Unknown"/>, so only a value that is bytes on every path counts.
/// </summary>
internal static class AddressUnits
{
    private const int MaxDepth = 24;

    public static AddressUnit Of(DriverKitEngine engine, ValueFlow flow, IOperation? operation, CancellationToken cancellationToken) =>
        Of(engine, flow, operation, new HashSet<object>(), 0, cancellationToken);

    private static AddressUnit Of(DriverKitEngine engine, ValueFlow flow, IOperation? operation, HashSet<object> visiting, int depth, CancellationToken cancellationToken)
    {
        operation = operation.WithoutConversions();
        if (operation is null || depth > MaxDepth || operation.ConstantValue.HasValue)
        {
            return AddressUnit.Unknown;
        }

        cancellationToken.ThrowIfCancellationRequested();
        AddressUnit Next(IOperation? inner) => Of(engine, flow, inner, visiting, depth + 1, cancellationToken);
        switch (operation)
        {
            case IPropertyReferenceOperation property:
                return engine.Symbols.IsRuntime(property.Property) ? OfMember(property.Property) : AddressUnit.Unknown;
            case IFieldReferenceOperation field when !field.Field.HasConstantValue:
                return Stored(engine, field.Field, visiting, depth, cancellationToken);
            case IParenthesizedOperation parenthesized:
                return Next(parenthesized.Operand);
            case IBinaryOperation binary:
                return Combine(engine.Symbols, binary.OperatorKind, Next(binary.LeftOperand), binary.RightOperand.ConstantBits(), () => Next(binary.RightOperand));
            case ICompoundAssignmentOperation compound:
                return Combine(engine.Symbols, compound.OperatorKind, Next(compound.Target), compound.Value.ConstantBits(), () => Next(compound.Value));
            case ISimpleAssignmentOperation assignment:
                return Next(assignment.Value);
            case IIncrementOrDecrementOperation increment:
                return Next(increment.Target);
            case IConditionalOperation conditional:
                return Join(Next(conditional.WhenTrue), Next(conditional.WhenFalse));
            case ILocalReferenceOperation or IParameterReferenceOperation:
                var reaching = flow.DefinitionsReaching(operation);
                if (reaching is null || reaching.Count == 0)
                {
                    return AddressUnit.Unknown;
                }

                AddressUnit? result = null;
                foreach (var definition in reaching)
                {
                    // A constant (the zero a C port initializes with) says nothing about the unit; a cycle neither.
                    if (definition.Value?.ConstantValue.HasValue == true || !visiting.Add(definition))
                    {
                        continue;
                    }

                    var unit = definition.Kind switch
                    {
                        DefinitionKind.Assignment => Next(definition.Value),
                        DefinitionKind.Update => Next(definition.Operation),
                        DefinitionKind.Entry => Passed(engine, (IParameterSymbol)definition.Symbol, visiting, depth, cancellationToken),
                        _ => AddressUnit.Unknown,
                    };
                    visiting.Remove(definition);
                    result = result is { } known ? Join(known, unit) : unit;
                }

                return result ?? AddressUnit.Unknown;
            default:
                return AddressUnit.Unknown;
        }
    }

    /// <summary>The unit of every value the compilation stores into a field (unknown when the stores disagree or there are none).</summary>
    private static AddressUnit Stored(DriverKitEngine engine, IFieldSymbol field, HashSet<object> visiting, int depth, CancellationToken cancellationToken)
    {
        if (!visiting.Add(field))
        {
            return AddressUnit.Unknown;
        }

        AddressUnit? result = null;
        foreach (var (storeFlow, value) in engine.Values.StoresInto(field, cancellationToken))
        {
            if (value.ConstantValue.HasValue)
            {
                continue;
            }

            var unit = Of(engine, storeFlow, value, visiting, depth + 1, cancellationToken);
            result = result is { } known ? Join(known, unit) : unit;
        }

        visiting.Remove(field);
        return result ?? AddressUnit.Unknown;
    }

    /// <summary>The unit of what every caller of a helper passes for one of its parameters.</summary>
    private static AddressUnit Passed(DriverKitEngine engine, IParameterSymbol parameter, HashSet<object> visiting, int depth, CancellationToken cancellationToken)
    {
        if (!visiting.Add(parameter))
        {
            return AddressUnit.Unknown;
        }

        AddressUnit? result = null;
        foreach (var (callerFlow, argument) in engine.Values.ArgumentsFor(parameter, cancellationToken))
        {
            var unit = Of(engine, callerFlow, argument, visiting, depth + 1, cancellationToken);
            result = result is { } known ? Join(known, unit) : unit;
        }

        visiting.Remove(parameter);
        return result ?? AddressUnit.Unknown;
    }

    /// <summary>The unit of a runtime member read: an address type's <c>Value</c>, a vma's length or pgoff.</summary>
    private static AddressUnit OfMember(IPropertySymbol property) => (property.ContainingType?.Name, property.Name) switch
    {
        ("PhysAddr" or "KernelAddr" or "VmallocAddr" or "UserAddr", "Value") => AddressUnit.Bytes,
        ("Pfn", "Value") => AddressUnit.Frames,
        ("VmArea", "Length") or ("MmioRegion", "Size") => AddressUnit.Bytes,
        ("VmArea" or "VmFault", "Pgoff") or ("VmArea", "Pages") or ("MmioRegion", "Pages") => AddressUnit.Frames,
        _ => AddressUnit.Unknown,
    };

    private static AddressUnit Combine(DriverKitSymbols symbols, BinaryOperatorKind kind, AddressUnit left, ulong? constantRight, Func<AddressUnit> right)
    {
        var isPageShift = constantRight == symbols.PageShift;
        var isPageSize = constantRight == symbols.PageSize;
        return kind switch
        {
            BinaryOperatorKind.RightShift when isPageShift && left == AddressUnit.Bytes => AddressUnit.Frames,
            BinaryOperatorKind.Divide when isPageSize && left == AddressUnit.Bytes => AddressUnit.Frames,
            BinaryOperatorKind.LeftShift when isPageShift && left == AddressUnit.Frames => AddressUnit.Bytes,
            BinaryOperatorKind.Multiply when isPageSize && left == AddressUnit.Frames => AddressUnit.Bytes,
            BinaryOperatorKind.And => left,
            BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Or when constantRight is not null => left,
            BinaryOperatorKind.Add or BinaryOperatorKind.Or => Offset(left, right()),
            _ => AddressUnit.Unknown,
        };
    }

    /// <summary>An address plus an offset of its own unit (or of no known unit) keeps the unit; bytes plus frames is nonsense.</summary>
    private static AddressUnit Offset(AddressUnit left, AddressUnit right) =>
        left == right || right == AddressUnit.Unknown ? left : left == AddressUnit.Unknown ? right : AddressUnit.Unknown;

    private static AddressUnit Join(AddressUnit a, AddressUnit b) => a == b ? a : AddressUnit.Unknown;
}
