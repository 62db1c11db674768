namespace DriverKit.Runtime;

/// <summary>poll(2) event bits (include/uapi/asm-generic/poll.h: POLLIN … POLLWRNORM).</summary>
[Flags]
public enum PollEvents : uint
{
    /// <summary>No event.</summary>
    None = 0,

    /// <summary>POLLIN: data to read.</summary>
    In = 0x1,

    /// <summary>POLLPRI: urgent data.</summary>
    Pri = 0x2,

    /// <summary>POLLOUT: writing will not block.</summary>
    Out = 0x4,

    /// <summary>POLLERR: an error (always reported, never requested).</summary>
    Err = 0x8,

    /// <summary>POLLHUP: hang-up (always reported, never requested).</summary>
    Hup = 0x10,

    /// <summary>POLLNVAL: the fd is not open (always reported, never requested).</summary>
    Nval = 0x20,

    /// <summary>POLLRDNORM: normal data to read.</summary>
    RdNorm = 0x40,

    /// <summary>POLLWRNORM: normal data can be written.</summary>
    WrNorm = 0x100,
}
