using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// Issue 21: a driver that changes a vma outside its -&gt;mmap — remap_pfn_range or vm_insert_page from an ioctl on
/// another process's vma, vm_flags written or vm_ops replaced after mmap. The kernel has no check that a vma belongs to
/// current-&gt;mm; it writes what it is told. From 6.3 vm_flags is const and vm_flags_set asserts the mmap write lock of
/// vma-&gt;vm_mm (VM_BUG_ON_MM with DEBUG_VM); vm_insert_page BUGs on an unlocked mm from 3.7; strict mode names the rest.
/// </summary>
public sealed class VmaOutsideMmapTests
{
    private const ulong P4 = Kernel.PageSize;

    /// <summary>The child's copy of the fault vma: P's driver kept a pointer to it (say, from an earlier mmap).</summary>
    private static VmArea ChildFaultVma(RobustFixture f) => f.Child.Mm.VmaAt(f.FaultMap)!;

    private static IEnumerable<Report> Inv26(RobustFixture f) => f.K.Reports.Where(r => r.Invariant == "INV-26");

    [Theory]
    [InlineData("2.6.20")]
    [InlineData("3.7")]
    [InlineData("6.1")]
    [InlineData("7.0")]
    public void RemapPfnRangeFromAnIoctlOnAnotherProcesssVmaIsDoneAndNamedInStrictMode(string version)
    {
        var f = new RobustFixture(version);
        var victim = ChildFaultVma(f);
        f.Driver.IoctlBody = (_, _, _) => f.K.RemapPfnRange(victim, victim.Start + 2 * P4, new Pfn(2000), P4, victim.PageProt);

        var r = f.P.Ioctl(f.Fd, 0);

        // mm/memory.c remap_pfn_range_internal: no check of vma->vm_mm against current->mm; the other mm's PTE is written.
        Assert.True(r.IsOk, r.ToString());
        Assert.Equal(2000UL, Pte.PfnOf(f.Child.Mm.GetPte((victim.Start + 2 * P4).Value)));
        Assert.True((victim.Flags & VmFlags.IO) != 0);
        var note = Assert.Single(Inv26(f));
        Assert.Contains($"(pid {f.Child.Pid}'s, not pid {f.P.Pid}'s)", note.Text, StringComparison.Ordinal);
        Assert.Contains("remap_pfn_range from Ioctl changes", note.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void RemapPfnRangeOnAnUnlockedVmaIsVmBugOnMmWithDebugVmFrom63()
    {
        var f = new RobustFixture("7.0", debugVm: true);
        var victim = ChildFaultVma(f);
        var flags = victim.Flags;
        f.Driver.IoctlBody = (_, _, _) => f.K.RemapPfnRange(victim, victim.Start + 2 * P4, new Pfn(2000), P4, victim.PageProt);

        var r = f.P.Ioctl(f.Fd, 0);

        // vm_flags_set → mmap_assert_write_locked(vma->vm_mm): VM_BUG_ON_MM before the flags or a PTE change.
        Assert.NotNull(r.Oops);
        Assert.Contains("mmap_assert_write_locked", r.Oops!.Text, StringComparison.Ordinal);
        Assert.Equal(flags, victim.Flags);
        Assert.True(Pte.IsNone(f.Child.Mm.GetPte((victim.Start + 2 * P4).Value)));
    }

    [Fact]
    public void RemapPfnRangeOnAnUnlockedVmaIsAPlainStoreBefore63EvenWithDebugVm()
    {
        var f = new RobustFixture("6.1", debugVm: true);
        var victim = ChildFaultVma(f);
        f.Driver.IoctlBody = (_, _, _) => f.K.RemapPfnRange(victim, victim.Start + 2 * P4, new Pfn(2000), P4, victim.PageProt);

        var r = f.P.Ioctl(f.Fd, 0);

        Assert.True(r.IsOk, r.ToString());
        Assert.Single(Inv26(f));
    }

    [Theory]
    [InlineData("3.7")]
    [InlineData("7.0")]
    public void TakingTheOtherMmsWriteLockFirstMakesTheRemapClean(string version)
    {
        var f = new RobustFixture(version, debugVm: true);
        var victim = ChildFaultVma(f);
        f.Driver.IoctlBody = (_, _, _) =>
        {
            f.K.MmapWriteLock(victim.Mm);
            var ret = f.K.RemapPfnRange(victim, victim.Start + 2 * P4, new Pfn(2000), P4, victim.PageProt);
            f.K.MmapWriteUnlock(victim.Mm);
            return ret;
        };

        var r = f.P.Ioctl(f.Fd, 0);

        Assert.True(r.IsOk, r.ToString());
        Assert.Empty(Inv26(f));
    }

    [Theory]
    [InlineData("3.7")]
    [InlineData("7.0")]
    public void VmInsertPageFromMmapIntoAnotherProcesssVmaIsTheBugOnOfAnUnlockedMm(string version)
    {
        var f = new RobustFixture(version);
        var victim = ChildFaultVma(f);
        f.Driver.MmapResult = _ => f.K.VmInsertPage(victim, victim.Start + 3 * P4, f.Alloc0);

        // P's ->mmap holds P's mmap lock for write, not the child's: BUG_ON(mmap_read_trylock(vma->vm_mm)) (3.7+).
        var r = f.P.Mmap(default, P4, Prot.Read | Prot.Write, MapFlags.Shared, f.Fd, 2 * P4);

        Assert.NotNull(r.Oops);
        Assert.Contains("trylock", r.Oops!.Text, StringComparison.Ordinal);
        Assert.False(Proc.Pagemap(f.Child, victim.Start + 3 * P4).Present);
    }

    [Fact]
    public void VmInsertPageIntoAnotherProcesssVmaBefore37IsNamed()
    {
        var f = new RobustFixture("2.6.20");
        var victim = ChildFaultVma(f);
        f.Driver.MmapResult = _ => f.K.VmInsertPage(victim, victim.Start + 3 * P4, f.Alloc0);

        var r = f.P.Mmap(default, P4, Prot.Read | Prot.Write, MapFlags.Shared, f.Fd, 2 * P4);

        Assert.True(r.IsOk, r.ToString());
        var note = Assert.Single(Inv26(f));
        Assert.Contains($"(pid {f.Child.Pid}'s, not pid {f.P.Pid}'s)", note.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2.6.20", "a plain store")]
    [InlineData("6.1", "a plain store")]
    [InlineData("7.0", "vm_flags is const from 6.3")]
    public void VmFlagsWrittenFromAnIoctlAreNamedWithTheErasRule(string version, string rule)
    {
        var f = new RobustFixture(version);
        f.Driver.IoctlBody = (_, _, _) =>
        {
            f.FaultVma.Flags |= VmFlags.DontCopy;
            return 0;
        };

        Assert.True(f.P.Ioctl(f.Fd, 0).IsOk);

        var note = Assert.Single(Inv26(f));
        Assert.Contains("vm_flags of", note.Text, StringComparison.Ordinal);
        Assert.Contains(rule, note.Text, StringComparison.Ordinal);
        Assert.True((f.FaultVma.Flags & VmFlags.DontCopy) != 0);
    }

    [Fact]
    public void VmFlagsWrittenFromAnIoctlAreVmBugOnMmWithDebugVmFrom63AndNothingIsWritten()
    {
        var f = new RobustFixture("7.0", debugVm: true);
        var vma = f.FaultVma;
        var before = vma.Flags;
        f.Driver.IoctlBody = (_, _, _) =>
        {
            vma.Flags |= VmFlags.DontDump;
            return 0;
        };

        var r = f.P.Ioctl(f.Fd, 0);

        Assert.NotNull(r.Oops);
        Assert.Contains("mmap_assert_write_locked", r.Oops!.Text, StringComparison.Ordinal);
        Assert.Equal(before, vma.Flags);
    }

    [Fact]
    public void VmFlagsOfAnotherProcesssVmaWrittenFromAnIoctlNameThatProcess()
    {
        var f = new RobustFixture("6.1");
        var victim = ChildFaultVma(f);
        f.Driver.IoctlBody = (_, _, _) =>
        {
            victim.Flags |= VmFlags.DontDump;
            return 0;
        };

        Assert.True(f.P.Ioctl(f.Fd, 0).IsOk);

        Assert.Contains($"(pid {f.Child.Pid}'s, not pid {f.P.Pid}'s)", Assert.Single(Inv26(f)).Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2.6.14")]
    [InlineData("3.7")]
    [InlineData("7.0")]
    public void VmOpsReplacedFromAnIoctlAreStoredAndNamedInStrictMode(string version)
    {
        var f = new RobustFixture(version, debugVm: true);
        var replacement = new VmOperations();
        f.Driver.IoctlBody = (_, _, _) =>
        {
            f.FaultVma.Ops = replacement;
            return 0;
        };

        // A plain pointer store in every era: no BUG even with DEBUG_VM.
        Assert.True(f.P.Ioctl(f.Fd, 0).IsOk);

        Assert.Same(replacement, f.FaultVma.Ops);
        var note = Assert.Single(Inv26(f));
        Assert.Contains("vm_ops of", note.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void VmOpsAndFlagsSetInMmapAreNotNoted()
    {
        var f = new RobustFixture("7.0", debugVm: true);
        f.Driver.MmapResult = v =>
        {
            v.Ops = new VmOperations();
            f.K.VmFlagsSet(v, VmFlags.DontDump);
            return 0;
        };

        Assert.True(f.P.Mmap(default, P4, Prot.Read | Prot.Write, MapFlags.Shared, f.Fd, 2 * P4).IsOk);
        Assert.Empty(Inv26(f));
    }
}
