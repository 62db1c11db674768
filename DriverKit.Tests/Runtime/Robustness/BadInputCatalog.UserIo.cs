using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>copy_to_user/copy_from_user, pin_user_pages_fast/_remote, the mmap read lock, and the descriptor and remote-memory system calls.</summary>
internal static partial class BadInputCatalog
{
    /// <summary>User addresses a copy or a remote access must refuse or fault on.</summary>
    private static readonly (BadInput Input, string Name, Func<RobustFixture, UserAddr> Addr)[] BadUserAddrs =
    [
        (BadInput.Null, "NULL", _ => default),
        (BadInput.Wrapping, "2^64 - 4096 (the span wraps)", _ => Wrap),
        (BadInput.OutOfRange, "a kernel address", _ => KernelVa),
        (BadInput.OutOfRange, "an unmapped address", _ => Hole),
        (BadInput.Exited, "a vma of the exited process", f => f.DeadVma.Start),
    ];

    private static void AddUserCopiesAndPins(List<BadCase> list)
    {
        // copy_to_user / copy_from_user: outside process context, and from an ioctl with bad user addresses.
        K(list, "Kernel.CopyToUser", BadInput.Null, "outside process context", f => f.K.CopyToUser(f.AnonMap, new byte[8]));
        K(list, "Kernel.CopyFromUser", BadInput.Null, "outside process context", f => f.K.CopyFromUser(new byte[8], f.AnonMap));
        foreach (var (input, name, addr) in BadUserAddrs)
        {
            Add(list, "Kernel.CopyToUser", input, "in ioctl, " + name, f => InIoctl(f, k => (long)k.CopyToUser(addr(f), new byte[16])));
            Add(list, "Kernel.CopyFromUser", input, "in ioctl, " + name, f => InIoctl(f, k => (long)k.CopyFromUser(new byte[16], addr(f))));
        }

        const string CopyCrossesEnd = "arch/x86/lib/copy_user: a copy that crosses the end of a mapping stores (or faults in) the bytes before the fault and returns the count not copied";
        Add(list, "Kernel.CopyToUser", BadInput.Huge, "in ioctl, across the end of the anonymous mapping", f => InIoctl(f, k => (long)k.CopyToUser(f.AnonMap + 3 * P4, new byte[2 * P4])),
            kernelChangesStateToo: CopyCrossesEnd);
        Add(list, "Kernel.CopyFromUser", BadInput.Huge, "in ioctl, across the end of the anonymous mapping", f => InIoctl(f, k => (long)k.CopyFromUser(new byte[2 * P4], f.AnonMap + 3 * P4)),
            kernelChangesStateToo: CopyCrossesEnd);
        Add(list, "Kernel.CopyToUser", BadInput.OutOfRange, "in ioctl, a read-only mapping", f => InIoctl(f, k => (long)k.CopyToUser((UserAddr)f.Extra["ro"], new byte[8])),
            f => f.Extra["ro"] = f.P.Mmap(default, P4, Prot.Read, MapFlags.Private | MapFlags.Anonymous).Unwrap());
        Add(list, "Kernel.CopyToUser", BadInput.OutOfRange, "in ioctl, a VM_IO register window (the copy reaches the device)", f => InIoctl(f, k => (long)k.CopyToUser(f.MmioMap, new byte[4])));
        Add(list, "Kernel.CopyToUser", BadInput.Zero, "in ioctl, nothing at NULL", f => InIoctl(f, k => (long)k.CopyToUser(default, [])));

        // pin_user_pages_fast and pin_user_pages_remote.
        K(list, "Kernel.PinUserPagesFast", BadInput.Null, "outside process context", f => f.K.PinUserPagesFast(f.AnonMap, 1, FollFlags.None, new Page[1]));
        K(list, "Kernel.PinUserPagesFast", BadInput.Null, "a NULL page array", f => f.K.PinUserPagesFast(f.AnonMap, 1, FollFlags.None, null!));
        K(list, "Kernel.PinUserPagesRemote", BadInput.Null, "NULL mm", f => f.K.PinUserPagesRemote(null!, f.AnonMap, 1, FollFlags.None, new Page[1]));
        K(list, "Kernel.PinUserPagesRemote", BadInput.Null, "a NULL page array", f => f.K.PinUserPagesRemote(f.Child.Mm, f.AnonMap, 1, FollFlags.None, null!));
        K(list, "Kernel.PinUserPagesRemote", BadInput.Exited, "the mm of an exited process", f => f.K.PinUserPagesRemote(f.Dead.Mm, f.DeadVma.Start, 1, FollFlags.None, new Page[1]));
        K(list, "Kernel.PinUserPagesRemote", BadInput.Foreign, "the mm of another machine's process", f => f.K.PinUserPagesRemote(f.Other.Value.P.Mm, f.Other.Value.AnonMap, 1, FollFlags.None, new Page[1]), mustRefuse: true);
        K(list, "Kernel.PinUserPagesRemote", BadInput.Wrapping, "start 2^64 - 4096, two pages", f => f.K.PinUserPagesRemote(f.Child.Mm, Wrap, 2, FollFlags.None, new Page[2]));
        foreach (var (api, pin) in new (string, Func<RobustFixture, Kernel, UserAddr, int, FollFlags, Page[], long>)[]
        {
            ("Kernel.PinUserPagesFast", (f, k, s, n, fl, p) => k.PinUserPagesFast(s, n, fl, p)),
            ("Kernel.PinUserPagesRemote", (f, k, s, n, fl, p) => k.PinUserPagesRemote(f.P.Mm, s, n, fl, p)),
        })
        {
            foreach (var (input, name, start, n, size) in GupRanges.Append((BadInput.Huge, "int.MaxValue pages", f => f.AnonMap, int.MaxValue, 1)))
            {
                Add(list, api, input, "in ioctl, " + name, f => InIoctl(f, k => pin(f, k, start(f), n, FollFlags.Write, new Page[size])));
            }

            Add(list, api, BadInput.OutOfRange, "in ioctl, every FOLL bit", f => InIoctl(f, k => pin(f, k, f.AnonMap, 1, (FollFlags)int.MaxValue, new Page[1])));
        }

        // mmap_read_lock / mmap_read_unlock.
        K(list, "Kernel.MmapReadLock", BadInput.Null, "NULL mm", f => Void(() => f.K.MmapReadLock(null!)));
        K(list, "Kernel.MmapReadLock", BadInput.Foreign, "the mm of another machine's process", f => Void(() => f.K.MmapReadLock(f.Other.Value.P.Mm)), mustRefuse: true);
        K(list, "Kernel.MmapReadUnlock", BadInput.Null, "NULL mm", f => Void(() => f.K.MmapReadUnlock(null!)));
        K(list, "Kernel.MmapReadUnlock", BadInput.Foreign, "the mm of another machine's process", f => Void(() => f.K.MmapReadUnlock(f.Other.Value.P.Mm)), mustRefuse: true);
        Add(list, "Kernel.MmapReadUnlock", BadInput.DoubleFree, "in ioctl, unlock without a lock", f => InIoctl(f, k => Unit(() => k.MmapReadUnlock(f.P.Mm))));
        Add(list, "Kernel.MmapReadUnlock", BadInput.DoubleFree, "in ioctl, a second unlock", f => InIoctl(f, k => Unit(() =>
        {
            k.MmapReadLock(f.P.Mm);
            k.MmapReadUnlock(f.P.Mm);
            k.MmapReadUnlock(f.P.Mm);
        })));
        Add(list, "Kernel.MmapReadLock", BadInput.DoubleFree, "in ioctl, taken twice", f => InIoctl(f, k => Unit(() =>
        {
            k.MmapReadLock(f.P.Mm);
            k.MmapReadLock(f.P.Mm);
            k.MmapReadUnlock(f.P.Mm);
            k.MmapReadUnlock(f.P.Mm);
        })));
        Add(list, "Kernel.MmapReadLock", BadInput.Reentrant, "in ->mmap (under the write lock: the task deadlocks)", f => InMmap(f, v => (int)Unit(() => f.K.MmapReadLock(v.Mm))));
        Add(list, "Kernel.MmapReadLock", BadInput.Exited, "in ioctl, the mm of an exited process", f => InIoctl(f, k => Unit(() =>
        {
            k.MmapReadLock(f.Dead.Mm);
            k.MmapReadUnlock(f.Dead.Mm);
        })));
        Add(list, "Kernel.MmapReadLock", BadInput.Closed, "in ioctl, returning to user space with the lock held", f => InIoctl(f, k => Unit(() => k.MmapReadLock(f.P.Mm))),
            kernelChangesStateToo: "kernel/entry/common.c lockdep_sys_exit: an ioctl that returns holding mmap_lock keeps it held; the kernel only warns");

        // poll(2), read(2), write(2).
        foreach (var (input, name, fd) in BadFds)
        {
            Add(list, "Process.Poll", input, name, f => f.P.Poll(fd(f), PollEvents.In));
            Add(list, "Process.ReadFd", input, name, f => f.P.ReadFd(fd(f), f.AnonMap, 8));
            Add(list, "Process.WriteFd", input, name, f => f.P.WriteFd(fd(f), f.AnonMap, 8));
        }

        Add(list, "Process.Poll", BadInput.OutOfRange, "every event bit", f => f.P.Poll(f.Fd, (PollEvents)uint.MaxValue));
        Add(list, "Process.Poll", BadInput.OutOfRange, "a memfd (no ->poll)", f => f.P.Poll(f.MemFd, PollEvents.In | PollEvents.Out));
        Exited(list, "Process.Poll", p => p.Poll(3, PollEvents.In));
        foreach (var (api, io) in new (string, Func<Process, int, UserAddr, ulong, SysResult>)[]
        {
            ("Process.ReadFd", (p, fd, b, n) => p.ReadFd(fd, b, n)), ("Process.WriteFd", (p, fd, b, n) => p.WriteFd(fd, b, n)),
        })
        {
            foreach (var (input, name, addr) in BadUserAddrs)
            {
                Add(list, api, input, "a memfd, buffer " + name, f => io(f.P, f.MemFd, addr(f), 8));
            }

            Add(list, api, BadInput.Huge, "count ulong.MaxValue", f => io(f.P, f.MemFd, f.AnonMap, ulong.MaxValue));
            Add(list, api, BadInput.Huge, "a buffer across the end of its mapping", f => io(f.P, f.MemFd, f.AnonMap + 3 * P4, 2 * P4),
                kernelChangesStateToo: "fs/read_write.c: a transfer that faults part-way returns the bytes done; the bytes before the fault are stored");
            Add(list, api, BadInput.Zero, "count 0 at NULL", f => io(f.P, f.MemFd, default, 0));
            Add(list, api, BadInput.OutOfRange, "the device (no read/write hook)", f => io(f.P, f.Fd, f.AnonMap, 8));
            Add(list, api, BadInput.OutOfRange, "a read-only descriptor", f => io(f.P, f.SpareFd, f.AnonMap, 8));
            Exited(list, api, p => io(p, 3, new UserAddr(0x10000), 8));
        }

        // /proc/<pid>/mem and process_vm_readv/writev.
        foreach (var (api, access) in new (string, Func<RobustFixture, int, UserAddr, ulong, SysResult>)[]
        {
            ("Process.ReadProcMem", (f, pid, a, n) => f.P.ReadProcMem(pid, a, new byte[n])),
            ("Process.WriteProcMem", (f, pid, a, n) => f.P.WriteProcMem(pid, a, new byte[n])),
            ("Process.ProcessVmReadv", (f, pid, a, n) => f.P.ProcessVmReadv(pid, new byte[n], a)),
            ("Process.ProcessVmWritev", (f, pid, a, n) => f.P.ProcessVmWritev(pid, new byte[n], a)),
        })
        {
            foreach (var (input, name, pid) in new (BadInput, string, Func<RobustFixture, int>)[]
            {
                (BadInput.OutOfRange, "pid -1", _ => -1), (BadInput.OutOfRange, "pid 0", _ => 0), (BadInput.OutOfRange, "pid int.MaxValue", _ => int.MaxValue),
                (BadInput.Exited, "an exited process", f => f.Dead.Pid), (BadInput.Foreign, "a pid of another machine only", f => f.Other.Value.K.Spawn("only-there").Pid),
            })
            {
                Add(list, api, input, name, f => access(f, pid(f), f.AnonMap, 8));
            }

            foreach (var (input, name, addr) in BadUserAddrs)
            {
                Add(list, api, input, "the child's memory at " + name, f => access(f, f.Child.Pid, addr(f), 8));
            }

            Add(list, api, BadInput.Huge, "the child's memory across the end of a mapping", f => access(f, f.Child.Pid, f.AnonMap + 3 * P4, 2 * P4),
                kernelChangesStateToo: "mm/memory.c __access_remote_vm: the copy goes page by page and stops at the first page it cannot get; the pages before it were transferred (and faulted in)");
            Add(list, api, BadInput.Zero, "nothing at NULL", f => access(f, f.Child.Pid, default, 0));
            Add(list, api, BadInput.OutOfRange, "the child's VM_IO|VM_PFNMAP mapping", f => access(f, f.Child.Pid, f.RemapMap, 8));
            Exited(list, api, p => api switch
            {
                "Process.ReadProcMem" => p.ReadProcMem(1, new UserAddr(0x10000), new byte[8]),
                "Process.WriteProcMem" => p.WriteProcMem(1, new UserAddr(0x10000), new byte[8]),
                "Process.ProcessVmReadv" => p.ProcessVmReadv(1, new byte[8], new UserAddr(0x10000)),
                _ => p.ProcessVmWritev(1, new byte[8], new UserAddr(0x10000)),
            });
        }
    }

    /// <summary>Runs a driver action that returns nothing, as an ioctl's 0.</summary>
    private static long Unit(Action a)
    {
        a();
        return 0;
    }
}
