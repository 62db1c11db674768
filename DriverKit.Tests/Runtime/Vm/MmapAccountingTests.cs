using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>do_mmap's VM_ACCOUNT / VM_NORESERVE and MAP_TYPE rules (found by the fidelity comparison with Linux 6.1 and 6.18).</summary>
public sealed class MmapAccountingTests
{
    private const ulong P = Kernel.PageSize;

    [Theory]
    [InlineData(MapFlags.Private, Prot.Read | Prot.Write, true)]
    [InlineData(MapFlags.Private, Prot.Read, false)]
    [InlineData(MapFlags.Shared, Prot.Read | Prot.Write, false)]
    [InlineData(MapFlags.Private | MapFlags.NoReserve, Prot.Read | Prot.Write, false)]
    public void PrivateWritableMappingsAreAccounted(MapFlags flags, Prot prot, bool accounted)
    {
        var k = Boot(E6);
        var u = k.Spawn();
        var a = u.Map(P, prot, flags);
        Assert.Equal(accounted, (u.Mm.VmaAt(a)!.Flags & VmFlags.Account) != 0);
        Assert.Equal(accounted, Proc.Smaps(u).Contains(" ac", StringComparison.Ordinal));
    }

    [Fact]
    public void MprotectChargesAPrivateMappingThatBecomesWritableAndKeepsTheCharge()
    {
        var k = Boot(E6);
        var u = k.Spawn();
        var a = u.Map(P, Prot.Read, MapFlags.Private);
        Assert.True(u.Mprotect(a, P, Prot.Read | Prot.Write).IsOk);
        Assert.True((u.Mm.VmaAt(a)!.Flags & VmFlags.Account) != 0);
        Assert.True(u.Mprotect(a, P, Prot.None).IsOk);
        Assert.True((u.Mm.VmaAt(a)!.Flags & VmFlags.Account) != 0);
    }

    [Theory]
    [InlineData("2.6.26", false)]
    [InlineData("2.6.27", true)]
    public void MapNoReserveBecomesVmNoReserveFrom2627(string version, bool flag)
    {
        var k = Boot(version);
        var u = k.Spawn();
        var a = u.Map(P, flags: MapFlags.Private | MapFlags.NoReserve);
        var vma = u.Mm.VmaAt(a)!;
        Assert.Equal(flag, (vma.Flags & VmFlags.NoReserve) != 0);
        Assert.Equal(VmFlags.None, vma.Flags & VmFlags.Account);
    }

    [Fact]
    public void AnAccountedMappingDoesNotMergeWithAReservelessNeighbour()
    {
        // The fidelity host program: a PROT_NONE|MAP_NORESERVE arena and a PROT_NONE test mapping placed in it.
        var k = Boot(E7);
        var u = k.Spawn();
        var arena = u.Map(16 * P, Prot.None, MapFlags.Private | MapFlags.NoReserve);
        var r = u.Mmap(arena + 4 * P, 4 * P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed);
        Assert.True(r.IsOk);
        Assert.True(u.Mprotect(r.Value, 4 * P, Prot.None).IsOk);
        Assert.Equal(4 * P, u.Mm.VmaAt(r.Value)!.Length);
    }

    [Theory]
    [InlineData("4.14", true, Errno.EINVAL)]     // no MAP_SHARED_VALIDATE yet
    [InlineData("4.15", true, 0)]
    [InlineData("4.15", false, Errno.EINVAL)]    // anonymous: only MAP_SHARED or MAP_PRIVATE
    [InlineData(E7, false, Errno.EINVAL)]
    public void MapSharedValidateIsForFiles(string version, bool file, int errno)
    {
        var k = Boot(version);
        _ = new TestDevice(k);
        var u = k.Spawn();
        var flags = MapFlags.SharedValidate | (file ? MapFlags.None : MapFlags.Anonymous);
        var r = u.Mmap(default, P, Prot.Read, flags, file ? u.OpenOk("/dev/test") : -1);
        Assert.Equal(errno, r.Errno);
        if (errno != 0)
        {
            Assert.Empty(Proc.Maps(u).Trim());
        }
    }

    [Fact]
    public void MapSharedValidateRefusesUnknownFlags()
    {
        var k = Boot(E6);
        _ = new TestDevice(k);
        var u = k.Spawn();
        var r = u.Mmap(default, P, Prot.Read, MapFlags.SharedValidate | (MapFlags)0x40000000, u.OpenOk("/dev/test"));
        Assert.Equal(Errno.EOPNOTSUPP, r.Errno);
        Assert.True(u.Mmap(default, P, Prot.Read, MapFlags.SharedValidate, u.OpenOk("/dev/test")).IsOk);
    }
}
