using System.Collections.Concurrent;
using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0018, its second form (<see cref="MappingLifetimeAnalyzer"/>): memory that a mapping call with PTEs that hold no reference (remap_pfn_range, io_remap_pfn_range,
/// vm_iomap_memory, vmf_insert_pfn, vmf_insert_mixed) exposed is freed on a path that runs while VMAs may map it — an ioctl, or
/// one VMA's ->close — directly or through helpers. Not reported when the mappings are zapped first (UnmapMappingRange or
/// ZapVmaPtes earlier on the path), or when a test of a count that the driver's ->open handlers keep decides whether the free
/// runs (the last-close pattern). A ->close without ->open is the first form's (<see cref="CloseWithoutOpen"/>).
/// </summary>
internal sealed class FreedWhileMapped
{
    private static readonly string[] FreeNames = { "FreePages", "FreePage", "Kfree", "Vfree" };

    /// <summary>The mapping calls whose PTEs hold no reference on what they map.</summary>
    private static readonly string[] ExposingNames = { "RemapPfnRange", "IoRemapPfnRange", "VmIomapMemory", "VmfInsertPfn", "VmfInsertPfnProt", "VmfInsertMixed" };

    private static readonly string[] ZapNames = { "UnmapMappingRange", "ZapVmaPtes" };

    /// <summary>The handlers that run while other VMAs of the device may exist.</summary>
    private static readonly string[] WhileMappedRoles = { "->unlocked_ioctl", "vm_ops->close" };

    /// <summary>The properties those handlers are set with.</summary>
    private static readonly string[] HandlerProperties = { "Ioctl", "Close" };

    /// <summary>How far the search climbs from a helper to the handlers that call it.</summary>
    private const int MaxCallerDepth = 3;

    private const int Memory = 1 << (int)MemoryKind.PageBlock | 1 << (int)MemoryKind.Vmalloc | 1 << (int)MemoryKind.Slab;

    private readonly DriverKitEngine engine;

    /// <summary>What every no-reference mapping call of the compilation maps, found on first need.</summary>
    private readonly Lazy<IReadOnlyList<(MemorySource Source, IInvocationOperation Call)>> exposed;

    /// <summary>The fields and properties the ->open handlers of each tree's tables change, found on first need per tree.</summary>
    private readonly ConcurrentDictionary<SyntaxTree, HashSet<ISymbol>> openCounts = new();

    public FreedWhileMapped(DriverKitEngine engine)
    {
        this.engine = engine;
        exposed = new Lazy<IReadOnlyList<(MemorySource, IInvocationOperation)>>(() => Exposed(engine));
    }

    /// <summary>What every no-reference mapping call of the compilation maps, with the call.</summary>
    private static IReadOnlyList<(MemorySource, IInvocationOperation)> Exposed(DriverKitEngine engine)
    {
        var result = new List<(MemorySource, IInvocationOperation)>();
        foreach (var name in ExposingNames)
        {
            foreach (var (_, invocation) in engine.Values.CallsNamed(name, CancellationToken.None))
            {
                if (MappingCall.From(engine.Symbols, invocation) is { } call)
                {
                    result.AddRange(engine.Provenance.Of(call.Memory, Memory, CancellationToken.None).Select(source => (source, invocation)));
                }
            }
        }

        return result;
    }

    public void Analyze(SemanticModelAnalysisContext context)
    {
        var cancellationToken = context.CancellationToken;

        // Nothing is exposed without a mapping call of these kinds.
        if (!engine.Words.Cached(ExposingNames, cancellationToken).Exists)
        {
            return;
        }

        foreach (var root in engine.RootsAt(context, engine.Words.Cached(FreeNames, cancellationToken)))
        {
            foreach (var free in root.Descendants().OfType<IInvocationOperation>())
            {
                if (engine.Symbols.Classify(free.TargetMethod) is not (KernelApi.FreePages or KernelApi.FreePage or KernelApi.Kfree or KernelApi.Vfree)
                    || Path(free, 0, cancellationToken) is not { } path)
                {
                    continue;
                }

                var freed = engine.Provenance.Of(free.Argument(0), Memory, cancellationToken);
                var mapping = exposed.Value.FirstOrDefault(entry => freed.Any(source => source.Atom.Equals(entry.Source.Atom)));
                if (mapping.Call is null)
                {
                    continue;
                }

                // Reported where the handler starts the path (a helper may also be called from safe places, such as ->release).
                context.ReportVisible(Diagnostic.Create(
                    DiagnosticDescriptors.FreedWhileMapped,
                    path.Site.Syntax.GetLocation(),
                    FixForms.Properties(FixForms.None),
                    free.TargetMethod.Name,
                    "'" + free.Argument(0)?.Syntax + "'",
                    $"{mapping.Call.TargetMethod.Name} in '{Functions.DisplayName(Functions.EnclosingFunction(mapping.Call))}'",
                    path.Display));
            }
        }
    }

    /// <summary>
    /// How the free is reached from a handler that runs while VMAs map the device ("the ->unlocked_ioctl handler 'DevIoctl'",
    /// "'Release', called from …") and the operation in that handler that starts the path (the free, or the helper's call), or
    /// null when it is not reached so, or when the path zaps the mappings or tests a count first.
    /// </summary>
    private (string Display, IOperation Site)? Path(IOperation site, int depth, CancellationToken cancellationToken)
    {
        var function = Functions.EnclosingFunction(site);
        if (function is null)
        {
            return null;
        }

        var role = engine.Model.MayBeHandler(function, HandlerProperties, cancellationToken) ? engine.Model.RoleAt(site, cancellationToken) : null;
        if (role is not null)
        {
            return Array.IndexOf(WhileMappedRoles, role) >= 0 && !(role == "vm_ops->close" && !HasOpen(engine, function, cancellationToken))
                && !Exempt(function, site)
                ? ($"the {role} handler '{Functions.DisplayName(function)}'", site)
                : null;
        }

        if (depth >= MaxCallerDepth
            || Functions.SymbolOf(function) is not { MethodKind: MethodKind.Ordinary or MethodKind.LocalFunction } method)
        {
            return null;
        }

        foreach (var (_, call) in engine.Values.CallsOf(method, cancellationToken))
        {
            if (Path(call, depth + 1, cancellationToken) is { } outer && !Exempt(function, site))
            {
                return ($"'{method.Name}', called from {outer.Display}", outer.Site);
            }
        }

        return null;
    }

    /// <summary>Whether the function zaps the mappings, or tests a count, before the site.</summary>
    private bool Exempt(IOperation function, IOperation site) => ZapsBefore(engine, function, site) || CountDecides(function, site);

    /// <summary>Whether the function zaps the user mappings before the site (unmap_mapping_range, zap_vma_ptes).</summary>
    private static bool ZapsBefore(DriverKitEngine engine, IOperation function, IOperation site) =>
        function.Descendants().OfType<IInvocationOperation>().Any(call => call.Syntax.Span.End <= site.Syntax.SpanStart
            && Array.IndexOf(ZapNames, call.TargetMethod.Name) >= 0 && engine.Symbols.IsRuntime(call.TargetMethod));

    /// <summary>
    /// Whether a test that reads a count the driver's ->open handlers change decides whether the site runs. The ->open handlers
    /// asked are those of the tables in the files that declare the count's type: a driver keeps its count where its tables are,
    /// and an editor analysing one file does not bind every table of the solution.
    /// </summary>
    private bool CountDecides(IOperation function, IOperation site) =>
        function.Descendants().Any(operation =>
            operation is IMemberReferenceOperation member
            && member.Member.ContainingType is { } type
            && type.DeclaringSyntaxReferences.Any(declaration => OpenCounts(declaration.SyntaxTree).Contains(member.Member.OriginalDefinition))
            && TestHolding(member) is { } test && Dominance.Decides(test, site));

    private HashSet<ISymbol> OpenCounts(SyntaxTree tree) =>
        openCounts.GetOrAdd(tree, key => OpenCounts(engine, key, CancellationToken.None));

    /// <summary>The comparison or condition a member read belongs to.</summary>
    private static IOperation? TestHolding(IOperation read)
    {
        var current = read;
        while (current.Parent is IConversionOperation or IParenthesizedOperation or IBinaryOperation { OperatorKind: not (BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr) }
            or IIncrementOrDecrementOperation or ICompoundAssignmentOperation)
        {
            current = current.Parent;
        }

        return Dominance.ConditionHolding(current) is not null ? current : null;
    }

    /// <summary>The fields and properties the ->open handlers of a tree's tables write (the counts Close tests before a last free).</summary>
    private static HashSet<ISymbol> OpenCounts(DriverKitEngine engine, SyntaxTree tree, CancellationToken cancellationToken)
    {
        var counts = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var table in engine.Model.VmOpsTablesWithOpen(tree, cancellationToken))
        {
            if (!table.Handlers.TryGetValue("Open", out var open))
            {
                continue;
            }

            var body = open switch
            {
                IAnonymousFunctionOperation lambda => lambda.Body,
                IMethodReferenceOperation reference => engine.Bodies.Get(reference.Method, cancellationToken)?.Code,
                _ => null,
            };
            foreach (var operation in body?.Descendants() ?? Enumerable.Empty<IOperation>())
            {
                var target = operation switch
                {
                    IIncrementOrDecrementOperation increment => increment.Target,
                    ICompoundAssignmentOperation compound => compound.Target,
                    IArgumentOperation { Parameter.RefKind: RefKind.Ref } byRef => byRef.Value,
                    _ => null,
                };
                if (target is IMemberReferenceOperation member)
                {
                    counts.Add(member.Member.OriginalDefinition);
                }
            }
        }

        return counts;
    }

    /// <summary>Whether a ->close function is set in a VmOperations table that also sets Open.</summary>
    private static bool HasOpen(DriverKitEngine engine, IOperation function, CancellationToken cancellationToken)
    {
        var lambda = function as IAnonymousFunctionOperation;
        var method = lambda is null ? Functions.SymbolOf(function) : null;
        return engine.Model.TablesSetting(function, cancellationToken).Any(table => table.Sets("Close", method, lambda?.Syntax) && table.Handlers.ContainsKey("Open"));
    }
}
