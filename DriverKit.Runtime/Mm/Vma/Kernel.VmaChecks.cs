namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>Refuses flags the configured kernel does not define (the driver would not compile there).</summary>
    internal void CheckFlagsExist(VmFlags added, string where)
    {
        var missing = Policy.MissingFlags(added);
        if (missing == VmFlags.None)
        {
            return;
        }

        var flags = SplitFlags(missing).ToList();
        var names = string.Join(", ", flags.Select(f => Policy.KernelName(f)));
        var history = string.Join("; ", flags.Select(f => $"{Policy.KernelName(f)} exists {EraPolicy.FlagHistory(f)}"));
        throw new EraMismatchException(
            $"{names} does not exist in Linux {Policy.Describe()} ({where}): {history}.",
            missing == VmFlags.Reserved ? "DK0005" : "DK1001");
    }

    /// <summary>Refuses vm_operations hooks the configured kernel does not have (<see cref="KernelAvailability"/>: -&gt;nopage after 2.6.25, -&gt;fault before 2.6.23, …).</summary>
    internal void CheckVmOps(VmOperations? ops)
    {
        if (ops is null)
        {
            return;
        }

        foreach (var (hook, set) in ops.Hooks)
        {
            if (set && Policy.Lacks(ApiKind.VmOperationsHook, hook))
            {
                throw new EraMismatchException($"vm_operations_struct: {Policy.MissingApi("VmOperations." + hook)}.", "DK1001");
            }
        }
    }

    /// <summary>Refuses a kernel function (a <see cref="Kernel"/> method, by name) the configured kernel does not have.</summary>
    internal void CheckApi(string method)
    {
        if (Policy.Lacks(ApiKind.Function, method))
        {
            throw new EraMismatchException(Policy.MissingApi("Kernel." + method) + ".", "DK1001");
        }
    }

    internal static IEnumerable<VmFlags> SplitFlags(VmFlags flags)
    {
        for (var bit = 1UL; bit != 0 && bit <= (ulong)flags; bit <<= 1)
        {
            if (((ulong)flags & bit) != 0)
            {
                yield return (VmFlags)bit;
            }
        }
    }

    /// <summary>
    /// A driver is about to write vm_flags. From 6.3 the field is const and the write is vm_flags_set/clear/reset, whose
    /// mmap_assert_write_locked is VM_BUG_ON_MM with DEBUG_VM outside the lock: nothing is written then.
    /// </summary>
    internal void BeforeDriverFlagsWrite(VmArea vma, VmFlags before, VmFlags after)
    {
        if (before != after)
        {
            AssertWriteLocked(vma, CallSites.Kernel);
        }
    }

    /// <summary>
    /// A driver wrote vm_flags. INV-26: only under the mmap write lock of the vma's own mm (in -&gt;mmap); INV-04: not a
    /// bit that changes how the vma's existing PTEs are classified.
    /// </summary>
    internal void OnDriverFlagsWrite(VmArea vma, VmFlags before, VmFlags after)
    {
        if (!Strict || before == after)
        {
            return;
        }

        if (!WriteLockedByCurrent(vma.Mm))
        {
            Record(new Report(ReportKind.Simulator, "INV-26",
                $"DKSIM INV-26: vm_flags of {vma.Brief}{WhoseVma(vma)} changed ({Proc.VmFlagsText(Policy, before ^ after)}) without the mmap write lock (from {CurrentKind})\n" +
                (Policy.VmFlagsAssertWriteLocked
                    ? "  vm_flags is const from 6.3: vm_flags_set/vm_flags_reset assert the lock (VM_BUG_ON_MM with DEBUG_VM)"
                    : "  a plain store the kernel does not check; faults, mprotect and munmap read the flags meanwhile") +
                "; set flags in ->mmap", Era)
            {
                Vma = vma.ToString(),
                Process = CurrentProcessText,
                RuleId = "DK0005",
            });
        }

        if ((ClassificationInputs & (before ^ after)) != 0)
        {
            CheckFlipOfMappedVma(vma, $"vm_flags {Proc.VmFlagsText(Policy, before ^ after)} changed");
        }
    }

    /// <summary>
    /// A driver replaced vm_ops. A plain pointer store in every era (no const qualifier, no assertion), so the kernel says
    /// nothing; outside the mmap write lock strict mode does (INV-26): faults, fork and munmap read vm_ops without a lock,
    /// and the new -&gt;close runs for a vma its -&gt;open never saw.
    /// </summary>
    internal void OnDriverOpsWrite(VmArea vma, VmOperations? before, VmOperations? after)
    {
        if (!Strict || ReferenceEquals(before, after) || WriteLockedByCurrent(vma.Mm))
        {
            return;
        }

        Record(new Report(ReportKind.Simulator, "INV-26",
            $"DKSIM INV-26: vm_ops of {vma.Brief}{WhoseVma(vma)} replaced without the mmap write lock (from {CurrentKind})\n" +
            "  a plain store: faults, fork and munmap read vm_ops unlocked; the new ->close runs for a vma its ->open never saw", Era)
        {
            Vma = vma.ToString(),
            Process = CurrentProcessText,
            RuleId = null,
        });
    }

    /// <summary>INV-04: vm_pgoff is an input of the PFNMAP linear rule.</summary>
    internal void OnPgoffWrite(VmArea vma, ulong before, ulong after)
    {
        if (Strict && before != after && (vma.RawFlags & VmFlags.PfnMap) != 0)
        {
            CheckFlipOfMappedVma(vma, $"vm_pgoff changed from {before:x} to {after:x}");
        }
    }

    /// <summary>The vma flags the era's vm_normal_page reads.</summary>
    private VmFlags ClassificationInputs => Policy.SpecialPteRule switch
    {
        SpecialPteRule.PageReserved => VmFlags.None,
        SpecialPteRule.VmaReserved => VmFlags.Reserved,
        SpecialPteRule.VmaUnpaged => VmFlags.Unpaged,
        SpecialPteRule.PfnMapLinear => VmFlags.PfnMap | VmFlags.Shared | VmFlags.MayWrite,
        _ => Policy.UsesPteSpecialBit ? VmFlags.PfnMap | VmFlags.MixedMap : VmFlags.PfnMap | VmFlags.MixedMap | VmFlags.Shared | VmFlags.MayWrite,
    };
}
