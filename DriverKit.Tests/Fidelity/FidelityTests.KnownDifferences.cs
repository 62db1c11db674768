namespace DriverKit.Tests.Fidelity;

public sealed partial class FidelityTests
{

    /// <summary>
    /// Where the simulator disagrees with the kernel. Each entry: golden file (<c>File</c>: "linux-" = the Debian 6.1
    /// VM, "host-" = the 6.18 host, "" = both), scenarios / steps / keys ("*" or a "|" list), the shape of the
    /// difference (a <see cref="Tolerance"/>: flag tokens the kernel shows and the simulator lacks or adds, an exact
    /// value pair, an integer offset, or any value), then the kernel's behaviour, the simulator's, the DriverKit.Runtime
    /// function that is wrong and the suggested fix. DriverKit.Runtime is fixed by its owner; when an entry stops
    /// matching, <see cref="EveryKnownDifferenceIsStillObserved"/> fails and the entry must go. Goal: an empty list.
    /// </summary>
    internal static readonly IReadOnlyList<KnownDifference> KnownDifferences =
    [
        // ---- issue 20 write-notify
        new("write_notify", "write0|write0_again|write3|mprotect_ro|mprotect_rw|write0_after|munmap", "pflags|kpageflags", Tolerance.Any(),
            Kwn, Swn, Fwn, Xwn),
        new("write_notify", "write0|write0_again|write3|mprotect_ro|mprotect_rw|write0_after", "pm_kpageflags", Tolerance.Any(),
            Kwn, Swn, Fwn, Xwn),
        // ---- missing feature: Advice has no Free/Remove/Cold/PageOut/PopulateRead/PopulateWrite/DontNeedLocked
        new("madv_free", "free", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_remove", "remove", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_remove", "remove", "range_rss_kb|rss_kb", Tolerance.Values("0", "16"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_remove", "remove", "pm_present", Tolerance.Values("[false,false,false,false]", "[true,true,true,true]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_remove", "touch", "data", Tolerance.Values("[0,0,0,0]", "[16,17,18,19]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_cold_pageout", "cold|pageout", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_populate", "populate_read|populate_write", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_populate", "populate_read|populate_write|populate_write_ro", "range_rss_kb|rss_kb|anon_kb", Tolerance.Values("16", "0"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_populate", "populate_read|populate_write|populate_write_ro", "pm_present", Tolerance.Values("[true,true,true,true]", "[false,false,false,false]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_dontneed_locked", "dontneed_locked", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_dontneed_locked", "dontneed_locked", "range_rss_kb|rss_kb|locked_kb|anon_kb", Tolerance.Values("0", "16"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_dontneed_locked", "dontneed_locked", "pm_present", Tolerance.Values("[false,false,false,false]", "[true,true,true,true]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_dontneed_locked", "touch", "data", Tolerance.Values("[0,0,0,0]", "[16,17,18,19]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice) { File = "host-" },
        new("madv_free_anon", "free", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_remove_shmem", "remove", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_remove_shmem", "remove", "range_rss_kb|rss_kb|private_kb", Tolerance.Values("0", "16"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_remove_shmem", "remove", "pm_present|pm_file|pm_excl", Tolerance.Values("[false,false,false,false]", "[true,true,true,true]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_remove_shmem", "remove|touch", "pm_pfn", Tolerance.Any(),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_remove_shmem", "remove", "pm_kpagecount", Tolerance.Values("[-1,-1,-1,-1]", "[1,1,1,1]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_remove_shmem", "remove", "pm_kpageflags", Tolerance.Values("[\"\",\"\",\"\",\"\"]", "[\"uptodate|dirty|mmap|swapbacked\",\"uptodate|dirty|mmap|swapbacked\",\"uptodate|dirty|mmap|swapbacked\",\"uptodate|dirty|mmap|swapbacked\"]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_remove_shmem", "touch", "pm_kpageflags", Tolerance.Tokens(extra: ["dirty"]),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_remove_drv", "remove", "errno", Tolerance.Values("\"ENODEV\"", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_cold_pageout_anon", "cold|pageout", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_cold_pageout_anon", "pageout|touch", "pm_kpageflags", Tolerance.Values("[\"uptodate|active|mmap|anon|swapbacked|mappedtodisk\",\"uptodate|active|mmap|anon|swapbacked|mappedtodisk\",\"uptodate|active|mmap|anon|swapbacked|mappedtodisk\",\"uptodate|active|mmap|anon|swapbacked|mappedtodisk\"]", "[\"uptodate|mmap|anon|swapbacked|mappedtodisk\",\"uptodate|mmap|anon|swapbacked|mappedtodisk\",\"uptodate|mmap|anon|swapbacked|mappedtodisk\",\"uptodate|mmap|anon|swapbacked|mappedtodisk\"]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_cold_pageout_drv", "cold|pageout", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write", "refcount", Tolerance.Values("[2,2,2,2]", "[1,1,1,1]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write", "mapcount|kpagecount", Tolerance.Values("[1,1,1,1]", "[0,0,0,0]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write|munmap", "pflags|kpageflags", Tolerance.Any(),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write|munmap|close", "faults", Tolerance.Values("4", "0"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write|munmap|close", "last_fault_pgoff", Tolerance.Values("3", "-1"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write", "range_rss_kb|rss_kb|private_kb", Tolerance.Values("16", "0"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write", "pm_present|pm_is_drv|pm_file|pm_excl", Tolerance.Values("[true,true,true,true]", "[false,false,false,false]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write", "pm_pfn", Tolerance.Values("[\"drv+0\",\"drv+1\",\"drv+2\",\"drv+3\"]", "[\"0\",\"0\",\"0\",\"0\"]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write", "pm_kpagecount", Tolerance.Values("[1,1,1,1]", "[-1,-1,-1,-1]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_shared", "populate_read|populate_write", "pm_kpageflags", Tolerance.Any(),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read|populate_write", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read", "refcount", Tolerance.Values("[2,2,2,2]", "[1,1,1,1]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read", "mapcount|kpagecount", Tolerance.Values("[1,1,1,1]", "[0,0,0,0]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read|populate_write|munmap", "pflags", Tolerance.Values("[\"referenced\",\"referenced\",\"referenced\",\"referenced\"]", "[\"\",\"\",\"\",\"\"]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read|populate_write|munmap", "kpageflags", Tolerance.Any(),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read|populate_write|munmap|close", "faults", Tolerance.Values("4", "0"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read|populate_write|munmap|close", "last_fault_pgoff", Tolerance.Values("3", "-1"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read|populate_write", "range_rss_kb|rss_kb|private_kb", Tolerance.Values("16", "0"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read|populate_write", "pm_present|pm_excl", Tolerance.Values("[true,true,true,true]", "[false,false,false,false]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read|populate_write", "pm_pfn|pm_kpageflags", Tolerance.Any(),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read", "pm_is_drv|pm_file", Tolerance.Values("[true,true,true,true]", "[false,false,false,false]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_read|populate_write", "pm_kpagecount", Tolerance.Values("[1,1,1,1]", "[-1,-1,-1,-1]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_populate_private", "populate_write", "anon_kb", Tolerance.Values("16", "0"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_dontneed_locked_anon", "mlock|dontneed|dontneed_locked|touch", "pm_kpageflags", Tolerance.Any(),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_dontneed_locked_anon", "dontneed_locked", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_dontneed_locked_anon", "dontneed_locked|touch", "range_rss_kb|rss_kb|locked_kb|anon_kb|private_kb", Tolerance.Values("0", "16"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_dontneed_locked_anon", "dontneed_locked|touch", "pm_present|pm_pfn|pm_kpagecount", Tolerance.Any(),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_dontneed_locked_anon", "dontneed_locked|touch", "pm_excl", Tolerance.Values("[false,false,false,false]", "[true,true,true,true]"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_dontneed_locked_drv", "dontneed_locked", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_dontneed_locked_drv", "dontneed_locked|touch", "refcount|mapcount|kpagecount|range_rss_kb|rss_kb|locked_kb|private_kb|pm_present|pm_pfn|pm_is_drv|pm_file|pm_excl|pm_kpagecount|pm_kpageflags", Tolerance.Any(),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_dontneed_locked_drv", "dontneed_locked|touch|munmap", "pflags|kpageflags", Tolerance.Any(),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_dontneed_locked_drv", "touch|munmap|close", "faults", Tolerance.Values("6", "4"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        new("madv_dontneed_locked_drv", "touch|munmap|close", "last_fault_pgoff", Tolerance.Values("1", "3"),
            Kmf_advice, Smf_advice, Fmf_advice, Xmf_advice),
        // ---- missing feature: MremapFlags has no DontUnmap
        new("mremap_dontunmap", "dontunmap", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap) { File = "host-" },
        new("mremap_dontunmap", "dontunmap", "range_rss_kb|rss_kb|anon_kb", Tolerance.Values("0", "16"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap) { File = "host-" },
        new("mremap_dontunmap", "dontunmap", "pm_present", Tolerance.Values("[false,false,false,false]", "[true,true,true,true]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap) { File = "host-" },
        new("mremap_dontunmap", "new|touch_new", "(step)", Tolerance.Any(),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap) { File = "host-" },
        new("mremap_dontunmap", "touch_old", "data", Tolerance.Values("[0,0,0,0]", "[16,17,18,19]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap) { File = "host-" },
        new("mremap_dontunmap_drv", "dontunmap", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "dontunmap", "d_mapped|d_vmflags|d_rss_kb|d_locked_kb|d_pm_present|d_pm_is_drv", Tolerance.Any(),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "dontunmap|touch_old|munmap|close", "vm_open", Tolerance.Values("1", "0"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "dontunmap", "range_rss_kb|rss_kb", Tolerance.Values("0", "16"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "dontunmap|touch_old", "private_kb", Tolerance.Values("0", "16"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "dontunmap", "pm_present|pm_is_drv|pm_file", Tolerance.Values("[false,false,false,false]", "[true,true,true,true]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "dontunmap", "pm_pfn", Tolerance.Values("[\"0\",\"0\",\"0\",\"0\"]", "[\"drv+0\",\"drv+1\",\"drv+2\",\"drv+3\"]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "dontunmap|touch_old", "pm_excl", Tolerance.Values("[false,false,false,false]", "[true,true,true,true]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "dontunmap|touch_old", "pm_kpagecount", Tolerance.Any(),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "dontunmap", "pm_kpageflags", Tolerance.Values("[\"\",\"\",\"\",\"\"]", "[\"mmap\",\"mmap\",\"mmap\",\"mmap\"]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "touch_new|munmap_new", "(step)", Tolerance.Any(),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "touch_old", "refcount", Tolerance.Values("[3,3,3,3]", "[2,2,2,2]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "touch_old", "mapcount|kpagecount", Tolerance.Values("[2,2,2,2]", "[1,1,1,1]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "touch_old|munmap|close", "faults", Tolerance.Values("8", "4"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "touch_old", "shared_kb", Tolerance.Values("16", "0"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "munmap", "pflags|kpageflags", Tolerance.Values("[\"\",\"\",\"\",\"\"]", "[\"referenced\",\"referenced\",\"referenced\",\"referenced\"]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_drv", "munmap|close", "vm_close", Tolerance.Values("2", "1"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_anon", "dontunmap", "errno", Tolerance.Values("0", "\"EINVAL\""),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_anon", "dontunmap", "d_mapped|d_vmflags|d_rss_kb|d_locked_kb|d_pm_present|d_pm_is_drv", Tolerance.Any(),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_anon", "dontunmap|touch_old", "range_rss_kb|rss_kb|anon_kb|private_kb", Tolerance.Values("0", "16"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_anon", "dontunmap", "pm_present", Tolerance.Values("[false,false,false,false]", "[true,true,true,true]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_anon", "dontunmap|touch_old", "pm_pfn|pm_kpagecount|pm_kpageflags", Tolerance.Any(),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_anon", "dontunmap|touch_old", "pm_excl", Tolerance.Values("[false,false,false,false]", "[true,true,true,true]"),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        new("mremap_dontunmap_anon", "touch_new|munmap_new", "(step)", Tolerance.Any(),
            Kmf_dontunmap, Smf_dontunmap, Fmf_dontunmap, Xmf_dontunmap),
        // ---- missing feature: no process stack/heap/text mappings
        new("own_mappings", "maps", "stack_found|heap_found|text_found|vmrss_pos", Tolerance.Values("true", "false"),
            Kmf_own, Smf_own, Fmf_own, Xmf_own) { File = "host-" },
        new("own_mappings", "maps", "stack_perms|stack_vmflags|stack_has_rss|heap_perms|heap_vmflags|heap_has_rss|text_perms|text_vmflags|text_has_rss", Tolerance.Any(),
            Kmf_own, Smf_own, Fmf_own, Xmf_own) { File = "host-" },
        new("own_mappings", "maps", "stack_found|heap_found|text_found|vmrss_pos", Tolerance.Values("true", "false"),
            Kmf_own, Smf_own, Fmf_own, Xmf_own),
        new("own_mappings", "maps", "stack_perms|stack_vmflags|stack_has_rss|heap_perms|heap_vmflags|heap_has_rss|text_perms|text_vmflags|text_has_rss", Tolerance.Any(),
            Kmf_own, Smf_own, Fmf_own, Xmf_own),
        new("own_mappings", "mlockall_current", "errno", Tolerance.Values("\"ENOMEM\"", "0"),
            Kmf_own, Smf_own, Fmf_own, Xmf_own),
        // ---- not an issue-20 cause: boot-dependent buddy state
        new("reserved_free", "o4_clear", "probe_reused", Tolerance.Values("false", "true"),
            Kalloc, Salloc, Falloc, Xalloc),
        // ---- not an issue-20 cause: the host kernel
        new("anon_mmap", "read", "range_rss_kb|rss_kb|anon_kb", Tolerance.Values("16", "0"),
            Khost_zero, Shost_zero, Fhost_zero, Xhost_zero) { File = "host-" },
        new("mremap", "touch_grown|grow_blocked|grow_move|touch_moved", "range_rss_kb|rss_kb|anon_kb", Tolerance.Values("32", "16"),
            Khost_zero, Shost_zero, Fhost_zero, Xhost_zero) { File = "host-" },
        new("madvise_span", "touch", "range_rss_kb", Tolerance.Values("16", "8"),
            Khost_zero, Shost_zero, Fhost_zero, Xhost_zero) { File = "host-" },
        new("madvise_span", "touch", "rss_kb|anon_kb", Tolerance.Values("8", "0"),
            Khost_zero, Shost_zero, Fhost_zero, Xhost_zero) { File = "host-" },
    ];

    // issue 20 write-notify
    private const string Kwn = "mm/memory.c: do_page_mkwrite accepts VM_FAULT_LOCKED and finish_mkwrite_fault -> fault_dirty_shared_page sets PG_dirty and unlocks the page (do_shared_fault likewise for a first write): the written pages are dirty, none stays locked";
    private const string Swn = "the page_mkwrite count matches, but VM_FAULT_LOCKED is masked off without unlock_page (the page stays PG_locked) and PG_dirty is not set";
    private const string Fwn = "Kernel.CallPageMkwrite / DoWpPage (DriverKit.Runtime/Mm/Memory/Kernel.Fault.cs)";
    private const string Xwn = "honour VM_FAULT_LOCKED (lock the page when it is absent, unlock after making the PTE writable) and dirty the page";

    // missing feature: Advice has no Free/Remove/Cold/PageOut/PopulateRead/PopulateWrite/DontNeedLocked
    private const string Kmf_advice = "mm/madvise.c: MADV_FREE (lazy free of private anonymous pages, EINVAL elsewhere), MADV_REMOVE (punch hole: shmem pages freed, ENODEV for a char device), MADV_COLD/MADV_PAGEOUT (deactivate / reclaim; no swap: pages stay, activated), MADV_POPULATE_READ/WRITE (fault in; EINVAL on VM_PFNMAP|VM_IO), MADV_DONTNEED_LOCKED (zap VM_LOCKED ranges too)";
    private const string Smf_advice = "the raw advice value is not an Advice member: EINVAL, nothing happens";
    private const string Fmf_advice = "Advice / Kernel.DoMadvise (DriverKit.Runtime/Mm/Mmap/Kernel.Madvise.cs)";
    private const string Xmf_advice = "add the advice values with their 6.1 semantics";

    // missing feature: MremapFlags has no DontUnmap
    private const string Kmf_dontunmap = "mm/mremap.c: MREMAP_MAYMOVE|MREMAP_DONTUNMAP moves the pages to a new vma (copy_vma: ->open) and leaves the old vma mapped but empty (anonymous: zero-fill; driver: faults through ->fault again)";
    private const string Smf_dontunmap = "flag 4 is unknown: EINVAL";
    private const string Fmf_dontunmap = "MremapFlags / Kernel.DoMremap (DriverKit.Runtime/Mm/Mmap/Kernel.Mremap.cs)";
    private const string Xmf_dontunmap = "add MREMAP_DONTUNMAP (5.7; any vma but VM_DONTEXPAND|VM_PFNMAP from 5.13)";

    // missing feature: no process stack/heap/text mappings
    private const string Kmf_own = "a real process has [stack] (rd wr mr mw me gd ac), [heap] and program text (rd ex mr mw me) with resident pages, so VmRSS > 0 and mlockall(MCL_CURRENT) with RLIMIT_MEMLOCK 16 pages fails (ENOMEM: total_vm exceeds the limit)";
    private const string Smf_own = "a spawned process has no mappings of its own: no such smaps entries, VmRSS 0, mlockall(MCL_CURRENT) succeeds";
    private const string Fmf_own = "Kernel.Spawn / Process (DriverKit.Runtime/Kernel/Process.cs)";
    private const string Xmf_own = "give a spawned process a stack, heap and text vma";

    // not an issue-20 cause: boot-dependent buddy state
    private const string Kalloc = "mm/page_alloc.c: the freed order-4 block merges with its free buddy; the immediate alloc_pages(order 4) is served from another block of the order-4 free list (probe_reused false on 6.1.0-57 with this program)";
    private const string Salloc = "the same block comes straight back";
    private const string Falloc = "the page allocator's free lists (DriverKit.Runtime/Mm/Page)";
    private const string Xalloc = "none needed for issue 20: the whole-machine free-list state is not modelled";

    // not an issue-20 cause: the host kernel
    private const string Khost_zero = "this host kernel (6.18.44-fc-v1272) allocates a private anonymous page on a read fault: Rss/Anonymous count read pages (the v769 kernel the earlier host golden came from mapped the shared zero page)";
    private const string Shost_zero = "read faults map the zero page (Rss 0), as 6.18 upstream does";
    private const string Fhost_zero = "none (DriverKit.Runtime follows upstream do_anonymous_page)";
    private const string Xhost_zero = "none: a property of the recording machine's kernel build";
}
