namespace DriverKit.Runtime;

/// <summary>
/// Error numbers (include/uapi/asm-generic/errno-base.h, errno.h). Drivers return them negated, as in C:
/// <c>return -Errno.EINVAL;</c> (or <c>return -EINVAL;</c> with <c>using static DriverKit.Runtime.Errno;</c>).
/// </summary>
public static class Errno
{
    /// <summary>Operation not permitted.</summary>
    public const int EPERM = 1;

    /// <summary>No such file or directory.</summary>
    public const int ENOENT = 2;

    /// <summary>No such process.</summary>
    public const int ESRCH = 3;

    /// <summary>Interrupted system call.</summary>
    public const int EINTR = 4;

    /// <summary>I/O error.</summary>
    public const int EIO = 5;

    /// <summary>No such device or address.</summary>
    public const int ENXIO = 6;

    /// <summary>Bad file number.</summary>
    public const int EBADF = 9;

    /// <summary>Try again.</summary>
    public const int EAGAIN = 11;

    /// <summary>Out of memory.</summary>
    public const int ENOMEM = 12;

    /// <summary>Permission denied.</summary>
    public const int EACCES = 13;

    /// <summary>Bad address.</summary>
    public const int EFAULT = 14;

    /// <summary>Device or resource busy.</summary>
    public const int EBUSY = 16;

    /// <summary>File exists.</summary>
    public const int EEXIST = 17;

    /// <summary>No such device.</summary>
    public const int ENODEV = 19;

    /// <summary>Invalid argument.</summary>
    public const int EINVAL = 22;

    /// <summary>Too many open files.</summary>
    public const int EMFILE = 24;

    /// <summary>Not a typewriter (unknown ioctl).</summary>
    public const int ENOTTY = 25;

    /// <summary>File too large.</summary>
    public const int EFBIG = 27;

    /// <summary>No space left on device.</summary>
    public const int ENOSPC = 28;

    /// <summary>Broken pipe: no reader is left.</summary>
    public const int EPIPE = 32;

    /// <summary>Function not implemented.</summary>
    public const int ENOSYS = 38;

    /// <summary>Value too large for defined data type.</summary>
    public const int EOVERFLOW = 75;

    /// <summary>Operation not supported (an mmap flag MAP_SHARED_VALIDATE does not know).</summary>
    public const int EOPNOTSUPP = 95;

    /// <summary>The symbolic name of an error number ("EINVAL"), or the number.</summary>
    /// <param name="errno">A positive error number.</param>
    public static string Name(int errno) => errno switch
    {
        0 => "0",
        EPERM => nameof(EPERM),
        ENOENT => nameof(ENOENT),
        ESRCH => nameof(ESRCH),
        EINTR => nameof(EINTR),
        EIO => nameof(EIO),
        ENXIO => nameof(ENXIO),
        EBADF => nameof(EBADF),
        EAGAIN => nameof(EAGAIN),
        ENOMEM => nameof(ENOMEM),
        EACCES => nameof(EACCES),
        EFAULT => nameof(EFAULT),
        EBUSY => nameof(EBUSY),
        EEXIST => nameof(EEXIST),
        ENODEV => nameof(ENODEV),
        EINVAL => nameof(EINVAL),
        EMFILE => nameof(EMFILE),
        ENOTTY => nameof(ENOTTY),
        EFBIG => nameof(EFBIG),
        ENOSPC => nameof(ENOSPC),
        EPIPE => nameof(EPIPE),
        ENOSYS => nameof(ENOSYS),
        EOVERFLOW => nameof(EOVERFLOW),
        EOPNOTSUPP => nameof(EOPNOTSUPP),
        _ => errno.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
