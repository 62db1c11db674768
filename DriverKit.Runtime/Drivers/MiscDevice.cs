namespace DriverKit.Runtime;

/// <summary>
/// include/linux/miscdevice.h: struct miscdevice — a character device on the misc major (10) with a minor of its own
/// and a node /dev/<see cref="Name"/>. Fill it like the C initializer and pass it to <see cref="Kernel.MiscRegister"/>:
/// <code>new MiscDevice { Minor = MiscDevice.DynamicMinor, Name = "ring", Fops = ringFops }</code>
/// </summary>
public sealed class MiscDevice
{
    /// <summary>An unregistered misc device; set <see cref="Name"/> and <see cref="Fops"/> in the initializer.</summary>
    public MiscDevice()
    {
    }

    /// <summary>MISC_DYNAMIC_MINOR: let misc_register choose the minor.</summary>
    public const int DynamicMinor = 255;

    /// <summary>The minor number: a fixed one (below 255), or <see cref="DynamicMinor"/>, replaced by the one chosen at registration.</summary>
    public int Minor { get; set; } = DynamicMinor;

    /// <summary>The device's name: its node is /dev/&lt;name&gt;.</summary>
    public required string Name { get; init; }

    /// <summary>The file operations (fops) every open of the node gets.</summary>
    public required FileOperations Fops { get; init; }

    /// <summary>The registered node, or null while the device is not registered.</summary>
    public CharDevice? Node { get; internal set; }

    /// <summary>Whether misc_register chose <see cref="Minor"/> (it goes back to dynamic at deregistration).</summary>
    internal bool DynamicallyAssigned { get; set; }
}
