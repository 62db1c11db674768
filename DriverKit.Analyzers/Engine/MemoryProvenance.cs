using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>The kinds of memory a mapped page, pfn or address can come from.</summary>
internal enum MemoryKind
{
    /// <summary>vmalloc, vzalloc, vmalloc_user: virtually contiguous, physically scattered.</summary>
    Vmalloc,

    /// <summary>A kmalloc/kzalloc object small enough for a slab cache: it shares its page with other objects.</summary>
    Slab,

    /// <summary>A block of the page allocator (alloc_pages, __get_free_pages, get_zeroed_page).</summary>
    PageBlock,

    /// <summary>A device's register window (MmioRegion.Start / StartPfn): no struct page, never RAM.</summary>
    Mmio,

    /// <summary>A value user space chooses: the vma's pgoff and length, a fault's pgoff and address, an ioctl's argument.</summary>
    UserControlled,
}

/// <summary>One source of memory a value derives from, with the allocation call when there is one.</summary>
internal sealed class MemorySource
{
    public MemorySource(MemoryKind kind, OriginAtom atom, IInvocationOperation? allocation, int? order, bool compound)
    {
        Kind = kind;
        Atom = atom;
        Allocation = allocation;
        Order = order;
        Compound = compound;
    }

    public MemoryKind Kind { get; }

    /// <summary>The origin atom it was found from.</summary>
    public OriginAtom Atom { get; }

    /// <summary>The allocation call (vmalloc, kmalloc, alloc_pages …), when the memory is allocated by the driver.</summary>
    public IInvocationOperation? Allocation { get; }

    /// <summary><see cref="MemoryKind.PageBlock"/>: the block's order when it is a constant.</summary>
    public int? Order { get; }

    /// <summary><see cref="MemoryKind.PageBlock"/>: allocated with Gfp.Comp.</summary>
    public bool Compound { get; }

    /// <summary>How the source reads in a message: the allocation call or the member.</summary>
    public string Display => Allocation?.Syntax.ToString()
        ?? (Atom.Symbol is { ContainingType: { } type } member ? type.Name + "." + member.Name : Atom.Display);
}

/// <summary>
/// Where mapped memory comes from (DK0007, DK0008, DK0010, DK0016, DK0019): the origin of a value (<see cref="ValueFlow"/>),
/// closed over the driver's fields and helpers' parameters (<see cref="ValueSummaries.Closure"/>), with each atom classified
/// once per compilation — an allocation call by the runtime function it calls (and, for the page allocator, its order and
/// whether Gfp.Comp was given), a runtime property by what it exposes (an MMIO window's start, the vma's pgoff).
/// </summary>
internal sealed class MemoryProvenance
{
    /// <summary>Kmalloc sizes above this go to the page allocator, not a slab cache (SLUB's KMALLOC_MAX_CACHE_SIZE, 2 pages).</summary>
    private const ulong MaxSlabObject = 8192;

    private readonly DriverKitEngine engine;
    /// <summary>The words that must appear in the compilation for a kind of memory to exist in it.</summary>
    private static readonly (MemoryKind Kind, string[] Words)[] KindWords =
    {
        (MemoryKind.Vmalloc, new[] { "Vmalloc", "Vzalloc", "VmallocUser" }),
        (MemoryKind.Slab, new[] { "Kmalloc", "Kzalloc" }),
        (MemoryKind.PageBlock, new[] { "AllocPage", "AllocPages", "GetFreePages", "GetZeroedPage", "Kmalloc", "Kzalloc" }),
        (MemoryKind.Mmio, new[] { "MmioRegion", "RegisterMmioRegion" }),
    };

    private readonly ConcurrentDictionary<OriginAtom, MemorySource?> classified = new();
    /// <summary>The kinds present (<see cref="Present"/>); 0 until computed (the user-controlled bit is always set in a result).</summary>
    private int present;

    /// <summary>What every SplitPage call of the compilation splits, found once.</summary>
    private readonly Lazy<IReadOnlyList<ValueOrigin>> splits;

    public MemoryProvenance(DriverKitEngine engine)
    {
        this.engine = engine;
        splits = new Lazy<IReadOnlyList<ValueOrigin>>(() => engine.Values.CallsNamed("SplitPage", CancellationToken.None)
            .Where(call => engine.Symbols.Classify(call.Invocation.TargetMethod) == KernelApi.SplitPage)
            .Select(call => call.Flow.Of(call.Invocation.Argument(0), CancellationToken.None))
            .ToList());
    }

    /// <summary>Whether a SplitPage call anywhere in the compilation splits the block <paramref name="source"/> allocates.</summary>
    public bool IsSplit(MemorySource source, CancellationToken cancellationToken)
    {
        var block = ValueOrigin.Of(source.Atom);
        return splits.Value.Any(split => engine.Values.Overlap(split, block, cancellationToken));
    }

    /// <summary>The memory sources of a value of the code under analysis.</summary>
    public IReadOnlyList<MemorySource> Of(IOperation? operation, CancellationToken cancellationToken) =>
        Of(operation, AllKinds, cancellationToken);

    /// <summary>
    /// The sources of the kinds in <paramref name="wanted"/> (a set of <see cref="Bit"/>s) a value may come from. The question is
    /// answered without following the value across the compilation when it cannot be yes: the compilation never spells an
    /// allocator or a window of a wanted kind, or every origin atom is of a type that cannot hold such memory (a <c>Page</c> is
    /// never an MMIO window, a <c>VmallocAddr</c> never a slab object).
    /// </summary>
    public IReadOnlyList<MemorySource> Of(IOperation? operation, int wanted, CancellationToken cancellationToken)
    {
        wanted &= Present(cancellationToken);
        if (wanted == 0 || operation is null)
        {
            return Array.Empty<MemorySource>();
        }

        // An atom that is a source itself (an allocation, an MMIO window, the vma's pgoff) is not followed further; of the others
        // only those whose type can hold a wanted kind are.
        var direct = new List<MemorySource>();
        var relevant = ValueOrigin.None;
        foreach (var atom in engine.Values.OriginOf(operation, cancellationToken).Atoms)
        {
            if (classified.GetOrAdd(atom, key => Classify(key, cancellationToken)) is { } source)
            {
                if ((Bit(source.Kind) & wanted) != 0)
                {
                    direct.Add(source);
                }
            }
            else if ((CarriedBy(atom) & wanted) != 0)
            {
                relevant = ValueOrigin.Union(relevant, ValueOrigin.Of(atom));
            }
        }

        if (!relevant.IsNone)
        {
            direct.AddRange(Of(relevant, cancellationToken).Where(source => (Bit(source.Kind) & wanted) != 0 && !direct.Contains(source)));
        }

        return direct;
    }

    /// <summary>The bit of a kind in a set of kinds.</summary>
    public static int Bit(MemoryKind kind) => 1 << (int)kind;

    /// <summary>Every kind.</summary>
    public const int AllKinds = (1 << 5) - 1;

    /// <summary>The memory sources of an origin.</summary>
    public IReadOnlyList<MemorySource> Of(ValueOrigin origin, CancellationToken cancellationToken)
    {
        if (origin.Atoms.IsEmpty)
        {
            return Array.Empty<MemorySource>();
        }

        List<MemorySource>? sources = null;
        foreach (var atom in engine.Values.Closure(origin, cancellationToken))
        {
            if (classified.GetOrAdd(atom, key => Classify(key, cancellationToken)) is { } source)
            {
                (sources ??= new List<MemorySource>()).Add(source);
            }
        }

        return (IReadOnlyList<MemorySource>?)sources ?? Array.Empty<MemorySource>();
    }

    /// <summary>The kinds whose allocators or windows the compilation spells at all, found once.</summary>
    private int Present(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref present) is var known && known != 0)
        {
            return known;
        }

        var result = Bit(MemoryKind.UserControlled);
        foreach (var (kind, words) in KindWords)
        {
            if (engine.Words.Cached(words, cancellationToken).Exists)
            {
                result |= Bit(kind);
            }
        }

        Volatile.Write(ref present, result);
        return result;
    }

    /// <summary>The kinds of memory a value held in the atom's variable or member may be, judged by its type.</summary>
    private static int CarriedBy(OriginAtom atom)
    {
        var type = atom.Symbol switch
        {
            IFieldSymbol field => field.Type,
            IPropertySymbol property => property.Type,
            IParameterSymbol parameter => parameter.Type,
            ILocalSymbol local => local.Type,
            _ => null,
        };
        // An array is a container: the value analysis does not follow what is stored into its elements, so following the
        // array variable's own stores finds nothing of any kind (OfArrayElements reads a local array's element stores).
        if (type is IArrayTypeSymbol)
        {
            return 0;
        }

        return type?.Name switch
        {
            null => AllKinds,
            // A page is never an MMIO window, and a page kept in a field or passed around is the driver's, not an offset
            // user space chose (a page picked by a user-chosen offset is followed where it is picked, through locals).
            "Page" => AllKinds & ~Bit(MemoryKind.Mmio) & ~Bit(MemoryKind.UserControlled),
            "VmallocAddr" => Bit(MemoryKind.Vmalloc),
            "KernelAddr" => Bit(MemoryKind.Slab) | Bit(MemoryKind.PageBlock),
            _ => AllKinds,
        };
    }

    /// <summary>
    /// The memory sources of an array of pages (vm_map_pages): the array's own origin and, for a local array, every value the
    /// code stores into its elements (<c>pages[i] = PfnToPage(PageToPfn(block) + i)</c>), which the value analysis does not
    /// follow into the array.
    /// </summary>
    public IReadOnlyList<MemorySource> OfArrayElements(IOperation? array, int wanted, CancellationToken cancellationToken)
    {
        var sources = Of(array, wanted, cancellationToken);
        if (array.WithoutConversions() is IArgumentOperation argument)
        {
            array = argument.Value;
        }

        if (array.WithoutConversions() is not ILocalReferenceOperation local)
        {
            return sources;
        }

        var result = sources.ToList();
        foreach (var store in local.Root().Descendants().OfType<ISimpleAssignmentOperation>())
        {
            if (store.Target is IArrayElementReferenceOperation { ArrayReference: ILocalReferenceOperation target }
                && SymbolEqualityComparer.Default.Equals(target.Local, local.Local))
            {
                result.AddRange(Of(store.Value, wanted, cancellationToken).Where(source => !result.Contains(source)));
            }
        }

        return result;
    }

    private MemorySource? Classify(OriginAtom atom, CancellationToken cancellationToken)
    {
        switch (atom.Kind)
        {
            case OriginKind.Allocation when atom.Site is { } site
                && engine.Bodies.GetModel(site.SyntaxTree)?.GetOperation(site, cancellationToken) is IInvocationOperation allocation:
                return ClassifyAllocation(atom, allocation, engine.Symbols.GfpComp);
            case OriginKind.Storage when atom.Symbol is IPropertySymbol property:
                return (property.ContainingType?.Name, property.Name) switch
                {
                    ("MmioRegion", "Start" or "StartPfn") when engine.Symbols.IsRuntime(property) => new MemorySource(MemoryKind.Mmio, atom, null, null, false),
                    _ when IsUserChosenMember(property) && engine.Symbols.IsRuntime(property) =>
                        new MemorySource(MemoryKind.UserControlled, atom, null, null, false),
                    _ => null,
                };
            case OriginKind.Parameter when atom.Symbol is IParameterSymbol { Ordinal: 2 } parameter && IsIoctlArgument(parameter, cancellationToken):
                return new MemorySource(MemoryKind.UserControlled, atom, null, null, false);
            default:
                return null;
        }
    }

    /// <summary>A vma or fault member user space chooses: the vma's pgoff and size (Length, Pages, End), a fault's pgoff and address.</summary>
    public static bool IsUserChosenMember(IPropertySymbol property) => (property.ContainingType?.Name, property.Name) is
        ("VmArea", "Pgoff" or "Length" or "Pages" or "End") or ("VmFault", "Pgoff" or "Address");

    /// <summary>The <c>arg</c> of an <c>->unlocked_ioctl</c> handler (method or lambda), which user space passes.</summary>
    private bool IsIoctlArgument(IParameterSymbol parameter, CancellationToken cancellationToken)
    {
        if (parameter.ContainingSymbol is not IMethodSymbol method)
        {
            return false;
        }

        var lambda = method.MethodKind == MethodKind.AnonymousFunction ? method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) : null;
        return engine.Model.RoleOf(lambda is null ? method : method.ContainingSymbol as IMethodSymbol, lambda, cancellationToken) == "->unlocked_ioctl";
    }

    private static MemorySource? ClassifyAllocation(OriginAtom atom, IInvocationOperation allocation, ulong? gfpComp)
    {
        switch (allocation.TargetMethod.Name)
        {
            case "Vmalloc" or "Vzalloc" or "VmallocUser":
                return new MemorySource(MemoryKind.Vmalloc, atom, allocation, null, false);
            case "Kmalloc" or "Kzalloc":
                // A constant size above the largest cache is a page-allocator block in disguise, not a slab object.
                return allocation.Argument(0)?.ConstantBits() is { } size && size > MaxSlabObject
                    ? new MemorySource(MemoryKind.PageBlock, atom, allocation, null, compound: true)
                    : new MemorySource(MemoryKind.Slab, atom, allocation, null, false);
            case "AllocPage" or "GetZeroedPage":
                return new MemorySource(MemoryKind.PageBlock, atom, allocation, 0, false);
            case "AllocPages" or "GetFreePages":
                var order = allocation.Argument(1)?.ConstantBits() is { } bits && bits < 64 ? (int?)(int)bits : null;
                return new MemorySource(MemoryKind.PageBlock, atom, allocation, order, GivesCompound(allocation.Argument(0), gfpComp));
            default:
                return null;
        }
    }

    /// <summary>Whether a gfp argument names Gfp.Comp (or its constant value has the bit).</summary>
    private static bool GivesCompound(IOperation? gfp, ulong? gfpComp)
    {
        if (gfp is null)
        {
            return false;
        }

        if (gfp.ConstantBits() is { } bits)
        {
            return gfpComp is { } comp && (bits & comp) != 0;
        }

        return gfp.DescendantsAndSelf().Any(operation => operation is IFieldReferenceOperation { Field.Name: "Comp" } field
            && field.Field.ContainingType?.Name == "Gfp");
    }
}
