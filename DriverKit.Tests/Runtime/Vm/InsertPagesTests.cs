using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>vm_insert_pages (5.7), vmf_insert_pfn_prot (4.5, as vm_insert_pfn_prot until 4.20) and vm_insert_page's lock BUG_ON.</summary>
public sealed class InsertPagesTests
{
    private const ulong P = Kernel.PageSize;

    [Theory]
    [InlineData("5.6", false)]
    [InlineData("5.7", true)]
    [InlineData(E6, true)]
    [InlineData(E7, true)]
    public void Vm_insert_pages_exists_from_5_7(string version, bool exists)
    {
        var k = Boot(version, strict: true);
        var num = 0UL;
        var e = Record.Exception(() => k.VmInsertPages(null!, default, [], ref num));
        Assert.Equal(!exists, e is EraMismatchException);
        if (!exists)
        {
            Assert.Contains("vm_insert_pages", e!.Message, StringComparison.Ordinal);
            Assert.Contains("from 5.7", e.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.IsType<ArgumentNullException>(e);
        }
    }

    [Theory]
    [InlineData("5.7")]
    [InlineData(E6)]
    [InlineData(E7)]
    public void Mmap_maps_the_whole_array_with_normal_ptes_and_fork_copies_them(string version)
    {
        var k = Boot(version, strict: true);
        var dev = new TestDevice(k);
        var left = ulong.MaxValue;
        dev.OnMmap = vma =>
        {
            var num = vma.Pages;
            var ret = k.VmInsertPages(vma, vma.Start, dev.Pages, ref num);
            left = num;
            return ret;
        };
        var u = k.Spawn();
        var addr = u.Map(4 * P, fd: u.OpenOk("/dev/test"));
        Assert.Equal(0UL, left);
        var vma = u.Mm.VmaAt(addr)!;
        Assert.True(vma.Flags.HasFlag(VmFlags.MixedMap));
        Assert.Equal(Repeat(2, 4), k.Refcounts(dev.Pages));
        Assert.Equal(Repeat(1, 4), k.Mapcounts(dev.Pages));
        for (var i = 0; i < 4; i++)
        {
            Assert.True(u.ReadByte(addr + (ulong)i * P, out var b).IsOk);
            Assert.Equal((byte)('a' + i), b);
        }

        // VM_MIXEDMAP: fork copies the normal PTEs (and their references).
        var child = u.Fork().Unwrap();
        Assert.Equal(Repeat(3, 4), k.Refcounts(dev.Pages));
        Assert.True(child.ReadByte(addr + 3 * P, out var c).IsOk);
        Assert.Equal((byte)'d', c);
        Assert.True(child.Exit().IsOk);
        Assert.True(u.Exit().IsOk);
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        Assert.Empty(k.Reports);
    }

    [Fact]
    public void An_unsuitable_page_stops_the_batch_there_and_num_counts_what_was_not_mapped()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        var block = default(Page);
        (int Ret, ulong Left, int[] MapcountsInside) seen = default;
        dev.OnMmap = vma =>
        {
            block = k.AllocPages(Gfp.Kernel, 1); // no __GFP_COMP, never split: the tail has refcount 0
            var tail = k.PfnToPage(new Pfn(k.PageToPfn(block).Value + 1));
            var pages = new[] { dev.Pages[0], dev.Pages[1], tail, dev.Pages[3] };
            var num = 4UL;
            var ret = k.VmInsertPages(vma, vma.Start, pages, ref num);
            seen = (ret, num, k.Mapcounts(dev.Pages));
            return ret;
        };
        var u = k.Spawn();
        var r = u.Mmap(default, 4 * P, Prot.Read, MapFlags.Shared, u.OpenOk("/dev/test"));

        Assert.Equal(-Errno.EINVAL, seen.Ret);
        Assert.Equal(2UL, seen.Left); // the tail and the page after it
        Assert.Equal([1, 1, 0, 0], seen.MapcountsInside!); // the pages before the refusal stay mapped
        Assert.Equal(Errno.EINVAL, r.Errno);

        // mmap_region unmaps the failed vma: the two references the batch took go with it.
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        Assert.Equal(Repeat(0, 4), k.Mapcounts(dev.Pages));
        Assert.True(k.Reports.Count == 1, string.Join("\n", k.Reports.Select(r => r.Text)));
        var refusal = Assert.Single(k.Reports);
        Assert.Equal("INV-09", refusal.Invariant);
        Assert.Contains("a page with refcount 0", refusal.Text, StringComparison.Ordinal);
        k.FreePages(block, 1);
    }

    [Fact]
    public void A_driver_that_drops_the_error_is_named()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            var num = vma.Pages;
            k.VmInsertPages(vma, vma.Start + P, dev.Pages, ref num); // one page too far: -EFAULT, ignored
            return 0;
        };
        var u = k.Spawn();
        Assert.True(u.Mmap(default, 4 * P, Prot.Read, MapFlags.Shared, u.OpenOk("/dev/test")).IsOk);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-09"
            && r.Text.Contains("->mmap returned 0 although vm_insert_pages failed with EFAULT", StringComparison.Ordinal));
    }

    [Fact]
    public void A_range_past_the_vma_is_EFAULT_and_changes_nothing()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        var results = new List<(int Ret, ulong Left, VmFlags Flags)>();
        dev.OnMmap = vma =>
        {
            foreach (var (start, count) in new[] { (vma.Start + P, 4UL), (vma.Start - P, 1UL), (vma.End, 1UL), (vma.Start, ulong.MaxValue >> 8) })
            {
                var num = count;
                var pages = count <= 4 ? dev.Pages : Enumerable.Repeat(dev.Pages[0], 0).ToArray();
                if (count > 4)
                {
                    Assert.Throws<ArgumentOutOfRangeException>(() => k.VmInsertPages(vma, start, pages, ref num));
                    continue;
                }

                results.Add((k.VmInsertPages(vma, start, pages, ref num), num, vma.Flags));
            }

            return 0;
        };
        var u = k.Spawn();
        u.Map(4 * P, Prot.Read, fd: u.OpenOk("/dev/test"));
        Assert.All(results, r => Assert.Equal(-Errno.EFAULT, r.Ret));
        Assert.Equal([4UL, 1UL, 1UL], results.Select(r => r.Left));
        Assert.All(results, r => Assert.False(r.Flags.HasFlag(VmFlags.MixedMap)));
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
    }

    [Fact]
    public void A_null_page_or_a_short_array_is_refused_before_anything_is_mapped()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            var num = 3UL;
            Assert.Throws<ArgumentNullException>(() => k.VmInsertPages(vma, vma.Start, [dev.Pages[0], default, dev.Pages[2]], ref num));
            Assert.Equal(3UL, num);
            Assert.Throws<ArgumentOutOfRangeException>(() => k.VmInsertPages(vma, vma.Start, dev.Pages[..2], ref num));
            Assert.Throws<ArgumentNullException>(() => k.VmInsertPages(vma, vma.Start, null!, ref num));
            Assert.False(vma.Flags.HasFlag(VmFlags.MixedMap));
            return 0;
        };
        var u = k.Spawn();
        u.Map(4 * P, Prot.Read, fd: u.OpenOk("/dev/test"));
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
        Assert.Equal(Repeat(0, 4), k.Mapcounts(dev.Pages));
    }

    [Fact]
    public void Zero_pages_still_mark_the_vma_mixed_as_the_kernel_does()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        var ret = -1;
        dev.OnMmap = vma =>
        {
            var num = 0UL;
            ret = k.VmInsertPages(vma, vma.End, [], ref num);
            return 0;
        };
        var u = k.Spawn();
        var addr = u.Map(P, Prot.Read, fd: u.OpenOk("/dev/test"));
        Assert.Equal(0, ret);
        Assert.True(u.Mm.VmaAt(addr)!.Flags.HasFlag(VmFlags.MixedMap));
    }

    [Theory]
    [InlineData("5.7", "vm_insert_pages: BUG_ON(down_read_trylock(&vma->vm_mm->mmap_sem))")]
    [InlineData("5.8", "vm_insert_pages: BUG_ON(mmap_read_trylock(vma->vm_mm))")]
    [InlineData(E7, "vm_insert_pages: BUG_ON(mmap_read_trylock(vma->vm_mm))")]
    public void From_a_fault_handler_without_VM_MIXEDMAP_it_is_a_kernel_BUG(string version, string text)
    {
        var k = Boot(version, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            vma.Ops = new VmOperations
            {
                Fault = vmf =>
                {
                    var num = 1UL;
                    return k.VmInsertPages(vmf.Vma, vmf.Address, [dev.Pages[vmf.Pgoff]], ref num) == 0 ? VmFaultResult.NoPage : VmFaultResult.Sigbus;
                },
            };
            return 0;
        };
        var u = k.Spawn();
        var addr = u.Map(4 * P, Prot.Read, fd: u.OpenOk("/dev/test"));
        var r = u.Touch(addr);
        Assert.NotNull(r.Oops);
        Assert.Contains(text, r.Oops.Text, StringComparison.Ordinal);
        Assert.Equal("DK0011", r.Oops.RuleId);
        Assert.Equal(Repeat(1, 4), k.Refcounts(dev.Pages));
    }

    [Fact]
    public void From_a_fault_handler_of_a_vma_that_mmap_made_mixed_it_maps()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            vma.Flags |= VmFlags.MixedMap;
            vma.Ops = new VmOperations
            {
                Fault = vmf =>
                {
                    var num = 1UL;
                    return k.VmInsertPages(vmf.Vma, vmf.Address.PageDown, [dev.Pages[vmf.Pgoff]], ref num) == 0 ? VmFaultResult.NoPage : VmFaultResult.Sigbus;
                },
            };
            return 0;
        };
        var u = k.Spawn();
        var addr = u.Map(4 * P, Prot.Read, fd: u.OpenOk("/dev/test"));
        Assert.True(u.ReadByte(addr + 2 * P, out var b).IsOk);
        Assert.Equal((byte)'c', b);
        Assert.Equal([1, 1, 2, 1], k.Refcounts(dev.Pages));
        Assert.Empty(k.Reports);
    }

    [Fact]
    public void Into_a_VM_PFNMAP_vma_it_is_a_kernel_BUG()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            vma.Flags |= VmFlags.IO | VmFlags.PfnMap;
            var num = 1UL;
            return k.VmInsertPages(vma, vma.Start, dev.Pages, ref num);
        };
        var u = k.Spawn();
        var r = u.Mmap(default, P, Prot.Read, MapFlags.Shared, u.OpenOk("/dev/test"));
        Assert.False(r.IsOk);
        var bug = Assert.Single(k.Reports, report => report.Kind == ReportKind.Kernel);
        Assert.Contains("vm_insert_pages: BUG_ON(vma->vm_flags & VM_PFNMAP)", bug.Text, StringComparison.Ordinal);
        Assert.Equal("DK0009", bug.RuleId);
    }

    [Theory]
    [InlineData(E5, "vm_insert_page: BUG_ON(down_read_trylock(&vma->vm_mm->mmap_sem))")]
    [InlineData("5.7", "vm_insert_page: BUG_ON(down_read_trylock(&vma->vm_mm->mmap_sem))")]
    [InlineData("5.8", "vm_insert_page: BUG_ON(mmap_read_trylock(vma->vm_mm))")]
    [InlineData(E7, "vm_insert_page: BUG_ON(mmap_read_trylock(vma->vm_mm))")]
    public void Vm_insert_page_names_the_lock_call_of_its_kernel(string version, string text)
    {
        var k = Boot(version, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            vma.Ops = new VmOperations
            {
                Fault = vmf => k.VmInsertPage(vmf.Vma, vmf.Address, dev.Pages[vmf.Pgoff]) == 0 ? VmFaultResult.NoPage : VmFaultResult.Sigbus,
            };
            return 0;
        };
        var u = k.Spawn();
        var r = u.Touch(u.Map(P, Prot.Read, fd: u.OpenOk("/dev/test")));
        Assert.NotNull(r.Oops);
        Assert.Contains(text, r.Oops.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(E3Fault)]
    [InlineData(E4)]
    [InlineData("3.6")]
    public void Before_3_7_vm_insert_page_from_a_fault_only_races_on_vm_flags(string version)
    {
        var k = Boot(version, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            vma.Ops = new VmOperations
            {
                Fault = vmf => k.VmInsertPage(vmf.Vma, vmf.Address.PageDown, dev.Pages[0]) == 0 ? VmFaultResult.NoPage : VmFaultResult.Sigbus,
            };
            return 0;
        };
        var u = k.Spawn();
        var addr = u.Map(P, Prot.Read, fd: u.OpenOk("/dev/test"));
        Assert.Null(u.Touch(addr).Oops);
        var race = Assert.Single(k.Reports, r => r.Invariant == "INV-26");
        Assert.Contains("vm_insert_page from Fault context sets VM_INSERTPAGE", race.Text, StringComparison.Ordinal);
        Assert.Equal("DK0011", race.RuleId);
    }

    // ---- vmf_insert_pfn_prot ---------------------------------------------------------------------------------------

    private sealed class Vram : MmioDevice
    {
        public byte[] Bytes { get; } = new byte[4 * Kernel.PageSize];

        public override byte Read(ulong offset) => Bytes[offset];

        public override void Write(ulong offset, byte value) => Bytes[offset] = value;
    }

    [Theory]
    [InlineData("4.4", false)]
    [InlineData("4.5", true)]
    [InlineData("4.20", true)]
    [InlineData(E7, true)]
    public void Vmf_insert_pfn_prot_exists_from_4_5(string version, bool exists)
    {
        var k = Boot(version);
        var e = Record.Exception(() => k.VmfInsertPfnProt(null!, default, default, default));
        Assert.Equal(!exists, e is EraMismatchException);
        Assert.Equal(exists, e is ArgumentNullException);
    }

    [Theory]
    [InlineData("4.5")]
    [InlineData(E7)]
    public void The_fault_handler_chooses_the_memory_type_of_each_page(string version)
    {
        var k = Boot(version, strict: true);
        var vram = new Vram();
        var bar = k.RegisterMmioRegion("vram", 4 * P, vram, file: "testdev"); // owned by the test driver (INV-15)
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            vma.Flags |= VmFlags.IO | VmFlags.PfnMap | VmFlags.DontExpand;
            vma.Ops = new VmOperations
            {
                Fault = vmf =>
                {
                    // Page 0 holds the registers (uncached), the rest is the frame buffer (write-combined).
                    var prot = vmf.Pgoff == 0 ? Kernel.PgprotNoncached(vmf.Vma.PageProt) : Kernel.PgprotWritecombine(vmf.Vma.PageProt);
                    return k.VmfInsertPfnProt(vmf.Vma, vmf.Address, new Pfn(bar.StartPfn.Value + vmf.Pgoff), prot);
                },
            };
            return 0;
        };
        var u = k.Spawn();
        var addr = u.Map(4 * P, fd: u.OpenOk("/dev/test"));
        Assert.True(u.WriteByte(addr + 3, 0x11).IsOk);
        Assert.True(u.WriteByte(addr + 2 * P + 7, 0x22).IsOk);
        Assert.Equal(0x11, vram.Bytes[3]);
        Assert.Equal(0x22, vram.Bytes[2 * P + 7]);
        Assert.Equal(CacheMode.UncachedMinus, Pte.CacheOf(u.Mm.GetPte(addr.Value)));
        Assert.Equal(CacheMode.WriteCombining, Pte.CacheOf(u.Mm.GetPte(addr.Value + 2 * P)));
        Assert.True(Pte.IsSpecial(u.Mm.GetPte(addr.Value + 2 * P)));
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }

    [Fact]
    public void Device_memory_inserted_write_back_is_reported_and_the_BUG_ONs_are_vmf_insert_pfns()
    {
        var k = Boot(E7, strict: true);
        var bar = k.RegisterMmioRegion("vram", 4 * P, new Vram(), file: "testdev");
        var dev = new TestDevice(k);
        var plain = false;
        dev.OnMmap = vma =>
        {
            if (!plain)
            {
                vma.Flags |= VmFlags.IO | VmFlags.PfnMap;
            }

            vma.Ops = new VmOperations
            {
                Fault = vmf => k.VmfInsertPfnProt(vmf.Vma, vmf.Address, bar.StartPfn, vmf.Vma.PageProt),
            };
            return 0;
        };
        var u = k.Spawn();
        var fd = u.OpenOk("/dev/test");
        Assert.True(u.Touch(u.Map(P, fd: fd)).IsOk);
        Assert.True(k.Reports.Count == 1, string.Join("\n", k.Reports.Select(r => r.Text)));
        var wb = Assert.Single(k.Reports);
        Assert.Equal("INV-16", wb.Invariant);
        Assert.Contains("vmf_insert_pfn_prot maps device registers write-back cacheable", wb.Text, StringComparison.Ordinal);

        plain = true;
        var r = u.Touch(u.Map(P, fd: fd));
        Assert.NotNull(r.Oops);
        Assert.Contains("vmf_insert_pfn_prot: BUG_ON(!(vma->vm_flags & (VM_PFNMAP|VM_MIXEDMAP)))", r.Oops.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_address_outside_the_vma_is_SIGBUS_and_an_occupied_pte_is_left_alone()
    {
        var k = Boot(E7, strict: true);
        var bar = k.RegisterMmioRegion("vram", 4 * P, new Vram(), file: "testdev");
        var dev = new TestDevice(k);
        var results = new List<VmFaultResult>();
        dev.OnMmap = vma =>
        {
            vma.Flags |= VmFlags.IO | VmFlags.PfnMap;
            vma.Ops = new VmOperations
            {
                Fault = vmf =>
                {
                    var wc = Kernel.PgprotWritecombine(vmf.Vma.PageProt);
                    results.Add(k.VmfInsertPfnProt(vmf.Vma, vmf.Vma.End, bar.StartPfn, wc));
                    results.Add(k.VmfInsertPfnProt(vmf.Vma, vmf.Address, bar.StartPfn, wc));
                    results.Add(k.VmfInsertPfnProt(vmf.Vma, vmf.Address, new Pfn(bar.StartPfn.Value + 1), Kernel.PgprotNoncached(vmf.Vma.PageProt)));
                    return VmFaultResult.NoPage;
                },
            };
            return 0;
        };
        var u = k.Spawn();
        var addr = u.Map(P, fd: u.OpenOk("/dev/test"));
        Assert.True(u.Touch(addr).IsOk);
        Assert.Equal([VmFaultResult.Sigbus, VmFaultResult.NoPage, VmFaultResult.NoPage], results);
        var pte = u.Mm.GetPte(addr.Value);
        Assert.Equal(bar.StartPfn.Value, Pte.PfnOf(pte));
        Assert.Equal(CacheMode.WriteCombining, Pte.CacheOf(pte));
    }
}
