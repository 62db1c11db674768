using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// A device registered and unregistered again. It lives in its own file because registration adopts everything
/// the registering source file allocated (module_init) as the driver's.
/// </summary>
internal static class StaleDevice
{
    public static CharDevice Make(Kernel k)
    {
        var device = k.RegisterChrdev("/dev/stale", new FileOperations { Owner = "staledrv" });
        k.UnregisterChrdev(device);
        return device;
    }
}
