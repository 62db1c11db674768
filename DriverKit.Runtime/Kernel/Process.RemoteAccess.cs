namespace DriverKit.Runtime;

public sealed partial class Process
{
    /// <summary>
    /// pread(2) of /proc/&lt;pid&gt;/mem (fs/proc/base.c: mem_rw → mm/memory.c: access_remote_vm): what a debugger uses to
    /// read another task's memory. Pages come through get_user_pages with FOLL_FORCE (a read-only or PROT_NONE private
    /// mapping reads); a VM_IO/VM_PFNMAP vma is read through its <see cref="VmOperations.Access"/> (2.6.27 and later),
    /// and without one the read stops there. The ptrace access check of the open is not modelled.
    /// </summary>
    /// <param name="pid">The target task's pid (this task's own works too).</param>
    /// <param name="addr">The file offset: the target's user address.</param>
    /// <param name="buffer">Where the bytes go.</param>
    /// <returns>The number of bytes read; -EIO when not even the first byte could be; -ESRCH when no running task has the pid.</returns>
    public SysResult ReadProcMem(int pid, UserAddr addr, Span<byte> buffer) =>
        CallWith(MmapLockMode.None, buffer, (kernel, buf) => kernel.MemRw(pid, addr.Value, buf, default, write: false));

    /// <summary>
    /// pwrite(2) of /proc/&lt;pid&gt;/mem (2.6.39 and later; mem_write was compiled out before): access_remote_vm with
    /// FOLL_FORCE|FOLL_WRITE — a write to a private page copies it first (COW), also in a read-only private mapping (how
    /// a debugger sets a breakpoint in text); a shared read-only mapping is refused; a VM_IO/VM_PFNMAP vma is written
    /// through its <see cref="VmOperations.Access"/>.
    /// </summary>
    /// <param name="pid">The target task's pid.</param>
    /// <param name="addr">The file offset: the target's user address.</param>
    /// <param name="buffer">The bytes.</param>
    /// <returns>The number of bytes written; -EIO when not even the first byte could be; -ESRCH when no running task has the pid.</returns>
    /// <exception cref="EraMismatchException">Before 2.6.39.</exception>
    public SysResult WriteProcMem(int pid, UserAddr addr, ReadOnlySpan<byte> buffer)
    {
        RequireUserInterface(nameof(WriteProcMem));
        return CallWith(MmapLockMode.None, buffer, (kernel, buf) => kernel.MemRw(pid, addr.Value, default, buf, write: true));
    }

    /// <summary>
    /// process_vm_readv(2) (3.2 and later; mm/process_vm_access.c) with one local and one remote iovec: the remote
    /// pages are pinned (pin_user_pages_remote from 5.6, get_user_pages_remote before) without FOLL_FORCE and copied.
    /// No -&gt;access: a VM_IO/VM_PFNMAP range, an unmapped one or one without PROT_READ ends the copy.
    /// </summary>
    /// <param name="pid">The target task's pid.</param>
    /// <param name="local">The local iovec: where the bytes go.</param>
    /// <param name="remote">The remote iovec's base; its length is <paramref name="local"/>'s.</param>
    /// <returns>The bytes read (fewer when the range ends in a refused page); 0 for an empty buffer; -EFAULT when the first page is refused; -ESRCH when no running task has the pid.</returns>
    /// <exception cref="EraMismatchException">Before 3.2.</exception>
    public SysResult ProcessVmReadv(int pid, Span<byte> local, UserAddr remote)
    {
        RequireUserInterface(nameof(ProcessVmReadv));
        return CallWith(MmapLockMode.None, local, (kernel, buf) => kernel.ProcessVmRw(pid, remote.Value, buf, default, write: false));
    }

    /// <summary>
    /// process_vm_writev(2) (3.2 and later): <see cref="ProcessVmReadv"/> the other way — FOLL_WRITE without FOLL_FORCE,
    /// so a private page is copied (COW) before the write, and a read-only mapping is refused.
    /// </summary>
    /// <param name="pid">The target task's pid.</param>
    /// <param name="local">The local iovec: the bytes.</param>
    /// <param name="remote">The remote iovec's base; its length is <paramref name="local"/>'s.</param>
    /// <returns>The bytes written; 0 for an empty buffer; -EFAULT when the first page is refused; -ESRCH when no running task has the pid.</returns>
    /// <exception cref="EraMismatchException">Before 3.2.</exception>
    public SysResult ProcessVmWritev(int pid, ReadOnlySpan<byte> local, UserAddr remote)
    {
        RequireUserInterface(nameof(ProcessVmWritev));
        return CallWith(MmapLockMode.None, local, (kernel, buf) => kernel.ProcessVmRw(pid, remote.Value, default, buf, write: true));
    }

    private void RequireUserInterface(string member)
    {
        if (Kernel.Policy.MissingApi("Process." + member) is { } missing)
        {
            throw new EraMismatchException(missing + ".", "DK1001");
        }
    }
}
