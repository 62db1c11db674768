using DriverKit.Runtime;
using DriverKit.Samples.Scullp;

namespace DriverKit.Scenarios;

/// <summary>The steps S1, S1F and S5 share: load scullp, open it, map and read its pages.</summary>
internal static class ScullpSteps
{
    /// <summary>Pages of the device (N in §4).</summary>
    public const int N = 4;

    /// <summary>N pages in bytes.</summary>
    public const ulong Size = N * Kernel.PageSize;

    /// <summary>What scullp_mmap does in each variant.</summary>
    public static string MmapText(ScullpVariant variant) => variant switch
    {
        ScullpVariant.ReservedNoPage => "scullp_mmap sets VM_RESERVED, vm_ops {open, close, nopage}",
        ScullpVariant.ReservedFault => "scullp_mmap sets VM_RESERVED, vm_ops {open, close, fault}",
        ScullpVariant.Modern => "scullp_mmap sets VM_DONTEXPAND | VM_DONTDUMP, vm_ops {open, close, fault}",
        _ => "scullp_mmap installs vm_ops {open, close, fault} (no bounds check, no VM_DONTEXPAND)",
    };

    /// <summary>Loads the driver, starts U and opens the device; returns the fd, or null when open failed.</summary>
    /// <param name="s">The run.</param>
    /// <param name="variant">The driver variant.</param>
    /// <param name="u">The user process.</param>
    public static int? Open(Script s, ScullpVariant variant, out Process u)
    {
        var driver = new ScullpDriver(s.Kernel, variant, N);
        u = s.Spawn("U", "scullp-user");
        return s.Open(u, "/dev/scullp", $"open /dev/scullp: scullp_open allocates {N} order-0 pages", () => driver.Pages);
    }

    /// <summary>U maps the N pages shared; returns the address, or null when mmap failed.</summary>
    public static UserAddr? Map(Script s, Process u, int fd, ScullpVariant variant, string key = "mmap")
    {
        var map = u.Mmap(default, Size, Prot.Read, MapFlags.Shared, fd);
        s.Step(key, "U", $"mmap {N} pages MAP_SHARED: {MmapText(variant)}", Outcome.Of(map, a => a.ToString()));
        return map.IsOk ? map.Value : null;
    }

    /// <summary><paramref name="p"/> reads one byte of each page (N faults) and the step records its file RSS.</summary>
    public static void ReadAll(Script s, Process p, UserAddr addr, string key, string actor, string action)
    {
        UserReads.FirstBytes(p, addr, N, out var failure);
        s.Observe("rss_file", p.Mm.RssFile);
        s.Step(key, actor, action, failure ?? Outcome.Done);
    }
}
