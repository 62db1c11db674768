using System.Runtime.InteropServices;

namespace DriverKit.Benchmarks.Report;

/// <summary>What the numbers were measured on.</summary>
public static class MachineInfo
{
    /// <summary>The 1, 5 and 15 minute load averages ("?" where /proc/loadavg does not exist).</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>CPU model, logical cores, kernel release, .NET runtime and load average, one line each.</summary>
    public static IEnumerable<string> Describe()
    {
        var cpu = "unknown";
        if (File.Exists("/proc/cpuinfo"))
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }

        var kernel = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : RuntimeInformation.OSDescription;
        yield return $"cpu: {cpu}, {Environment.ProcessorCount} logical cores";
        yield return $"kernel: {kernel} ({RuntimeInformation.OSDescription})";
        yield return $".NET: {RuntimeInformation.FrameworkDescription} {RuntimeInformation.ProcessArchitecture}";
        if (File.Exists("/proc/loadavg"))
        {
            yield return $"load average when the table was printed: {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))} (other jobs on the machine skew absolute numbers)";
        }
    }
}
