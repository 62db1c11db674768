using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Mm;

/// <summary>The free path per era (§1.3, §2.2, INV-05, corrected by docs/kernel-verification.md Q6/Q10).</summary>
public sealed class FreePathTests
{
    public static TheoryData<string, bool, int, int, int, bool> ReservedTable => new()
    {
        // version, check_pages, order, reports, frames back in the pool, tainted
        { E0, false, 0, 0, 0, false },
        { E0, false, 1, 0, 0, false },
        { E1, false, 0, 1, 1, true },
        { E1, false, 1, 2, 2, true },
        { E3, false, 0, 1, 0, true },
        { E3, false, 4, 16, 0, true },
        { "4.4", false, 0, 1, 0, true },
        { "4.9", false, 0, 0, 1, false },  // 4.7+: order-0 pcp frees skip the head check (flag cleared, freed)
        { "4.9", false, 1, 2, 0, true },   // before 5.13 only order 0 goes through the pcp lists
        { "6.1.0-56-amd64", false, 0, 0, 1, false },
        { "6.1.0-56-amd64", false, 1, 1, 0, true },  // fidelity: the tail is reported, the block leaks
        { "6.1.0-56-amd64", false, 4, 16, 0, true },
        { E6, true, 0, 1, 0, true },
        { E6, false, 0, 0, 1, false },
        { E6, false, 4, 0, 16, false },
        { E7, true, 4, 16, 0, true },
    };

    [Theory]
    [MemberData(nameof(ReservedTable))]
    public void FreeingPagesThatStillCarryPgReserved(string version, bool checkPages, int order, int reports, int freed, bool tainted)
    {
        var k = Boot(version, checkPages: checkPages);
        var head = k.AllocPages(Gfp.Kernel, order);
        for (var i = 0; i < 1 << order; i++)
        {
            k.SetPageReserved(head + i);
        }

        var pool = k.FreePageCount;
        k.FreePages(head, order);
        Assert.Equal(reports, k.Reports.Count);
        Assert.Equal(freed, k.FreePageCount - pool);
        Assert.Equal(tainted, k.TaintedBadPage);
        Assert.All(k.Reports, r =>
        {
            Assert.Equal("PAGE_FLAGS_CHECK_AT_FREE flag(s) set", r.Reason);
            Assert.Equal("DK0003", r.RuleId);
            Assert.NotNull(r.Pfn);
            Assert.Contains("FreePathTests.cs", r.CallSite);
            Assert.Contains("owner=FreePathTests allocated at FreeingPagesThatStillCarryPgReserved", r.Ledger);
        });
    }

    [Theory]
    [InlineData(E0, "Bad page state at __free_pages_ok (in process 'swapper/0', page ffffea")]
    [InlineData(E3, "Bad page state in process 'swapper/0'\npage:ffffea")]
    [InlineData(E5, "BUG: Bad page state in process swapper/0  pfn:")]
    public void FreeingALockedPageReportsTheErasText(string version, string text)
    {
        var k = Boot(version, checkPages: true);
        var head = k.AllocPages(Gfp.Kernel, 1);
        k.LockPage(head);
        var pool = k.FreePageCount;
        k.FreePages(head, 1);
        var report = Assert.Single(k.Reports);
        Assert.StartsWith(text, report.Text);
        Assert.Equal("DK0006", report.RuleId);
        Assert.Equal(head.Pfn, report.Pfn);

        // ≤ 2.6.28 bad_page fixes a non-reserved page up and frees it; 2.6.29+ keeps it out of circulation.
        var kept = k.Policy.BadPageKeepsPage(reserved: false);
        Assert.Equal(kept ? 0 : 2, k.FreePageCount - pool);
    }

    [Theory]
    [InlineData(E3, true)]
    [InlineData(E7, false)]
    public void APageFreedWithANonzeroMapcountIsReportedAndFixedUpOrKept(string version, bool freed)
    {
        var k = Boot(version, checkPages: true);
        var p = k.AllocPage(Gfp.Kernel);
        k.Mem.MapCount[p.Index] = 1; // a PTE nobody removed (the downstream symptom of INV-04)
        var pool = k.FreePageCount;
        k.FreePage(p);
        var report = Assert.Single(k.Reports);
        Assert.Equal("nonzero mapcount", report.Reason);
        Assert.Equal(freed ? 1 : 0, k.FreePageCount - pool);
    }

    [Fact]
    public void ReservedFramesFreedInEra0KeepTheBitUntilTheNextAllocationTripsOnIt()
    {
        var k = Boot(E0);
        var head = k.AllocPages(Gfp.Kernel, 1);
        k.SetPageReserved(head + 1); // a reserved tail: 2.6.11 free_pages_check does not look at PG_reserved
        k.FreePages(head, 1);
        Assert.Empty(k.Reports);
        Assert.True(k.Mem.Has((head + 1).Index, PageFlags.Reserved));

        // prep_new_page (2.6.11) checks PG_reserved: the page is reported and skipped when handed out again.
        for (var i = 0; i < 64 && k.Reports.Count == 0; i++)
        {
            k.AllocPage(Gfp.Kernel);
        }

        Assert.StartsWith("Bad page state at prep_new_page", k.Reports[0].Text);
    }
}
