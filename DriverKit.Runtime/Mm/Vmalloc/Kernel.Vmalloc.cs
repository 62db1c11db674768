using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>mm/vmalloc.c: vmalloc — virtually contiguous memory over scattered frames; NULL on failure.</summary>
    /// <param name="size">Bytes.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public VmallocAddr Vmalloc(ulong size, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => VmallocCore(size, Gfp.Kernel | Gfp.HighMem, userMap: false, caller, file, line);

    /// <summary>mm/vmalloc.c: vzalloc — zeroed vmalloc.</summary>
    /// <param name="size">Bytes.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 2.6.37.</exception>
    public VmallocAddr Vzalloc(ulong size, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(Vzalloc));
        return VmallocCore(size, Gfp.Kernel | Gfp.HighMem | Gfp.Zero, userMap: false, caller, file, line);
    }

    /// <summary>mm/vmalloc.c: vmalloc_user — zeroed, marked VM_USERMAP so remap_vmalloc_range may map it to user space.</summary>
    /// <param name="size">Bytes.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 2.6.18.</exception>
    public VmallocAddr VmallocUser(ulong size, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(VmallocUser));
        return VmallocCore(size, Gfp.Kernel | Gfp.HighMem | Gfp.Zero, userMap: true, caller, file, line);
    }

    private VmallocAddr VmallocCore(ulong size, Gfp gfp, bool userMap, string caller, string file, int line)
    {
        if (size == 0 || size > (ulong)Mem.Count << PageShift)
        {
            return default;
        }

        var region = VmallocSpace.Alloc(size, gfp, userMap, OwnerFor(file), Sites.Intern(caller, file, line));
        return region?.Start ?? default;
    }

    /// <summary>mm/vmalloc.c: vfree — frees a vmalloc area; NULL is ignored; any other address is refused.</summary>
    /// <param name="addr">The address vmalloc returned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">Not the start of a live vmalloc area.</exception>
    public void Vfree(VmallocAddr addr, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (addr.IsNull)
        {
            return;
        }

        var region = LiveArea(addr, "vfree", caller, file, line);
        var site = Sites.Intern(caller, file, line);
        if (!region.Mapped)
        {
            // mm/vmalloc.c: vfree → __free_page of each page: a refused free leaves the area as it was.
            foreach (var pfn in region.Pfns)
            {
                _ = CheckFreePages(pfn, 0, site);
            }
        }

        VmallocSpace.Remove(region);
        if (region.Mapped)
        {
            return; // a vmap area has no pages of its own (nr_pages is 0): vfree only unmaps it
        }

        foreach (var pfn in region.Pfns)
        {
            FreePagesOwned(pfn, 0, site);
        }
    }

    /// <summary>
    /// mm/vmalloc.c: the area <paramref name="addr"/> starts, for vfree and vunmap; any other address is the kernel's
    /// "Trying to vfree() nonexistent vm area" (INV-05) and a BUG.
    /// </summary>
    private VmallocRegion LiveArea(VmallocAddr addr, string function, string caller, string file, int line)
    {
        var region = VmallocSpace.Find(addr);
        if (region is null || region.Start != addr)
        {
            var report = new Report(ReportKind.Kernel, "INV-05", $"Trying to {function}() nonexistent vm area ({addr})", Era)
            {
                CallSite = Sites.Site(Sites.Intern(caller, file, line)),
                RuleId = "DK0018",
            };
            Record(report);
            throw new KernelBugException(report);
        }

        return region;
    }

    /// <summary>mm/vmalloc.c: vmalloc_to_page.</summary>
    /// <param name="addr">An address inside a vmalloc area.</param>
    /// <exception cref="ArgumentException">Not inside a live vmalloc area.</exception>
    public Page VmallocToPage(VmallocAddr addr)
    {
        var region = VmallocSpace.Find(addr) ?? throw new ArgumentException($"vmalloc_to_page({addr}): not inside a vmalloc area", nameof(addr));
        return new Page(Mem, region.Pfns[(addr - region.Start) / PageSize]);
    }

    /// <summary>mm/vmalloc.c: vmalloc_to_pfn.</summary>
    /// <param name="addr">An address inside a vmalloc area.</param>
    public Pfn VmallocToPfn(VmallocAddr addr) => PageToPfn(VmallocToPage(addr));

    /// <summary>memcpy out of a vmalloc area.</summary>
    /// <param name="src">Source address.</param>
    /// <param name="dest">Destination buffer.</param>
    public void ReadVmalloc(VmallocAddr src, Span<byte> dest) => CopyVmalloc(src, dest, default, write: false);

    /// <summary>memcpy into a vmalloc area.</summary>
    /// <param name="dest">Destination address.</param>
    /// <param name="src">Bytes.</param>
    public void WriteVmalloc(VmallocAddr dest, ReadOnlySpan<byte> src) => CopyVmalloc(dest, default, src, write: true);

    private void CopyVmalloc(VmallocAddr addr, Span<byte> dest, ReadOnlySpan<byte> src, bool write)
    {
        var length = write ? src.Length : dest.Length;
        var region = VmallocSpace.Find(addr);
        if (region is null || addr.Value + (ulong)length > region.Start.Value + region.Size)
        {
            throw new ArgumentException($"vmalloc access of {length} bytes at {addr} is outside a vmalloc area", nameof(addr));
        }

        var done = 0;
        while (done < length)
        {
            var a = addr.Value + (ulong)done - region.Start.Value;
            var offset = (int)(a & (PageSize - 1));
            var chunk = Math.Min(length - done, (int)PageSize - offset);
            var pfn = (ulong)region.Pfns[a / PageSize];
            if (write)
            {
                WritePhys(pfn, offset, src.Slice(done, chunk));
            }
            else
            {
                ReadPhys(pfn, offset, dest.Slice(done, chunk));
            }

            done += chunk;
        }
    }
}
