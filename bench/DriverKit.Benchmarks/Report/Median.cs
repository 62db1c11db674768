namespace DriverKit.Benchmarks.Report;

/// <summary>The median the in-process modes report: the middle of the sorted values (the upper middle for an even count).</summary>
public static class Median
{
    /// <summary>The median of <paramref name="values"/>, or 0 when there are none.</summary>
    /// <param name="values">Measured values.</param>
    public static double Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }
}
