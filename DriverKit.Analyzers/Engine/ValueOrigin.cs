using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace DriverKit.Analyzers.Engine;

/// <summary>The kinds of thing a page, address or pfn value can be derived from.</summary>
internal enum OriginKind
{
    /// <summary>A field or property of the driver's objects (any instance): <c>dev.Buf</c>, <c>channel.Pages</c>.</summary>
    Storage,

    /// <summary>A parameter whose callers are not followed (a handler the runtime calls) or not yet followed (a helper).</summary>
    Parameter,

    /// <summary>A local that no assignment in the code gives a value the analysis can follow.</summary>
    Local,

    /// <summary>The result of an allocation call (alloc_pages, kmalloc, vmalloc, …), identified by its call site.</summary>
    Allocation,
}

/// <summary>One thing a value may derive from (<see cref="ValueOrigin"/>).</summary>
internal readonly struct OriginAtom : IEquatable<OriginAtom>
{
    private OriginAtom(OriginKind kind, ISymbol? symbol, SyntaxNode? site)
    {
        Kind = kind;
        Symbol = symbol;
        Site = site;
    }

    public OriginKind Kind { get; }

    /// <summary>The member, parameter or local (<see cref="OriginKind.Allocation"/>: null).</summary>
    public ISymbol? Symbol { get; }

    /// <summary>The allocation call (<see cref="OriginKind.Allocation"/> only).</summary>
    public SyntaxNode? Site { get; }

    public static OriginAtom Storage(ISymbol member) => new(OriginKind.Storage, member.OriginalDefinition, null);

    public static OriginAtom Parameter(IParameterSymbol parameter) => new(OriginKind.Parameter, parameter.OriginalDefinition, null);

    public static OriginAtom Local(ILocalSymbol local) => new(OriginKind.Local, local, null);

    public static OriginAtom Allocation(SyntaxNode site) => new(OriginKind.Allocation, null, site);

    /// <summary>How the atom reads in a message: the member, parameter or local's name, or the allocation call.</summary>
    public string Display => Symbol?.Name ?? Site?.ToString() ?? "";

    public bool Equals(OriginAtom other) =>
        Kind == other.Kind && Site == other.Site && SymbolEqualityComparer.Default.Equals(Symbol, other.Symbol);

    public override bool Equals(object? obj) => obj is OriginAtom other && Equals(other);

    public override int GetHashCode() =>
        unchecked(((int)Kind * 397) ^ (Symbol is null ? 0 : SymbolEqualityComparer.Default.GetHashCode(Symbol)) ^ (Site?.GetHashCode() ?? 0));
}

/// <summary>
/// Where a page, address or pfn value may come from: the storage, parameters, locals and allocations it is derived from on
/// some path, through every assignment, conversion between address kinds and page arithmetic the value analysis follows
/// (<see cref="ValueFlow"/>). <see cref="Device"/> marks a value that went through <c>PfnToPage</c>: device or boot memory
/// rather than the allocator's. Immutable; the atoms are few and kept in a short array.
/// </summary>
internal sealed class ValueOrigin
{
    public static readonly ValueOrigin None = new(ImmutableArray<OriginAtom>.Empty, device: false);

    private ValueOrigin(ImmutableArray<OriginAtom> atoms, bool device)
    {
        Atoms = atoms;
        Device = device;
    }

    public ImmutableArray<OriginAtom> Atoms { get; }

    public bool Device { get; }

    public bool IsNone => Atoms.IsEmpty && !Device;

    public static ValueOrigin Of(OriginAtom atom) => new(ImmutableArray.Create(atom), device: false);

    public static ValueOrigin Union(ValueOrigin a, ValueOrigin b)
    {
        if (ReferenceEquals(a, b) || b.IsNone)
        {
            return a;
        }

        if (a.IsNone)
        {
            return b;
        }

        var builder = a.Atoms.ToBuilder();
        foreach (var atom in b.Atoms)
        {
            if (!builder.Contains(atom))
            {
                builder.Add(atom);
            }
        }

        var device = a.Device || b.Device;
        return builder.Count == a.Atoms.Length && device == a.Device ? a : new ValueOrigin(builder.ToImmutable(), device);
    }

    /// <summary>The same atoms, marked as having gone through <c>PfnToPage</c>.</summary>
    public ValueOrigin AsDevice() => Device ? this : new ValueOrigin(Atoms, device: true);

    /// <summary>
    /// A helper's result (in terms of its own parameters) at one of its calls: each parameter of the called method becomes the
    /// origin of the argument the call passes for it.
    /// </summary>
    public ValueOrigin AtCall(Microsoft.CodeAnalysis.Operations.IInvocationOperation invocation, Func<IOperation, ValueOrigin> argumentOrigin)
    {
        var method = invocation.TargetMethod.OriginalDefinition;
        return Substitute(atom =>
            atom.Kind == OriginKind.Parameter && atom.Symbol is IParameterSymbol parameter
            && SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, method)
            && invocation.Argument(parameter.Ordinal) is { } argument
                ? argumentOrigin(argument)
                : null);
    }

    /// <summary>The origin with <paramref name="replace"/> applied to each atom (a helper's parameters become its caller's arguments).</summary>
    public ValueOrigin Substitute(Func<OriginAtom, ValueOrigin?> replace)
    {
        var result = Device ? None.AsDevice() : None;
        foreach (var atom in Atoms)
        {
            result = Union(result, replace(atom) ?? Of(atom));
        }

        return result;
    }
}
