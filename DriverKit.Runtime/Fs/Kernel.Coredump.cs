namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    private const uint FilterAnonPrivate = 1 << 0;
    private const uint FilterAnonShared = 1 << 1;
    private const uint FilterMappedPrivate = 1 << 2;
    private const uint FilterMappedShared = 1 << 3;
    private const uint ElfMagic = 0x464C457F;

    /// <summary>
    /// fs/binfmt_elf.c: elf_core_dump (fs/coredump.c: dump_vma_snapshot + dump_user_range from 5.10) — one segment
    /// per vma, sized by the era's vma selection, filled page by page through the dumper's page lookup. The dump
    /// faults pages in like get_user_pages does, so it can call driver fault handlers.
    /// </summary>
    internal CoreDump DoCoredump(Process p)
    {
        var segments = new List<CoreSegment>();
        foreach (var vma in p.Mm.Vmas.All.ToList())
        {
            var size = VmaDumpSize(p, vma, out var why);
            var pages = new byte[]?[size / PageSize];
            for (var i = 0; i < pages.Length; i++)
            {
                pages[i] = GetDumpPage(vma, vma.Start.Value + ((ulong)i << PageShift));
            }

            segments.Add(new CoreSegment(vma.Start, vma.End, size, why, pages));
        }

        return new CoreDump(p.ToString(), segments);
    }

    /// <summary>
    /// fs/binfmt_elf.c: maydump (≤ 2.6.23) / vma_dump_size (2.6.24+, fs/coredump.c from 5.10): how much of a vma
    /// goes into the core. Device vmas drop out through VM_IO (and VM_RESERVED up to 3.6) or VM_DONTDUMP; a shared
    /// device mapping needs the MAPPED_SHARED filter bit, which is off by default.
    /// </summary>
    private ulong VmaDumpSize(Process p, VmArea vma, out string why)
    {
        var flags = vma.RawFlags;
        var whole = vma.End - vma.Start;
        var filter = p.CoredumpFilter;
        var selection = Policy.CoreDumpSelection;
        if ((flags & VmFlags.AlwaysDump) != 0 && Policy.FlagExists(VmFlags.AlwaysDump))
        {
            why = "VM_ALWAYSDUMP";
            return whole;
        }

        if ((flags & Policy.DumpSkipMask) != 0)
        {
            why = Policy.KernelName(Lowest(flags & Policy.DumpSkipMask));
            return 0;
        }

        if ((flags & VmFlags.Shared) != 0)
        {
            // Shared memory is dumped only if mapped from an unlinked (shmem) file: i_nlink == 0.
            var unlinked = vma.File is { } f && f.Inode.Device is null;
            var dumped = selection == CoreDumpSelection.MayDump ? unlinked : (filter & (unlinked ? FilterAnonShared : FilterMappedShared)) != 0;
            why = unlinked ? "anonymous shared" : "mapped shared";
            return dumped ? whole : 0;
        }

        switch (selection)
        {
            case CoreDumpSelection.MayDump:
                why = vma.HasAnonVma ? "written private" : "never written";
                return vma.HasAnonVma ? whole : 0;
            case CoreDumpSelection.MayDumpFiltered:
                why = vma.HasAnonVma ? "anonymous private" : "mapped private";
                return (filter & (vma.HasAnonVma ? FilterAnonPrivate : FilterMappedPrivate)) != 0 ? whole : 0;
        }

        if (vma.HasAnonVma && (filter & FilterAnonPrivate) != 0)
        {
            why = "anonymous private";
            return whole;
        }

        if (vma.File is null)
        {
            why = "never written";
            return 0;
        }

        if ((filter & FilterMappedPrivate) != 0)
        {
            why = "mapped private";
            return whole;
        }

        why = "ELF header probe";
        return (filter & Policy.ElfHeadersFilterBit) != 0 && vma.RawPgoff == 0 && ProbeElfHeader(p, vma) ? PageSize : 0;
    }

    private static VmFlags Lowest(VmFlags flags) => (VmFlags)((ulong)flags & (~(ulong)flags + 1));

    /// <summary>
    /// The ELF-header probe: is this private file mapping at offset 0 the start of an ELF object? From 2.6.24 to
    /// 5.9, and from 5.18 for non-executable files, it reads the first word at vm_start as a user access — a
    /// device mapping without VM_IO gets that read (INV-23: the dumper must never read device memory).
    /// </summary>
    private bool ProbeElfHeader(Process p, VmArea vma)
    {
        // Shmem files (memfd) are created 0777; device nodes are not executable.
        var executable = vma.File is { } f && f.Inode.Device is null;
        switch (Policy.ElfHeaderProbe)
        {
            case ElfHeaderProbe.None:
                return false;
            case ElfHeaderProbe.ExecBitOnly:
                return executable;
            case ElfHeaderProbe.ExecBitThenRead when executable:
                return true;
            case ElfHeaderProbe.ReadFirstWord when Policy.ElfHeaderProbeNeedsRead && (vma.RawFlags & VmFlags.Read) == 0:
                return false;
        }

        if (!p.Translate(vma.Start.Value, write: false, out var pfn).IsOk)
        {
            return false;
        }

        if (MmioAt(pfn) is { } region && Strict)
        {
            Record(new Report(ReportKind.Simulator, "INV-23",
                $"DKSIM INV-23: the core dump of {p} read device memory ({region.Name}, pfn {pfn:x5}) in {vma.Brief} looking for an ELF header; VM_IO keeps a vma out of core dumps", Era)
            {
                Pfn = new Pfn(pfn),
                Vma = vma.ToString(),
                Process = p.ToString(),
                RuleId = "DK0017",
            });
        }

        Span<byte> word = stackalloc byte[4];
        ReadPhys(pfn, 0, word);
        return BitConverter.ToUInt32(word) == ElfMagic;
    }

    /// <summary>
    /// mm/gup.c: get_dump_page (2.6.32+; get_user_pages with force before) — the page to write, or null for a
    /// hole: vmas GUP refuses (VM_IO, VM_PFNMAP …), special PTEs and the zero page; empty PTEs are faulted in
    /// where the era's dumper would (see <see cref="EraPolicy.DumpFaultsIn"/>).
    /// </summary>
    private byte[]? GetDumpPage(VmArea vma, ulong addr)
    {
        if ((vma.RawFlags & Policy.GupRejectMask) != 0)
        {
            return null;
        }

        var pte = vma.Mm.GetPte(addr);
        if (Pte.IsNone(pte))
        {
            var ops = vma.RawOps;
            var hasFault = ops?.Fault is not null || ops?.NoPage is not null || (vma.File is { } f && f.Inode.Device is null);
            if (!Policy.DumpFaultsIn(vma.IsAnonymous, hasFault))
            {
                return null;
            }

            var result = vma.IsAnonymous ? DoAnonymousPage(vma, addr, write: false) : DoFault(vma, addr, write: false);
            if (result is not (VmFaultResult.None or VmFaultResult.NoPage))
            {
                return null;
            }
        }
        else if (Pte.IsSwap(pte) && DoSwapPage(vma, addr, pte, write: false) != VmFaultResult.None)
        {
            return null;
        }

        pte = vma.Mm.GetPte(addr);
        if (!Pte.IsPresent(pte))
        {
            return null;
        }

        // ≤ 2.6.14 follow_page returns any pfn_valid page, reserved or not; later the era's vm_normal_page decides.
        var pfn = Policy.SpecialPteRule == SpecialPteRule.PageReserved
            ? (Pte.PfnOf(pte) < (ulong)Mem.Count ? (int)Pte.PfnOf(pte) : -1)
            : VmNormalPage(vma, addr, pte);
        if (pfn < 0 || pfn == ZeroPfn)
        {
            return null;
        }

        var data = new byte[PageSize];
        ReadPhys((ulong)pfn, 0, data);
        return data;
    }
}
