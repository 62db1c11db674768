using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace DriverKit.Runtime;

/// <summary>One ioremap mapping (a VM_IOREMAP vm_struct): the page-aligned physical range behind a kernel virtual range.</summary>
internal sealed class IoremapArea
{
    internal IoremapArea(ulong start, ulong phys, ulong size, int owner, int site)
    {
        Start = start;
        Phys = phys;
        Size = size;
        Owner = owner;
        Site = site;
    }

    /// <summary>The page-aligned kernel virtual start.</summary>
    internal ulong Start { get; }

    /// <summary>The page-aligned physical start.</summary>
    internal ulong Phys { get; }

    /// <summary>Whole pages, in bytes.</summary>
    internal ulong Size { get; }

    internal int Owner { get; }

    internal int Site { get; }
}

public sealed partial class Kernel
{
    /// <summary>Where the simulator puts ioremap mappings: inside the x86-64 vmalloc range, apart from vmalloc's own areas.</summary>
    private const ulong IoremapBase = 0xffffd90000000000UL;

    /// <summary>The physical address width of the simulated CPU (boot_cpu_data.x86_phys_bits).</summary>
    private const int PhysBits = 46;

    private readonly SortedDictionary<ulong, IoremapArea> ioremaps = new();
    private ulong nextIoremap = IoremapBase;

    /// <summary>
    /// arch/x86/mm/ioremap.c: ioremap (__ioremap_caller) — maps <paramref name="size"/> bytes of device memory at
    /// <paramref name="offset"/> (a BAR's <see cref="PciResourceStart"/>, say) into kernel virtual space, uncached;
    /// the result keeps the offset's position in its page. NULL for a zero size, a range that wraps or lies beyond the
    /// CPU's physical address width ("ioremap: invalid physical address"), and for RAM the page allocator owns (every
    /// frame that has a struct page and is not PG_reserved): drivers must not alias allocator memory with an uncached
    /// mapping (current kernels WARN_ONCE "ioremap on RAM at …"; the strict checker reports it in every era).
    /// Release it with <see cref="Iounmap"/>.
    /// </summary>
    /// <param name="offset">The physical start (need not be page aligned).</param>
    /// <param name="size">Bytes.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public IoMem Ioremap(PhysAddr offset, ulong size, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(Ioremap));
        var phys = offset.Value;
        var last = phys + size - 1;
        if (size == 0 || last < phys)
        {
            return default; // __ioremap_caller: if (!size || last_addr < phys_addr) return NULL;
        }

        var site = Sites.Intern(caller, file, line);
        if (last >> PhysBits != 0)
        {
            // __ioremap_caller: !phys_addr_valid(phys_addr) → printk + WARN_ON_ONCE(1), NULL.
            Printk($"ioremap: invalid physical address {phys:x}");
            return default;
        }

        // __ioremap_check_ram: any frame of System RAM that is not PG_reserved refuses the whole range.
        for (var pfn = phys >> PageShift; pfn <= last >> PageShift && pfn < (ulong)Mem.Count; pfn++)
        {
            if (!Mem.Has((int)pfn, PageFlags.Reserved))
            {
                if (Strict)
                {
                    Record(new Report(ReportKind.Simulator, "INV-16",
                        $"DKSIM INV-16: ioremap of RAM {phys:x}-{last:x} refused with NULL: pfn {pfn:x5} belongs to the page allocator (current kernels: \"ioremap on RAM at 0x{phys:x16} - 0x{last:x16}\" WARNING)", Era)
                    {
                        Pfn = new Pfn(pfn),
                        CallSite = Sites.Site(site),
                        RuleId = "DK0016",
                    });
                }

                return default;
            }
        }

        // "Mappings have to be page-aligned": offset = phys_addr & ~PAGE_MASK; size = PAGE_ALIGN(last_addr+1) - phys_addr.
        var start = phys & ~(PageSize - 1);
        var pages = ((last >> PageShift) - (start >> PageShift)) + 1;
        var area = new IoremapArea(nextIoremap, start, pages << PageShift, OwnerFor(file), site);
        nextIoremap += (pages + 1) << PageShift; // get_vm_area leaves a guard page
        ioremaps.Add(area.Start, area);
        return new IoMem(area.Start + (phys - start));
    }

    /// <summary>
    /// arch/x86/mm/ioremap.c: iounmap — releases a mapping of <see cref="Ioremap"/> (any address inside its first page).
    /// NULL and linear-map addresses are ignored (<c>addr &lt;= high_memory</c>); an address no live mapping starts at
    /// (a second iounmap, a vmalloc address) prints "iounmap: bad address" and changes nothing.
    /// </summary>
    /// <param name="addr">What ioremap returned.</param>
    /// <param name="caller">Filled in by the compiler.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <param name="line">Filled in by the compiler.</param>
    public void Iounmap(IoMem addr, [CallerMemberName] string caller = "", [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        CheckApi(nameof(Iounmap));
        if (addr.Value <= PageOffset + ((ulong)Mem.Count << PageShift))
        {
            return; // iounmap: if ((void __force *)addr <= high_memory) return;
        }

        // iounmap: addr = PAGE_MASK & addr; p = find_vm_area(addr); if (!p) { "iounmap: bad address %p"; dump_stack(); return; }
        if (!ioremaps.Remove(addr.Value & ~(PageSize - 1)))
        {
            Record(new Report(ReportKind.Kernel, "INV-05", $"iounmap: bad address {addr}", Era)
            {
                CallSite = Sites.Site(Sites.Intern(caller, file, line)),
                RuleId = "DK0018",
            });
        }
    }

    /// <summary>arch/x86/include/asm/io.h: readb — one byte from device memory.</summary>
    /// <param name="addr">An address inside an <see cref="Ioremap"/> mapping.</param>
    /// <exception cref="KernelBugException">Not inside a live mapping (an oops: the kernel faults on it).</exception>
    public byte Readb(IoMem addr)
    {
        CheckApi(nameof(Readb));
        Span<byte> b = stackalloc byte[1];
        IoAccess(addr, b, default, write: false, "readb");
        return b[0];
    }

    /// <summary>arch/x86/include/asm/io.h: readl — a little-endian 32-bit read from device memory.</summary>
    /// <param name="addr">An address inside an <see cref="Ioremap"/> mapping.</param>
    /// <exception cref="KernelBugException">Not inside a live mapping (an oops: the kernel faults on it).</exception>
    public uint Readl(IoMem addr)
    {
        CheckApi(nameof(Readl));
        Span<byte> b = stackalloc byte[4];
        IoAccess(addr, b, default, write: false, "readl");
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    /// <summary>arch/x86/include/asm/io.h: writeb — one byte to device memory.</summary>
    /// <param name="value">The byte.</param>
    /// <param name="addr">An address inside an <see cref="Ioremap"/> mapping.</param>
    /// <exception cref="KernelBugException">Not inside a live mapping (an oops: the kernel faults on it).</exception>
    public void Writeb(byte value, IoMem addr)
    {
        CheckApi(nameof(Writeb));
        IoAccess(addr, default, [value], write: true, "writeb");
    }

    /// <summary>arch/x86/include/asm/io.h: writel — a little-endian 32-bit write to device memory.</summary>
    /// <param name="value">The value.</param>
    /// <param name="addr">An address inside an <see cref="Ioremap"/> mapping.</param>
    /// <exception cref="KernelBugException">Not inside a live mapping (an oops: the kernel faults on it).</exception>
    public void Writel(uint value, IoMem addr)
    {
        CheckApi(nameof(Writel));
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        IoAccess(addr, default, b, write: true, "writel");
    }

    private void IoAccess(IoMem addr, Span<byte> dest, ReadOnlySpan<byte> src, bool write, string api)
    {
        var length = (ulong)(write ? src.Length : dest.Length);
        IoremapArea? area = null;
        foreach (var a in ioremaps.Values)
        {
            if (addr.Value >= a.Start && addr.Value < a.Start + a.Size)
            {
                area = a;
                break;
            }
        }

        if (area is null || addr.Value + length > area.Start + area.Size)
        {
            // The address is not mapped (never, or no longer: iounmap'd): the CPU faults in kernel mode.
            throw TaskDies(
                $"BUG: unable to handle page fault for address: {addr.Value:x16}\n#PF: supervisor {(write ? "write" : "read")} access in kernel mode ({api})\nOops: 0002 [#{++oopsCount}] PREEMPT SMP NOPTI",
                $"{api} outside any ioremap mapping");
        }

        var phys = area.Phys + (addr.Value - area.Start);
        var pfn = phys >> PageShift;
        var offset = (int)(phys & (PageSize - 1));
        var first = (int)Math.Min(length, PageSize - (ulong)offset);
        if (write)
        {
            WritePhys(pfn, offset, src[..first]);
            if (first < src.Length)
            {
                WritePhys(pfn + 1, 0, src[first..]);
            }
        }
        else
        {
            ReadPhys(pfn, offset, dest[..first]);
            if (first < dest.Length)
            {
                ReadPhys(pfn + 1, 0, dest[first..]);
            }
        }
    }
}
