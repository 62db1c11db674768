using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>The cache modes a page protection may carry on some path (DK0016).</summary>
[Flags]
internal enum CacheModes
{
    /// <summary>Nothing known: a parameter no caller is found for, a field, a computed protection.</summary>
    None = 0,

    /// <summary>Write-back: <c>vma.PageProt</c> as the core set it (vm_get_page_prot), <c>PgProt.FromVmFlags</c>.</summary>
    WriteBack = 1,

    /// <summary>Uncached or write-combining: through <c>PgprotNoncached</c>/<c>PgprotWritecombine</c> or an explicit cache mode.</summary>
    Uncached = 2,
}

/// <summary>
/// Which cache modes a protection handed to a mapping call may have (DK0016), following locals and parameters through their
/// reaching definitions and helpers' callers. A read of <c>vma.PageProt</c> is write-back unless an uncached protection is
/// stored there first: by a statement before the read in a block or switch section around it, by a helper the same code calls,
/// or by code that calls this helper (the order of calls is not tracked across functions). In a handler the driver never calls
/// and that sets no protection itself (a fault handler inserting pfns), a store anywhere in its type counts: the kernel runs
/// it after ->mmap set the protection.
/// </summary>
internal static class ProtectionCaching
{
    private const int MaxDepth = 16;

    /// <summary>The cache modes <paramref name="protection"/> (an operation of <paramref name="flow"/>'s root) may have.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="flow">The value analysis of the code that hands the protection over.</param>
    /// <param name="protection">The protection.</param>
    /// <param name="followVmaStores">
    /// Whether a read of <c>vma.PageProt</c> takes the type's stores into account; without, it is unknown — for the question "is
    /// this protection certainly made uncached here", which a store in another handler of the type must not answer.
    /// </param>
    /// <param name="cancellationToken">Cancels the analysis.</param>
    public static CacheModes Of(DriverKitEngine engine, ValueFlow flow, IOperation? protection, bool followVmaStores, CancellationToken cancellationToken)
    {
        var visiting = new HashSet<object>();
        if (!followVmaStores && engine.Symbols.VmAreaPageProt is { } pageProt)
        {
            visiting.Add(pageProt);
        }

        return Of(engine, flow, protection, visiting, 0, cancellationToken);
    }

    /// <summary>The cache modes of <c>vma.PageProt</c> as read at <paramref name="at"/> (a call that maps with it).</summary>
    public static CacheModes OfVmaProtection(DriverKitEngine engine, ValueFlow flow, IOperation at, CancellationToken cancellationToken) =>
        VmaProtection(engine, flow, at, new HashSet<object>(), 0, cancellationToken);

    private static CacheModes Of(DriverKitEngine engine, ValueFlow flow, IOperation? operation, HashSet<object> visiting, int depth, CancellationToken cancellationToken)
    {
        operation = operation.WithoutConversions();
        if (operation is IArgumentOperation argument)
        {
            operation = argument.Value.WithoutConversions();
        }

        if (operation is null || depth > MaxDepth)
        {
            return CacheModes.None;
        }

        cancellationToken.ThrowIfCancellationRequested();
        CacheModes Next(ValueFlow inFlow, IOperation? inner) => Of(engine, inFlow, inner, visiting, depth + 1, cancellationToken);
        switch (operation)
        {
            case IInvocationOperation invocation when engine.Symbols.IsRuntime(invocation.TargetMethod):
                return invocation.TargetMethod.Name switch
                {
                    "PgprotNoncached" or "PgprotWritecombine" => CacheModes.Uncached,
                    "FromVmFlags" => CacheModes.WriteBack,
                    _ => CacheModes.None,
                };
            case IPropertyReferenceOperation { Property.Name: "PageProt" } property when engine.Symbols.IsVmArea(property.Property.ContainingType):
                return VmaProtection(engine, flow, property, visiting, depth + 1, cancellationToken);
            case IWithOperation with:
                var cache = with.Initializer.Initializers
                    .OfType<ISimpleAssignmentOperation>()
                    .FirstOrDefault(assignment => assignment.Target is IPropertyReferenceOperation { Property.Name: "Cache" });
                return cache is null ? Next(flow, with.Operand) : FromConstant(engine, cache.Value);
            case IObjectCreationOperation creation when creation.Type?.Name == "PgProt" && creation.Arguments.Length == 4:
                return FromConstant(engine, creation.Arguments[3].Value);
            case IConditionalOperation conditional:
                return Next(flow, conditional.WhenTrue) | Next(flow, conditional.WhenFalse);
            case ISimpleAssignmentOperation assignment:
                return Next(flow, assignment.Value);
            case ILocalReferenceOperation or IParameterReferenceOperation:
                var result = CacheModes.None;
                foreach (var definition in flow.DefinitionsReaching(operation) ?? Array.Empty<Definition>())
                {
                    if (!visiting.Add(definition))
                    {
                        continue;
                    }

                    result |= definition.Kind switch
                    {
                        DefinitionKind.Assignment => Next(flow, definition.Value),
                        DefinitionKind.Entry => Callers(engine, (IParameterSymbol)definition.Symbol, visiting, depth, cancellationToken),
                        _ => CacheModes.None,
                    };
                    visiting.Remove(definition);
                }

                return result;
            default:
                return CacheModes.None;
        }
    }

    /// <summary>What the callers of a helper pass for one of its parameters.</summary>
    private static CacheModes Callers(DriverKitEngine engine, IParameterSymbol parameter, HashSet<object> visiting, int depth, CancellationToken cancellationToken)
    {
        if (!visiting.Add(parameter))
        {
            return CacheModes.None;
        }

        var result = CacheModes.None;
        foreach (var (callerFlow, argument) in engine.Values.ArgumentsFor(parameter, cancellationToken))
        {
            result |= Of(engine, callerFlow, argument, visiting, depth + 1, cancellationToken);
        }

        visiting.Remove(parameter);
        return result;
    }

    private static CacheModes VmaProtection(DriverKitEngine engine, ValueFlow flow, IOperation at, HashSet<object> visiting, int depth, CancellationToken cancellationToken)
    {
        if (engine.Symbols.VmAreaPageProt is not { } pageProt || !visiting.Add(pageProt))
        {
            return CacheModes.None;
        }

        var stored = CacheModes.None;

        // Stores before the read in this code, then anywhere in the helpers it calls and in the code that calls it.
        foreach (var value in StoresIn(engine, flow.Root))
        {
            if (Precedes(value, at))
            {
                stored |= Of(engine, flow, value, visiting, depth + 1, cancellationToken);
            }
        }

        foreach (var invocation in flow.Root.Descendants().OfType<IInvocationOperation>())
        {
            if (engine.Symbols.Classify(invocation.TargetMethod) == KernelApi.None
                && engine.Bodies.Get(invocation.TargetMethod, cancellationToken) is { } helper)
            {
                stored |= StoredBy(engine, helper.Operation, visiting, depth, cancellationToken);
            }
        }

        var owner = CodeRoots.OwnerOf(flow.Root, cancellationToken);
        var called = false;
        if (owner is IMethodSymbol self)
        {
            foreach (var (callerFlow, _) in engine.Values.CallsOf(self, cancellationToken))
            {
                called = true;
                stored |= StoredBy(engine, callerFlow.Root, visiting, depth, cancellationToken);
            }
        }

        if (!called && owner?.ContainingType is { } type && (stored & CacheModes.Uncached) == 0 && !StoresIn(engine, flow.Root).Any())
        {
            // A handler nobody in the driver calls and that sets no protection itself (->fault, where vmf_insert_pfn runs): the
            // kernel calls it after ->mmap, which is where the protection is set. Any uncached store by the type's code counts.
            foreach (var (storeFlow, value) in engine.Values.StoresInto(pageProt, cancellationToken))
            {
                if (SymbolEqualityComparer.Default.Equals(CodeRoots.OwnerOf(storeFlow.Root, cancellationToken)?.ContainingType, type))
                {
                    stored |= Of(engine, storeFlow, value, visiting, depth + 1, cancellationToken);
                }
            }
        }

        visiting.Remove(pageProt);
        return (stored & CacheModes.Uncached) != 0 ? CacheModes.Uncached : CacheModes.WriteBack;
    }

    /// <summary>The cache modes of every protection stored into <c>vma.PageProt</c> in one function.</summary>
    private static CacheModes StoredBy(DriverKitEngine engine, IOperation code, HashSet<object> visiting, int depth, CancellationToken cancellationToken)
    {
        var result = CacheModes.None;
        foreach (var value in StoresIn(engine, code))
        {
            result |= Of(engine, engine.Values.FlowOf(value, cancellationToken), value, visiting, depth + 1, cancellationToken);
        }

        return result;
    }

    /// <summary>The values <paramref name="code"/> assigns to <c>vma.PageProt</c>.</summary>
    private static IEnumerable<IOperation> StoresIn(DriverKitEngine engine, IOperation code) =>
        code.Descendants().OfType<ISimpleAssignmentOperation>()
            .Where(assignment => assignment.Target is IPropertyReferenceOperation { Property: var property } && engine.Symbols.Is(property, engine.Symbols.VmAreaPageProt))
            .Select(assignment => assignment.Value);

    /// <summary>
    /// Whether the statement of <paramref name="store"/> comes before <paramref name="read"/> in a block that encloses the read:
    /// it runs on every path to the read that does not leave the block first.
    /// </summary>
    private static bool Precedes(IOperation store, IOperation read)
    {
        var statement = store.Syntax.FirstAncestorOrSelf<Microsoft.CodeAnalysis.CSharp.Syntax.StatementSyntax>();
        return statement?.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.BlockSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.SwitchSectionSyntax
            && statement.Parent.Span.Contains(read.Syntax.Span)
            && statement.Span.End <= read.Syntax.SpanStart;
    }

    private static CacheModes FromConstant(DriverKitEngine engine, IOperation value) =>
        value.ConstantBits() is { } constant && engine.Symbols.WriteBackCache is { } writeBack
            ? constant == writeBack ? CacheModes.WriteBack : CacheModes.Uncached
            : CacheModes.None;
}
