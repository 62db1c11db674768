using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>DYNAMIC_MINORS: how many minors misc_register hands out itself (counting down from 63).</summary>
    private const int DynamicMinors = 64;

    private readonly Dictionary<int, MiscDevice> miscMinors = new();

    /// <summary>
    /// drivers/char/misc.c: misc_register — takes the fixed minor, or for <see cref="MiscDevice.DynamicMinor"/> the highest
    /// free one below DYNAMIC_MINORS, and creates /dev/&lt;name&gt; (device_create) with the device's fops. -EBUSY when
    /// the minor is taken, no dynamic minor is left, or the node exists; -EINVAL for a minor the misc major cannot
    /// have. Nothing changes on an error.
    /// </summary>
    /// <param name="misc">The device; its <see cref="MiscDevice.Minor"/> is set to the minor it got.</param>
    /// <param name="file">Filled in by the compiler: the registering source file (see <see cref="RegisterChrdev"/>).</param>
    /// <returns>0, or -errno.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="misc"/> is null.</exception>
    /// <exception cref="ArgumentException">The name is empty or the fops name no module, as for <see cref="RegisterChrdev"/>.</exception>
    public int MiscRegister(MiscDevice misc, [CallerFilePath] string file = "")
    {
        ArgumentNullException.ThrowIfNull(misc);
        ArgumentException.ThrowIfNullOrEmpty(misc.Name);
        ArgumentNullException.ThrowIfNull(misc.Fops);
        if (misc.Node is not null)
        {
            return -Errno.EBUSY;
        }

        var minor = misc.Minor;
        var dynamic = minor == MiscDevice.DynamicMinor;
        if (dynamic)
        {
            minor = Enumerable.Range(0, DynamicMinors).Select(i => DynamicMinors - 1 - i).FirstOrDefault(m => !miscMinors.ContainsKey(m), -1);
            if (minor < 0)
            {
                return -Errno.EBUSY;
            }
        }
        else if (minor is < 0 or > MiscDevice.DynamicMinor)
        {
            return -Errno.EINVAL;
        }
        else if (miscMinors.ContainsKey(minor))
        {
            return -Errno.EBUSY;
        }

        var path = "/dev/" + misc.Name;
        if (devices.ContainsKey(path))
        {
            return -Errno.EBUSY;
        }

        misc.Node = RegisterChrdev(path, misc.Fops, file);
        misc.Minor = minor;
        misc.DynamicallyAssigned = dynamic;
        miscMinors.Add(minor, misc);
        return 0;
    }

    /// <summary>
    /// drivers/char/misc.c: misc_deregister — the node goes (device_destroy) and the minor is free again; a minor
    /// misc_register chose goes back to <see cref="MiscDevice.DynamicMinor"/> (misc_minor_free), so the device can be
    /// registered again. A device that is not registered gets the kernel's
    /// WARN_ON and nothing changes.
    /// </summary>
    /// <param name="misc">The registered device.</param>
    /// <exception cref="ArgumentNullException"><paramref name="misc"/> is null.</exception>
    public void MiscDeregister(MiscDevice misc)
    {
        ArgumentNullException.ThrowIfNull(misc);
        if (misc.Node is not { } node || !miscMinors.TryGetValue(misc.Minor, out var registered) || registered != misc)
        {
            Printk($"WARNING: misc_deregister: {misc.Name} is not registered");
            return;
        }

        UnregisterChrdev(node);
        miscMinors.Remove(misc.Minor);
        if (misc.DynamicallyAssigned)
        {
            misc.Minor = MiscDevice.DynamicMinor;
            misc.DynamicallyAssigned = false;
        }

        misc.Node = null;
    }
}
