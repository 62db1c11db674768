using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>VMA splitting and merging, vm_ops calls, and the errno values of bad mmap/munmap/mremap/mprotect input.</summary>
public sealed class VmaTests
{
    private const ulong P = Kernel.PageSize;

    private static (Kernel K, TestDevice Dev, Process U, int Fd) Device(string version = E7, Func<VmArea, UserAddr, int>? maySplit = null, bool withOpen = true)
    {
        var k = Boot(version);
        var dev = new TestDevice(k, 8);
        dev.OnMmap = vma => { vma.Ops = dev.FaultOps(withOpen, maySplit); return 0; };
        var u = k.Spawn();
        return (k, dev, u, u.OpenOk("/dev/test"));
    }

    [Fact]
    public void MunmapInTheMiddleSplitsTheVmaOpensThePieceAndClosesTheHole()
    {
        var (k, dev, u, fd) = Device();
        var a = u.Map(4 * P, fd: fd);
        u.ReadAll(a, 4);
        Assert.True(u.Munmap(a + P, P).IsOk);
        Assert.Equal(2, u.Mm.VmAreas.Count);
        Assert.Equal([$"open {a + P}-{a + 4 * P}", $"open {a + 2 * P}-{a + 4 * P}", $"close {a + P}-{a + 2 * P}"], dev.VmEvents);
        Assert.Equal(3UL, u.Mm.VmaAt(a + 2 * P)!.Pgoff + 1); // the upper piece keeps its file offset
        Assert.Equal([2, 1, 2, 2], k.Refcounts(dev.Pages.Take(4)));
        Assert.Equal(2, Proc.Maps(u).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(SiCode.SEGV_MAPERR, u.Touch(a + P).SiCode);
    }

    [Fact]
    public void MprotectInTheMiddleSplitsIntoThreeAndTheMiddleRefusesWrites()
    {
        var (_, dev, u, fd) = Device();
        var a = u.Map(3 * P, fd: fd);
        Assert.True(u.WriteByte(a + P, 1).IsOk);
        Assert.True(u.Mprotect(a + P, P, Prot.Read).IsOk);
        Assert.Equal(3, u.Mm.VmAreas.Count);
        Assert.Equal(2, dev.VmEvents.Count(e => e.StartsWith("open", StringComparison.Ordinal)));
        var w = u.WriteByte(a + P, 2);
        Assert.Equal(Signal.SIGSEGV, w.Signal);
        Assert.Equal(SiCode.SEGV_ACCERR, w.SiCode); // the stale writable TLB entry was flushed
        Assert.True(u.WriteByte(a, 3).IsOk);
    }

    [Fact]
    public void MaySplitCanVetoTheSplitAndNothingChanges()
    {
        var (_, dev, u, fd) = Device(maySplit: (_, _) => -Errno.EINVAL);
        var a = u.Map(4 * P, fd: fd);
        Assert.Equal(Errno.EINVAL, u.Munmap(a + P, P).Errno);
        Assert.Single(u.Mm.VmAreas);
        Assert.Empty(dev.VmEvents);
    }

    [Fact]
    public void MaySplitDoesNotExistBefore415()
    {
        var (_, _, u, fd) = Device("4.14", maySplit: (_, _) => 0);
        var e = Assert.Throws<EraMismatchException>(() => u.Mmap(default, P, Prot.Read, MapFlags.Shared, fd));
        Assert.Contains("->may_split does not exist in Linux 4.14", e.Message);
    }

    [Fact]
    public void AdjacentAnonymousMappingsMergeAndDeviceMappingsDoNot()
    {
        var k = Boot(E7);
        var u = k.Spawn();
        var a = u.Mmap(new UserAddr(0x10000000), 2 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed, -1).Unwrap();
        var b = u.Mmap(a + 2 * P, 2 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed, -1).Unwrap();
        Assert.Equal(a + 2 * P, b);
        Assert.Single(u.Mm.VmAreas);
        Assert.Equal(4 * P, u.Mm.VmAreas[0].Length);

        var dev = new TestDevice(k, 8, "/dev/remap");
        dev.OnMmap = vma => k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]) + vma.Pgoff, vma.Length, vma.PageProt);
        var fd = u.OpenOk("/dev/remap");
        var c = u.Mmap(new UserAddr(0x20000000), P, Prot.Read, MapFlags.Shared | MapFlags.Fixed, fd).Unwrap();
        u.Mmap(c + P, P, Prot.Read, MapFlags.Shared | MapFlags.Fixed, fd, P).Unwrap();
        Assert.Equal(3, u.Mm.VmAreas.Count); // VM_SPECIAL never merges
    }

    [Fact]
    public void DeviceMappingGetsMayFlagsFromTheFileModeAndPgoffFromTheOffset()
    {
        var (_, _, u, _) = Device();
        var ro = u.OpenOk("/dev/test", OpenFlags.ReadOnly);
        var a = u.Mmap(default, P, Prot.Read, MapFlags.Shared, ro, 3 * P).Unwrap();
        var vma = u.Mm.VmaAt(a)!;
        Assert.Equal(3UL, vma.Pgoff);
        Assert.False(vma.Flags.HasFlag(VmFlags.MayWrite));
        Assert.False(vma.Flags.HasFlag(VmFlags.Shared));
        Assert.True(vma.Flags.HasFlag(VmFlags.MayShare));
        Assert.Equal(Errno.EACCES, u.Mprotect(a, P, Prot.Read | Prot.Write).Errno);
        Assert.Equal(Errno.EACCES, u.Mmap(default, P, Prot.Read | Prot.Write, MapFlags.Shared, ro).Errno);
        Assert.True(u.ReadByte(a, out var b).IsOk);
        Assert.Equal((byte)'d', b);
    }

    [Fact]
    public void BadMmapInputGivesTheKernelsErrnoAndChangesNothing()
    {
        var (k, dev, u, fd) = Device();
        var a = u.Map(4 * P, fd: fd);
        var maps = Proc.Maps(u);
        var events = dev.VmEvents.Count;
        Assert.Equal(Errno.EINVAL, u.Mmap(default, 0, Prot.Read, MapFlags.Private | MapFlags.Anonymous).Errno);
        Assert.Equal(Errno.EINVAL, u.Mmap(default, P, Prot.Read, MapFlags.Anonymous).Errno);
        Assert.Equal(Errno.EINVAL, u.Mmap(default, P, Prot.Read, MapFlags.Shared, fd, 123).Errno);
        Assert.Equal(Errno.EINVAL, u.Mmap(a + 1, P, Prot.Read, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed).Errno);
        Assert.Equal(Errno.EEXIST, u.Mmap(a + P, P, Prot.Read, MapFlags.Private | MapFlags.Anonymous | MapFlags.FixedNoReplace).Errno);
        Assert.Equal(Errno.EOVERFLOW, u.Mmap(default, 2 * P, Prot.Read, MapFlags.Shared, fd, ulong.MaxValue & ~(P - 1)).Errno);
        Assert.Equal(Errno.ENOMEM, u.Mmap(default, ulong.MaxValue - 10, Prot.Read, MapFlags.Private | MapFlags.Anonymous).Errno);
        Assert.Equal(Errno.EBADF, u.Mmap(default, P, Prot.Read, MapFlags.Shared, 99).Errno);
        Assert.Equal(Errno.ENOENT, u.Open("/dev/nope").Errno);
        Assert.Equal(Errno.EINVAL, u.Munmap(a + 1, P).Errno);
        Assert.Equal(Errno.EINVAL, u.Munmap(a, 0).Errno);
        Assert.Equal(Errno.EINVAL, u.Mprotect(a + 1, P, Prot.Read).Errno);
        Assert.Equal(Errno.ENOMEM, u.Mprotect(new UserAddr(0x1000_0000), P, Prot.Read).Errno);
        Assert.Equal(Errno.EINVAL, u.Mremap(a + 1, P, 2 * P, MremapFlags.MayMove).Errno);
        Assert.Equal(Errno.EFAULT, u.Mremap(new UserAddr(0x1000_0000), P, 2 * P, MremapFlags.MayMove).Errno);
        Assert.Equal(Errno.EINVAL, u.Mremap(a, P, 2 * P, MremapFlags.Fixed).Errno);
        Assert.Equal(Errno.EINVAL, u.Madvise(a + 1, P, Advice.DontNeed).Errno);
        Assert.Equal(maps, Proc.Maps(u));
        Assert.Equal(events, dev.VmEvents.Count);
        Assert.True(u.Munmap(new UserAddr(0x1000_0000), P).IsOk); // nothing mapped there: success
    }

    [Fact]
    public void MremapMovesPtesWithTheVmaOpensTheCopyAndClosesTheOld()
    {
        var (k, dev, u, fd) = Device();
        var a = u.Map(2 * P, fd: fd);
        u.ReadAll(a, 2);
        var blocker = u.Mmap(a + 2 * P, P, Prot.Read, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed).Unwrap();
        Assert.Equal(Errno.ENOMEM, u.Mremap(a, 2 * P, 4 * P).Errno); // cannot grow in place, may not move
        var moved = u.Mremap(a, 2 * P, 4 * P, MremapFlags.MayMove).Unwrap();
        Assert.NotEqual(a, moved);
        Assert.Equal([2, 2], k.Refcounts(dev.Pages.Take(2))); // PTEs moved, not re-faulted
        Assert.True(u.ReadByte(moved + P, out var b).IsOk);
        Assert.Equal((byte)'b', b);
        Assert.Equal(SiCode.SEGV_MAPERR, u.Touch(a).SiCode);
        Assert.Contains(dev.VmEvents, e => e.StartsWith($"open {moved}", StringComparison.Ordinal));
        Assert.Contains(dev.VmEvents, e => e == $"close {a}-{a + 2 * P}");
        Assert.True(u.Munmap(blocker, P).IsOk);
    }

    [Fact]
    public void FlagsAndHooksOfOtherErasAreRefusedWithTheEraNamed()
    {
        var k = Boot("2.6.20");
        var dev = new TestDevice(k);
        dev.OnMmap = vma => { vma.Flags |= VmFlags.MixedMap; return 0; };
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/test");
        var e = Assert.Throws<EraMismatchException>(() => u.Mmap(default, P, Prot.Read, MapFlags.Shared, fd));
        Assert.Contains("VM_MIXEDMAP does not exist in Linux 2.6.20 (era E3)", e.Message);
        Assert.Empty(u.Mm.VmAreas);

        dev.OnMmap = vma => { vma.Flags |= VmFlags.Unpaged; return 0; };
        Assert.Throws<EraMismatchException>(() => u.Mmap(default, P, Prot.Read, MapFlags.Shared, fd));
        dev.OnMmap = vma => { k.VmfInsertMixed(vma, vma.Start, new Pfn(0)); return 0; };
        Assert.Throws<EraMismatchException>(() => u.Mmap(default, P, Prot.Read, MapFlags.Shared, fd));
        Assert.Throws<EraMismatchException>(() => Boot(E0).VmInsertPage(null!, default, default));
    }

    [Fact]
    public void MapsAndSmapsUseTheKernelsFormats()
    {
        var k = Boot(E7);
        var dev = new TestDevice(k);
        dev.OnMmap = vma => k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]), vma.Length, vma.PageProt);
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/test");
        var a = u.Map(2 * P, fd: fd);
        var line = Proc.MapsLine(u.Mm.VmaAt(a)!);
        Assert.Matches(@"^[0-9a-f]{8,}-[0-9a-f]{8,} rw-s 00000000 00:00 \d+ +/dev/test$", line);
        var smaps = Proc.Smaps(u);
        Assert.Contains("Rss:                   0 kB", smaps);
        Assert.Contains("VmFlags: rd wr sh mr mw me ms pf io de dd \n", smaps);
        Assert.Contains("VmFlags: rd wr sh mr mw me ms io [reserved]", Proc.VmFlagsText(Boot(E3).Policy, VmFlags.Read | VmFlags.Write | VmFlags.Shared | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec | VmFlags.MayShare | VmFlags.IO | VmFlags.Reserved).Insert(0, "VmFlags: "));
    }

    [Theory]
    [InlineData("3.8", 8UL)]
    [InlineData("3.10", 0UL)]
    [InlineData("6.1.0-56-amd64", 0UL)]
    public void SmapsDoesNotWalkPfnMapVmasFrom310(string version, ulong rssKb)
    {
        var k = Boot(version);
        var dev = new TestDevice(k);
        dev.OnMmap = vma => k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]), vma.Length, vma.PageProt);
        var u = k.Spawn();
        var a = u.Map(2 * P, flags: MapFlags.Private, fd: u.OpenOk("/dev/test"));
        Assert.True(u.WriteByte(a, 1).IsOk);
        Assert.True(u.WriteByte(a + P, 1).IsOk);   // two COW copies: anonymous pages inside a VM_PFNMAP vma
        Assert.Equal((rssKb, rssKb, 0UL), Proc.SmapsOf(u.Mm.VmaAt(a)!));
    }

    [Theory]
    [InlineData(VmFlags.Reserved, "3.6", "3.7")]
    [InlineData(VmFlags.Unpaged, "2.6.15-rc2-git5", "2.6.15-rc3")]
    [InlineData(VmFlags.PfnMap, "2.6.15-rc3", "2.6.15-rc2")]
    [InlineData(VmFlags.InsertPage, "2.6.15-rc6", "3.7")]
    [InlineData(VmFlags.InsertPage, "2.6.15-rc6", "2.6.15-rc5")]
    [InlineData(VmFlags.MixedMap, "2.6.26", "2.6.25")]
    [InlineData(VmFlags.DontDump, "3.4", "3.3")]
    [InlineData(VmFlags.LockOnFault, "4.4", "4.3")]
    [InlineData(VmFlags.WipeOnFork, "4.14", "4.13")]
    [InlineData(VmFlags.Shm, "2.6.17", "2.6.18")]
    [InlineData(VmFlags.AlwaysDump, "3.3", "3.4")]
    [InlineData(VmFlags.NoReserve, "2.6.27", "2.6.26")]
    public void FlagExistenceAndTheHistoryInErrorMessagesAgree(VmFlags flag, string exists, string missing)
    {
        Assert.True(Boot(exists).Policy.FlagExists(flag));
        var k = Boot(missing);
        Assert.False(k.Policy.FlagExists(flag));
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            vma.Flags |= flag;
            return 0;
        };
        var u = k.Spawn();
        var e = Assert.Throws<EraMismatchException>(() => u.Mmap(default, P, Prot.Read, MapFlags.Shared, u.OpenOk("/dev/test")));
        Assert.Contains(EraPolicy.FlagHistory(flag), e.Message, StringComparison.Ordinal);
        Assert.Empty(Proc.Maps(u).Trim());
    }
}
