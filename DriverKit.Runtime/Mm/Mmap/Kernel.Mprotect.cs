namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/mprotect.c: do_mprotect_pkey + mprotect_fixup — new protections bounded by VM_MAY* (EACCES), checked for
    /// the whole range before anything changes; vmas are split at the range ends and PTEs rewritten
    /// (change_protection). A hole in the range is ENOMEM.
    /// </summary>
    internal SysResult DoMprotect(Process p, ulong start, ulong len, Prot prot)
    {
        var mm = p.Mm;
        if ((start & (PageSize - 1)) != 0 || (prot & ~(Prot.Read | Prot.Write | Prot.Exec)) != 0)
        {
            return SysResult.Error(Errno.EINVAL);
        }

        if (len == 0)
        {
            return new SysResult(0);
        }

        len = PageAlign(len);
        if (len == 0 || start + len < start)
        {
            return SysResult.Error(Errno.ENOMEM);
        }

        var end = start + len;
        var vmas = mm.Vmas.Overlapping(start, end);
        var cursor = start;
        foreach (var vma in vmas)
        {
            if (vma.Start.Value > cursor)
            {
                return SysResult.Error(Errno.ENOMEM);
            }

            cursor = vma.End.Value;
        }

        if (vmas.Count == 0 || cursor < end)
        {
            return SysResult.Error(Errno.ENOMEM);
        }

        var wanted = ProtToVmFlags(prot);
        foreach (var vma in vmas)
        {
            var newFlags = (vma.RawFlags & ~(VmFlags.Read | VmFlags.Write | VmFlags.Exec)) | wanted;

            // VM_MAYREAD/WRITE/EXEC sit 4 bits above VM_READ/WRITE/EXEC.
            if (((ulong)newFlags & ~((ulong)newFlags >> 4) & 0x7) != 0)
            {
                return SysResult.Error(Errno.EACCES);
            }

            if (Policy.ReservedPrivateWritableRefused && (newFlags & (VmFlags.Shared | VmFlags.Write | VmFlags.Reserved)) == (VmFlags.Write | VmFlags.Reserved))
            {
                Printk($"program {p.Comm} is using MAP_PRIVATE, PROT_WRITE mprotect of VM_RESERVED memory, which is deprecated. Please report this to linux-kernel@vger.kernel.org");
                return SysResult.Error(Errno.EACCES);
            }
        }

        if (Strict)
        {
            CheckWriteUpgrade(vmas, wanted);
        }

        var err = SplitEdges(mm, start, end);
        if (err != 0)
        {
            return SysResult.Error(err);
        }

        foreach (var vma in mm.Vmas.Overlapping(start, end))
        {
            var newFlags = (vma.RawFlags & ~(VmFlags.Read | VmFlags.Write | VmFlags.Exec)) | wanted;
            if ((newFlags & VmFlags.Write) != 0 && (vma.RawFlags & (VmFlags.Account | VmFlags.Write | VmFlags.HugeTlb | VmFlags.Shared | VmFlags.NoReserve)) == 0)
            {
                // mprotect_fixup: a private mapping that becomes writable is charged now.
                newFlags |= VmFlags.Account;
            }

            vma.RawFlags = newFlags;
            vma.PageProt = PgProt.FromVmFlags(newFlags) with { Cache = vma.PageProt.Cache };
            ApplyWriteNotify(vma);
            ChangeProtection(vma);
            TryMerge(vma);
        }

        return new SysResult(0);
    }

    /// <summary>
    /// mm/mprotect.c: change_pte_range — rewrite present PTEs for the vma's new protection. In a write-notify vma
    /// only dirty PTEs stay writable (dirty_accountable, can_change_pte_writable): clean ones must fault to -&gt;page_mkwrite.
    /// </summary>
    private static void ChangeProtection(VmArea vma)
    {
        var mm = vma.Mm;
        var flags = vma.RawFlags;
        var none = (flags & (VmFlags.Read | VmFlags.Write | VmFlags.Exec)) == 0;
        var sharedWritable = (flags & (VmFlags.Write | VmFlags.Shared)) == (VmFlags.Write | VmFlags.Shared);
        var writeNotify = sharedWritable && !vma.PageProt.Writable;
        var addr = vma.Start.Value;
        while (mm.PageTable.Next(ref addr, vma.End.Value, out var pte))
        {
            if (Pte.IsPresent(pte))
            {
                var updated = none ? (pte & ~Pte.Present) | Pte.ProtNone : (pte & ~Pte.ProtNone) | Pte.Present;
                updated = sharedWritable && (!writeNotify || (pte & Pte.Dirty) != 0) ? updated | Pte.Write : updated & ~Pte.Write;
                mm.PageTable.Slot(addr) = updated;
            }

            addr += PageSize;
        }

        mm.Tlb.FlushRange(vma.Start.PageNumber, vma.End.PageNumber);
    }

    /// <summary>
    /// INV-15, for what the kernel allows: mprotect(PROT_WRITE) of a device mapping whose -&gt;mmap refuses writable mappings.
    /// mm/mprotect.c: do_mprotect_pkey checks only VM_MAYWRITE, which mmap sets for every shared mapping of a file opened for
    /// writing; a driver that tests VM_WRITE in -&gt;mmap and leaves VM_MAYWRITE set gets a writable mapping after all.
    /// </summary>
    private void CheckWriteUpgrade(IReadOnlyList<VmArea> vmas, VmFlags wanted)
    {
        if ((wanted & VmFlags.Write) == 0)
        {
            return;
        }

        foreach (var vma in vmas)
        {
            if ((vma.RawFlags & VmFlags.Write) == 0 && vma.File?.Inode.Device is { RefusedWritableMapping: true } device)
            {
                Record(new Report(ReportKind.Simulator, "INV-15",
                    $"DKSIM INV-15: mprotect(PROT_WRITE) makes {vma.Brief} of {device.Path} writable although its ->mmap refuses writable mappings: the driver left VM_MAYWRITE set", Era)
                {
                    Vma = vma.ToString(),
                    RuleId = "DK0014",
                });
            }
        }
    }
}
