namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>The first mapping call that failed inside the running -&gt;mmap, if any (strict mode's DKMM010 check).</summary>
    private (string Api, int Errno, int Site)? failedMappingCall;

    /// <summary>
    /// Remembers a mapping call's failure while a -&gt;mmap runs and returns <paramref name="ret"/> unchanged. The kernel
    /// only returns the errno; a driver that drops it and returns 0 leaves holes in the mapping (SIGBUS or an empty page at
    /// access), which <see cref="CheckMmapResult"/> reports.
    /// </summary>
    private int NoteMappingResult(int ret, string api, int site)
    {
        if (ret < 0 && CurrentKind == ContextKind.Mmap && failedMappingCall is null)
        {
            failedMappingCall = (api, -ret, site);
        }

        return ret;
    }

    /// <summary>
    /// mm/mmap.c: mmap_region trusts -&gt;mmap's return value. In strict mode a -&gt;mmap that returned 0 after one of its
    /// mapping calls failed is reported (INV-09 for page insertion, INV-11 for pfn remaps; DKMM010).
    /// </summary>
    private void CheckMmapResult(VmArea vma, int ret)
    {
        var failed = failedMappingCall;
        failedMappingCall = null;
        if (!Strict || ret != 0 || failed is not { } call)
        {
            return;
        }

        var invariant = call.Api is "vm_insert_page" or "vm_insert_pages" or "vm_map_pages" or "remap_vmalloc_range" ? "INV-09" : "INV-11";
        Record(new Report(ReportKind.Simulator, invariant,
            $"DKSIM {invariant}: ->mmap returned 0 although {call.Api} failed with {Errno.Name(call.Errno)}: {vma.Brief} is left with unmapped pages", Era)
        {
            Vma = vma.ToString(),
            CallSite = Sites.Site(call.Site),
            RuleId = "DK0010",
        });
    }
}
