using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>ELF core dumps per era: which vmas are written, holes, and the header probe that can read device memory (INV-23).</summary>
public sealed class CoreDumpTests
{
    private const ulong P = Kernel.PageSize;

    /// <summary>Counts register reads: a core dump must never cause one.</summary>
    private sealed class Registers : MmioDevice
    {
        public int Reads { get; private set; }

        public override byte Read(ulong offset)
        {
            Reads++;
            return 0x5A;
        }

        public override void Write(ulong offset, byte value)
        {
        }
    }

    [Theory]
    [InlineData(E0)]
    [InlineData(E3)]
    [InlineData(E5)]
    [InlineData(E7)]
    public void WrittenAnonymousMemoryIsDumpedWithItsContents(string version)
    {
        var k = Boot(version, strict: true);
        var u = k.Spawn();
        var a = u.Map(2 * P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a + P, 0x42).IsOk);
        var seg = u.DumpCore().Unwrap().SegmentAt(a)!;
        Assert.Equal(2 * P, seg.FileSize);
        Assert.Equal(0x42, seg.Pages[1]![0]);
        Assert.Null(seg.Pages[0]);   // never touched: the dumper writes a hole
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData("2.6.23", false)]
    [InlineData("2.6.24", true)]
    [InlineData("2.6.25", true)]
    [InlineData("2.6.26", false)]
    public void TheZeroPageEraDecidesWhetherTheDumperFaultsInAnonymousHoles(string version, bool faultsIn)
    {
        var k = Boot(version);
        var u = k.Spawn();
        var a = u.Map(2 * P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(a, 1).IsOk);
        var free = k.VmStat().FreePages;
        var seg = u.DumpCore().Unwrap().SegmentAt(a)!;
        Assert.Equal(faultsIn, seg.Pages[1] is not null);
        Assert.Equal(faultsIn ? free - 1 : free, k.VmStat().FreePages);
    }

    [Theory]
    [InlineData(E0, "VM_IO")]
    [InlineData(E3, "VM_IO")]
    [InlineData(E5, "VM_IO")]
    [InlineData(E7, "VM_IO")]
    public void RemappedDeviceMemoryIsNeverDumped(string version, string why)
    {
        var k = Boot(version);
        var dev = new TestDevice(k);
        dev.OnMmap = vma => k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]), P, vma.PageProt);
        var u = k.Spawn();
        var a = u.Map(P, fd: u.OpenOk("/dev/test"));
        var seg = u.DumpCore().Unwrap().SegmentAt(a)!;
        Assert.Equal(0UL, seg.FileSize);
        Assert.Equal(why, seg.Why);
    }

    [Theory]
    [InlineData("3.6", true)]    // VM_RESERVED still excludes the vma
    [InlineData(E5, false)]     // 3.7: VM_RESERVED is gone; scullp-style drivers now set VM_DONTDUMP themselves
    public void DontDumpReplacedReserved(string version, bool useReserved)
    {
        var k = Boot(version);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            k.VmFlagsSet(vma, useReserved ? VmFlags.Reserved : VmFlags.DontDump);
            vma.Ops = dev.FaultOps();
            return 0;
        };
        var u = k.Spawn();
        var a = u.Map(P, flags: MapFlags.Private, fd: u.OpenOk("/dev/test"));
        Assert.True(u.WriteByte(a, 7).IsOk);
        var seg = u.DumpCore().Unwrap().SegmentAt(a)!;
        Assert.Equal(0UL, seg.FileSize);
        Assert.Equal(useReserved ? "VM_RESERVED" : "VM_DONTDUMP", seg.Why);
    }

    [Theory]
    [InlineData("2.6.20", false)]   // maydump: a device's shared mapping (i_nlink != 0) is never dumped
    [InlineData("2.6.23", true)]
    [InlineData(E7, true)]
    public void SharedDeviceMappingsNeedTheMappedSharedBit(string version, bool hasFilter)
    {
        var k = Boot(version, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma => k.VmInsertPage(vma, vma.Start, dev.Pages[0]) | k.VmInsertPage(vma, vma.Start + P, dev.Pages[1]);
        var u = k.Spawn();
        var a = u.Map(2 * P, fd: u.OpenOk("/dev/test"));
        u.ReadAll(a, 2);
        Assert.Equal(0UL, u.DumpCore().Unwrap().SegmentAt(a)!.FileSize);
        if (!hasFilter)
        {
            Assert.Throws<EraMismatchException>(() => u.CoredumpFilter = 0xF);
            return;
        }

        u.CoredumpFilter |= 1 << 3;
        var seg = u.DumpCore().Unwrap().SegmentAt(a)!;
        Assert.Equal(2 * P, seg.FileSize);
        Assert.Equal((byte)'b', seg.Pages[1]![0]);   // vm_insert_page PTEs are normal: the driver's pages are written
        Assert.Empty(k.Checker.CheckAll());
    }

    [Theory]
    [InlineData("2.6.23", 0x3u, 0xFu)]
    [InlineData("2.6.24", 0x3u, 0x1Fu)]
    [InlineData("2.6.28", 0x23u, 0x7Fu)]
    [InlineData("2.6.37", 0x33u, 0x7Fu)]
    [InlineData("4.4", 0x33u, 0x1FFu)]
    public void CoredumpFilterDefaultsAndMaskFollowTheEra(string version, uint defaults, uint mask)
    {
        var k = Boot(version);
        var u = k.Spawn();
        Assert.Equal(defaults, u.CoredumpFilter);
        u.CoredumpFilter = uint.MaxValue;
        Assert.Equal(mask, u.CoredumpFilter);
        Assert.Equal(mask, u.Fork().Unwrap().CoredumpFilter);   // mm->flags are inherited
    }

    [Fact]
    public void MemfdSharedMappingsAreDumped()
    {
        var k = Boot(E6);
        var u = k.Spawn();
        var fd = (int)u.MemfdCreate("buf").Value;
        Assert.True(u.Ftruncate(fd, P).IsOk);
        var a = u.Map(P, fd: fd);
        Assert.True(u.WriteByte(a, 9).IsOk);
        var seg = u.DumpCore().Unwrap().SegmentAt(a)!;
        Assert.Equal("anonymous shared", seg.Why);
        Assert.Equal(9, seg.Pages[0]![0]);
    }

    /// <summary>
    /// A private, read-only mapping of a register window through VM_MIXEDMAP + vmf_insert_mixed and no VM_IO
    /// (DKMM017): vma_dump_size's ELF-header probe reads the first register — except 5.10 – 5.17, which only
    /// looked at the inode's exec bit. VM_IO keeps the vma out in every era.
    /// </summary>
    [Theory]
    [InlineData("2.6.30", false, 0)]   // the default filter lacks ELF headers until 2.6.37
    [InlineData("2.6.37", false, 1)]
    [InlineData("5.9", false, 1)]
    [InlineData("5.10", false, 0)]
    [InlineData("5.17", false, 0)]
    [InlineData("5.18", false, 1)]
    [InlineData(E7, false, 1)]
    [InlineData(E7, true, 0)]
    public void TheElfHeaderProbeReadsDeviceRegistersWithoutVmIo(string version, bool vmIo, int probeReads)
    {
        var k = Boot(version, strict: true);
        var regs = new Registers();
        var window = k.RegisterMmioRegion("bar0", P, regs);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            k.VmFlagsSet(vma, VmFlags.MixedMap | (vmIo ? VmFlags.IO | VmFlags.DontDump : VmFlags.None));
            vma.Ops = new VmOperations { Fault = vmf => k.VmfInsertMixed(vmf.Vma, vmf.Address, window.StartPfn) };
            return 0;
        };
        var u = k.Spawn();
        var a = u.Map(P, Prot.Read, MapFlags.Private, u.OpenOk("/dev/test", OpenFlags.ReadOnly));
        var seg = u.DumpCore().Unwrap().SegmentAt(a)!;
        Assert.Equal(0UL, seg.FileSize);
        Assert.Equal(probeReads * 4, regs.Reads);
        var inv23 = k.Reports.Where(r => r.Invariant == "INV-23").ToList();
        Assert.Equal(probeReads, inv23.Count);
        if (probeReads > 0)
        {
            Assert.Equal("DK0017", inv23[0].RuleId);
            Assert.Equal(window.StartPfn, inv23[0].Pfn);
        }
    }

    [Fact]
    public void FaithfulModeReadsTheRegisterSilentlyLikeTheKernel()
    {
        var k = Boot(E6);
        var regs = new Registers();
        var window = k.RegisterMmioRegion("bar0", P, regs);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            k.VmFlagsSet(vma, VmFlags.MixedMap);
            vma.Ops = new VmOperations { Fault = vmf => k.VmfInsertMixed(vmf.Vma, vmf.Address, window.StartPfn) };
            return 0;
        };
        var u = k.Spawn();
        u.Map(P, Prot.Read, MapFlags.Private, u.OpenOk("/dev/test", OpenFlags.ReadOnly));
        Assert.True(u.DumpCore().IsOk);
        Assert.Equal(4, regs.Reads);
        Assert.Empty(k.Reports);
    }

    [Fact]
    public void AnExitedProcessCannotDump()
    {
        var k = Boot(E6);
        var u = k.Spawn();
        Assert.True(u.Exit().IsOk);
        Assert.Equal(Errno.ESRCH, u.DumpCore().Errno);
    }
}
