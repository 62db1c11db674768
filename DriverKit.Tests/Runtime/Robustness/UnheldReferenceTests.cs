using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// Every free and put that would drop a reference the caller cannot hold: the ledger has no owner, get_page, fault or
/// get_user_pages holder left, only PTEs, pins or caches (the chaos run of seed 7 found it through kfree). The real
/// kernel decrements the count anyway and frees the page under its holders later (docs/kernel-semantics.md INV-01:
/// "simulator: S-report at the first bad put"); the simulator reports it at the call and refuses it, so the machine is
/// unchanged and the checker finds no INV-02 of the simulator's own bookkeeping.
/// </summary>
public sealed class UnheldReferenceTests
{
    private const ulong P4 = Kernel.PageSize;

    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var version in CaseRunner.Versions)
            {
                foreach (var name in Arrangements.Keys)
                {
                    data.Add(version, name);
                }
            }

            return data;
        }
    }

    /// <summary>Each case: the legal steps that leave a page without a holder the next call could own, and that call.</summary>
    private static readonly Dictionary<string, Func<RobustFixture, Action?>> Arrangements = new()
    {
        ["PutPage twice after get_user_pages"] = f =>
        {
            var page = Gup(f);
            f.K.PutPage(page);
            return () => f.K.PutPage(page);
        },
        ["__free_page after get_user_pages and put_page"] = f =>
        {
            var page = Gup(f);
            f.K.PutPage(page);
            return () => f.K.FreePage(page);
        },
        ["__free_page twice while PTEs map the page"] = f =>
        {
            var page = f.Driver.FaultPages[0];
            f.K.FreePage(page); // the PTEs of P and its child keep it
            return () => f.K.FreePage(page);
        },
        ["free_pages by address while PTEs map the page"] = f =>
        {
            var page = f.Driver.FaultPages[0];
            f.K.FreePage(page);
            return () => f.K.FreePages(f.K.PageAddress(page), 0);
        },
        ["put_page while PTEs map the page"] = f =>
        {
            var page = f.Driver.FaultPages[0];
            f.K.FreePage(page);
            return () => f.K.PutPage(page);
        },
        ["kfree of a page that PTEs map"] = f =>
        {
            var page = f.Driver.FaultPages[0];
            f.K.FreePage(page);
            return () => f.K.Kfree(f.K.PageAddress(page));
        },
        ["kfree of a compound tail that only a PTE holds"] = f => CompoundMapped(f) is { } tail ? () => f.K.Kfree(f.K.PageAddress(tail)) : null,
        ["put_page of a compound tail that only a PTE holds"] = f => CompoundMapped(f) is { } tail ? () => f.K.PutPage(tail) : null,
        ["put_page of a compound head that only a PTE holds"] = f => CompoundMapped(f) is { } tail ? () => f.K.PutPage(tail + -1) : null,
        ["__free_pages of a compound block that only a PTE holds"] = f => CompoundMapped(f) is { } tail ? () => f.K.FreePages(tail + -1, 2) : null,
        ["kfree of the last object of a slab whose page was put"] = f =>
        {
            var obj = f.K.Kmalloc(3000, Gfp.Kernel);
            f.K.PutPage(f.K.VirtToPage(obj)); // drops the slab's own reference: the page is freed behind its back
            return () => f.K.Kfree(obj);
        },
        ["vfree of an area whose page was put"] = f =>
        {
            var area = f.K.Vmalloc(2 * P4);
            f.K.PutPage(f.K.VmallocToPage(area + P4));
            return () => f.K.Vfree(area);
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void AFreeOrPutOfAReferenceNobodyHoldsIsReportedAndRefused(string version, string name)
    {
        var f = new RobustFixture(version);
        if (Arrangements[name](f) is not { } call)
        {
            return; // the era has no ->fault to map a compound page with
        }

        var before = f.Snapshot();
        var reports = f.K.Reports.Count;
        var refusal = Record.Exception(call);

        var diff = before.Diff(f.Snapshot());
        Assert.True(diff.Count == 0, MachineState.Describe(diff));
        f.K.Checker.CheckAll();
        var found = f.K.Reports.Skip(reports).ToList();
        Assert.DoesNotContain(found, r => r.Invariant is "INV-02");
        if (refusal is null)
        {
            // 6.15+ free_large_kmalloc: WARN_ON_ONCE(!folio_test_large_kmalloc(folio)) and nothing is freed.
            Assert.StartsWith("kfree", name, StringComparison.Ordinal);
            Assert.Contains(found, r => r.Kind == ReportKind.Kernel && r.Text.Contains("WARNING", StringComparison.Ordinal));
            return;
        }

        var bug = Assert.IsType<KernelBugException>(refusal);
        Assert.True(bug.Report.Kind == ReportKind.Kernel || bug.Report.Invariant == "INV-01", bug.Report.Text);
        Assert.Contains(bug.Report, found);
    }

    /// <summary>get_user_pages of P's first anonymous page from the driver's ioctl.</summary>
    private static Page Gup(RobustFixture f)
    {
        var pages = new Page[1];
        f.Driver.IoctlBody = (_, _, _) => f.K.GetUserPages(f.AnonMap, 1, FollFlags.Write, pages);
        Assert.Equal(1, f.P.Ioctl(f.Fd, 0).Value);
        f.Driver.ClearHooks();
        return pages[0];
    }

    /// <summary>
    /// A tail of a compound order-2 block that -&gt;fault returned (with get_page) for a fresh mapping, after the driver
    /// freed its allocation reference: only the PTE holds the block. Null in the -&gt;nopage eras.
    /// </summary>
    private static Page? CompoundMapped(RobustFixture f)
    {
        if (!f.K.Policy.HasFault)
        {
            return null;
        }

        var block = f.K.AllocPages(Gfp.Kernel | Gfp.Comp, 2);
        f.Driver.FaultBody = vmf =>
        {
            f.K.GetPage(block + 1);
            vmf.Page = block + 1;
            return VmFaultResult.None;
        };
        var map = f.P.Mmap(default, P4, Prot.Read, MapFlags.Shared, f.Fd, RobustDriver.FaultBase * P4).Unwrap();
        Assert.True(f.P.Touch(map, false).IsOk);
        f.Driver.ClearHooks();
        f.K.FreePages(block, 2);
        return block + 1;
    }
}
