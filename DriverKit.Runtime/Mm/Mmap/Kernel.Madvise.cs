namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/madvise.c: do_madvise — MADV_DONTNEED zaps (refused on the era's VM_LOCKED/VM_PFNMAP/…), DONTFORK and
    /// DOFORK toggle VM_DONTCOPY (DOFORK refused on VM_IO), DONTDUMP/DODUMP toggle VM_DONTDUMP, WIPEONFORK marks
    /// private anonymous memory. Unmapped parts of the range give ENOMEM after the mapped parts are done. The advice
    /// is applied vma by vma and the walk stops at the first vma that refuses it (madvise_walk_vmas, and sys_madvise's
    /// loop before 5.17, in every supported kernel): the vmas before it keep the advice although the call fails, an
    /// exception to "bad input leaves state unchanged" that follows the kernel.
    /// </summary>
    internal SysResult DoMadvise(Process p, ulong start, ulong len, Advice advice)
    {
        var mm = p.Mm;
        if ((start & (PageSize - 1)) != 0)
        {
            return SysResult.Error(Errno.EINVAL);
        }

        var flag = advice switch
        {
            Advice.DontFork or Advice.DoFork => VmFlags.DontCopy,
            Advice.DontDump or Advice.DoDump => VmFlags.DontDump,
            Advice.WipeOnFork or Advice.KeepOnFork => VmFlags.WipeOnFork,
            Advice.Random => VmFlags.RandRead,
            Advice.Sequential => VmFlags.SeqRead,
            _ => VmFlags.None,
        };
        if (!Enum.IsDefined(advice) || (flag != VmFlags.None && !Policy.FlagExists(flag)) || AdviceMissing(advice))
        {
            return SysResult.Error(Errno.EINVAL);
        }

        // mm/madvise.c: a length that page-rounds to zero from a huge value is -EINVAL, not an empty range.
        var asked = len;
        len = PageAlign(len);
        if (asked != 0 && len == 0)
        {
            return SysResult.Error(Errno.EINVAL);
        }

        if (start + len < start)
        {
            return SysResult.Error(Errno.EINVAL);
        }

        if (len == 0)
        {
            return new SysResult(0);
        }

        var end = start + len;
        if (IsLaterAdvice(advice))
        {
            return DoMadviseLater(p, start, end, advice);
        }

        return WalkVmas(p, start, end, (vma, from, to) =>
        {
            // madvise_vma_behavior / madvise_dontneed_free_valid_vma: each vma is judged when the walk reaches it, so
            // the vmas before a refused one keep the advice (zapped, flags changed) and the call fails there.
            if (Refuses(vma, advice))
            {
                return Errno.EINVAL;
            }

            if (advice == Advice.DontNeed)
            {
                ZapRange(vma, from, to);
                return 0;
            }

            if (flag == VmFlags.None)
            {
                return 0;
            }

            var err = SplitToRange(vma, from, to, out var target);
            if (err != 0)
            {
                return err;
            }

            var set = advice is Advice.DontFork or Advice.DontDump or Advice.WipeOnFork or Advice.Random or Advice.Sequential;
            target.RawFlags = set ? target.RawFlags | flag : target.RawFlags & ~flag;
            TryMerge(target);
            return 0;
        });
    }

    /// <summary>
    /// mm/madvise.c: madvise_walk_vmas — applies <paramref name="apply"/> to the part of each vma in [start, end), looking
    /// the next vma up by address after each one (an update may split or merge the vmas the range covers, so a list taken
    /// before the walk goes stale); stops at the first error, and fails with -ENOMEM when the range had a hole.
    /// </summary>
    private SysResult WalkVmas(Process p, ulong start, ulong end, Func<VmArea, ulong, ulong, int> apply)
    {
        var mapped = 0UL;
        for (var cursor = start; cursor < end;)
        {
            var vma = p.Mm.Vmas.FindVma(cursor);
            if (vma is null || vma.Start.Value >= end)
            {
                break;
            }

            var from = Math.Max(cursor, vma.Start.Value);
            var to = Math.Min(end, vma.End.Value);
            mapped += to - from;
            cursor = to;
            var err = apply(vma, from, to);
            if (err != 0)
            {
                return SysResult.Error(err);
            }
        }

        return mapped < end - start ? SysResult.Error(Errno.ENOMEM) : new SysResult(0);
    }

    /// <summary>
    /// mm/madvise.c: the per-vma refusals — MADV_DONTNEED on the era's VM_LOCKED/VM_PFNMAP/VM_HUGETLB, MADV_DOFORK on
    /// VM_IO, MADV_DODUMP on VM_SPECIAL (3.7 and later), MADV_WIPEONFORK on a file or shared vma.
    /// </summary>
    private bool Refuses(VmArea vma, Advice advice) => advice switch
    {
        Advice.DontNeed => (vma.RawFlags & Policy.MadviseDontNeedRejectMask) != 0,
        Advice.DoFork => (vma.RawFlags & VmFlags.IO) != 0,
        Advice.DoDump => Policy.MadviseDoDumpRefusesSpecial && (vma.RawFlags & Policy.SpecialMask) != 0,
        Advice.WipeOnFork => vma.File is not null || (vma.RawFlags & VmFlags.Shared) != 0,
        _ => false,
    };
}
