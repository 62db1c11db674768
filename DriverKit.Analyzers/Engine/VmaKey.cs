using Microsoft.CodeAnalysis;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Which VMA a flag write targets: a parameter, local or field of type VmArea, or <c>vmf.Vma</c> of a VmFault
/// parameter or local (<see cref="Member"/> is then the Vma property).
/// </summary>
internal readonly struct VmaKey : IEquatable<VmaKey>
{
    public VmaKey(ISymbol root, ISymbol? member = null)
    {
        Root = root;
        Member = member;
    }

    public ISymbol Root { get; }

    public ISymbol? Member { get; }

    /// <summary>How the VMA is written in source, for messages.</summary>
    public string Display => Member is null ? Root.Name : Root.Name + "." + Member.Name;

    public bool Equals(VmaKey other) =>
        SymbolEqualityComparer.Default.Equals(Root, other.Root) && SymbolEqualityComparer.Default.Equals(Member, other.Member);

    public override bool Equals(object? obj) => obj is VmaKey other && Equals(other);

    public override int GetHashCode() =>
        unchecked((SymbolEqualityComparer.Default.GetHashCode(Root) * 397) ^ (Member is null ? 0 : SymbolEqualityComparer.Default.GetHashCode(Member)));
}
