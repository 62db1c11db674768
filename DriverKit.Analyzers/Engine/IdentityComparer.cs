using System.Runtime.CompilerServices;

namespace DriverKit.Analyzers.Engine;

/// <summary>Compares objects by reference (netstandard2.0 has no <c>ReferenceEqualityComparer</c>).</summary>
internal sealed class IdentityComparer<T> : IEqualityComparer<T>
    where T : class
{
    public static readonly IdentityComparer<T> Instance = new();

    public bool Equals(T? x, T? y) => ReferenceEquals(x, y);

    public int GetHashCode(T obj) => RuntimeHelpers.GetHashCode(obj);
}
