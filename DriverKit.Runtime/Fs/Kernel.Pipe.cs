namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// fs/pipe.c: do_pipe2 — a pipe inode and two files, the read end first. The simulator never sleeps, so both ends
    /// behave as O_NONBLOCK: an empty pipe with writers and a full one are -EAGAIN.
    /// </summary>
    internal SysResult<(int ReadFd, int WriteFd)> DoPipe(Process p)
    {
        var inode = new Inode(this, $"pipe:[{nextMappingId}]", nextMappingId++, device: null) { Pipe = new Pipe() };
        var read = new OpenFile(inode, FMode.Read, OpenFlags.ReadOnly);
        var write = new OpenFile(inode, FMode.Write, OpenFlags.WriteOnly);
        return SysResult<(int, int)>.Ok((p.InstallFd(read), p.InstallFd(write)));
    }

    /// <summary>
    /// fs/pipe.c: pipe_read — copy_to_user of what the ring holds, up to <paramref name="count"/>; 0 (end of file) when it
    /// is empty and no writer is left, -EAGAIN when writers may still come. Bytes the user buffer could not take (a fault)
    /// stay in the pipe, and nothing read is -EFAULT.
    /// </summary>
    private SysResult PipeRead(Pipe pipe, ulong buf, ulong count)
    {
        if (pipe.Length == 0)
        {
            return pipe.Writers == 0 ? new SysResult(0) : SysResult.Error(Errno.EAGAIN);
        }

        var chunk = new byte[(int)Math.Min(count, (ulong)pipe.Length)];
        pipe.Peek(chunk);
        var notCopied = CopyToUser(new UserAddr(buf), chunk);
        var copied = chunk.Length - (int)notCopied;
        pipe.Drop(copied);
        return copied == 0 && chunk.Length > 0 ? SysResult.Error(Errno.EFAULT) : new SysResult(copied);
    }

    /// <summary>
    /// fs/pipe.c: pipe_write — -EPIPE when no reader is left (the SIGPIPE that comes with it is not modelled);
    /// otherwise copy_from_user of what fits. The user buffer may be any mapping, a driver's included: its pages are
    /// faulted in as the copy reads them.
    /// </summary>
    private SysResult PipeWrite(Pipe pipe, ulong buf, ulong count)
    {
        if (pipe.Readers == 0)
        {
            return SysResult.Error(Errno.EPIPE);
        }

        if (pipe.Free == 0)
        {
            return SysResult.Error(Errno.EAGAIN);
        }

        var chunk = new byte[(int)Math.Min(count, (ulong)pipe.Free)];
        var notCopied = CopyFromUser(chunk, new UserAddr(buf));
        var copied = chunk.Length - (int)notCopied;
        pipe.Push(chunk.AsSpan(0, copied));
        return copied == 0 && chunk.Length > 0 ? SysResult.Error(Errno.EFAULT) : new SysResult(copied);
    }

    /// <summary>fs/pipe.c: pipe_poll — readable when bytes wait, writable when room is left, POLLHUP without writers, POLLERR without readers.</summary>
    private static PollEvents PipePoll(Pipe pipe, FMode mode)
    {
        var mask = PollEvents.None;
        if ((mode & FMode.Read) != 0)
        {
            mask |= pipe.Length > 0 ? PollEvents.In | PollEvents.RdNorm : PollEvents.None;
            mask |= pipe.Writers == 0 ? PollEvents.Hup : PollEvents.None;
        }

        if ((mode & FMode.Write) != 0)
        {
            mask |= pipe.Free > 0 ? PollEvents.Out | PollEvents.WrNorm : PollEvents.None;
            mask |= pipe.Readers == 0 ? PollEvents.Err : PollEvents.None;
        }

        return mask;
    }

    /// <summary>fs/pipe.c: pipe_release — the last reference to one end: one reader or writer fewer.</summary>
    private static void PipeRelease(Pipe pipe, FMode mode)
    {
        if ((mode & FMode.Read) != 0)
        {
            pipe.Readers--;
        }

        if ((mode & FMode.Write) != 0)
        {
            pipe.Writers--;
        }
    }
}
