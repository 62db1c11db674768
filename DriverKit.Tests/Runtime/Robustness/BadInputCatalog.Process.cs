using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>System calls, user memory access and the driver callbacks they reach.</summary>
internal static partial class BadInputCatalog
{
    /// <summary>File descriptors that name nothing.</summary>
    private static readonly (BadInput Input, string Name, Func<RobustFixture, int> Fd)[] BadFds =
    [
        (BadInput.OutOfRange, "fd -1", _ => -1),
        (BadInput.OutOfRange, "fd int.MaxValue", _ => int.MaxValue),
        (BadInput.OutOfRange, "fd int.MinValue", _ => int.MinValue),
        (BadInput.Closed, "a closed fd", f => f.ClosedFd),
    ];

    /// <summary>Every system call of an exited process must be -ESRCH (or a defined refusal).</summary>
    private static void Exited(List<BadCase> list, string api, Func<Process, object?> call) =>
        Add(list, api, BadInput.Exited, "on an exited process", f => call(f.Dead), victim: f => f.Dead);

    private static void AddSyscalls(List<BadCase> list)
    {
        const Prot RW = Prot.Read | Prot.Write;
        const MapFlags Anon = MapFlags.Private | MapFlags.Anonymous;

        // open(2) and close(2)
        Add(list, "Process.Open", BadInput.Null, "NULL path", f => f.P.Open(null!));
        Add(list, "Process.Open", BadInput.Zero, "empty path", f => f.P.Open(string.Empty));
        Add(list, "Process.Open", BadInput.Freed, "an unregistered device", f => f.P.Open("/dev/stale"));
        Add(list, "Process.Open", BadInput.OutOfRange, "flags -1", f => f.P.Open(RobustDriver.Path, (OpenFlags)(-1)));
        Exited(list, "Process.Open", p => p.Open(RobustDriver.Path));
        foreach (var (input, name, fd) in BadFds)
        {
            Add(list, "Process.Close", input, name, f => f.P.Close(fd(f)));
            Add(list, "Process.Ioctl", input, name, f => f.P.Ioctl(fd(f), 0));
            Add(list, "Process.Ftruncate", input, name, f => f.P.Ftruncate(fd(f), P4));
            Add(list, "Process.Mmap", input, name, f => f.P.Mmap(default, P4, RW, MapFlags.Shared, fd(f), 0));
        }

        Add(list, "Process.Close", BadInput.DoubleFree, "a second close", f => f.P.Close(f.SpareFd), arrange: f => f.P.Close(f.SpareFd));
        Exited(list, "Process.Close", p => p.Close(3));
        Add(list, "Process.Ioctl", BadInput.OutOfRange, "a memfd (no ioctl)", f => f.P.Ioctl(f.MemFd, 1));
        Add(list, "Process.Ioctl", BadInput.Huge, "cmd uint.MaxValue, arg ulong.MaxValue", f => f.P.Ioctl(f.Fd, uint.MaxValue, ulong.MaxValue));
        Add(list, "Process.Ioctl", BadInput.Wrapping, "GUP of 2^64 - 4096", f => f.P.Ioctl(f.Fd, RobustDriver.IoctlGup, Wrap.Value));
        Exited(list, "Process.Ioctl", p => p.Ioctl(3, 0));
        Add(list, "Process.Ftruncate", BadInput.OutOfRange, "a device fd", f => f.P.Ftruncate(f.Fd, 0));
        Add(list, "Process.Ftruncate", BadInput.Huge, "size ulong.MaxValue", f => f.P.Ftruncate(f.MemFd, ulong.MaxValue));
        Add(list, "Process.Mmap", BadInput.Huge, "the end of a memfd truncated to ulong.MaxValue", f =>
        {
            var a = f.P.Mmap(default, 4 * P4, RW, MapFlags.Shared, f.MemFd, ulong.MaxValue & ~0xFFFFUL);
            return a.IsOk ? f.P.Touch(a.Value, true) : a;
        }, arrange: f => f.P.Ftruncate(f.MemFd, ulong.MaxValue));
        Exited(list, "Process.Ftruncate", p => p.Ftruncate(3, 0));
        Add(list, "Process.MemfdCreate", BadInput.Null, "NULL name", f => f.P.MemfdCreate(null!));
        Exited(list, "Process.MemfdCreate", p => p.MemfdCreate("x"));

        // mmap(2)
        foreach (var (input, name, call) in new (BadInput, string, Func<RobustFixture, object?>)[]
        {
            (BadInput.Zero, "length 0 (anonymous)", f => f.P.Mmap(default, 0, RW, Anon)),
            (BadInput.Zero, "length 0 (device)", f => f.P.Mmap(default, 0, RW, MapFlags.Shared, f.Fd, 0)),
            (BadInput.Unaligned, "offset 1", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.Fd, 1)),
            (BadInput.Unaligned, "MAP_FIXED at an unaligned address", f => f.P.Mmap(f.AnonMap + 1UL, P4, RW, Anon | MapFlags.Fixed)),
            (BadInput.Huge, "length ulong.MaxValue", f => f.P.Mmap(default, ulong.MaxValue, RW, Anon)),
            (BadInput.Huge, "length 2^47 (beyond TASK_SIZE)", f => f.P.Mmap(default, 1UL << 47, RW, Anon)),
            (BadInput.Huge, "length 2^46 of the device", f => f.P.Mmap(default, 1UL << 46, RW, MapFlags.Shared, f.Fd, 0)),
            (BadInput.Huge, "offset 2^64 - 4096 of the device", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.Fd, Wrap.Value)),
            (BadInput.Huge, "MAP_LOCKED over RLIMIT_MEMLOCK", f => f.P.Mmap(default, 1UL << 30, RW, Anon | MapFlags.Locked)),
            (BadInput.Huge, "MAP_POPULATE of more than the free memory", f => f.P.Mmap(default, 16UL << 20, RW, Anon | MapFlags.Populate)),
            (BadInput.Wrapping, "length ulong.MaxValue - 100 (rounds to 0)", f => f.P.Mmap(default, ulong.MaxValue - 100, RW, Anon)),
            (BadInput.Wrapping, "offset + length wraps", f => f.P.Mmap(default, 1UL << 20, RW, MapFlags.Shared, f.Fd, 0xFFFF_FFFF_FFFF_0000)),
            (BadInput.Wrapping, "MAP_FIXED at 2^64 - 4096", f => f.P.Mmap(Wrap, P4, RW, Anon | MapFlags.Fixed)),
            (BadInput.Wrapping, "hint 2^64 - 4096", f => f.P.Mmap(Wrap, P4, RW, Anon)),
            (BadInput.OutOfRange, "prot 8", f => f.P.Mmap(default, P4, (Prot)8, Anon)),
            (BadInput.OutOfRange, "prot -1", f => f.P.Mmap(default, P4, (Prot)(-1), Anon)),
            (BadInput.OutOfRange, "no MAP_SHARED or MAP_PRIVATE", f => f.P.Mmap(default, P4, RW, MapFlags.Anonymous)),
            (BadInput.OutOfRange, "every flag bit", f => f.P.Mmap(default, P4, RW, (MapFlags)(-1))),
            (BadInput.OutOfRange, "a device offset the driver refuses", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.Fd, 100 * P4)),
            (BadInput.OutOfRange, "a device range across two regions", f => f.P.Mmap(default, 4 * P4, RW, MapFlags.Shared, f.Fd, 2 * P4)),
            (BadInput.OutOfRange, "MAP_FIXED below mmap_min_addr", f => f.P.Mmap(new UserAddr(0x1000), P4, RW, Anon | MapFlags.Fixed)),
            (BadInput.OutOfRange, "MAP_FIXED at a kernel address", f => f.P.Mmap(KernelVa, P4, RW, Anon | MapFlags.Fixed)),
            (BadInput.OutOfRange, "MAP_FIXED_NOREPLACE over a mapping", f => f.P.Mmap(f.AnonMap, P4, RW, Anon | MapFlags.FixedNoReplace)),
            (BadInput.OutOfRange, "a writable shared mapping of a read-only fd", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.SpareFd, 0)),
            (BadInput.OutOfRange, "MAP_GROWSDOWN of the device", f => f.P.Mmap(default, P4, RW, MapFlags.Shared | MapFlags.GrowsDown, f.Fd, 0)),
            (BadInput.OutOfRange, "MAP_SHARED_VALIDATE with an unknown flag", f => f.P.Mmap(default, P4, RW, MapFlags.SharedValidate | (MapFlags)0x40000000, f.Fd, 0)),
            (BadInput.OutOfRange, "a private writable remap", f => f.P.Mmap(default, 4 * P4, RW, MapFlags.Private, f.Fd, RobustDriver.RemapBase * P4)),
            (BadInput.OutOfRange, "a private VM_PFNMAP window (the driver refuses)", f => f.P.Mmap(default, P4, RW, MapFlags.Private, f.Fd, RobustDriver.PfnBase * P4)),
            (BadInput.Null, "fd -1 without MAP_ANONYMOUS", f => f.P.Mmap(default, P4, RW, MapFlags.Private, -1, 0)),
            (BadInput.Freed, "the device was unregistered", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.Fd, 0)),
            (BadInput.EraMissing, "MAP_SHARED_VALIDATE", f => f.P.Mmap(default, P4, RW, MapFlags.SharedValidate, f.Fd, 0)),
            (BadInput.EraMissing, "MAP_FIXED_NOREPLACE", f => f.P.Mmap(f.AnonMap + 8 * P4, P4, RW, Anon | MapFlags.FixedNoReplace)),
        })
        {
            Add(list, "Process.Mmap", input, name, call, arrange: name.StartsWith("the device was", StringComparison.Ordinal) ? f => f.K.UnregisterChrdev(f.Driver.Device) : null);
        }

        Add(list, "Process.Mmap", BadInput.OutOfRange, "MAP_FIXED over a device mapping with an offset the driver refuses", f => f.P.Mmap(f.FaultMap, P4, RW, MapFlags.Shared | MapFlags.Fixed, f.Fd, 100 * P4),
            kernelChangesStateToo: "mm/mmap.c mmap_region: MAP_FIXED unmaps the old range (do_vmi_munmap) before ->mmap runs; a refusing ->mmap leaves the hole");
        Exited(list, "Process.Mmap", p => p.Mmap(default, P4, RW, Anon));

        // brk(2): refusals return the unchanged break. The victim was spawned without a program image (start_brk 0).
        Add(list, "Process.Brk", BadInput.Null, "brk(0), the query", f => f.P.Brk(default));
        Add(list, "Process.Brk", BadInput.Wrapping, "2^64 - 100 (page-rounds to 0)", f => f.P.Brk(new UserAddr(ulong.MaxValue - 100)));
        Add(list, "Process.Brk", BadInput.OutOfRange, "a kernel address", f => f.P.Brk(KernelVa));
        Add(list, "Process.Brk", BadInput.OutOfRange, "a heap from address 0 (below mmap_min_addr)", f => f.P.Brk(Hole));
        Add(list, "Process.Brk", BadInput.OutOfRange, "over an existing mapping", f => f.P.Brk(f.AnonMap + P4));
        Exited(list, "Process.Brk", p => p.Brk(new UserAddr(0x10000)));

        // munmap(2), mremap(2), mprotect(2), madvise(2)
        foreach (var (input, name, addr, len) in new (BadInput, string, Func<RobustFixture, UserAddr>, ulong)[]
        {
            (BadInput.Unaligned, "an unaligned address", f => f.AnonMap + 1UL, P4), (BadInput.Zero, "length 0", f => f.AnonMap, 0),
            (BadInput.Huge, "length ulong.MaxValue", f => f.AnonMap, ulong.MaxValue), (BadInput.Wrapping, "address 2^64 - 4096", _ => Wrap, 2 * P4),
            (BadInput.Wrapping, "length ulong.MaxValue - 100 (rounds to 0)", f => f.AnonMap, ulong.MaxValue - 100), (BadInput.OutOfRange, "a kernel address", _ => KernelVa, P4),
            (BadInput.Wrapping, "length ulong.MaxValue - 100 (rounds to 0) inside a vma", f => f.AnonMap + 2 * P4, ulong.MaxValue - 100),
            (BadInput.Wrapping, "length ulong.MaxValue - 100 (rounds to 0) inside a device vma", f => f.FaultMap + P4, ulong.MaxValue - 100),
            (BadInput.Wrapping, "length ulong.MaxValue - 100 (rounds to 0) inside an MMIO vma", f => f.MmioMap + P4, ulong.MaxValue - 100),
            (BadInput.Zero, "length 0 inside a vma", f => f.AnonMap + 2 * P4, 0), (BadInput.Zero, "length 0 inside an MMIO vma", f => f.MmioMap + P4, 0),
            (BadInput.OutOfRange, "unmapped memory", _ => Hole, P4), (BadInput.Huge, "from an unmapped page over the whole address space", _ => Hole, 1UL << 46),
        })
        {
            Add(list, "Process.Munmap", input, name, f => f.P.Munmap(addr(f), len));
            Add(list, "Process.Mprotect", input, name, f => f.P.Mprotect(addr(f), len, Prot.Read));
            Add(list, "Process.Madvise", input, name, f => f.P.Madvise(addr(f), len, Advice.DontFork),
                kernelChangesStateToo: name.StartsWith("from an unmapped", StringComparison.Ordinal) ? "mm/madvise.c do_madvise: the advice is applied to every mapped vma of the range, then unmapped parts give -ENOMEM" : null);
            Add(list, "Process.Mlock", input, name, f => f.P.Mlock(addr(f), len),
                kernelChangesStateToo: name.StartsWith("from an unmapped", StringComparison.Ordinal) ? "mm/mlock.c apply_vma_lock_flags: vmas are locked one by one; a hole gives -ENOMEM after the earlier ones" : null);
            Add(list, "Process.Munlock", input, name, f => f.P.Munlock(addr(f), len));
            Add(list, "Process.Mlock2OnFault", input, name, f => f.P.Mlock2OnFault(addr(f), len));
            Add(list, "Process.Mremap", input, name, f => f.P.Mremap(addr(f), len, 2 * P4, MremapFlags.MayMove));
        }

        Add(list, "Process.Munmap", BadInput.OutOfRange, "the middle of a device mapping", f => f.P.Munmap(f.FaultMap + P4, P4));

        // A range over two vmas, ending inside the second, that the call itself makes mergeable (found by the chaos
        // test): the merge must not leave the loop splitting a vma it already absorbed.
        Add(list, "Process.Madvise", BadInput.OutOfRange, "a range over two vmas the advice makes mergeable", f => f.P.Madvise(f.AnonMap, 3 * P4, Advice.Random),
            arrange: f => f.P.Madvise(f.AnonMap + 2 * P4, 2 * P4, Advice.Random));
        Add(list, "Process.Mprotect", BadInput.OutOfRange, "a range over two vmas the protection makes mergeable", f => f.P.Mprotect(f.AnonMap, 3 * P4, Prot.Read),
            arrange: f => f.P.Mprotect(f.AnonMap + 2 * P4, 2 * P4, Prot.Read));
        Add(list, "Process.Mlock", BadInput.OutOfRange, "a range over two vmas the lock makes mergeable", f => f.P.Mlock(f.AnonMap, 3 * P4),
            arrange: f => f.P.Mlock(f.AnonMap + 2 * P4, 2 * P4));
        Add(list, "Process.Munlock", BadInput.OutOfRange, "a range over two vmas the unlock makes mergeable", f => f.P.Munlock(f.AnonMap, 3 * P4),
            arrange: f => f.P.Mlock(f.AnonMap, 2 * P4));
        Add(list, "Process.Mprotect", BadInput.OutOfRange, "prot -1", f => f.P.Mprotect(f.AnonMap, P4, (Prot)(-1)));
        Add(list, "Process.Mprotect", BadInput.OutOfRange, "PROT_WRITE on a read-only file mapping", f => f.P.Mprotect(f.AnonMap + 0UL, P4, RW), arrange: f => f.P.Mmap(f.AnonMap + 0UL, P4, Prot.Read, MapFlags.Shared | MapFlags.Fixed, f.SpareFd, 0));
        Add(list, "Process.Mprotect", BadInput.OutOfRange, "a range with a hole", f => f.P.Mprotect(f.AnonMap, 64 * P4, Prot.Read));
        Add(list, "Process.Madvise", BadInput.OutOfRange, "advice 99", f => f.P.Madvise(f.AnonMap, P4, (Advice)99));
        Add(list, "Process.Madvise", BadInput.OutOfRange, "MADV_DONTNEED of VM_PFNMAP", f => f.P.Madvise(f.RemapMap, P4, Advice.DontNeed));
        Add(list, "Process.Madvise", BadInput.OutOfRange, "MADV_DOFORK of VM_IO", f => f.P.Madvise(f.MmioMap, P4, Advice.DoFork));

        // mm/madvise.c: madvise_walk_vmas judges each vma when it reaches it, so a refused vma after others fails the
        // call with the earlier vmas already advised: the kernel's own exception to "bad input leaves state unchanged".
        Add(list, "Process.Madvise", BadInput.OutOfRange, "MADV_DONTNEED over an anonymous vma and then a VM_PFNMAP one", f => f.P.Madvise(f.AnonMap, 4 * P4, Advice.DontNeed),
            arrange: f => f.P.Mmap(f.AnonMap + 2 * P4, 2 * P4, RW, MapFlags.Shared | MapFlags.Fixed, f.Fd, RobustDriver.RemapBase * P4),
            kernelChangesStateToo: "mm/madvise.c madvise_walk_vmas: the anonymous vma is zapped before the VM_PFNMAP vma refuses MADV_DONTNEED with -EINVAL");
        Add(list, "Process.Madvise", BadInput.OutOfRange, "MADV_DOFORK over an anonymous vma and then a VM_IO one", f => f.P.Madvise(f.AnonMap, 4 * P4, Advice.DoFork),
            arrange: f =>
            {
                f.P.Mmap(f.AnonMap + 2 * P4, 2 * P4, RW, MapFlags.Shared | MapFlags.Fixed, f.Fd, RobustDriver.RemapBase * P4);
                f.P.Madvise(f.AnonMap, 4 * P4, Advice.DontFork);
            },
            kernelChangesStateToo: "mm/madvise.c madvise_walk_vmas: VM_DONTCOPY is cleared on the anonymous vma before the VM_IO vma refuses MADV_DOFORK with -EINVAL");
        Add(list, "Process.Madvise", BadInput.EraMissing, "MADV_WIPEONFORK", f => f.P.Madvise(f.AnonMap, P4, Advice.WipeOnFork));
        Add(list, "Process.Madvise", BadInput.EraMissing, "MADV_DONTDUMP", f => f.P.Madvise(f.AnonMap, P4, Advice.DontDump));
        Add(list, "Process.Madvise", BadInput.OutOfRange, "MADV_WIPEONFORK of a device mapping", f => f.P.Madvise(f.FaultMap, P4, Advice.WipeOnFork));
        Add(list, "Process.Mlock", BadInput.OutOfRange, "RLIMIT_MEMLOCK 0", f => f.P.Mlock(f.AnonMap, P4), arrange: f => f.P.SetMemlockLimit(0));
        Add(list, "Process.Mlock", BadInput.Huge, "more than RLIMIT_MEMLOCK", f => f.P.Mlock(f.AnonMap, 128 * P4));
        Add(list, "Process.Mlock", BadInput.OutOfRange, "a device range", f => f.P.Mlock(f.RemapMap, 4 * P4));
        Add(list, "Process.Mlock2OnFault", BadInput.EraMissing, "MLOCK_ONFAULT", f => f.P.Mlock2OnFault(f.AnonMap, P4));
        foreach (var (input, name, flags) in new (BadInput, string, MlockAllFlags)[]
        {
            (BadInput.Zero, "no flags", 0), (BadInput.OutOfRange, "every bit", (MlockAllFlags)(-1)), (BadInput.OutOfRange, "MCL_ONFAULT alone", MlockAllFlags.OnFault),
            (BadInput.Huge, "MCL_CURRENT over RLIMIT_MEMLOCK", MlockAllFlags.Current), (BadInput.EraMissing, "MCL_CURRENT|MCL_ONFAULT", MlockAllFlags.Current | MlockAllFlags.OnFault),
        })
        {
            Add(list, "Process.MlockAll", input, name, f => f.P.MlockAll(flags), arrange: input == BadInput.Huge ? f => f.P.SetMemlockLimit(P4) : null);
        }

        foreach (var (input, name, call) in new (BadInput, string, Func<RobustFixture, object?>)[]
        {
            (BadInput.Zero, "new length 0", f => f.P.Mremap(f.AnonMap, 4 * P4, 0)),
            (BadInput.Zero, "old length 0 of a private mapping", f => f.P.Mremap(f.AnonMap, 0, P4, MremapFlags.MayMove)),
            (BadInput.OutOfRange, "flags -1", f => f.P.Mremap(f.AnonMap, 4 * P4, 8 * P4, (MremapFlags)(-1))),
            (BadInput.OutOfRange, "MREMAP_FIXED without MREMAP_MAYMOVE", f => f.P.Mremap(f.AnonMap, 4 * P4, 4 * P4, MremapFlags.Fixed, Hole)),
            (BadInput.OutOfRange, "MREMAP_FIXED onto itself", f => f.P.Mremap(f.AnonMap, 4 * P4, 4 * P4, MremapFlags.Fixed | MremapFlags.MayMove, f.AnonMap + P4)),
            (BadInput.OutOfRange, "MREMAP_FIXED at a kernel address", f => f.P.Mremap(f.AnonMap, 4 * P4, 4 * P4, MremapFlags.Fixed | MremapFlags.MayMove, KernelVa)),
            (BadInput.Unaligned, "MREMAP_FIXED at an unaligned address", f => f.P.Mremap(f.AnonMap, 4 * P4, 4 * P4, MremapFlags.Fixed | MremapFlags.MayMove, Hole + 1UL)),
            (BadInput.Wrapping, "MREMAP_FIXED at 2^64 - 4096", f => f.P.Mremap(f.AnonMap, 4 * P4, 2 * P4, MremapFlags.Fixed | MremapFlags.MayMove, Wrap)),
            (BadInput.Huge, "grow to 2^47", f => f.P.Mremap(f.AnonMap, 4 * P4, 1UL << 47, MremapFlags.MayMove)),
            (BadInput.Huge, "grow to ulong.MaxValue", f => f.P.Mremap(f.AnonMap, 4 * P4, ulong.MaxValue, MremapFlags.MayMove)),
            (BadInput.Huge, "grow a VM_DONTEXPAND device mapping", f => f.P.Mremap(f.RemapMap, 4 * P4, 8 * P4, MremapFlags.MayMove)),
            (BadInput.Huge, "old length past the vma", f => f.P.Mremap(f.AnonMap, 64 * P4, 64 * P4, MremapFlags.MayMove)),
            (BadInput.Huge, "grow a locked mapping over RLIMIT_MEMLOCK", f => f.P.Mremap(f.AnonMap, 4 * P4, 1024 * P4, MremapFlags.MayMove)),
        })
        {
            Add(list, "Process.Mremap", input, name, call, arrange: name.Contains("locked", StringComparison.Ordinal) ? f => f.P.Mlock(f.AnonMap, 4 * P4) : null);
        }

        foreach (var (api, call) in new (string, Func<Process, object?>)[]
        {
            ("Process.Munmap", p => p.Munmap(new UserAddr(0x7F00_0000_0000), P4)), ("Process.Mremap", p => p.Mremap(new UserAddr(0x7F00_0000_0000), P4, 2 * P4)),
            ("Process.Mprotect", p => p.Mprotect(new UserAddr(0x7F00_0000_0000), P4, Prot.Read)), ("Process.Madvise", p => p.Madvise(new UserAddr(0x7F00_0000_0000), P4, Advice.DontNeed)),
            ("Process.Mlock", p => p.Mlock(new UserAddr(0x7F00_0000_0000), P4)), ("Process.Mlock2OnFault", p => p.Mlock2OnFault(new UserAddr(0x7F00_0000_0000), P4)),
            ("Process.Munlock", p => p.Munlock(new UserAddr(0x7F00_0000_0000), P4)), ("Process.MlockAll", p => p.MlockAll(MlockAllFlags.Current)),
            ("Process.MunlockAll", p => p.MunlockAll()), ("Process.Fork", p => p.Fork()), ("Process.Exit", p => p.Exit()),
            ("Process.DumpCore", p => p.DumpCore()), ("Process.SetMemlockLimit", p => p.SetMemlockLimit(0)),
        })
        {
            Exited(list, api, call);
        }

        Add(list, "Process.Exit", BadInput.DoubleFree, "a second exit", f => f.P.Exit(), arrange: f => f.P.Exit());
        Add(list, "Process.Exit", BadInput.OutOfRange, "code int.MinValue", f => f.P.Exit(int.MinValue));
        Add(list, "Process.SetMemlockLimit", BadInput.Huge, "ulong.MaxValue, then mlockall", f =>
        {
            f.P.SetMemlockLimit(ulong.MaxValue);
            return f.P.MlockAll(MlockAllFlags.Current | MlockAllFlags.Future);
        });
        Add(list, "Process.Fork", BadInput.OutOfRange, "a PAT-tracked remap without its first PTE (track_pfn_copy fails)", f => f.P.Fork(), arrange: f => f.K.ZapVmaPtes(f.RemapVma, f.RemapMap, P4));
        Add(list, "Process.CoredumpFilter", BadInput.EraMissing, "set", f => Void(() => f.P.CoredumpFilter = 0x33));
        Add(list, "Process.CoredumpFilter", BadInput.OutOfRange, "uint.MaxValue, then a core dump", f =>
        {
            f.P.CoredumpFilter = uint.MaxValue;
            return f.P.DumpCore();
        });
        Add(list, "Process.CoredumpFilter", BadInput.Exited, "set on an exited process", f => Void(() => f.Dead.CoredumpFilter = 0), victim: f => f.Dead);
    }

    private static void AddAccess(List<BadCase> list)
    {
        foreach (var (input, name, addr) in new (BadInput, string, Func<RobustFixture, UserAddr>)[]
        {
            (BadInput.Null, "NULL", _ => default), (BadInput.Wrapping, "2^64 - 2 (the access wraps)", _ => new UserAddr(ulong.MaxValue - 1)),
            (BadInput.OutOfRange, "a kernel address", _ => KernelVa), (BadInput.OutOfRange, "unmapped memory", _ => Hole),
            (BadInput.Huge, "crossing the end of a mapping into a hole", f => f.ShmemMap + 2 * P4 - 2),
            (BadInput.Huge, "crossing the end of a device mapping into a hole", f => f.FaultMap + 4 * P4 - 2),
        })
        {
            var crossing = name.StartsWith("crossing", StringComparison.Ordinal);
            Add(list, "Process.Read", input, name, f => f.P.Read(addr(f), new byte[8]), kernelChangesStateToo: crossing ? "arch/x86/lib/copy_user: a user copy faults in its first pages before the one that fails" : null);
            Add(list, "Process.Write", input, name, f => f.P.Write(addr(f), [1, 2, 3, 4, 5, 6, 7, 8]),
                kernelChangesStateToo: crossing ? "arch/x86/lib/copy_user: a write crossing the end of a mapping stores the bytes before the fault" : null);
            Add(list, "Process.ReadByte", input, name, f => f.P.ReadByte(addr(f), out _));
            Add(list, "Process.WriteByte", input, name, f => f.P.WriteByte(addr(f), 1));
            Add(list, "Process.Touch", input, name, f => f.P.Touch(addr(f), true));
        }

        Add(list, "Process.Write", BadInput.OutOfRange, "a read-only mapping", f => f.P.Write(f.AnonMap, [1]), arrange: f => f.P.Mprotect(f.AnonMap, 4 * P4, Prot.Read));
        Add(list, "Process.Write", BadInput.OutOfRange, "a PROT_NONE mapping", f => f.P.Write(f.AnonMap, [1]), arrange: f => f.P.Mprotect(f.AnonMap, 4 * P4, Prot.None));
        Add(list, "Process.Read", BadInput.Huge, "16 MiB from a 4-page mapping", f => f.P.Read(f.AnonMap, new byte[16 << 20]), kernelChangesStateToo: "arch/x86/lib/copy_user: a user copy faults in its first pages before the one that fails");
        Add(list, "Process.Write", BadInput.Huge, "past the end of a shared memfd (SIGBUS)", f =>
        {
            var a = f.P.Mmap(default, 4 * P4, Prot.Read | Prot.Write, MapFlags.Shared, f.MemFd, 0);
            return a.IsOk ? f.P.Write(a.Value + 2 * P4, [1]) : a;
        }, kernelChangesStateToo: "the mapping made for the access stays: mmap succeeded, the later store faults");
        foreach (var (api, call) in new (string, Func<Process, object?>)[]
        {
            ("Process.Read", p => p.Read(new UserAddr(0x7F00_0000_0000), new byte[1])), ("Process.Write", p => p.Write(new UserAddr(0x7F00_0000_0000), [1])),
            ("Process.ReadByte", p => p.ReadByte(new UserAddr(0x7F00_0000_0000), out _)), ("Process.WriteByte", p => p.WriteByte(new UserAddr(0x7F00_0000_0000), 1)),
            ("Process.Touch", p => p.Touch(new UserAddr(0x7F00_0000_0000))),
        })
        {
            Exited(list, api, call);
        }

        Add(list, "Proc.Pagemap", BadInput.Null, "NULL process", f => Proc.Pagemap(null!, f.AnonMap));
        Add(list, "Proc.Pagemap", BadInput.Wrapping, "address ulong.MaxValue", f => Proc.Pagemap(f.P, new UserAddr(ulong.MaxValue)));
        Add(list, "Proc.Pagemap", BadInput.Exited, "an exited process", f => Proc.Pagemap(f.Dead, f.DeadVma.Start));
        foreach (var (api, call) in new (string, Func<Process, object?>)[] { ("Proc.Maps", Proc.Maps), ("Proc.Smaps", Proc.Smaps), ("Proc.Status", Proc.Status) })
        {
            Add(list, api, BadInput.Null, "NULL process", _ => call(null!));
            Add(list, api, BadInput.Exited, "an exited process", f => call(f.Dead));
        }

        Add(list, "Proc.SmapsOf", BadInput.Null, "NULL vma", _ => Proc.SmapsOf(null!));
        Add(list, "Proc.SmapsOf", BadInput.Freed, "an unmapped vma", f => Proc.SmapsOf(f.DeadVma));
        Add(list, "Proc.MapsLine", BadInput.Null, "NULL vma", _ => Proc.MapsLine(null!));
        Add(list, "Proc.MapsLine", BadInput.Freed, "an unmapped vma", f => Proc.MapsLine(f.DeadVma));
        Add(list, "Proc.VmFlagsText", BadInput.Null, "NULL policy", _ => Proc.VmFlagsText(null!, VmFlags.Read));
        Add(list, "Proc.VmFlagsText", BadInput.OutOfRange, "every bit", f => Proc.VmFlagsText(f.K.Policy, (VmFlags)ulong.MaxValue));
    }
}
