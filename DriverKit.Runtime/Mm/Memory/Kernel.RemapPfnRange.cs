using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: remap_pfn_range — maps <paramref name="size"/> bytes of physically contiguous frames starting
    /// at <paramref name="pfn"/> into <paramref name="vma"/> at <paramref name="addr"/> with special PTEs (no
    /// refcount, no rmap). Sets the era's flags (IO|RESERVED ≤ 2.6.14 … IO|PFNMAP|DONTEXPAND|DONTDUMP from 3.7).
    /// ≤ 2.6.14 silently skips RAM frames that are not PG_reserved (the reason drivers reserved their pages).
    /// From 2.6.15 a COW mapping must be remapped whole and gets vm_pgoff = pfn. Returns 0 or -errno.
    /// </summary>
    /// <param name="vma">The vma being set up (normally in the driver's mmap handler).</param>
    /// <param name="addr">Start address inside the vma, page aligned.</param>
    /// <param name="pfn">First frame to map.</param>
    /// <param name="size">Bytes to map (rounded up to pages).</param>
    /// <param name="prot">Protection of the PTEs (usually vma.PageProt).</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="KernelBugException">BUG_ON: a zero-length range, or a PTE already present.</exception>
    public int RemapPfnRange(VmArea vma, UserAddr addr, Pfn pfn, ulong size, PgProt prot, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => RemapPfnRangeNoted(vma, addr, pfn, size, prot, Sites.Intern(caller, file, line), "remap_pfn_range");

    /// <summary>
    /// include/linux/mm.h: io_remap_pfn_range — <see cref="RemapPfnRange"/> with pgprot_decrypted, the form
    /// for device memory (MMIO must never carry the memory-encryption bit).
    /// </summary>
    /// <param name="vma">The vma being set up.</param>
    /// <param name="addr">Start address inside the vma.</param>
    /// <param name="pfn">First device frame.</param>
    /// <param name="size">Bytes to map.</param>
    /// <param name="prot">Protection (pgprot_noncached for registers).</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public int IoRemapPfnRange(VmArea vma, UserAddr addr, Pfn pfn, ulong size, PgProt prot, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => RemapPfnRangeNoted(vma, addr, pfn, size, prot, Sites.Intern(caller, file, line), "io_remap_pfn_range");

    /// <summary>
    /// mm/memory.c: vm_iomap_memory — maps a physical range into the whole vma after checking vm_pgoff and the
    /// vma length against it (the safe form of DKMM014), then io_remap_pfn_range. Returns 0 or -EINVAL. Added in 3.9
    /// (commit b4cbb197c7e7, "vm: add vm_iomap_memory() helper function").
    /// </summary>
    /// <param name="vma">The vma being set up.</param>
    /// <param name="start">Physical start of the device range.</param>
    /// <param name="len">Length of the device range in bytes.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    /// <exception cref="EraMismatchException">Before 3.9.</exception>
    public int VmIomapMemory(VmArea vma, PhysAddr start, ulong len, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(VmIomapMemory));
        CheckVma(vma);
        var site = Sites.Intern(caller, file, line);
        return NoteMappingResult(IomapMemory(vma, start, len, site), "vm_iomap_memory", site);
    }

    private int IomapMemory(VmArea vma, PhysAddr start, ulong len, int site)
    {

        // __simple_ioremap_prep.
        if (start.Value + len < start.Value)
        {
            return -Errno.EINVAL;
        }

        var pages = (len + start.PageOffset + PageSize - 1) >> PageShift;
        if (vma.RawPgoff > pages)
        {
            return -Errno.EINVAL;
        }

        var first = start.ToPfn() + vma.RawPgoff;
        pages -= vma.RawPgoff;
        if (vma.Pages > pages)
        {
            return -Errno.EINVAL;
        }

        return RemapPfnRangeCore(vma, vma.Start, first, vma.Length, vma.PageProt, site, "vm_iomap_memory");
    }

    private int RemapPfnRangeNoted(VmArea vma, UserAddr addr, Pfn pfn, ulong size, PgProt prot, int site, string api) =>
        NoteMappingResult(RemapPfnRangeCore(vma, addr, pfn, size, prot, site, api), api, site);

    private int RemapPfnRangeCore(VmArea vma, UserAddr addr, Pfn pfn, ulong size, PgProt prot, int site, string api)
    {
        CheckVma(vma);
        if (!addr.IsPageAligned)
        {
            if (Policy.RemapWarnsUnalignedAddress)
            {
                Printk($"WARNING: CPU: 0 PID: {CurrentProcess?.Pid ?? 0} at mm/memory.c remap_pfn_range_internal: !PAGE_ALIGNED(addr)");
            }

            if (Strict)
            {
                // Older kernels refuse without a word; the simulator says why.
                RecordMappingFinding("INV-11", $"DKSIM INV-11: {api} at {addr}, which is not page aligned: -EINVAL", vma, pfn.Value, site, "DK0014");
            }

            return -Errno.EINVAL;
        }

        size = PageAlign(size);
        if (size == 0)
        {
            throw BugOn("mm/memory.c", "remap_pfn_range", "addr >= end", "INV-11", "DK0020", pfn, vma.ToString(), Sites.Site(site));
        }

        var end = addr.Value + size;
        if (addr < vma.Start || end > vma.End.Value || end < addr.Value)
        {
            Record(new Report(ReportKind.Simulator, "INV-11",
                $"DKSIM INV-11: {api} of {addr}-{end:x} outside {vma.Brief}: the kernel would write PTEs beyond the vma; refused with -EINVAL", Era)
            {
                Vma = vma.ToString(),
                CallSite = Sites.Site(site),
                RuleId = "DK0014",
            });
            return -Errno.EINVAL;
        }

        var count = size >> PageShift;
        if (pfn.Value + count < pfn.Value || pfn.Value + count > (1UL << 40))
        {
            return -Errno.EINVAL;
        }

        // mm/memory.c: get_remap_pgoff — the linear rule needs the whole vma and vm_pgoff = pfn.
        var cowPgoff = Policy.RemapCowNeedsWholeVma && vma.IsCowMapping;
        if (cowPgoff)
        {
            if (addr != vma.Start || end != vma.End.Value)
            {
                if (Strict)
                {
                    // The kernel only fails the mmap; the simulator names the driver's range so the refusal is not silent.
                    Record(new Report(ReportKind.Simulator, "INV-11",
                        $"DKSIM INV-11: {api} of {addr}-{end:x}, a part of the COW (private, may-write) {vma.Brief}: the linear rule needs the whole vma, so private mappings fail with -EINVAL; refuse them in ->mmap instead", Era)
                    {
                        Vma = vma.ToString(),
                        CallSite = Sites.Site(site),
                        RuleId = "DK0020",
                    });
                }

                return -Errno.EINVAL;
            }
        }

        // remap_pmd_range → remap_pte_range: pte_alloc_map_lock fails (-ENOMEM) at the first page-table page the free
        // memory cannot give. The kernel leaves the vma's new flags and the PTEs before that table (zapped again by
        // remap_pfn_range_notrack in recent kernels, and by mmap_region's unwinding when ->mmap returns the error);
        // the simulator counts the tables first and changes nothing.
        if (!PteAllocRange(vma.Mm, addr.Value, end))
        {
            return -Errno.ENOMEM;
        }

        if (cowPgoff)
        {
            vma.RawPgoff = pfn.Value;
        }

        // remap_pfn_range_internal: vm_flags_set after the COW vm_pgoff store (no check that the vma is current->mm's).
        KernelVmaWrite(vma, api, site, "DK0014");

        // All target PTEs must be none (remap_pte_range: BUG_ON(!pte_none(*pte))); checked before anything changes.
        for (var a = addr.Value; a < end; a += PageSize)
        {
            if (!Pte.IsNone(vma.Mm.GetPte(a)))
            {
                throw BugOn("mm/memory.c", "remap_pte_range", "!pte_none(*pte)", "INV-11", "DK0009", pfn, vma.ToString(), Sites.Site(site));
            }
        }

        var before = vma.RawFlags;
        vma.RawFlags |= Policy.RemapPfnRangeFlags;
        if (Config.X86Pat && Policy.PatTracksRemaps && addr == vma.Start && end == vma.End.Value)
        {
            // arch/x86/mm/pat: track_pfn_remap reserves the memory type of a whole-vma remap and marks the vma VM_PAT.
            vma.PatTracked = true;
        }

        if (Strict && (before & VmFlags.PfnMap) == 0 && (vma.RawFlags & VmFlags.PfnMap) != 0)
        {
            CheckFlipOfMappedVma(vma, $"{api} set VM_PFNMAP on a vma that already has PTEs");
        }

        var skipped = 0UL;
        for (var i = 0UL; i < count; i++)
        {
            var target = pfn.Value + i;
            if (Policy.RemapSkipsUnreservedRam && target < (ulong)Mem.Count && !Mem.Has((int)target, PageFlags.Reserved))
            {
                // 2.6.11 remap_pte_range: if (!pfn_valid(pfn) || PageReserved(pfn_to_page(pfn))) set_pte(...) — else nothing.
                skipped++;
                continue;
            }

            MapSpecialPte(vma, addr.Value + (i << PageShift), target, prot, write: prot.Writable, PteInstaller.RemapPfnRange);
        }

        if (Strict)
        {
            if (skipped > 0)
            {
                Record(new Report(ReportKind.Simulator, "INV-11",
                    $"DKSIM INV-11: {api} silently skipped {skipped} RAM frame(s) without PG_reserved at {addr} (≤ 2.6.14): the user sees the zero page or private anonymous pages there", Era)
                {
                    Pfn = pfn,
                    Vma = vma.ToString(),
                    CallSite = Sites.Site(site),
                    RuleId = "DK0002",
                });
            }

            CheckRemapSource(vma, pfn.Value, count, api, site);
            CheckRegion(vma, pfn.Value, count, api, site);

            CheckCacheMode(vma, pfn.Value, prot, api, site);
        }

        return 0;
    }

    /// <summary>
    /// INV-16: registers need an uncached or write-combining PTE (pgprot_noncached/writecombine), RAM a write-back
    /// one; and device memory goes through io_remap_pfn_range (pgprot_decrypted), not remap_pfn_range (DKMM019).
    /// </summary>
    internal void CheckCacheMode(VmArea vma, ulong pfn, PgProt prot, string api, int site)
    {
        var mmio = pfn >= (ulong)Mem.Count;
        if (mmio && prot.Cache == CacheMode.WriteBack)
        {
            ReportCacheMode(vma, pfn, api, site, "maps device registers write-back cacheable (use pgprot_noncached or pgprot_writecombine)", "DK0016");
        }
        else if (!mmio && prot.Cache != CacheMode.WriteBack)
        {
            ReportCacheMode(vma, pfn, api, site, $"maps RAM {prot.Cache} while the linear map is write-back (memory-type alias)", "DK0016");
        }

        if (mmio && api == "remap_pfn_range")
        {
            ReportCacheMode(vma, pfn, api, site, "maps device memory with remap_pfn_range instead of io_remap_pfn_range (no pgprot_decrypted)", "DK0019");
        }
    }

    private void ReportCacheMode(VmArea vma, ulong pfn, string api, int site, string problem, string rule) =>
        RecordMappingFinding("INV-16", $"DKSIM INV-16: {api} {problem}: pfn {pfn:x5} in {vma.Brief}", vma, pfn, site, rule);

    /// <summary>A strict-mode finding about a pfn a mapping call (remap, insert) maps or refuses to map into <paramref name="vma"/>.</summary>
    private void RecordMappingFinding(string invariant, string text, VmArea vma, ulong pfn, int site, string rule) =>
        Record(new Report(ReportKind.Simulator, invariant, text, Era)
        {
            Pfn = new Pfn(pfn),
            Vma = vma.ToString(),
            CallSite = Sites.Site(site),
            RuleId = rule,
        });

    /// <summary>
    /// INV-15, for what the kernel cannot see: a range that starts inside a vmalloc area maps the frames physically after
    /// its first page, not the area's next pages (DKMM007); a slab page shares its frame with other objects (DKMM008).
    /// </summary>
    internal void CheckRemapSource(VmArea vma, ulong pfn, ulong count, string api, int site)
    {
        string? problem = null;
        string? rule = null;
        var at = pfn;
        if (count > 1 && pfn < (ulong)Mem.Count)
        {
            foreach (var area in VmallocSpace.Regions)
            {
                var index = Array.IndexOf(area.Pfns, (int)pfn);
                if (index < 0)
                {
                    continue;
                }

                for (var i = 1UL; i < count && problem is null; i++)
                {
                    var next = (ulong)index + i;
                    if (next >= (ulong)area.Pfns.Length || (ulong)area.Pfns[next] != pfn + i)
                    {
                        at = pfn + i;
                        (problem, rule) = ($"maps pfns {pfn:x5}-{pfn + count - 1:x5} as one contiguous range starting in the vmalloc area at {area.Start}, whose pages are physically scattered: pfn {at:x5} is not the area's page {next}", "DK0007");
                    }
                }

                break;
            }
        }

        for (var i = 0UL; i < count && problem is null; i++)
        {
            at = pfn + i;
            if (at < (ulong)Mem.Count && Mem.Type[(int)at] == PageType.Slab)
            {
                (problem, rule) = ($"exposes slab pfn {at:x5}, which it shares with other kmalloc objects", "DK0008");
            }
        }

        if (problem is not null)
        {
            RecordMappingFinding("INV-15", $"DKSIM INV-15: {api} {problem} ({vma.Brief})", vma, at, site, rule!);
        }
    }

    /// <summary>
    /// INV-15: every frame a driver maps must be one it owns (RAM it allocated, or its MMIO window). A frame mapped at
    /// <paramref name="at"/>, an offset beyond what -&gt;mmap accepted (the vma grew with mremap), is DKMM015's finding.
    /// </summary>
    internal void CheckRegion(VmArea vma, ulong pfn, ulong count, string api, int site, UserAddr? at = null)
    {
        var driver = vma.Driver;
        for (var i = 0UL; i < count; i++)
        {
            var p = pfn + i;
            var owner = p < (ulong)Mem.Count
                ? (IsFreeFrame((int)p) ? -1 : Mem.OwnerOrNext[Mem.Head[(int)p]])
                : MmioAt(p)?.Owner ?? -1;
            if (owner == driver || (driver == 0 && owner >= 0))
            {
                continue;
            }

            var what = p < (ulong)Mem.Count
                ? (owner < 0 ? "a free frame" : $"a frame owned by {Sites.OwnerName(owner)}")
                : (owner < 0 ? "no device" : $"the MMIO window of {Sites.OwnerName(owner)}");
            var asAddress = p >> PageShift;
            if (asAddress < (ulong)Mem.Count && !IsFreeFrame((int)asAddress) && Mem.OwnerOrNext[Mem.Head[(int)asAddress]] == driver)
            {
                // The "pfn" is the byte address of a frame the driver owns: a physical address passed without >> PAGE_SHIFT.
                RecordMappingFinding("INV-15",
                    $"DKSIM INV-15: {api} maps pfn {p:x5} ({what}) into {vma.Brief}; {p:x} is the physical address of the driver's pfn {asAddress:x5}: a byte address passed as a page frame number",
                    vma, p, site, "DK0008");
                return;
            }

            var grown = GrownPast(vma, at);
            RecordMappingFinding("INV-15",
                $"DKSIM INV-15: {api} maps pfn {p:x5} ({what}) into {vma.Brief}: outside the regions {Sites.OwnerName(driver)} may expose" +
                (grown ? $"; at page offset {vma.PgoffOf(at!.Value)}, past the {vma.ExposedPgoffEnd} ->mmap accepted: the mapping grew with mremap" : ""),
                vma, p, site, grown ? "DK0015" : "DK0014");
            return;
        }
    }

    /// <summary>Whether <paramref name="at"/> lies past the offsets the driver's -&gt;mmap accepted (the vma grew with mremap).</summary>
    internal static bool GrownPast(VmArea vma, UserAddr? at) => at is { } a && vma.PgoffOf(a) >= vma.ExposedPgoffEnd;

    internal void CheckVma(VmArea vma)
    {
        ArgumentNullException.ThrowIfNull(vma);
        if (!ReferenceEquals(vma.Kernel, this))
        {
            throw new ArgumentException("The vma belongs to another simulated machine.", nameof(vma));
        }

        if (vma.Closed)
        {
            throw new ArgumentException($"The vma {vma} has been unmapped.", nameof(vma));
        }
    }
}
