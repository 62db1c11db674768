using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The buffer a page or address expression belongs to: the field, property, parameter or local it is derived from
/// (<c>VirtToPage(buf + i * PageSize)</c> → <c>buf</c>, <c>pages[i]</c> → <c>pages</c>, <c>page + i</c> → <c>page</c>,
/// a foreach variable → its collection). <see cref="Device"/> marks pages that came from <c>PfnToPage</c> (device or boot
/// memory, not the allocator).
/// </summary>
internal readonly struct BufferKey
{
    private const int MaxDepth = 8;

    public BufferKey(ISymbol? symbol, bool device)
    {
        Symbol = symbol;
        Device = device;
    }

    public ISymbol? Symbol { get; }

    public bool Device { get; }

    public bool Matches(BufferKey other) =>
        Symbol is not null && SymbolEqualityComparer.Default.Equals(Symbol.OriginalDefinition, other.Symbol?.OriginalDefinition);

    /// <summary>Resolves the buffer of <paramref name="operation"/>; <paramref name="model"/> is the model of its tree, used for locals.</summary>
    public static BufferKey? Resolve(IOperation? operation, DriverKitSymbols symbols, SemanticModel? model, CancellationToken cancellationToken) =>
        Resolve(operation, symbols, model, cancellationToken, 0);

    private static BufferKey? Resolve(IOperation? operation, DriverKitSymbols symbols, SemanticModel? model, CancellationToken cancellationToken, int depth)
    {
        operation = operation.WithoutConversions();
        if (operation is null || depth > MaxDepth)
        {
            return null;
        }

        switch (operation)
        {
            case IInvocationOperation invocation:
                switch (symbols.Classify(invocation.TargetMethod))
                {
                    case KernelApi.VirtToPage:
                    case KernelApi.VmallocToPage:
                        return Resolve(invocation.Argument(0), symbols, model, cancellationToken, depth + 1);
                    case KernelApi.PfnToPage:
                        var device = Resolve(invocation.Argument(0), symbols, model, cancellationToken, depth + 1);
                        return new BufferKey(device?.Symbol, device: true);
                    default:
                        return null;
                }

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract } binary:
                return Resolve(binary.LeftOperand, symbols, model, cancellationToken, depth + 1)
                    ?? Resolve(binary.RightOperand, symbols, model, cancellationToken, depth + 1);
            case IArrayElementReferenceOperation element:
                return Resolve(element.ArrayReference, symbols, model, cancellationToken, depth + 1);
            case IPropertyReferenceOperation { Arguments.IsEmpty: false } indexer:
                return Resolve(indexer.Instance, symbols, model, cancellationToken, depth + 1);
            case IFieldReferenceOperation field:
                return new BufferKey(field.Field, device: false);
            case IPropertyReferenceOperation property:
                return new BufferKey(property.Property, device: false);
            case IParameterReferenceOperation parameter:
                return new BufferKey(parameter.Parameter, device: false);
            case ILocalReferenceOperation local:
                return ResolveLocal(local.Local, symbols, model, cancellationToken, depth) ?? new BufferKey(local.Local, device: false);
            default:
                return null;
        }
    }

    /// <summary>A local's buffer: the collection of a foreach variable, or what its declaration initialized it with.</summary>
    private static BufferKey? ResolveLocal(ILocalSymbol local, DriverKitSymbols symbols, SemanticModel? model, CancellationToken cancellationToken, int depth)
    {
        if (model is null)
        {
            return null;
        }

        foreach (var reference in local.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax(cancellationToken);
            if (syntax.SyntaxTree != model.SyntaxTree)
            {
                continue;
            }

            switch (model.GetOperation(syntax, cancellationToken))
            {
                case IForEachLoopOperation loop:
                    return Resolve(loop.Collection, symbols, model, cancellationToken, depth + 1);
                case IVariableDeclaratorOperation declarator:
                    var initializer = declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer;
                    return initializer is null ? null : Resolve(initializer.Value, symbols, model, cancellationToken, depth + 1);
            }
        }

        return null;
    }
}
