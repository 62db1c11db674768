using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>
/// Behaviours a comparison with Debian's 6.1 kernel found different (issue 20): madvise over several vmas, FOLL_FORCE
/// access to PROT_NONE pages, PG_dirty on a shared write fault, and write-notify (vma_wants_writenotify).
/// </summary>
public sealed class WalkAndFaultFidelityTests
{
    private const ulong P = Kernel.PageSize;

    /// <summary>Four anonymous pages at the returned address, the last two replaced by a remap_pfn_range mapping of the device's first pages.</summary>
    private static (UserAddr Anon, TestDevice Dev) AnonThenRemap(Kernel k, Process u)
    {
        var dev = new TestDevice(k);
        dev.OnMmap = vma => k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]), vma.Length, vma.PageProt);
        var a = u.Map(4 * P, flags: MapFlags.Private | MapFlags.Anonymous);
        var fd = u.OpenOk(dev.Device.Path);
        Assert.Equal(a + 2 * P, u.Mmap(a + 2 * P, 2 * P, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Fixed, fd).Value);
        return (a, dev);
    }

    [Theory]
    [InlineData("2.6.20")]
    [InlineData(E5)]
    [InlineData("6.1")]
    [InlineData(E7)]
    public void Madvise_dontneed_zaps_the_anonymous_vma_before_failing_on_the_pfnmap_one(string version)
    {
        // mm/madvise.c: madvise_walk_vmas (sys_madvise's loop before 5.17) → madvise_dontneed_free_valid_vma: the
        // anonymous vma is zapped, then VM_PFNMAP gives -EINVAL; the kernel does not validate the range first.
        var k = Boot(version);
        var u = k.Spawn();
        var (a, dev) = AnonThenRemap(k, u);
        Assert.True(u.Write(a, "xy"u8).IsOk);
        Assert.True(u.WriteByte(a + P, 7).IsOk);
        Assert.Equal(2, u.Mm.RssAnon);

        Assert.Equal(Errno.EINVAL, u.Madvise(a, 4 * P, Advice.DontNeed).Errno);

        Assert.Equal(0, u.Mm.RssAnon);
        Assert.True(u.ReadByte(a, out var zapped).IsOk);
        Assert.Equal(0, zapped);
        Assert.True(u.ReadByte(a + 2 * P, out var device).IsOk);
        Assert.Equal((byte)'a', device);
    }

    [Theory]
    [InlineData(E0)]
    [InlineData("2.6.20")]
    [InlineData("6.1")]
    [InlineData(E7)]
    public void Madvise_dofork_clears_dontcopy_on_the_vmas_before_the_vm_io_one_that_fails(string version)
    {
        // mm/madvise.c: madvise_vma_behavior — MADV_DOFORK refuses VM_IO when the walk reaches it, after the
        // anonymous vma before it has lost VM_DONTCOPY.
        var k = Boot(version);
        var u = k.Spawn();
        var (a, _) = AnonThenRemap(k, u);
        Assert.True(u.Madvise(a, 4 * P, Advice.DontFork).IsOk);
        Assert.True((u.Mm.VmaAt(a)!.Flags & VmFlags.DontCopy) != 0);

        Assert.Equal(Errno.EINVAL, u.Madvise(a, 4 * P, Advice.DoFork).Errno);

        Assert.Equal(VmFlags.None, u.Mm.VmaAt(a)!.Flags & VmFlags.DontCopy);
        Assert.Equal(VmFlags.DontCopy, u.Mm.VmaAt(a + 2 * P)!.Flags & VmFlags.DontCopy);
    }

    [Theory]
    [InlineData("3.2")]
    [InlineData("6.1")]
    [InlineData(E7)]
    public void A_forced_access_reads_and_writes_a_populated_prot_none_page(string version)
    {
        // mm/gup.c: check_vma_flags lets FOLL_FORCE read with VM_MAYREAD (and write a COW mapping); follow_page_pte
        // follows the PROT_NONE PTE (pte_present; only FOLL_NUMA, never set with FOLL_FORCE, skips it).
        var k = Boot(version, strict: true);
        var target = k.Spawn("target");
        var debugger = k.Spawn("gdb");
        var a = target.Map(P, flags: MapFlags.Private | MapFlags.Anonymous);
        Assert.True(target.Write(a, "secret"u8).IsOk);
        Assert.True(target.Mprotect(a, P, Prot.None).IsOk);

        var got = new byte[6];
        Assert.Equal(6, debugger.ReadProcMem(target.Pid, a, got).Value);
        Assert.Equal("secret"u8.ToArray(), got);
        Assert.Equal(Errno.EFAULT, debugger.ProcessVmReadv(target.Pid, new byte[1], a).Errno); // no FOLL_FORCE: refused

        Assert.Equal(1, debugger.WriteProcMem(target.Pid, a, "S"u8).Value);
        Assert.True(target.Mprotect(a, P, Prot.Read).IsOk);
        Assert.True(target.ReadByte(a, out var first).IsOk);
        Assert.Equal((byte)'S', first);
        Assert.Equal(1, target.Mm.RssAnon);
        Assert.True(target.Mprotect(a, P, Prot.None).IsOk);
        Assert.Equal(SiCode.SEGV_ACCERR, target.ReadByte(a, out _).SiCode); // the task itself still faults
    }

    [Theory]
    [InlineData("2.6.39")]
    [InlineData("6.1")]
    [InlineData(E7)]
    public void A_forced_write_to_a_private_read_only_driver_mapping_copies_the_page(string version)
    {
        // /proc/pid/mem (ptrace) write: check_vma_flags allows FOLL_WRITE|FOLL_FORCE on a COW mapping; faultin_page
        // → handle_mm_fault has no access_error → do_cow_fault copies the driver's page into an anonymous one.
        var k = Boot(version, strict: true);
        var target = k.Spawn("target");
        var debugger = k.Spawn("gdb");
        var dev = new TestDevice(k);
        dev.OnMmap = vma => { vma.Ops = k.Policy.HasFault ? dev.FaultOps() : dev.NoPageOps(); return 0; };
        var fd = target.OpenOk(dev.Device.Path, OpenFlags.ReadOnly);
        var a = target.Map(P, Prot.Read, MapFlags.Private, fd);

        Assert.Equal(1, debugger.WriteProcMem(target.Pid, a, "Z"u8).Value);

        Assert.True(target.ReadByte(a, out var seen).IsOk);
        Assert.Equal((byte)'Z', seen);
        var driver = new byte[1];
        k.ReadKernel(k.PageAddress(dev.Pages[0]), driver);
        Assert.Equal((byte)'a', driver[0]);
        Assert.Equal(1, target.Mm.RssAnon);
        Assert.Equal(SiCode.SEGV_ACCERR, target.WriteByte(a, 1).SiCode); // the copy stays read-only for the task
    }

    [Theory]
    [InlineData("2.6.18", false)]
    [InlineData("2.6.19", true)]
    [InlineData("6.1", true)]
    [InlineData(E7, true)]
    public void A_write_fault_on_a_shared_driver_page_sets_pg_dirty_from_2_6_19(string version, bool dirtyAtFault)
    {
        // mm/memory.c: do_shared_fault → fault_dirty_shared_page → set_page_dirty (2.6.19 "tracking shared dirty
        // pages"); before, the PTE's dirty bit reached the page only when zap_pte_range unmapped it.
        var k = Boot(version);
        var u = k.Spawn();
        var dev = new TestDevice(k);
        dev.OnMmap = vma => { vma.Ops = k.Policy.HasFault ? dev.FaultOps() : dev.NoPageOps(); return 0; };
        var a = u.Map(2 * P, fd: u.OpenOk(dev.Device.Path));

        Assert.True(u.WriteByte(a, 1).IsOk);
        Assert.True(u.ReadByte(a + P, out _).IsOk);
        Assert.Equal(dirtyAtFault, (dev.Pages[0].Flags & PageFlags.Dirty) != 0);
        Assert.Equal(PageFlags.None, dev.Pages[1].Flags & PageFlags.Dirty);

        // No write-notify here (no ->page_mkwrite, a device has no writeback): the read fault mapped the page writable,
        // so writing it needs no fault and PG_dirty waits for the unmap.
        Assert.True(u.WriteByte(a + P, 1).IsOk);
        Assert.Equal(PageFlags.None, dev.Pages[1].Flags & PageFlags.Dirty);

        Assert.True(u.Munmap(a, 2 * P).IsOk);
        Assert.True((dev.Pages[0].Flags & PageFlags.Dirty) != 0);
    }

    [Theory]
    [InlineData("2.6.18", false)]
    [InlineData("2.6.19", true)]
    [InlineData("6.1", true)]
    [InlineData(E7, true)]
    public void A_write_fault_on_a_shared_shmem_page_sets_pg_dirty_from_2_6_19(string version, bool dirtyAtFault)
    {
        // mm/memory.c: do_shared_fault → shmem_fault, then fault_dirty_shared_page → set_page_dirty (shmem's
        // noop_dirty_folio sets PG_dirty; Debian 6.1 madv_remove_shmem: "uptodate|dirty|mmap|swapbacked" after the
        // first write). shmem has no ->page_mkwrite and no writeback, so a page read first is mapped writable and stays
        // clean until the unmap.
        var k = Boot(version);
        var u = k.Spawn();
        var a = u.Map(2 * P, flags: MapFlags.Shared);

        Assert.True(u.WriteByte(a, 1).IsOk);
        Assert.True(u.ReadByte(a + P, out _).IsOk);
        Assert.True(u.WriteByte(a + P, 1).IsOk);
        var written = k.PfnToPage(Proc.Pagemap(u, a).Pfn);
        var readFirst = k.PfnToPage(Proc.Pagemap(u, a + P).Pfn);
        Assert.Equal(dirtyAtFault, (written.Flags & PageFlags.Dirty) != 0);
        Assert.Equal(PageFlags.None, readFirst.Flags & PageFlags.Dirty);
        Assert.True(u.Munmap(a, 2 * P).IsOk);
    }

    [Theory]
    [InlineData("2.6.18", false)]
    [InlineData(E5, true)]
    [InlineData("6.1", true)]
    [InlineData(E7, true)]
    public void Write_notify_write_protects_the_ptes_of_a_page_mkwrite_vma(string version, bool dirtyAtFault)
    {
        // mm/mmap.c: mmap_region → vma_set_page_prot / vma_wants_writenotify (2.6.18: page_mkwrite's own
        // write-protection in do_mmap_pgoff): after ->mmap a shared writable vma with ->page_mkwrite gets a read-only
        // vm_page_prot, so a page a read fault maps calls ->page_mkwrite on its first write (do_wp_page →
        // wp_page_shared, which also dirties it from 2.6.19), and mprotect keeps clean PTEs read-only. A page the
        // driver inserted during ->mmap got the writable vm_page_prot of that moment.
        var k = Boot(version);
        var u = k.Spawn();
        var dev = new TestDevice(k);
        var mkwrite = new List<ulong>();
        var baseOps = k.Policy.HasFault ? dev.FaultOps() : dev.NoPageOps();
        dev.OnMmap = vma =>
        {
            vma.Ops = new VmOperations
            {
                Fault = baseOps.Fault,
                NoPage = baseOps.NoPage,
                PageMkwrite = vmf => { mkwrite.Add(vmf.Pgoff); return VmFaultResult.None; },
            };
            return k.VmInsertPage(vma, vma.Start + 3 * P, dev.Pages[3]);
        };
        var a = u.Map(4 * P, fd: u.OpenOk(dev.Device.Path));
        Assert.False(u.Mm.VmaAt(a)!.PageProt.Writable);

        Assert.True(u.ReadByte(a, out _).IsOk);
        Assert.Empty(mkwrite);
        Assert.Equal(PageFlags.None, dev.Pages[0].Flags & PageFlags.Dirty);
        Assert.True(u.WriteByte(a, 1).IsOk);
        Assert.Equal(new ulong[] { 0 }, mkwrite);
        Assert.Equal(dirtyAtFault, (dev.Pages[0].Flags & PageFlags.Dirty) != 0);
        Assert.True(u.WriteByte(a + 3 * P, 1).IsOk);
        Assert.True(u.ReadByte(a + P, out _).IsOk);
        Assert.Equal(new ulong[] { 0 }, mkwrite);

        Assert.True(u.Mprotect(a, 4 * P, Prot.Read).IsOk);
        Assert.True(u.Mprotect(a, 4 * P, Prot.Read | Prot.Write).IsOk);
        Assert.True(u.WriteByte(a, 2).IsOk); // dirty PTE: writable again without ->page_mkwrite
        Assert.True(u.WriteByte(a + P, 2).IsOk); // clean PTE: ->page_mkwrite first
        Assert.Equal(new ulong[] { 0, 1 }, mkwrite);
    }
}
