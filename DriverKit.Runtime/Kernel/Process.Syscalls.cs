using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Process
{
    internal void CopyFdCounter(Process parent) => nextFd = parent.nextFd;

    /// <summary>
    /// Runs a system call in process context. A simulated kernel BUG kills the task and comes back as an oops
    /// outcome; a call on an exited process is ESRCH.
    /// </summary>
    private SysResult Call(MmapLockMode mode, Func<SysResult> body, [CallerMemberName] string syscall = "") =>
        Run(mode, body, static (_, b) => b(), SysResult.Error(Errno.ESRCH), SysResult.FromOops, syscall);

    private SysResult<T> Call<T>(MmapLockMode mode, Func<SysResult<T>> body, [CallerMemberName] string syscall = "") =>
        Run(mode, body, static (_, b) => b(), SysResult<T>.Error(Errno.ESRCH), SysResult<T>.FromOops, syscall);

    /// <summary>A system call with a user buffer (a span, which a lambda cannot capture: it is handed to the body).</summary>
    private SysResult CallWith<TBuffer>(MmapLockMode mode, TBuffer buffer, Func<Kernel, TBuffer, SysResult> body, [CallerMemberName] string syscall = "")
        where TBuffer : allows ref struct =>
        Run(mode, buffer, body, SysResult.Error(Errno.ESRCH), SysResult.FromOops, syscall);

    private TResult Run<TState, TResult>(MmapLockMode mode, TState state, Func<Kernel, TState, TResult> body, TResult exited, Func<Report, TResult> oops, string syscall)
        where TState : allows ref struct
    {
        if (State != ProcessState.Running)
        {
            return exited;
        }

        // A system call made from a driver callback of this very task while it holds its mmap lock would deadlock: the
        // lockdep report propagates to the outer call, which dies with it. So does any oops of a nested call: the task
        // is killed once, when the outermost call unwinds, not in the middle of it.
        using (Kernel.EnterProcess(this, mode, "sys_" + syscall.ToLowerInvariant()))
        {
            var outermost = syscallDepth++ == 0;
            try
            {
                var result = body(Kernel, state);
                Kernel.AfterOperation();
                return result;
            }
            catch (KernelBugException e) when (outermost)
            {
                Kernel.KillByOops(this, e.Report);
                return oops(e.Report);
            }
            finally
            {
                syscallDepth--;
            }
        }
    }

    // System calls of this task in progress: more than one when a driver callback calls back in.
    private int syscallDepth;

    /// <summary>True while a system call of this task runs: an oops then ends the call, which kills the task as it unwinds.</summary>
    internal bool InSyscall => syscallDepth > 0;

    /// <summary>open(2) of a device node; the value is the file descriptor.</summary>
    /// <param name="path">Device path.</param>
    /// <param name="flags">O_RDONLY, O_WRONLY or O_RDWR.</param>
    public SysResult Open(string path, OpenFlags flags = OpenFlags.ReadWrite) => Call(MmapLockMode.None, () => Kernel.OpenPath(this, path, flags));

    /// <summary>close(2): the last reference to the open file calls the driver's -&gt;release (mappings keep the file open).</summary>
    /// <param name="fd">The file descriptor.</param>
    public SysResult Close(int fd) => Call(MmapLockMode.None, () =>
    {
        if (!Files.Remove(fd, out var file))
        {
            return SysResult.Error(Errno.EBADF);
        }

        Kernel.Fput(file);
        return new SysResult(0);
    });

    /// <summary>ioctl(2).</summary>
    /// <param name="fd">The file descriptor.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="arg">The argument.</param>
    public SysResult Ioctl(int fd, uint cmd, ulong arg = 0) => Call(MmapLockMode.None, () => Kernel.Ioctl(this, fd, cmd, arg));

    /// <summary>read(2) of a device: the driver's -&gt;read copies into <paramref name="buf"/> with copy_to_user, which faults this task's pages in.</summary>
    /// <param name="fd">The file descriptor (opened for reading).</param>
    /// <param name="buf">The user buffer.</param>
    /// <param name="count">Its length.</param>
    /// <returns>The bytes read, 0 at the end, or -errno (EBADF, EINVAL without -&gt;read, EFAULT).</returns>
    public SysResult ReadFd(int fd, UserAddr buf, ulong count) => Call(MmapLockMode.None, () => Kernel.VfsReadWrite(this, fd, buf.Value, count, write: false));

    /// <summary>write(2) to a device: the driver's -&gt;write takes the bytes at <paramref name="buf"/> with copy_from_user.</summary>
    /// <param name="fd">The file descriptor (opened for writing).</param>
    /// <param name="buf">The user buffer.</param>
    /// <param name="count">Its length.</param>
    /// <returns>The bytes written or -errno (EBADF, EINVAL without -&gt;write, EFAULT).</returns>
    public SysResult WriteFd(int fd, UserAddr buf, ulong count) => Call(MmapLockMode.None, () => Kernel.VfsReadWrite(this, fd, buf.Value, count, write: true));

    /// <summary>
    /// pipe(2): a pipe's read end and write end (fs/pipe.c: do_pipe2). Both behave as O_NONBLOCK (the simulator never
    /// sleeps): reading an empty pipe that still has a writer, or writing a full one, is -EAGAIN; read(2) of the read end
    /// after the last writer closed is 0, write(2) after the last reader closed is -EPIPE.
    /// </summary>
    /// <returns>The two descriptors.</returns>
    public SysResult<(int ReadFd, int WriteFd)> Pipe() => Call(MmapLockMode.None, () => Kernel.DoPipe(this));

    /// <summary>
    /// poll(2) of one descriptor with a zero timeout: the events it is ready for among <paramref name="events"/>, plus
    /// POLLERR/POLLHUP; POLLNVAL for an fd that is not open (fs/select.c: do_pollfd).
    /// </summary>
    /// <param name="fd">The file descriptor.</param>
    /// <param name="events">The requested events.</param>
    /// <returns>revents.</returns>
    public SysResult<PollEvents> Poll(int fd, PollEvents events) => Call(MmapLockMode.None, () => SysResult<PollEvents>.Ok(Kernel.DoPollFd(this, fd, events)));

    /// <summary>mmap(2). For a device file the driver's -&gt;mmap sets the vma up.</summary>
    /// <param name="addr">Hint, or the address for MAP_FIXED / MAP_FIXED_NOREPLACE.</param>
    /// <param name="length">Length in bytes (rounded up to pages).</param>
    /// <param name="prot">PROT_* bits.</param>
    /// <param name="flags">MAP_* bits.</param>
    /// <param name="fd">File descriptor, or -1 with MAP_ANONYMOUS.</param>
    /// <param name="offset">File offset in bytes (page aligned); becomes vm_pgoff.</param>
    public SysResult<UserAddr> Mmap(UserAddr addr, ulong length, Prot prot, MapFlags flags, int fd = -1, ulong offset = 0)
        => Call(MmapLockMode.Write, () => Kernel.DoMmap(this, addr.Value, length, prot, flags, fd, offset));

    /// <summary>brk(2): moves the program break; returns the new break, or the unchanged one when the move is refused.</summary>
    /// <param name="brk">The requested break.</param>
    public SysResult<UserAddr> Brk(UserAddr brk) => Call(MmapLockMode.Write, () => Kernel.DoBrk(this, brk.Value));

    /// <summary>munmap(2).</summary>
    /// <param name="addr">Start (page aligned).</param>
    /// <param name="length">Length in bytes.</param>
    public SysResult Munmap(UserAddr addr, ulong length) => Call(MmapLockMode.Write, () => Kernel.DoMunmap(Mm, addr.Value, length));

    /// <summary>mremap(2).</summary>
    /// <param name="oldAddr">Start of the old mapping.</param>
    /// <param name="oldLength">Old length (0 duplicates a shared mapping).</param>
    /// <param name="newLength">New length.</param>
    /// <param name="flags">MREMAP_* bits.</param>
    /// <param name="newAddr">Target for MREMAP_FIXED.</param>
    public SysResult<UserAddr> Mremap(UserAddr oldAddr, ulong oldLength, ulong newLength, MremapFlags flags = MremapFlags.None, UserAddr newAddr = default)
        => Call(MmapLockMode.Write, () => Kernel.DoMremap(this, oldAddr.Value, oldLength, newLength, flags, newAddr.Value));

    /// <summary>mprotect(2).</summary>
    /// <param name="addr">Start (page aligned).</param>
    /// <param name="length">Length in bytes.</param>
    /// <param name="prot">New PROT_* bits (bounded by the vma's VM_MAY* bits).</param>
    public SysResult Mprotect(UserAddr addr, ulong length, Prot prot) => Call(MmapLockMode.Write, () => Kernel.DoMprotect(this, addr.Value, length, prot));

    /// <summary>madvise(2).</summary>
    /// <param name="addr">Start (page aligned).</param>
    /// <param name="length">Length in bytes.</param>
    /// <param name="advice">The advice.</param>
    public SysResult Madvise(UserAddr addr, ulong length, Advice advice) => Call(MmapLockMode.Write, () => Kernel.DoMadvise(this, addr.Value, length, advice));

    /// <summary>mlock(2) under RLIMIT_MEMLOCK.</summary>
    /// <param name="addr">Start.</param>
    /// <param name="length">Length in bytes.</param>
    public SysResult Mlock(UserAddr addr, ulong length) => Call(MmapLockMode.Write, () => Kernel.DoMlock(this, addr.Value, length, onFault: false));

    /// <summary>mlock2(2) with MLOCK_ONFAULT (4.4 and later).</summary>
    /// <param name="addr">Start.</param>
    /// <param name="length">Length in bytes.</param>
    public SysResult Mlock2OnFault(UserAddr addr, ulong length) => Call(MmapLockMode.Write, () =>
        Kernel.Policy.FlagExists(VmFlags.LockOnFault) ? Kernel.DoMlock(this, addr.Value, length, onFault: true) : SysResult.Error(Errno.ENOSYS));

    /// <summary>munlock(2).</summary>
    /// <param name="addr">Start.</param>
    /// <param name="length">Length in bytes.</param>
    public SysResult Munlock(UserAddr addr, ulong length) => Call(MmapLockMode.Write, () => Kernel.DoMunlock(this, addr.Value, length));

    /// <summary>mlockall(2).</summary>
    /// <param name="flags">MCL_* bits.</param>
    public SysResult MlockAll(MlockAllFlags flags) => Call(MmapLockMode.Write, () => Kernel.DoMlockAll(this, flags));

    /// <summary>munlockall(2).</summary>
    public SysResult MunlockAll() => Call(MmapLockMode.Write, () => Kernel.DoMunlockAll(this));

    /// <summary>fork(2): the child gets a copy of the address space (per era rules) and of the file table.</summary>
    public SysResult<Process> Fork() => Call(MmapLockMode.Write, () => Kernel.DoFork(this));

    /// <summary>exit(2): every mapping is unmapped and closed, every file closed.</summary>
    /// <param name="code">Exit status.</param>
    public SysResult Exit(int code = 0)
    {
        // exit_mmap takes the mmap lock for write: an exit from a callback that runs under it never gets there.
        if (State == ProcessState.Running && Mm.MmapLockHolder is { } holder)
        {
            throw Kernel.RecursiveMmapLock(this, "exit_mmap", holder);
        }

        return Call(MmapLockMode.None, () =>
        {
            Kernel.DoExit(this, code);
            return new SysResult(0);
        });
    }

    /// <summary>memfd_create(2): an anonymous shmem file of size 0; the value is the file descriptor.</summary>
    /// <param name="name">Its name (shown in /proc/pid/maps).</param>
    public SysResult MemfdCreate(string name) => Call(MmapLockMode.None, () =>
        name is null ? SysResult.Error(Errno.EFAULT) : new SysResult(InstallFd(Kernel.CreateShmemFile(name, 0))));

    /// <summary>ftruncate(2) of a shmem file; shrinking drops pages and unmaps them everywhere.</summary>
    /// <param name="fd">The file descriptor.</param>
    /// <param name="length">New size in bytes.</param>
    public SysResult Ftruncate(int fd, ulong length) => Call(MmapLockMode.None, () => Kernel.Ftruncate(this, fd, length));
}
