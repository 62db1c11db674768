namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>include/linux/poll.h: DEFAULT_POLLMASK — what a file without -&gt;poll reports.</summary>
    internal const PollEvents DefaultPollMask = PollEvents.In | PollEvents.Out | PollEvents.RdNorm | PollEvents.WrNorm;

    /// <summary>
    /// fs/select.c: do_pollfd → vfs_poll for one descriptor: POLLNVAL for an fd that is not open; the driver's
    /// -&gt;poll (or DEFAULT_POLLMASK without one) filtered by the requested events, POLLERR and POLLHUP always kept.
    /// </summary>
    internal PollEvents DoPollFd(Process p, int fd, PollEvents events)
    {
        if (!p.Files.TryGetValue(fd, out var file))
        {
            return PollEvents.Nval;
        }

        var device = file.Inode.Device;
        var mask = file.Inode.Pipe is { } pipe ? PipePoll(pipe, file.Mode)
            : device?.Fops.Poll is { } poll
            ? CallDriver(device.Owner, ContextKind.Poll, MmapLockMode.None, () => poll(file))
            : DefaultPollMask;
        CheckMmapLocksReleased(p);
        return mask & (events | PollEvents.Err | PollEvents.Hup);
    }
}
