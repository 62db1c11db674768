using System.Globalization;
using System.Text;

namespace DriverKit.Benchmarks.Corpus;

/// <summary>
/// Writes an N-file mock-driver corpus: each file a complete char driver (open/release/ioctl/mmap, and vm_ops with a
/// fault handler where the driver maps lazily) in one of eight shapes that real drivers take — remap_pfn_range of a
/// buffer, a vm_insert_page loop, a -&gt;fault handler with get_page, an MMIO register window, vmf_insert_pfn,
/// vm_map_pages, and two legacy idioms (PG_reserved for remap, VM_RESERVED with a fault handler) that carry a
/// <c>#pragma warning disable</c> like the samples do. The same sources compile against DriverKit.Runtime or, for the
/// twin project, against a look-alike API in another namespace, so the twin is the same size without the runtime.
/// </summary>
public static class CorpusGenerator
{
    /// <summary>Namespace of the look-alike API of the twin project.</summary>
    public const string PlainNamespace = "Plain.Mm";

    /// <summary>The number of shapes; driver i has shape i mod this.</summary>
    public const int Shapes = 8;

    /// <summary>
    /// The global usings that <c>&lt;ImplicitUsings&gt;enable&lt;/ImplicitUsings&gt;</c> gives the corpus projects, for
    /// compilations made without MSBuild.
    /// </summary>
    public const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>Writes <paramref name="files"/> driver files into <paramref name="dir"/>, against <paramref name="apiNamespace"/>.</summary>
    /// <param name="dir">Target directory (created).</param>
    /// <param name="files">How many driver files.</param>
    /// <param name="apiNamespace">"DriverKit.Runtime", or <see cref="PlainNamespace"/> for the twin.</param>
    public static void WriteDrivers(string dir, int files, string apiNamespace)
    {
        Directory.CreateDirectory(dir);
        for (var i = 0; i < files; i++)
        {
            File.WriteAllText(Path.Combine(dir, string.Create(CultureInfo.InvariantCulture, $"Driver{i:D5}.cs")), Driver(i, apiNamespace));
        }
    }

    /// <summary>The source of driver <paramref name="i"/>.</summary>
    /// <param name="i">Its number; the shape is i mod 8.</param>
    /// <param name="ns">The API namespace.</param>
    public static string Driver(int i, string ns)
    {
        var shape = i % Shapes;
        var order = 1 + (i / Shapes) % 4;
        var name = string.Create(CultureInfo.InvariantCulture, $"Driver{i:D5}");
        var split = shape is 1 or 2 or 4 or 5 or 7;
        var sb = new StringBuilder(8 * 1024);
        sb.Append(CultureInfo.InvariantCulture, $$"""
// Mock driver {{i}} of the DriverKit analyzer-cost corpus (shape {{shape}}: {{ShapeName(shape)}}).
using {{ns}};

namespace Corpus.Drivers.D{{i:D5}};

/// <summary>A char device with a {{1 << order}}-page buffer that user space maps ({{ShapeName(shape)}}).</summary>
public sealed class {{name}}
{
    private const int BufferOrder = {{order}};
    private const int BufferPages = 1 << BufferOrder;
    private const uint IoctlReset = 0x{{(i & 0xffff):x4}}01;
    private const uint IoctlSize = 0x{{(i & 0xffff):x4}}02;
    private const uint IoctlStats = 0x{{(i & 0xffff):x4}}03;

    private readonly Kernel kernel;
    private readonly VmOperations vmOps;
    private readonly Statistics stats = new();
    private Page buffer;
    private Page[] pages = [];
    private int users;
    private int mappings;

    public {{name}}(Kernel kernel, string path)
    {
        this.kernel = kernel;
        vmOps = new VmOperations { Open = VmaOpen, Close = VmaClose, Fault = {{(shape == 4 ? "VmaFaultPfn" : "VmaFault")}} };

""");
        if (shape == 3)
        {
            sb.Append("""
        region = kernel.RegisterMmioRegion("regs", BufferPages * Kernel.PageSize, new Registers(stats));

""");
        }

        sb.Append(CultureInfo.InvariantCulture, $$"""
        Device = kernel.RegisterChrdev(path, new FileOperations
        {
            Owner = "driver{{i}}",
            Open = DevOpen,
            Release = DevRelease,
            Mmap = DevMmap,
            Ioctl = DevIoctl,
        });
    }

    public CharDevice Device { get; }

    public int Mappings => mappings;

""");
        if (shape == 3)
        {
            sb.Append("""
    private readonly MmioRegion region;

""");
        }

        // open: allocate the buffer (split into order-0 pages where they are mapped one by one).
        sb.Append("""

    private int DevOpen(Inode inode, OpenFile file)
    {
        if (users++ > 0)
        {
            return 0;
        }

        buffer = kernel.AllocPages(Gfp.Kernel | Gfp.Zero, BufferOrder);
        if (buffer.IsNull)
        {
            users--;
            return -Errno.ENOMEM;
        }

""");
        if (split)
        {
            sb.Append("""
        kernel.SplitPage(buffer, BufferOrder);

""");
        }

        sb.Append("""
        pages = new Page[BufferPages];
        for (var i = 0; i < BufferPages; i++)
        {
            pages[i] = buffer + i;

""");
        if (shape == 6)
        {
            sb.Append("""
#pragma warning disable DK0002 // the pre-2.6.15 idiom this corpus keeps on purpose: reserve pages so remap_pfn_range maps them
            kernel.SetPageReserved(pages[i]);
#pragma warning restore DK0002

""");
        }

        sb.Append("""
        }

        file.PrivateData = this;
        stats.Opens++;
        return 0;
    }

    private int DevRelease(Inode inode, OpenFile file)
    {
        if (--users > 0)
        {
            return 0;
        }

""");
        if (split)
        {
            sb.Append("""
        foreach (var page in pages)
        {
            kernel.FreePage(page);
        }

""");
        }
        else
        {
            if (shape == 6)
            {
                sb.Append("""
        foreach (var page in pages)
        {
#pragma warning disable DK0002 // the matching clear of the pre-2.6.15 idiom
            kernel.ClearPageReserved(page);
#pragma warning restore DK0002
        }

""");
            }

            sb.Append("""
        kernel.FreePages(buffer, BufferOrder);

""");
        }

        sb.Append("""
        pages = [];
        buffer = default;
        stats.Releases++;
        return 0;
    }

    private long DevIoctl(OpenFile file, uint cmd, ulong arg)
    {
        switch (cmd)
        {
            case IoctlReset:
                stats.Reset();
                return 0;
            case IoctlSize:
                return BufferPages * (long)Kernel.PageSize;
            case IoctlStats:
                return stats.Encode();
            default:
                return -Errno.ENOTTY;
        }
    }

    private static VmFlags MapFlags(bool io) => io ? VmFlags.IO | VmFlags.DontExpand | VmFlags.DontDump : VmFlags.DontExpand | VmFlags.DontDump;

    private int CheckRange(VmArea vma)
    {
        var size = vma.End - vma.Start;
        if (vma.Pgoff > BufferPages || size >> Kernel.PageShift > (ulong)BufferPages - vma.Pgoff)
        {
            stats.Rejected++;
            return -Errno.EINVAL;
        }

        return 0;
    }

    private int DevMmap(OpenFile file, VmArea vma)
    {
        var err = CheckRange(vma);
        if (err != 0)
        {
            return err;
        }

        stats.Mmaps++;

""");
        sb.Append(shape switch
        {
            0 => """
        kernel.VmFlagsSet(vma, MapFlags(io: false));
        return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(buffer) + vma.Pgoff, vma.End - vma.Start, vma.PageProt);
    }

""",
            1 => """
        kernel.VmFlagsSet(vma, MapFlags(io: false));
        for (ulong i = 0; i < vma.Pages; i++)
        {
            var ret = kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, pages[vma.Pgoff + i]);
            if (ret != 0)
            {
                return ret;
            }
        }

        return 0;
    }

""",
            2 => """
        kernel.VmFlagsSet(vma, MapFlags(io: false));
        vma.Ops = vmOps;
        vma.PrivateData = this;
        VmaOpen(vma);
        return 0;
    }

""",
            3 => """
        var prot = Kernel.PgprotNoncached(vma.PageProt);
        kernel.VmFlagsSet(vma, MapFlags(io: true));
        return kernel.IoRemapPfnRange(vma, vma.Start, region.StartPfn + vma.Pgoff, vma.End - vma.Start, prot);
    }

""",
            4 => """
        if ((vma.Flags & VmFlags.Shared) == 0)
        {
            return -Errno.EINVAL;
        }

        kernel.VmFlagsSet(vma, VmFlags.PfnMap | MapFlags(io: true));
        vma.Ops = vmOps;
        VmaOpen(vma);
        return 0;
    }

""",
            5 => """
        kernel.VmFlagsSet(vma, MapFlags(io: false));
        return kernel.VmMapPages(vma, pages);
    }

""",
            6 => """
        var flags = MapFlags(io: true);
        kernel.VmFlagsSet(vma, flags);
        return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(buffer) + vma.Pgoff, vma.End - vma.Start, vma.PageProt);
    }

""",
            _ => """
#pragma warning disable DK0004, DK0005, DK0015 // LDD3's scullp: VM_RESERVED on a growable vma whose fault handler returns RAM pages, kept on purpose
        vma.Ops = vmOps;
        vma.Flags |= VmFlags.Reserved;
#pragma warning restore DK0004, DK0005, DK0015
        VmaOpen(vma);
        return 0;
    }

""",
        });
        sb.Append(CultureInfo.InvariantCulture, $$"""

    private void VmaOpen(VmArea vma) => mappings++;

    private void VmaClose(VmArea vma) => mappings--;

    private VmFaultResult VmaFault(VmFault vmf)
    {
        if (vmf.Pgoff >= (ulong)pages.Length)
        {
            stats.Sigbus++;
            return VmFaultResult.Sigbus;
        }

        var page = pages[vmf.Pgoff];
        kernel.GetPage(page);
        vmf.Page = page;
        stats.Faults++;
        return VmFaultResult.None;
    }

    private VmFaultResult VmaFaultPfn(VmFault vmf)
    {
        if (vmf.Pgoff >= (ulong)pages.Length)
        {
            stats.Sigbus++;
            return VmFaultResult.Sigbus;
        }

        stats.Faults++;
        return kernel.VmfInsertPfn(vmf.Vma, vmf.Address, kernel.PageToPfn(pages[vmf.Pgoff]));
    }

    /// <summary>Counters user space reads with ioctl.</summary>
    private sealed class Statistics
    {
        public long Opens;
        public long Releases;
        public long Mmaps;
        public long Faults;
        public long Sigbus;
        public long Rejected;
        public long Reads;
        public long Writes;

        public void Reset()
        {
            Opens = Releases = Mmaps = Faults = Sigbus = Rejected = Reads = Writes = 0;
        }

        public long Encode()
        {
            var value = 0L;
            value |= Math.Min(Opens, 0xff);
            value |= Math.Min(Mmaps, 0xff) << 8;
            value |= Math.Min(Faults, 0xffff) << 16;
            value |= Math.Min(Sigbus, 0xff) << 32;
            value |= Math.Min(Rejected, 0xff) << 40;
            value |= Math.Min(Reads + Writes, 0xffff) << 48;
            return value;
        }
    }

    /// <summary>The device's register block: a status word, a control word and a scratch area ({{i}}).</summary>
    private sealed class Registers : MmioDevice
    {
        private readonly Statistics stats;
        private readonly byte[] scratch = new byte[64];
        private byte control;

        public Registers(Statistics stats) => this.stats = stats;

        public override byte Read(ulong offset)
        {
            stats.Reads++;
            return offset switch
            {
                0 => (byte)0x{{(i % 251) + 1:x2}},
                1 => control,
                _ when offset - 8 < (ulong)scratch.Length => scratch[offset - 8],
                _ => (byte)0xff,
            };
        }

        public override void Write(ulong offset, byte value)
        {
            stats.Writes++;
            if (offset == 1)
            {
                control = value;
            }
            else if (offset - 8 < (ulong)scratch.Length)
            {
                scratch[offset - 8] = value;
            }
        }
    }
}

""");
        return sb.ToString();
    }

    /// <summary>What shape <paramref name="shape"/> is.</summary>
    /// <param name="shape">0 … 7.</param>
    public static string ShapeName(int shape) => shape switch
    {
        0 => "remap_pfn_range of an allocator buffer",
        1 => "vm_insert_page loop over split pages",
        2 => "->fault handler with get_page",
        3 => "io_remap_pfn_range of an MMIO window, uncached",
        4 => "vmf_insert_pfn from ->fault",
        5 => "vm_map_pages",
        6 => "legacy: PG_reserved pages for remap_pfn_range",
        _ => "legacy: VM_RESERVED with a ->fault handler",
    };

    /// <summary>
    /// The look-alike API the twin project compiles against: the same type and member names as DriverKit.Runtime in
    /// namespace <see cref="PlainNamespace"/>, with empty bodies — so the twin has the same syntax and binding work
    /// and DriverKit's analyzers find none of their symbols.
    /// </summary>
    public static string PlainApi() => $$"""
// Look-alike API for the DriverKit analyzer-cost twin project (no DriverKit.Runtime reference).
namespace {{PlainNamespace}};

public static class Errno
{
    public const int ENOMEM = 12;
    public const int EINVAL = 22;
    public const int ENOTTY = 25;
}

[Flags]
public enum Gfp { Kernel = 0xcc0, Zero = 0x100 }

[Flags]
public enum VmFlags : ulong { Shared = 0x8, IO = 0x4000, DontExpand = 0x40000, DontDump = 0x4000000, PfnMap = 0x400, Reserved = 0x80000 }

[Flags]
public enum VmFaultResult { None = 0, Oom = 1, Sigbus = 2, NoPage = 0x100 }

public readonly record struct Pfn(ulong Value)
{
    public static Pfn operator +(Pfn pfn, ulong count) => new(pfn.Value + count);
}

public readonly record struct UserAddr(ulong Value)
{
    public static UserAddr operator +(UserAddr a, ulong bytes) => new(a.Value + bytes);
    public static ulong operator -(UserAddr a, UserAddr b) => a.Value - b.Value;
}

public readonly record struct PgProt(bool Present, bool Writable);

public readonly struct Page
{
    private readonly int pfn;
    private Page(int pfn) => this.pfn = pfn;
    public bool IsNull => pfn == 0;
    public static Page operator +(Page page, int i) => new(page.pfn + i);
}

public sealed class Inode { public object? PrivateData { get; set; } }

public sealed class OpenFile { public object? PrivateData { get; set; } }

public sealed class CharDevice { public string Path { get; init; } = ""; }

public sealed class VmArea
{
    public UserAddr Start { get; init; }
    public UserAddr End { get; init; }
    public ulong Pages => (End - Start) >> Kernel.PageShift;
    public ulong Pgoff { get; set; }
    public PgProt PageProt { get; set; }
    public VmFlags Flags { get; set; }
    public VmOperations? Ops { get; set; }
    public object? PrivateData { get; set; }
}

public sealed class VmFault
{
    public VmArea Vma { get; init; } = null!;
    public UserAddr Address { get; init; }
    public ulong Pgoff { get; init; }
    public Page Page { get; set; }
}

public sealed class VmOperations
{
    public Action<VmArea>? Open { get; init; }
    public Action<VmArea>? Close { get; init; }
    public Func<VmFault, VmFaultResult>? Fault { get; init; }
}

public sealed class FileOperations
{
    public string Owner { get; init; } = "driver";
    public Func<Inode, OpenFile, int>? Open { get; init; }
    public Func<Inode, OpenFile, int>? Release { get; init; }
    public Func<OpenFile, VmArea, int>? Mmap { get; init; }
    public Func<OpenFile, uint, ulong, long>? Ioctl { get; init; }
}

public abstract class MmioDevice
{
    public abstract byte Read(ulong offset);
    public abstract void Write(ulong offset, byte value);
}

public sealed class MmioRegion { public Pfn StartPfn { get; init; } }

public sealed class Kernel
{
    public const ulong PageSize = 4096;
    public const int PageShift = 12;
    public CharDevice RegisterChrdev(string path, FileOperations fops) => new() { Path = path };
    public MmioRegion RegisterMmioRegion(string name, ulong size, MmioDevice device) => new();
    public Page AllocPages(Gfp gfp, int order) => default;
    public void FreePages(Page page, int order) { }
    public void FreePage(Page page) { }
    public void SplitPage(Page page, int order) { }
    public void GetPage(Page page) { }
    public void SetPageReserved(Page page) { }
    public void ClearPageReserved(Page page) { }
    public Pfn PageToPfn(Page page) => default;
    public void VmFlagsSet(VmArea vma, VmFlags flags) => vma.Flags |= flags;
    public int RemapPfnRange(VmArea vma, UserAddr addr, Pfn pfn, ulong size, PgProt prot) => 0;
    public int IoRemapPfnRange(VmArea vma, UserAddr addr, Pfn pfn, ulong size, PgProt prot) => 0;
    public int VmInsertPage(VmArea vma, UserAddr addr, Page page) => 0;
    public int VmMapPages(VmArea vma, IReadOnlyList<Page> pages) => 0;
    public VmFaultResult VmfInsertPfn(VmArea vma, UserAddr addr, Pfn pfn) => VmFaultResult.NoPage;
    public static PgProt PgprotNoncached(PgProt prot) => prot;
}

""";
}
