using DriverKit.Runtime;

namespace DriverKit.Analyzers.Engine;

/// <summary>Kernel names of VmFlags combinations, in the configured era's spelling.</summary>
internal static class FlagNames
{
    public static string Of(EraPolicy policy, VmFlags flags)
    {
        var names = new List<string>();
        for (var bit = 1UL; bit != 0; bit <<= 1)
        {
            if (((ulong)flags & bit) != 0)
            {
                names.Add(policy.KernelName((VmFlags)bit));
            }
        }

        return names.Count == 0 ? "no flags" : string.Join(" | ", names);
    }
}
