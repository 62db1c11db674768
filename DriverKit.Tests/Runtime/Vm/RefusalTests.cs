using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>
/// Inputs the runtime used to accept or refuse in silence: decided against the kernel of the configured era, and in
/// strict mode a refusal the kernel does not explain gets a DKSIM note.
/// </summary>
public sealed class RefusalTests
{
    [Theory]
    [InlineData(E3)]
    [InlineData(E7)]
    public void A_private_writable_mapping_larger_than_ram_and_swap_is_enomem_unless_noreserve(string version)
    {
        var k = Boot(version, memory: 8UL << 20);
        var u = k.Spawn("big");
        var tooBig = ((ulong)k.TotalRamPages + (ulong)k.Options.SwapPages + 1) * Kernel.PageSize;
        var vmas = u.Mm.VmAreas.Count;

        Assert.Equal(Errno.ENOMEM, u.Mmap(default, tooBig, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous).Errno);
        Assert.Equal(vmas, u.Mm.VmAreas.Count);
        Assert.True(u.Mmap(default, tooBig, Prot.Read, MapFlags.Private | MapFlags.Anonymous).IsOk); // read-only: not accounted
        Assert.True(u.Mmap(default, tooBig, Prot.Read | Prot.Write, MapFlags.Shared | MapFlags.Anonymous).IsOk);
        if (k.Policy.FlagExists(VmFlags.NoReserve))
        {
            Assert.True(u.Mmap(default, tooBig, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.NoReserve).IsOk);
        }
    }

    [Fact]
    public void Madvise_of_a_length_that_rounds_to_zero_from_huge_is_einval_and_memfd_of_null_is_efault()
    {
        var u = Boot(E7).Spawn("u");
        var a = u.Map(Kernel.PageSize, flags: MapFlags.Private);
        Assert.Equal(-Errno.EINVAL, u.Madvise(a, ulong.MaxValue, Advice.DontNeed).Value);
        Assert.Equal(0, u.Madvise(a, 0, Advice.DontNeed).Value);
        Assert.Equal(-Errno.EFAULT, u.MemfdCreate(null!).Value);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public void An_unaligned_remap_pfn_range_is_einval_and_strict_mode_says_why(bool strict, int notes)
    {
        var k = Boot(E5, strict: strict);
        var dev = new TestDevice(k);
        var ret = 0;
        dev.OnMmap = vma =>
        {
            ret = k.RemapPfnRange(vma, vma.Start + 100UL, dev.Pages[0].Pfn, Kernel.PageSize, vma.PageProt);
            return 0;
        };
        var u = k.Spawn("u");
        u.Map(Kernel.PageSize, fd: u.OpenOk("/dev/test"));

        Assert.Equal(-Errno.EINVAL, ret);
        Assert.Equal(notes, k.Reports.Count(r => r.Invariant == "INV-11" && r.Text.Contains("not page aligned", StringComparison.Ordinal)));
    }

    [Fact]
    public void Remap_vmalloc_range_of_memory_without_vm_usermap_is_einval_and_strict_mode_says_why()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        var plain = k.Vmalloc(Kernel.PageSize);
        var ret = 0;
        dev.OnMmap = vma =>
        {
            ret = k.RemapVmallocRange(vma, plain, 0);
            return 0;
        };
        var u = k.Spawn("u");
        u.Map(Kernel.PageSize, fd: u.OpenOk("/dev/test"));

        Assert.Equal(-Errno.EINVAL, ret);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-11" && r.Text.Contains("vmalloc_user (no VM_USERMAP)", StringComparison.Ordinal));
    }
}
