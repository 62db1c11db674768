namespace DriverKit.Tests.Verification;

/// <summary>How many incremental code-fix iterations a test allows: an exact count or an upper bound.</summary>
internal readonly record struct IterationBudget(int Limit, bool IsExact)
{
    /// <summary>
    /// An explicit count n ≥ 0 is exact and −n is an upper bound of n. By default: 0 (exact) when the fixed code equals the
    /// input, otherwise at most one iteration per fixable expected diagnostic.
    /// </summary>
    public static IterationBudget Resolve(int? requested, int fixableExpected, bool expectsNoFix)
    {
        if (requested is { } count)
        {
            return count >= 0 ? new(count, IsExact: true) : new(-count, IsExact: false);
        }

        return expectsNoFix ? new(0, IsExact: true) : new(Math.Max(1, fixableExpected), IsExact: false);
    }

    public override string ToString() => $"{(IsExact ? "exactly" : "at most")} {Limit}";
}
