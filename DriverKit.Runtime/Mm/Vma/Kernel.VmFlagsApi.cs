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

    private void AssertWriteLocked(VmArea vma, int site)
    {
        if (Config.DebugVm && Era >= Era.E6 && CurrentLock != MmapLockMode.Write)
        {
            throw BugOn("include/linux/mmap_lock.h", "mmap_assert_write_locked", "!rwsem_is_locked(&mm->mmap_lock)", "INV-26", "DK0005", null, vma.ToString(), Sites.Site(site));
        }
    }

    /// <summary>include/linux/mmap_lock.h: mmap_write_lock — a driver path (an ioctl) takes the mmap lock for write.</summary>
    /// <param name="mm">The address space.</param>
    public void MmapWriteLock(MmStruct mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        SetLock(MmapLockMode.Write);
    }

    /// <summary>include/linux/mmap_lock.h: mmap_write_unlock.</summary>
    /// <param name="mm">The address space.</param>
    public void MmapWriteUnlock(MmStruct mm)
    {
        ArgumentNullException.ThrowIfNull(mm);
        SetLock(MmapLockMode.None);
    }
}
