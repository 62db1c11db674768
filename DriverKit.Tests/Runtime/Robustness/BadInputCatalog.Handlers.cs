using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>Driver callbacks that throw or call back into the kernel, reached from every system call that runs them.</summary>
internal static partial class BadInputCatalog
{
    private static void AddHandlers(List<BadCase> list)
    {
        const Prot RW = Prot.Read | Prot.Write;

        // Callbacks that throw: each must become an oops (or a defined error), never escape, never leave a half-done operation.
        Throwing(list, "Process.Open", Callback.Open, "open", f => f.P.Open(RobustDriver.Path));
        Throwing(list, "Process.Close", Callback.Release, "the last close", f => f.P.Close(f.SpareFd));
        Throwing(list, "Process.Ioctl", Callback.Ioctl, "ioctl", f => f.P.Ioctl(f.Fd, 0));
        Throwing(list, "Process.Mmap", Callback.Mmap, "mmap", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.Fd, 0));
        Throwing(list, "Process.Touch", Callback.Fault, "a fault", f => f.P.Touch(f.FaultMap + 2 * P4));
        Throwing(list, "Process.Write", Callback.PageMkwrite, "a write fault on a shared page", f => f.P.Write(f.FaultMap + 2 * P4, [1]));
        Throwing(list, "Process.Read", Callback.MmioRead, "a read of device registers", f => f.P.Read(f.MmioMap + 8UL, new byte[4]));
        Throwing(list, "Process.Write", Callback.MmioWrite, "a write of device registers", f => f.P.Write(f.MmioMap + 8UL, [1, 2]));
        Throwing(list, "Process.Munmap", Callback.VmClose, "munmap", f => f.P.Munmap(f.FaultMap, 4 * P4));
        Throwing(list, "Process.Munmap", Callback.VmOpen, "a split by munmap", f => f.P.Munmap(f.FaultMap + P4, P4));
        Throwing(list, "Process.Munmap", Callback.MaySplit, "a split by munmap", f => f.P.Munmap(f.FaultMap + P4, P4));
        Throwing(list, "Process.Mprotect", Callback.VmOpen, "a split by mprotect", f => f.P.Mprotect(f.FaultMap + P4, P4, Prot.Read));
        Throwing(list, "Process.Mremap", Callback.VmOpen, "a move", f => f.P.Mremap(f.FaultMap, 4 * P4, 4 * P4, MremapFlags.MayMove | MremapFlags.Fixed, Hole));
        Throwing(list, "Process.Mremap", Callback.VmClose, "a shrink", f => f.P.Mremap(f.FaultMap, 4 * P4, 2 * P4));
        Throwing(list, "Process.Fork", Callback.VmOpen, "fork", f => f.P.Fork());
        Throwing(list, "Process.Exit", Callback.VmClose, "exit", f => f.P.Exit());
        Throwing(list, "Process.Exit", Callback.Release, "exit", f => f.P.Exit(), arrange: f => f.P.Close(f.SpareFd));
        Throwing(list, "Process.Mlock", Callback.Fault, "mlock populating", f => f.P.Mlock(f.FaultMap, 4 * P4),
            kernelChangesStateToo: "mm/gup.c populate_vma_page_range: the pages populated before the oops were faulted with FOLL_TOUCH (PG_referenced); an oops undoes nothing",
            allowedChange: OnlyReferencedDiffers);
        Throwing(list, "Process.Mmap", Callback.Fault, "MAP_POPULATE", f => f.P.Mmap(default, 2 * P4, RW, MapFlags.Shared | MapFlags.Populate, f.Fd, 0));
        Throwing(list, "Process.DumpCore", Callback.Fault, "a core dump", f => f.P.DumpCore());
        Throwing(list, "Kernel.GetUserPages", Callback.Fault, "GUP from ioctl", f => InIoctl(f, k => k.GetUserPages(f.FaultMap + 2 * P4, 2, FollFlags.Write, new Page[2])));
        Throwing(list, "Kernel.GetUserPagesRemote", Callback.Fault, "remote GUP", f => f.K.GetUserPagesRemote(f.P.Mm, f.FaultMap + 2 * P4, 1, FollFlags.None, new Page[1]));
        Throwing(list, "Kernel.Shutdown", Callback.VmClose, "shutdown", f => f.K.Shutdown());

        // Callbacks that return what they must not.
        foreach (var (name, value) in new (string, int)[] { ("1", 1), ("int.MinValue", int.MinValue), ("-4096 (not an errno)", -4096) })
        {
            Add(list, "Process.Mmap", BadInput.OutOfRange, $"->mmap returns {name}", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.Fd, 0), hook: f => f.Driver.MmapResult = _ => value);
            Add(list, "Process.Open", BadInput.OutOfRange, $"->open returns {name}", f => f.P.Open(RobustDriver.Path), hook: f => f.Driver.OpenResult = value);
        }

        foreach (var (input, name, body) in new (BadInput, string, Func<RobustFixture, VmFault, VmFaultResult>)[]
        {
            (BadInput.Null, "0 without a page", (_, _) => VmFaultResult.None),
            (BadInput.Freed, "a freed page", (f, v) => { v.Page = f.Freed; return VmFaultResult.None; }),
            (BadInput.OutOfRange, "an unsplit tail", (f, v) => { v.Page = f.Block2 + 1; return VmFaultResult.None; }),
            (BadInput.Foreign, "a page of another machine", (f, v) => { v.Page = f.Other.Value.Alloc0; f.Other.Value.K.GetPage(f.Other.Value.Alloc0); return VmFaultResult.None; }),
            (BadInput.OutOfRange, "every VM_FAULT bit", (_, _) => (VmFaultResult)int.MaxValue),
            (BadInput.OutOfRange, "VM_FAULT_RETRY", (_, _) => VmFaultResult.Retry),
            (BadInput.OutOfRange, "VM_FAULT_LOCKED on an unlocked page", (f, v) => { f.K.GetPage(f.Driver.FaultPages[2]); v.Page = f.Driver.FaultPages[2]; return VmFaultResult.Locked; }),
            (BadInput.OutOfRange, "VM_FAULT_NOPAGE without a PTE (livelock)", (_, _) => VmFaultResult.NoPage),
            (BadInput.OutOfRange, "a page twice its reference", (f, v) => { v.Page = f.Driver.FaultPages[2]; return VmFaultResult.None; }),
        })
        {
            list.Add(new BadCase("Process.Touch", input, "->fault returns " + name, f => f.P.Touch(f.FaultMap + 2 * P4))
            {
                Hook = f => f.Driver.FaultBody = v => body(f, v),
                DriverBug = name.StartsWith("a page twice", StringComparison.Ordinal) ? "DKMM012: the page is returned without get_page" : null,
            });
        }

        // Callbacks that re-enter the kernel.
        Reentrant(list, "Process.Mmap", Callback.Mmap, "exits the task", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.Fd, 0), f => f.P.Exit());
        Reentrant(list, "Process.Mmap", Callback.Mmap, "closes the fd being mapped", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.SpareFd, 0), f => f.P.Close(f.SpareFd));
        Reentrant(list, "Process.Mmap", Callback.Mmap, "maps anonymous memory", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.Fd, 0), f => f.P.Mmap(default, P4, RW, MapFlags.Private | MapFlags.Anonymous));
        Reentrant(list, "Process.Mmap", Callback.Mmap, "forks", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.Fd, 0), f => f.P.Fork());
        Add(list, "Process.Mmap", BadInput.Reentrant, "->mmap unmaps the vma it is setting up", f => f.P.Mmap(default, P4, RW, MapFlags.Shared, f.Fd, 0),
            hook: f => f.Driver.MmapResult = v => (int)f.P.Munmap(v.Start, v.Length).Value);
        Reentrant(list, "Process.Touch", Callback.Fault, "unmaps the faulting vma", f => f.P.Touch(f.FaultMap + 2 * P4), f => f.P.Munmap(f.FaultMap, 4 * P4));
        Reentrant(list, "Process.Touch", Callback.Fault, "exits the task", f => f.P.Touch(f.FaultMap + 2 * P4), f => f.P.Exit());
        Reentrant(list, "Process.Touch", Callback.Fault, "makes the vma read-only", f => f.P.Touch(f.FaultMap + 2 * P4, true), f => f.P.Mprotect(f.FaultMap, 4 * P4, Prot.Read));
        Reentrant(list, "Process.Touch", Callback.Fault, "touches another page of the vma", f => f.P.Touch(f.FaultMap + 2 * P4), f => f.P.Touch(f.FaultMap + 3 * P4));
        Reentrant(list, "Process.Touch", Callback.Fault, "reclaims", f => f.P.Touch(f.FaultMap + 2 * P4), f => f.K.Reclaim(1024));
        Reentrant(list, "Process.Write", Callback.PageMkwrite, "unmaps the vma", f => f.P.Write(f.FaultMap + 2 * P4, [1]), f => f.P.Munmap(f.FaultMap, 4 * P4));
        Reentrant(list, "Process.Munmap", Callback.VmClose, "unmaps another vma", f => f.P.Munmap(f.FaultMap, 4 * P4), f => f.P.Munmap(f.RemapMap, 4 * P4));
        Reentrant(list, "Process.Munmap", Callback.VmClose, "exits the task", f => f.P.Munmap(f.FaultMap, 4 * P4), f => f.P.Exit());
        Reentrant(list, "Process.Munmap", Callback.MaySplit, "unmaps the vma being split", f => f.P.Munmap(f.FaultMap + P4, P4), f => f.P.Munmap(f.FaultMap, 4 * P4));
        Reentrant(list, "Process.Exit", Callback.VmClose, "maps memory during exit", f => f.P.Exit(), f => f.P.Mmap(default, P4, RW, MapFlags.Private | MapFlags.Anonymous));
        Reentrant(list, "Process.Exit", Callback.VmClose, "exits again", f => f.P.Exit(), f => f.P.Exit());
        Reentrant(list, "Process.Exit", Callback.Release, "opens the device again", f => f.P.Exit(), f => f.P.Open(RobustDriver.Path), arrange: f => f.P.Close(f.SpareFd));
        Reentrant(list, "Process.Close", Callback.Release, "closes the fd again", f => f.P.Close(f.SpareFd), f => f.P.Close(f.SpareFd));
        Reentrant(list, "Process.Fork", Callback.VmOpen, "kills the half-made child", f => f.P.Fork(), f => f.K.Current?.Exit());
        Reentrant(list, "Process.Fork", Callback.VmOpen, "exits the parent", f => f.P.Fork(), f => f.P.Exit());
        Reentrant(list, "Process.Mremap", Callback.VmOpen, "unmaps the source", f => f.P.Mremap(f.FaultMap, 4 * P4, 4 * P4, MremapFlags.MayMove | MremapFlags.Fixed, Hole), f => f.P.Munmap(f.FaultMap, 4 * P4));
        Reentrant(list, "Process.Ioctl", Callback.Ioctl, "exits the task", f => f.P.Ioctl(f.Fd, 0), f => f.P.Exit());
        Reentrant(list, "Process.Ioctl", Callback.Ioctl, "unmaps everything", f => f.P.Ioctl(f.Fd, 0), f =>
        {
            foreach (var v in f.P.Mm.VmAreas.ToArray())
            {
                f.P.Munmap(v.Start, v.Length);
            }
        });
        Reentrant(list, "Process.Ioctl", Callback.Ioctl, "unregisters its device", f => f.P.Ioctl(f.Fd, 0), f => f.K.UnregisterChrdev(f.Driver.Device));
        Reentrant(list, "Process.Read", Callback.MmioRead, "unmaps the registers", f => f.P.Read(f.MmioMap, new byte[16]), f => f.P.Munmap(f.MmioMap, 2 * P4));
        Reentrant(list, "Process.Open", Callback.Open, "exits the task", f => f.P.Open(RobustDriver.Path), f => f.P.Exit(),
            kernelChangesStateToo: "kernel/exit.c: do_exit never returns — the task exits inside ->open and its open never completes (-ESRCH: no task to finish it for)");
    }
}
