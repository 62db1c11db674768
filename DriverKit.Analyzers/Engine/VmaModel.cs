using System.Collections.Concurrent;
using System.Collections.Immutable;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// What one ->mmap handler establishes for its VMA on the paths that leave it (its typestate): the flags some path sets
/// (by the driver, or by a mapping call that sets them in the configured era), the vm_ops tables it installs, the pages it
/// inserts and the ranges it remaps, whether it refuses private (COW) mappings and whether it touches VM_MAYWRITE. Helpers
/// the handler hands its VMA to count as the handler's code.
/// </summary>
internal sealed class MmapState
{
    private readonly Lazy<VmaFlags> flags;

    public MmapState(
        IOperation function, IParameterSymbol vma, Func<VmaFlags> flags, ImmutableArray<OpsTable> tables,
        ImmutableArray<IInvocationOperation> inserts, ImmutableArray<IInvocationOperation> remaps, bool rejectsPrivate, bool mentionsMayWrite,
        ImmutableArray<SyntaxNode> opsSites, ImmutableArray<SyntaxNode> insertSites, SyntaxNode? anchor, string? kernel)
    {
        Function = function;
        Vma = vma;
        this.flags = new Lazy<VmaFlags>(flags, LazyThreadSafetyMode.ExecutionAndPublication);
        Tables = tables;
        Inserts = inserts;
        Remaps = remaps;
        RejectsPrivate = rejectsPrivate;
        MentionsMayWrite = mentionsMayWrite;
        OpsSites = opsSites;
        InsertSites = insertSites;
        Anchor = anchor;
        Kernel = kernel;
    }

    /// <summary>The handler: a method body or a lambda.</summary>
    public IOperation Function { get; }

    /// <summary>Its VmArea parameter.</summary>
    public IParameterSymbol Vma { get; }

    /// <summary>The handler's name, or "(lambda)".</summary>
    public string Name => Functions.DisplayName(Function);

    /// <summary>The VmFlags bits some path sets on the VMA (the driver's own writes, helpers, and mapping calls in the era).</summary>
    public ulong MaySet => flags.Value.MaySet;

    /// <summary>
    /// Per class of paths through the handler: the bits set on the VMA, with <see cref="PseudoBits.FaultOps"/> when vm_ops with a
    /// fault handler is installed and <see cref="PseudoBits.InsertedPages"/> when pages were inserted.
    /// </summary>
    public ImmutableArray<ulong> Exits => flags.Value.Exits;

    /// <summary>The bits the driver's code (or its helpers) sets itself.</summary>
    public ulong DriverSet => flags.Value.DriverSet;

    /// <summary>The vm_ops tables the handler installs.</summary>
    public ImmutableArray<OpsTable> Tables { get; }

    /// <summary>VmInsertPage and VmMapPages calls on the VMA.</summary>
    public ImmutableArray<IInvocationOperation> Inserts { get; }

    /// <summary>RemapPfnRange, IoRemapPfnRange, VmIomapMemory and RemapVmallocRange calls on the VMA.</summary>
    public ImmutableArray<IInvocationOperation> Remaps { get; }

    /// <summary>Where the handler installs vm_ops, in its own code (a helper's work is at the helper's call).</summary>
    public ImmutableArray<SyntaxNode> OpsSites { get; }

    /// <summary>Where the handler inserts pages, in its own code (a helper's work is at the helper's call).</summary>
    public ImmutableArray<SyntaxNode> InsertSites { get; }

    /// <summary>An <c>if</c> that tests VM_SHARED or VM_MAYSHARE and leaves: private mappings are refused.</summary>
    public bool RejectsPrivate { get; }

    /// <summary>The handler reads or writes VM_MAYWRITE.</summary>
    public bool MentionsMayWrite { get; }

    /// <summary>
    /// Where a statement that sets flags goes: the first statement of the body after its guards that installs vm_ops, maps, or
    /// returns; or the
    /// expression body (<see cref="ArrowExpressionClauseSyntax"/> or a lambda's expression), which a fix turns into a block.
    /// </summary>
    public SyntaxNode? Anchor { get; }

    /// <summary>The handler's first statement (or its expression body): where a check that refuses the mapping goes.</summary>
    public SyntaxNode? Top => Anchor switch
    {
        StatementSyntax statement when statement.Parent is BlockSyntax block => block.Statements.FirstOrDefault(),
        var other => other,
    };

    /// <summary>How the handler's code names the Kernel it calls (<c>kernel</c>, <c>dev.Kernel</c>), or null.</summary>
    public string? Kernel { get; }

    /// <summary>The bits some path has set on the VMA when a call of the handler's own code runs (0 when it is not a call on the VMA).</summary>
    public ulong SetBefore(IOperation call) => flags.Value.BeforeCalls.TryGetValue(call.Syntax, out var bits) ? bits : 0;

    /// <summary>Whether the handler installs a table with one of the handlers.</summary>
    public bool InstallsAny(params string[] handlers) => Tables.Any(table => handlers.Any(table.Handlers.ContainsKey));

    /// <summary>The statement that sets <paramref name="flags"/> on the VMA, spelt for the era (vm_flags_set on 6.x).</summary>
    public string SetFlagsStatement(EraPolicy policy, VmFlags flags) => FlagStatements.Set(policy, Vma.Name, Kernel, flags);
}

/// <summary>What the flag flow says about an ->mmap handler's VMA (<see cref="MmapState"/>).</summary>
internal sealed class VmaFlags
{
    public VmaFlags(ulong maySet, ulong driverSet, ImmutableArray<ulong> exits, ImmutableDictionary<SyntaxNode, ulong> beforeCalls)
    {
        MaySet = maySet;
        DriverSet = driverSet;
        Exits = exits;
        BeforeCalls = beforeCalls;
    }

    public ulong MaySet { get; }

    public ulong DriverSet { get; }

    public ImmutableArray<ulong> Exits { get; }

    public ImmutableDictionary<SyntaxNode, ulong> BeforeCalls { get; }
}

/// <summary>Where a call that acts on a VMA runs: which ->mmap made the VMA, and in which handler the call runs.</summary>
internal readonly struct VmaContext
{
    public VmaContext(MmapState mmap, string role, IOperation handler, IOperation site)
    {
        Site = site;
        Mmap = mmap;
        Role = role;
        Handler = handler;
    }

    public MmapState Mmap { get; }

    /// <summary>"->mmap", "vm_ops->fault", …</summary>
    public string Role { get; }

    /// <summary>The handler the call runs in (directly, or through helpers).</summary>
    public IOperation Handler { get; }

    /// <summary>The operation of the handler's own code that acts on the VMA: the call itself, or the call of the helper that does.</summary>
    public IOperation Site { get; }

    public bool InMmap => Role == "->mmap";
}

/// <summary>
/// The per-VMA model across handlers: every ->mmap handler's <see cref="MmapState"/>, which ->mmap installs which vm_ops table,
/// and for a call on a VMA the ->mmap handlers whose VMAs it may act on (<see cref="ContextsOf(IOperation, EraPolicy, CancellationToken)"/>): the call sits in that ->mmap,
/// in a handler of a table it installs, or in a helper those call with the VMA. Computed once per handler and era.
/// </summary>
internal sealed class VmaModel
{
    private const int MaxHelperDepth = 3;

    private readonly DriverKitEngine engine;
    private readonly ConcurrentDictionary<(SyntaxNode Function, EraPolicy Policy), MmapState?> states = new();
    private readonly ConcurrentDictionary<(SyntaxNode Table, EraPolicy Policy), ImmutableArray<MmapState>> installers = new();
    private readonly ConcurrentDictionary<string, ImmutableArray<(ISymbol Member, IOperation Function)>> opsStores = new(StringComparer.Ordinal);

    public VmaModel(DriverKitEngine engine) => this.engine = engine;

    /// <summary>The state of an ->mmap handler (a method body or lambda taking a VmArea), or null when it takes none.</summary>
    public MmapState? StateOf(IOperation function, EraPolicy policy, CancellationToken cancellationToken) =>
        states.GetOrAdd((function.Syntax, policy), _ => Compute(function, policy, cancellationToken));

    /// <summary>
    /// The ->mmap handlers declared in a tree, from the driver model's index of FileOperations tables (no function of the tree is
    /// bound unless a table names it); a method is bound with <paramref name="model"/>, the tree's own model.
    /// </summary>
    public IEnumerable<MmapState> MmapsDeclaredIn(SemanticModel model, EraPolicy policy, CancellationToken cancellationToken)
    {
        var tree = model.SyntaxTree;
        var seen = new HashSet<SyntaxNode>();
        foreach (var handler in engine.Model.HandlersDeclaredIn("Mmap", model, cancellationToken))
        {
            IOperation? function = handler switch
            {
                IAnonymousFunctionOperation lambda when lambda.Syntax.SyntaxTree == tree => lambda,
                IMethodReferenceOperation reference => reference.Method.OriginalDefinition.DeclaringSyntaxReferences
                    .Where(declaration => declaration.SyntaxTree == tree)
                    .Select(declaration => model.GetOperation(declaration.GetSyntax(cancellationToken), cancellationToken))
                    .FirstOrDefault(operation => operation is IMethodBodyOperation),
                _ => null,
            };
            if (function is not null && seen.Add(function.Syntax) && StateOf(function, policy, cancellationToken) is { } state)
            {
                yield return state;
            }
        }
    }

    /// <summary>
    /// The ->mmap handlers that install a vm_ops table, found from where the table lives rather than by analyzing every ->mmap:
    /// the function that creates it, or the functions that store the field or property holding it into <c>vma.Ops</c> (found by
    /// the text search); a helper among them stands for the ->mmap handlers that call it. Once per table and era.
    /// </summary>
    public ImmutableArray<MmapState> MmapsInstalling(OpsTable table, EraPolicy policy, CancellationToken cancellationToken) =>
        installers.GetOrAdd((table.Creation.Syntax, policy), _ =>
        {
            var functions = new List<IOperation>();
            var creation = table.Creation;
            if (Holder(creation) is { } member)
            {
                foreach (var invocationRoot in StoresIntoOps(member, cancellationToken))
                {
                    functions.Add(invocationRoot);
                }
            }
            else if (Functions.EnclosingFunction(creation) is { } creator)
            {
                functions.Add(creator);
            }

            return functions.SelectMany(function => MmapsCalling(function, policy, 0, cancellationToken)).Distinct().ToImmutableArray();
        });

    /// <summary>
    /// The field or property a table is created into (initializer, assignment, a getter that returns it) or the method that returns
    /// it, or null when it is used where it is made.
    /// </summary>
    private static ISymbol? Holder(IObjectCreationOperation creation) => creation.Parent switch
    {
        IFieldInitializerOperation { InitializedFields: { Length: 1 } fields } => fields[0],
        IPropertyInitializerOperation { InitializedProperties: { Length: 1 } properties } => properties[0],
        IConversionOperation { Parent: IFieldInitializerOperation { InitializedFields: { Length: 1 } fields } } => fields[0],
        ISimpleAssignmentOperation { Target: IFieldReferenceOperation field } => field.Field,
        ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property: var property } } when !property.Name.Equals("Ops", StringComparison.Ordinal) => property,
        IReturnOperation when Functions.SymbolOf(Functions.EnclosingFunction(creation)) is { } getter =>
            (ISymbol?)(getter.AssociatedSymbol as IPropertySymbol) ?? (getter.MethodKind == MethodKind.Ordinary ? getter : null),
        _ => null,
    };

    /// <summary>The functions of the compilation that store <paramref name="member"/> (or what it returns) into a VMA's vm_ops.</summary>
    private IEnumerable<IOperation> StoresIntoOps(ISymbol member, CancellationToken cancellationToken) =>
        opsStores.GetOrAdd(member.Name, name => OpsStoresNamed(name, cancellationToken))
            .Where(store => SymbolEqualityComparer.Default.Equals(store.Member, member.OriginalDefinition))
            .Select(store => store.Function);

    /// <summary>
    /// Every <c>vma.Ops = …</c> of the compilation that names a member spelt <paramref name="name"/>, with that member and the
    /// function that stores it: found once per name by the text search (two thousand drivers with a field <c>vmOps</c> share one
    /// search).
    /// </summary>
    private ImmutableArray<(ISymbol Member, IOperation Function)> OpsStoresNamed(string name, CancellationToken cancellationToken)
    {
        var stores = ImmutableArray.CreateBuilder<(ISymbol, IOperation)>();
        var words = engine.Words.Find(new[] { name }, cancellationToken);
        foreach (var tree in words.Trees)
        {
            if (engine.Bodies.GetModel(tree) is not { } model)
            {
                continue;
            }

            foreach (var root in CodeRoots.At(model, words, null, null, cancellationToken))
            {
                foreach (var operation in root.Descendants())
                {
                    if (operation is not ISimpleAssignmentOperation { Target: IPropertyReferenceOperation target } store
                        || !engine.Symbols.Is(target.Property, engine.Symbols.VmAreaOps)
                        || Functions.EnclosingFunction(store) is not { } function)
                    {
                        continue;
                    }

                    foreach (var value in store.Value.DescendantsAndSelf())
                    {
                        var named = value switch
                        {
                            IMemberReferenceOperation reference => reference.Member,
                            IInvocationOperation call => call.TargetMethod,
                            _ => null,
                        };
                        if (named is not null && named.Name == name)
                        {
                            stores.Add((named.OriginalDefinition, function));
                        }
                    }
                }
            }
        }

        return stores.ToImmutable();
    }

    /// <summary>The ->mmap states of a function: itself when it is an ->mmap handler, else the ->mmap handlers that call it (a helper, three levels).</summary>
    private IEnumerable<MmapState> MmapsCalling(IOperation function, EraPolicy policy, int depth, CancellationToken cancellationToken)
    {
        var role = engine.Model.RoleOfFunction(function, cancellationToken);
        if (role == "->mmap")
        {
            return StateOf(function, policy, cancellationToken) is { } state ? new[] { state } : Enumerable.Empty<MmapState>();
        }

        if (role is not null || depth >= MaxHelperDepth || Functions.SymbolOf(function) is not { MethodKind: MethodKind.Ordinary } helper)
        {
            return Enumerable.Empty<MmapState>();
        }

        return engine.Values.CallsOf(helper, cancellationToken)
            .Select(call => Functions.EnclosingFunction(call.Invocation))
            .OfType<IOperation>()
            .SelectMany(caller => MmapsCalling(caller, policy, depth + 1, cancellationToken));
    }

    /// <summary>The ->mmap handlers whose VMA <paramref name="vma"/> (a VmArea expression, or a VmFault) may be, with the handler the code runs in.</summary>
    public IReadOnlyList<VmaContext> ContextsOf(IOperation vma, EraPolicy policy, CancellationToken cancellationToken) =>
        ContextsAt(vma, policy, 0, cancellationToken);

    private IReadOnlyList<VmaContext> ContextsAt(IOperation vma, EraPolicy policy, int depth, CancellationToken cancellationToken) =>
        Functions.EnclosingFunction(vma) is { } function && ParameterBehind(vma, function) is { } parameter
            ? ContextsOf(function, parameter, CallAround(vma), policy, depth, cancellationToken)
            : Array.Empty<VmaContext>();

    /// <summary>
    /// The ->mmap handlers whose VMA the parameter (VmArea or VmFault) of a function (a handler or a helper) may stand for;
    /// <paramref name="site"/> is the operation of the function that acts on it.
    /// </summary>
    public IReadOnlyList<VmaContext> ContextsOf(IOperation function, IParameterSymbol parameter, IOperation site, EraPolicy policy, CancellationToken cancellationToken) =>
        ContextsOf(function, parameter, site, policy, 0, cancellationToken);

    private IReadOnlyList<VmaContext> ContextsOf(IOperation function, IParameterSymbol parameter, IOperation site, EraPolicy policy, int depth, CancellationToken cancellationToken)
    {
        var role = engine.Model.RoleAt(site, cancellationToken);
        if (role == "->mmap")
        {
            return engine.Symbols.IsVmArea(parameter.Type) && StateOf(function, policy, cancellationToken) is { } state
                ? new[] { new VmaContext(state, role, function, site) }
                : Array.Empty<VmaContext>();
        }

        if (role is not null && role.StartsWith("vm_ops->", StringComparison.Ordinal))
        {
            return engine.Model.TablesSetting(function, cancellationToken)
                .SelectMany(table => MmapsInstalling(table, policy, cancellationToken))
                .Distinct()
                .Select(state => new VmaContext(state, role, function, site))
                .ToList();
        }

        if (role is not null || depth >= MaxHelperDepth || Functions.SymbolOf(function) is not { MethodKind: MethodKind.Ordinary } helper)
        {
            return Array.Empty<VmaContext>();
        }

        // A helper: the contexts of what its callers pass for the parameter.
        var contexts = new List<VmaContext>();
        foreach (var (_, call) in engine.Values.CallsOf(helper, cancellationToken))
        {
            if (call.Arguments.FirstOrDefault(argument => SymbolEqualityComparer.Default.Equals(argument.Parameter?.OriginalDefinition, parameter.OriginalDefinition)) is { } argument)
            {
                contexts.AddRange(ContextsAt(argument.Value, policy, depth + 1, cancellationToken));
            }
        }

        return contexts;
    }

    /// <summary>The call an argument is passed to (the argument itself when it is none).</summary>
    private static IOperation CallAround(IOperation argument)
    {
        for (var current = argument.Parent; current is not null; current = current.Parent)
        {
            if (current is IInvocationOperation call)
            {
                return call;
            }
        }

        return argument;
    }

    /// <summary>The parameter (VmArea or VmFault) of <paramref name="function"/> that a VMA expression stands for: <c>vma</c>, <c>vmf.Vma</c>, or a local holding one.</summary>
    private IParameterSymbol? ParameterBehind(IOperation vma, IOperation function)
    {
        switch (vma.WithoutConversions())
        {
            case IParameterReferenceOperation parameter when engine.Symbols.IsVmArea(parameter.Type) || engine.Symbols.IsVmFault(parameter.Type):
                return parameter.Parameter;
            case IPropertyReferenceOperation property when engine.Symbols.Is(property.Property, engine.Symbols.VmFaultVma) && property.Instance is { } instance:
                return ParameterBehind(instance, function);
            case ILocalReferenceOperation local:
                IParameterSymbol? found = null;
                foreach (var value in Functions.ValuesOf(local.Local, function))
                {
                    var behind = ParameterBehind(value, function);
                    if (behind is null || (found is not null && !SymbolEqualityComparer.Default.Equals(found, behind)))
                    {
                        return null;
                    }

                    found = behind;
                }

                return found;
            default:
                return null;
        }
    }

    private MmapState? Compute(IOperation function, EraPolicy policy, CancellationToken cancellationToken)
    {
        if (Functions.SymbolOf(function) is not { } symbol || symbol.Parameters.FirstOrDefault(parameter => engine.Symbols.IsVmArea(parameter.Type)) is not { } vma)
        {
            return null;
        }

        var tables = ImmutableArray.CreateBuilder<OpsTable>();
        var inserts = ImmutableArray.CreateBuilder<IInvocationOperation>();
        var remaps = ImmutableArray.CreateBuilder<IInvocationOperation>();
        var rejectsPrivate = false;
        var mentionsMayWrite = false;
        var opsSites = ImmutableArray.CreateBuilder<SyntaxNode>();
        var insertSites = ImmutableArray.CreateBuilder<SyntaxNode>();
        foreach (var (operation, parameter, site) in Reach(function, vma, cancellationToken))
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation target } assignment
                    when engine.Symbols.Is(target.Property, engine.Symbols.VmAreaOps) && Is(target.Instance, parameter):
                    foreach (var creation in engine.Ops.Tables(assignment.Value, cancellationToken))
                    {
                        if (engine.Model.Table(creation, cancellationToken) is { } table && !tables.Any(known => known.Creation.Syntax == table.Creation.Syntax))
                        {
                            tables.Add(table);
                        }
                    }

                    opsSites.Add(site.Syntax);

                    break;
                case IInvocationOperation invocation when Is(invocation.Argument(0), parameter):
                    switch (engine.Symbols.Classify(invocation.TargetMethod))
                    {
                        case KernelApi.VmInsertPage or KernelApi.VmMapPages:
                            inserts.Add(invocation);
                            insertSites.Add(site.Syntax);
                            break;
                        case KernelApi.RemapPfnRange or KernelApi.IoRemapPfnRange or KernelApi.VmIomapMemory or KernelApi.RemapVmallocRange:
                            remaps.Add(invocation);
                            break;
                    }

                    break;
                case IConditionalOperation test when Dominance.Leaves(test.WhenTrue) && TestsFlag(test.Condition, parameter, "Shared", "MayShare"):
                    rejectsPrivate = true;
                    break;
                case IFieldReferenceOperation { Field.Name: "MayWrite" } field when engine.Symbols.IsVmFlags(field.Field.ContainingType):
                    mentionsMayWrite = true;
                    break;
            }
        }

        var kernel = KernelReceiver.In(engine.Symbols, function);
        return new MmapState(function, vma, () => FlagsOf(function, vma, policy, cancellationToken), tables.ToImmutable(), inserts.ToImmutable(), remaps.ToImmutable(),
            rejectsPrivate, mentionsMayWrite, opsSites.Distinct().ToImmutableArray(), insertSites.Distinct().ToImmutableArray(), AnchorOf(function, vma), kernel);
    }

    /// <summary>The flag flow's answer for the handler's VMA, computed when a rule first asks (most handlers only map a range).</summary>
    private VmaFlags FlagsOf(IOperation function, IParameterSymbol vma, EraPolicy policy, CancellationToken cancellationToken)
    {
        ulong maySet = 0, driverSet = 0;
        var exits = ImmutableArray.CreateBuilder<ulong>();
        var flow = engine.GetFlagFlow(function.Root(), policy, cancellationToken, always: true);
        foreach (var exit in flow.ExitFacts)
        {
            if (exit.Key.Member is null && SymbolEqualityComparer.Default.Equals(exit.Key.Root, vma))
            {
                exits.Add(exit.Fact.Mask);
                maySet |= exit.Fact.Mask & PseudoBits.FlagMask;
                driverSet |= exit.Fact.Set.Driver & PseudoBits.FlagMask;
            }
        }

        return new VmaFlags(maySet, driverSet, exits.ToImmutable(), flow.BeforeCalls);
    }

    /// <summary>
    /// The operations of the handler and of the helpers it hands the VMA to (depth ≤ 3), each with the parameter that is the VMA
    /// there and the handler's own operation that reaches it (itself, or the call of the helper).
    /// </summary>
    private IEnumerable<(IOperation Operation, IParameterSymbol Vma, IOperation Site)> Reach(IOperation function, IParameterSymbol vma, CancellationToken cancellationToken)
    {
        var work = new Stack<(IOperation Function, IParameterSymbol Vma, int Depth, IOperation? Site)>();
        var seen = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        work.Push((function, vma, 0, null));
        while (work.Count > 0)
        {
            var (code, parameter, depth, site) = work.Pop();
            foreach (var operation in code.OperationsWithinFunction())
            {
                yield return (operation, parameter, site ?? operation);
                if (depth < MaxHelperDepth && operation is IInvocationOperation call && engine.Symbols.Classify(call.TargetMethod) == KernelApi.None
                    && call.Arguments.FirstOrDefault(argument => Is(argument.Value, parameter)) is { Parameter: { } passed }
                    && seen.Add(call.TargetMethod.OriginalDefinition)
                    && engine.Bodies.Get(call.TargetMethod, cancellationToken) is { } body)
                {
                    work.Push((body.Code, passed.OriginalDefinition, depth + 1, site ?? call));
                }
            }
        }
    }

    /// <summary>Whether an expression is the VMA parameter itself.</summary>
    private static bool Is(IOperation? value, IParameterSymbol parameter) =>
        value.WithoutConversions() is IParameterReferenceOperation reference
        && SymbolEqualityComparer.Default.Equals(reference.Parameter.OriginalDefinition, parameter.OriginalDefinition);

    /// <summary>Whether a condition reads the VMA's flags and names one of the VmFlags members.</summary>
    private bool TestsFlag(IOperation condition, IParameterSymbol parameter, params string[] names) =>
        condition.DescendantsAndSelf().Any(operation => operation is IPropertyReferenceOperation property && engine.Symbols.Is(property.Property, engine.Symbols.VmAreaFlags) && Is(property.Instance, parameter))
        && condition.DescendantsAndSelf().Any(operation => operation is IFieldReferenceOperation field && names.Contains(field.Field.Name) && engine.Symbols.IsVmFlags(field.Field.ContainingType));

    /// <summary>
    /// A statement that refuses the mapping and does nothing else: a goto (to an error label), a throw, or a return of an error
    /// (<c>-Errno.EINVAL</c>, a nonzero constant, the error a call gave, <c>ret</c>), alone or alone in a block. A branch that
    /// does more, or returns success or a mapping call's result, is a path that maps, and the flags must come before it.
    /// </summary>
    private static bool Refuses(StatementSyntax statement) => statement switch
    {
        GotoStatementSyntax or ThrowStatementSyntax => true,
        ReturnStatementSyntax { Expression: { } value } => IsError(value),
        BlockSyntax { Statements: { Count: 1 } statements } => Refuses(statements[0]),
        _ => false,
    };

    private static bool IsError(ExpressionSyntax value) => value switch
    {
        ParenthesizedExpressionSyntax inner => IsError(inner.Expression),
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression } => true,
        LiteralExpressionSyntax { Token.Value: int number } => number != 0,
        IdentifierNameSyntax or MemberAccessExpressionSyntax => true,
        _ => false,
    };

    /// <summary>See <see cref="MmapState.Anchor"/>.</summary>
    private SyntaxNode? AnchorOf(IOperation function, IParameterSymbol vma)
    {
        var body = function.Syntax switch
        {
            BaseMethodDeclarationSyntax method => (SyntaxNode?)method.Body ?? method.ExpressionBody,
            LocalFunctionStatementSyntax local => (SyntaxNode?)local.Body ?? local.ExpressionBody,
            AnonymousFunctionExpressionSyntax lambda => lambda.Body,
            _ => null,
        };
        if (body is not BlockSyntax block)
        {
            return body;
        }

        foreach (var statement in block.Statements)
        {
            // Guards (if (…) return -EINVAL; goto out_err;) refuse the mapping: the flags go after them.
            if (statement is IfStatementSyntax { Else: null, Statement: var refusal } && Refuses(refusal))
            {
                continue;
            }

            if (statement.DescendantNodesAndSelf().Any(node => node is ReturnStatementSyntax
                || (node is AssignmentExpressionSyntax { Left: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Ops" } })
                || (node is InvocationExpressionSyntax invocation && invocation.ArgumentList.Arguments.FirstOrDefault()?.Expression is IdentifierNameSyntax { Identifier.ValueText: var name } && name == vma.Name)))
            {
                return statement;
            }
        }

        return block.Statements.LastOrDefault();
    }
}

/// <summary>Statements that set or clear VMA flags, spelt for the era: vm_flags_set/vm_flags_clear on 6.x, <c>vma->vm_flags |=</c> before.</summary>
internal static class FlagStatements
{
    public static string Set(EraPolicy policy, string vma, string? kernel, VmFlags flags) =>
        policy.Era >= Era.E6 && kernel is not null
            ? $"{kernel}.VmFlagsSet({vma}, {Names(flags)});"
            : $"{vma}.Flags |= {Names(flags)};";

    public static string Clear(EraPolicy policy, string vma, string? kernel, string flag) =>
        policy.Era >= Era.E6 && kernel is not null
            ? $"{kernel}.VmFlagsClear({vma}, {flag});"
            : $"{vma}.Flags &= ~{flag};";

    /// <summary><c>VmFlags.A | VmFlags.B</c>.</summary>
    public static string Names(VmFlags flags) =>
        string.Join(" | ", ReservedReplacement.Format(flags).Split(',').Select(name => "VmFlags." + name));
}
