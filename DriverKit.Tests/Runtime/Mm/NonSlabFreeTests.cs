using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Mm;

/// <summary>
/// Frees that cross allocators (issue 20): kfree of a page the slab allocator does not own (mm/slub.c:
/// free_large_kmalloc and its predecessors), and __free_pages of a slab or vmalloc page (mm/page_alloc.c:
/// free_pages_prepare).
/// </summary>
public sealed class NonSlabFreeTests
{
    public static TheoryData<string, bool, string?, bool> KfreeOfAnOrderZeroPage => new()
    {
        // version, DEBUG_VM, what the kernel prints (null: nothing), page freed
        { "2.6.20", false, "BUG_ON(!PageCompound(page))", false },
        { "5.13", false, "BUG_ON(!PageCompound(page))", false },
        { "5.14", true, "VM_BUG_ON_PAGE(!PageCompound(page))", false },
        { "5.14", false, null, true },
        { "5.16", false, "free_large_kmalloc (order == 0)", true },
        { "6.1", false, "free_large_kmalloc (order == 0)", true },
        { "6.13", false, "free_large_kmalloc (order == 0)", true },
        { "6.15", false, "free_large_kmalloc (!folio_test_large_kmalloc(folio))", false },
        { E7, false, "free_large_kmalloc (!folio_test_large_kmalloc(folio))", false },
    };

    [Theory]
    [MemberData(nameof(KfreeOfAnOrderZeroPage))]
    public void Kfree_of_an_order_zero_page_bugs_warns_or_frees_by_era(string version, bool debugVm, string? printed, bool freed)
    {
        // mm/slub.c: kfree's BUG_ON(!PageCompound) (≤ 5.13), free_nonslab_page's VM_BUG_ON_PAGE (5.14, 5.15),
        // free_large_kmalloc's WARN_ON_ONCE(order == 0) then __free_pages / folio_put (5.16 – 6.14), and its
        // WARN_ON_ONCE(!folio_test_large_kmalloc) + "Not a kmalloc allocation" without a free (6.15 and later).
        var k = Boot(version, debugVm: debugVm);
        var page = k.AllocPage(Gfp.Kernel);
        var free = k.FreePageCount;

        var oops = Record.Exception(() => k.Kfree(k.PageAddress(page)));

        Assert.Equal(printed is not null && printed.Contains("BUG", StringComparison.Ordinal), oops is KernelBugException);
        Assert.Equal(freed ? free + 1 : free, k.FreePageCount);
        if (printed is null)
        {
            Assert.Empty(k.Reports);
            return;
        }

        var report = Assert.Single(k.Reports);
        Assert.Equal(ReportKind.Kernel, report.Kind);
        Assert.Contains(printed, report.Text, StringComparison.Ordinal);
        if (oops is null)
        {
            // WARN_ON_ONCE: the kernel goes on, and a second bad kfree prints nothing more.
            Assert.StartsWith("WARNING: CPU: 0", report.Text, StringComparison.Ordinal);
            Assert.Contains(k.Dmesg, l => l.StartsWith(freed ? "object pointer: 0x" : "page dumped because: Not a kmalloc allocation", StringComparison.Ordinal));
            k.Kfree(k.PageAddress(k.AllocPage(Gfp.Kernel)));
            Assert.Single(k.Reports);
        }
    }

    [Theory]
    [InlineData("5.13", true)]
    [InlineData("6.1", true)]
    [InlineData("6.15", false)]
    [InlineData(E7, false)]
    public void Kfree_of_a_compound_page_frees_it_until_large_kmallocs_got_a_page_type(string version, bool freed)
    {
        // mm/slub.c: a compound page passes BUG_ON(!PageCompound) / WARN_ON_ONCE(order == 0) and is freed whole; from
        // 6.15 only a PGTY_large_kmalloc folio is, and a real large kmalloc still is.
        var k = Boot(version);
        var comp = k.AllocPages(Gfp.Kernel | Gfp.Comp, 2);
        var free = k.FreePageCount;
        k.Kfree(k.PageAddress(comp));
        Assert.Equal(freed ? free + 4 : free, k.FreePageCount);
        Assert.Equal(freed, k.Reports.Count == 0);

        var large = k.Kmalloc(5 * Kernel.PageSize, Gfp.Kernel);
        var before = k.FreePageCount;
        k.Kfree(large);
        Assert.Equal(before + 8, k.FreePageCount);
    }

    public static TheoryData<string, bool, string?, bool> FreePageOfASlabPage => new()
    {
        // version, check_pages, bad_page reason (null: freed without a kernel message), page freed
        { "2.6.20", false, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set", true },  // ≤ 2.6.28 bad_page fixes the page up and frees it
        { "4.4", false, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set", false },
        { "6.1.0-56-amd64", false, null, true },   // 4.7 – 6.3: the order-0 per-cpu free skips the head check
        { "6.9", true, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set", false },
        { "6.10", true, "nonzero mapcount", false },    // PG_slab became a page type overlaying _mapcount
        { "6.12", false, null, true },                  // 6.4+: no check without check_pages
        { E7, true, null, true },                       // 6.17+: free_pages_prepare resets the page type
    };

    [Theory]
    [MemberData(nameof(FreePageOfASlabPage))]
    public void Free_page_of_a_slab_page_is_a_bad_page_while_the_free_path_checks_slab(string version, bool checkPages, string? reason, bool freed)
    {
        // mm/page_alloc.c: free_pages_check / free_page_is_bad → bad_page; the page is kept out of the allocator
        // (2.6.29+) when reported, freed under the live slab otherwise (strict mode says so).
        var k = Boot(version, strict: true, checkPages: checkPages);
        var obj = k.Kmalloc(100, Gfp.Kernel);
        var slabPage = k.VirtToPage(obj);
        var free = k.FreePageCount;

        k.FreePage(slabPage);

        var report = Assert.Single(k.Reports);
        Assert.Equal(freed ? free + 1 : free, k.FreePageCount);
        Assert.Equal(reason is not null, k.TaintedBadPage);
        if (reason is null)
        {
            Assert.Equal(ReportKind.Simulator, report.Kind);
            Assert.Contains("a page of a live slab", report.Text, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(ReportKind.Kernel, report.Kind);
            Assert.Equal(reason, report.Reason);
        }
    }

    [Theory]
    [InlineData("2.6.20")]
    [InlineData("6.1")]
    [InlineData(E7)]
    public void Free_page_of_a_vmalloc_page_passes_every_era_s_checks_and_vfree_frees_it_again(string version)
    {
        // mm/page_alloc.c: a vmalloc page carries no flag or page type free_pages_prepare checks: __free_pages frees
        // it; mm/vmalloc.c: vfree's __free_page then meets a free page.
        var k = Boot(version, strict: true, debugVm: true, checkPages: true);
        var v = k.Vmalloc(2 * Kernel.PageSize);
        var free = k.FreePageCount;

        k.FreePage(k.VmallocToPage(v));

        Assert.Equal(free + 1, k.FreePageCount);
        var report = Assert.Single(k.Reports);
        Assert.Equal(ReportKind.Simulator, report.Kind);
        Assert.Contains("vfree will free it again", report.Text, StringComparison.Ordinal);
        Assert.False(k.TaintedBadPage);
        Assert.Throws<KernelBugException>(() => k.Vfree(v));
    }
}
