using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>The legacy -&gt;nopfn hook of 2.6.19 – 2.6.26 (mm/memory.c: do_no_pfn), as spufs used it for the SPU local store.</summary>
public sealed class NoPfnTests
{
    private const ulong P = Kernel.PageSize;

    private static (Kernel K, TestDevice Dev, Process U) Setup(string version, VmFlags flags, VmNoPfnHandler? handler = null, bool strict = true)
    {
        var k = Boot(version, strict: strict, pteSpecial: false);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            vma.Flags |= flags;
            vma.Ops = new VmOperations { NoPfn = handler ?? ((v, addr) => k.PageToPfn(dev.Pages[(addr - v.Start) / P]).Value) };
            return 0;
        };
        return (k, dev, k.Spawn());
    }

    [Theory]
    [InlineData("2.6.19")]
    [InlineData("2.6.22")]
    [InlineData("2.6.26")]
    public void NoPfnMapsAStructPagePageWithoutARefcount(string version)
    {
        // Ben's answer for the SPU local store in E3: VM_PFNMAP + ->nopfn, so the VM never refcounts P.
        var (k, dev, u) = Setup(version, VmFlags.IO | VmFlags.PfnMap);
        var a = u.Map(2 * P, fd: u.OpenOk("/dev/test"));
        u.ReadAll(a, 2);
        Assert.Equal(Repeat(1, 2), k.Refcounts(dev.Pages.Take(2)));
        Assert.Equal(Repeat(0, 2), k.Mapcounts(dev.Pages.Take(2)));
        Assert.True(u.ReadByte(a + P, out var b).IsOk);
        Assert.Equal((byte)'b', b);

        var child = u.Fork().Unwrap();   // VM_PFNMAP: PTEs are copied bare
        Assert.True(child.ReadByte(a + P, out b).IsOk);
        Assert.Equal((byte)'b', b);
        Assert.Equal(Repeat(1, 2), k.Refcounts(dev.Pages.Take(2)));
        Assert.True(child.Exit().IsOk);
        Assert.True(u.Exit().IsOk);
        Assert.Equal(Repeat(1, 2), k.Refcounts(dev.Pages.Take(2)));
        Assert.Empty(k.Reports);
    }

    [Theory]
    [InlineData("2.6.18")]
    [InlineData("2.6.27")]
    [InlineData(E7)]
    public void NoPfnOutsideItsWindowIsRefused(string version)
    {
        var (_, _, u) = Setup(version, VmFlags.IO);
        var e = Assert.Throws<EraMismatchException>(() => u.Mmap(default, P, Prot.Read, MapFlags.Shared, u.OpenOk("/dev/test")));
        Assert.Contains("->nopfn", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2.6.20", "BUG_ON(!(vma->vm_flags & VM_PFNMAP))")]
    [InlineData("2.6.26", "BUG_ON(!(vma->vm_flags & (VM_PFNMAP|VM_MIXEDMAP)))")]
    public void NoPfnWithoutPfnMapIsABug(string version, string bug)
    {
        var (k, dev, u) = Setup(version, VmFlags.IO);
        var a = u.Map(P, fd: u.OpenOk("/dev/test"));
        var r = u.Touch(a);
        Assert.NotNull(r.Oops);
        Assert.Contains(bug, r.Oops!.Text, StringComparison.Ordinal);
        Assert.Equal(1, k.PageCount(dev.Pages[0]));
    }

    [Fact]
    public void NoPfnInACowMappingIsABug()
    {
        var (_, _, u) = Setup("2.6.20", VmFlags.IO | VmFlags.PfnMap);
        var a = u.Map(P, flags: MapFlags.Private, fd: u.OpenOk("/dev/test"));
        var r = u.Touch(a);
        Assert.Contains("BUG_ON(is_cow_mapping(vma->vm_flags))", r.Oops!.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void MixedMapNoPfnMustNotReturnRam()
    {
        var (_, _, u) = Setup("2.6.26", VmFlags.MixedMap);
        var a = u.Map(P, fd: u.OpenOk("/dev/test"));
        Assert.Contains("BUG_ON((vma->vm_flags & VM_MIXEDMAP) && pfn_valid(pfn))", u.Touch(a).Oops!.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(VmOperations.NoPfnSigbus, Signal.SIGBUS)]
    [InlineData(VmOperations.NoPfnOom, Signal.SIGKILL)]
    public void NoPfnErrorResults(ulong result, Signal signal)
    {
        var (_, _, u) = Setup("2.6.22", VmFlags.IO | VmFlags.PfnMap, (_, _) => result);
        var a = u.Map(P, fd: u.OpenOk("/dev/test"));
        Assert.Equal(signal, u.Touch(a).Signal);
    }

    [Fact]
    public void RefaultAfterInstallingThePteItself()
    {
        // 2.6.21+: spufs inserted the PTE with vm_insert_pfn and returned NOPFN_REFAULT.
        Kernel? k = null;
        TestDevice? dev = null;
        var (kk, dd, u) = Setup("2.6.22", VmFlags.IO | VmFlags.PfnMap, (v, addr) =>
        {
            k!.VmfInsertPfn(v, addr, k.PageToPfn(dev!.Pages[0]));
            return VmOperations.NoPfnRefault;
        });
        k = kk;
        dev = dd;
        var a = u.Map(P, fd: u.OpenOk("/dev/test"));
        Assert.True(u.ReadByte(a, out var b).IsOk);
        Assert.Equal((byte)'a', b);
        Assert.Equal(1, k.PageCount(dev.Pages[0]));
    }

    [Fact]
    public void RefaultDoesNotExistBefore2621()
    {
        var (_, _, u) = Setup("2.6.20", VmFlags.IO | VmFlags.PfnMap, (_, _) => VmOperations.NoPfnRefault);
        var a = u.Map(P, fd: u.OpenOk("/dev/test"));
        Assert.Throws<EraMismatchException>(() => u.Touch(a));
    }

    [Fact]
    public void AnAbsurdPfnIsRefusedWithoutChangingTheMachine()
    {
        var (k, _, u) = Setup("2.6.22", VmFlags.IO | VmFlags.PfnMap, (_, _) => 1UL << 50);
        var a = u.Map(P, fd: u.OpenOk("/dev/test"));
        var r = u.Touch(a);
        Assert.NotNull(r.Oops);
        Assert.Contains("beyond the physical address width", r.Oops!.Text, StringComparison.Ordinal);
    }
}
