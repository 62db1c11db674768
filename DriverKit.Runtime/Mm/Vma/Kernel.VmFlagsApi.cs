using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// include/linux/mm.h: vm_flags_set — the 6.3+ way to add vma flags (vm_flags is const there). Available in
    /// every era as a wrapper of <c>vma-&gt;vm_flags |= flags</c>; flags the era lacks are refused. With DEBUG_VM in
    /// 6.3+ it asserts the mmap write lock (mmap_assert_write_locked).
    /// </summary>
    /// <param name="vma">The vma.</param>
    /// <param name="flags">Flags to set.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public void VmFlagsSet(VmArea vma, VmFlags flags, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckVma(vma);
        AssertWriteLocked(vma, Sites.Intern(caller, file, line));
        vma.Flags |= flags;
    }

    /// <summary>include/linux/mm.h: vm_flags_clear — removes vma flags (see <see cref="VmFlagsSet"/>).</summary>
    /// <param name="vma">The vma.</param>
    /// <param name="flags">Flags to clear.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public void VmFlagsClear(VmArea vma, VmFlags flags, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckVma(vma);
        AssertWriteLocked(vma, Sites.Intern(caller, file, line));
        vma.Flags &= ~flags;
    }

    /// <summary>
    /// include/linux/mmap_lock.h: mmap_assert_write_locked(vma-&gt;vm_mm), as vm_flags_set/clear/reset run it from 6.3: with
    /// DEBUG_VM an unlocked mm is VM_BUG_ON_MM. Before 6.3 the write is a plain store and nothing is asserted.
    /// </summary>
    private void AssertWriteLocked(VmArea vma, int site)
    {
        if (Config.DebugVm && Policy.VmFlagsAssertWriteLocked && !WriteLockedByCurrent(vma.Mm))
        {
            throw BugOn("include/linux/mmap_lock.h", "mmap_assert_write_locked", "!rwsem_is_locked(&mm->mmap_lock)", "INV-26", "DK0005", null, vma.ToString(), Sites.Site(site));
        }
    }

    /// <summary>
    /// include/linux/mmap_lock.h: mmap_write_lock — a driver path (an ioctl) takes the mmap lock of <paramref name="mm"/>
    /// for write: the task's own, or another task's (mmap_write_lock(vma-&gt;vm_mm) of a vma it keeps).
    /// </summary>
    /// <param name="mm">The address space.</param>
    public void MmapWriteLock(MmStruct mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if (ReferenceEquals(mm, CurrentProcess?.Mm))
        {
            SetLock(MmapLockMode.Write);
        }
        else
        {
            foreignWriteHolds.Add(mm);
        }
    }

    /// <summary>include/linux/mmap_lock.h: mmap_write_unlock.</summary>
    /// <param name="mm">The address space.</param>
    public void MmapWriteUnlock(MmStruct mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        if (ReferenceEquals(mm, CurrentProcess?.Mm))
        {
            SetLock(MmapLockMode.None);
        }
        else
        {
            foreignWriteHolds.Remove(mm);
        }
    }

    /// <summary>The address spaces other than its own that driver code write-locked with <see cref="MmapWriteLock"/>.</summary>
    private readonly HashSet<MmStruct> foreignWriteHolds = new(ReferenceEqualityComparer.Instance);

    /// <summary>Whether the running code holds <paramref name="mm"/>'s mmap lock for write (-&gt;mmap of its own mm, or a driver's mmap_write_lock).</summary>
    internal bool WriteLockedByCurrent(MmStruct mm) =>
        ReferenceEquals(mm, CurrentProcess?.Mm) ? CurrentLock == MmapLockMode.Write : foreignWriteHolds.Contains(mm);

    /// <summary>
    /// remap_pfn_range (or io_remap_pfn_range, vm_iomap_memory, dma_mmap_coherent, which end in it) is about to write the vm_flags of
    /// <paramref name="vma"/>: from 6.3 that is vm_flags_set, whose mmap_assert_write_locked is VM_BUG_ON_MM with DEBUG_VM
    /// when the lock is not held. Otherwise the kernel writes without a word; strict mode says so (INV-26), naming the other
    /// process when the vma is not the caller's — a driver gets a vma only from its own -&gt;mmap, and the kernel has no
    /// check that it belongs to current-&gt;mm.
    /// </summary>
    internal void KernelVmaWrite(VmArea vma, string api, int site, string rule)
    {
        if (WriteLockedByCurrent(vma.Mm))
        {
            return;
        }

        AssertWriteLocked(vma, site);
        if (Strict)
        {
            Record(new Report(ReportKind.Simulator, "INV-26",
                $"DKSIM INV-26: {api} from {CurrentKind} changes {vma.Brief}{WhoseVma(vma)} without its mmap write lock\n" +
                "  the kernel writes vm_flags and PTEs anyway, racing with that mm's faults and munmap" +
                (Policy.VmFlagsAssertWriteLocked ? " (6.3+: VM_BUG_ON_MM with DEBUG_VM)" : string.Empty) +
                "; call it in ->mmap on the vma it gets", Era)
            {
                Vma = vma.ToString(),
                Process = CurrentProcessText,
                CallSite = Sites.Site(site),
                RuleId = rule,
            });
        }
    }

    /// <summary>" (pid N's, not pid M's)" when <paramref name="vma"/> is not the current task's; empty otherwise.</summary>
    internal string WhoseVma(VmArea vma) =>
        ReferenceEquals(vma.Mm, CurrentProcess?.Mm) ? string.Empty
        : vma.Mm.Owner is { } owner ? $" (pid {owner.Pid}'s, not pid {CurrentPid}'s)" : " (another mm's)";
}
