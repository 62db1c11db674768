using DriverKit.Runtime;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace DriverKit.Tests.Runtime.Workloads;

/// <summary>
/// Property-based runs (issue 5 "done when"): a correct driver under long random workloads produces no report in
/// any era and loses no frame; each catalog bug injected into it is reported.
/// </summary>
public sealed class RandomWorkloadTests(ITestOutputHelper output)
{
    public static TheoryData<string> Eras => new() { "2.6.11", "2.6.14", "2.6.15-rc1", "2.6.15-rc2-git5", "2.6.20", "2.6.24", "2.6.30", "3.7", "4.14", "5.10", "6.1.0-56-amd64", "6.6", "7.0" };

    private static Kernel Machine(string version, int fullScanInterval = 1) =>
        new(new KernelOptions { Version = version, MemoryBytes = 8UL << 20, CheckerMode = CheckerMode.Strict, SwapPages = 256, FullScanInterval = fullScanInterval });

    [Theory]
    [MemberData(nameof(Eras))]
    public void CorrectDriverSurvivesAHundredThousandRandomOperations(string version)
    {
        // Inline invariants on every operation; the full frame scan every 250 operations and at the end.
        var k = Machine(version, fullScanInterval: 250);
        var boot = k.Buddy.Snapshot();
        var work = new Workload(k);
        var rng = new System.Random(version.Aggregate(17, (h, c) => h * 31 + c)); // a stable seed per era
        for (var i = 0; i < 100_000; i++)
        {
            work.Step(Workload.Random(rng));
            if (k.Reports.Count > 0 || work.Oopses > 0)
            {
                Assert.Fail($"operation {i}: {string.Join("\n\n", k.Reports.Take(3).Select(r => r.Describe()))} oopses={work.Oopses}");
            }
        }

        Assert.Empty(k.Checker.CheckAll());
        work.TearDown();
        Assert.Empty(k.Reports.Select(r => r.Describe()));
        Assert.Equal(k.InitialFree, k.FreePageCount);
        k.DrainAllPages();
        Assert.Equal(boot, k.Buddy.Snapshot());
    }

    [Fact]
    public void CorrectDriverNeverReportsForArbitraryShortSequences()
    {
        var op = Gen.Elements(Enum.GetValues<OpKind>().Where(k => k is not (OpKind.MapRaw or OpKind.DriverFree)).ToArray()).SelectMany(kind => Gen.Choose(0, 1 << 20).Three().Select(t => new Op(kind, t.Item1, t.Item2, t.Item3)));
        var property = Prop.ForAll(Arb.From(op.ListOf()), (List<Op> ops) =>
        {
            foreach (var version in new[] { "2.6.14", "2.6.20", "7.0" })
            {
                var k = Machine(version);
                var boot = k.Buddy.Snapshot();
                var work = new Workload(k);
                work.Run(ops);
                work.TearDown();
                Assert.Empty(k.Reports.Select(r => r.Describe()));
                Assert.Equal(0, work.Oopses);
                k.DrainAllPages();
                Assert.Equal(boot, k.Buddy.Snapshot());
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), property);
    }

    public static TheoryData<InjectedBug, string, string> Bugs => new()
    {
        { InjectedBug.LockedIo, "2.6.14", "DK0001" },
        { InjectedBug.LockedIo, "7.0", "DK0001" },
        { InjectedBug.ReservePagesForRemap, "2.6.20", "DK0002" },
        { InjectedBug.ReservePagesForRemap, "7.0", "DK0002" },
        { InjectedBug.ReservedBitLeftAtFree, "2.6.14", "DK0003" },
        { InjectedBug.ReservedBitLeftAtFree, "2.6.20", "DK0003" },
        { InjectedBug.ReservedBitLeftAtFree, "6.1.0-56-amd64", "DK0003" },
        { InjectedBug.ReservedBitLeftAtFree, "7.0", "DK0003" },
        { InjectedBug.ReservedVmaFault, "2.6.15-rc1", "DK0004" },
        { InjectedBug.PageLockAsPin, "2.6.20", "DK0006" },
        { InjectedBug.PageLockAsPin, "7.0", "DK0006" },
        { InjectedBug.RemapVmallocAsContiguous, "2.6.20", "DK0007" },
        { InjectedBug.RemapVmallocAsContiguous, "7.0", "DK0007" },
        { InjectedBug.InsertPageIntoPfnMap, "2.6.20", "DK0009" },
        { InjectedBug.InsertPageIntoPfnMap, "7.0", "DK0009" },
        { InjectedBug.InsertSlabPage, "2.6.30", "DK0010" },
        { InjectedBug.InsertPageFromFault, "2.6.30", "DK0011" },
        { InjectedBug.InsertPageFromFault, "7.0", "DK0011" },
        { InjectedBug.FaultWithoutReference, "2.6.20", "DK0012" },
        { InjectedBug.FaultWithoutReference, "7.0", "DK0012" },
        { InjectedBug.UncheckedRange, "7.0", "DK0014" },
        { InjectedBug.ExpandableFault, "2.6.20", "DK0015" },
        { InjectedBug.ExpandableFault, "7.0", "DK0015" },
        { InjectedBug.CacheableMmio, "7.0", "DK0016" },
        { InjectedBug.FreeWhileMapped, "2.6.20", "DK0018" },
        { InjectedBug.FreeWhileMapped, "7.0", "DK0018" },
        { InjectedBug.CloseWithoutOpen, "7.0", "DK0018" },
        { InjectedBug.RemapPfnForIo, "7.0", "DK0019" },
        { InjectedBug.CowPfnMap, "7.0", "DK0020" },
    };

    [Theory]
    [MemberData(nameof(Bugs))]
    public void EachInjectedCatalogBugIsReported(InjectedBug bug, string version, string rule)
    {
        var k = Machine(version);
        var work = new Workload(k, bug);
        var reports = new List<Report>();
        try
        {
            work.Run(Exercise(bug));
            var rng = new System.Random(1);
            for (var i = 0; i < 2_000; i++)
            {
                work.Step(Workload.Random(rng));
            }

            work.TearDown();
        }
        catch (KernelBugException e)
        {
            reports.Add(e.Report);
        }

        reports.AddRange(k.Reports);
        foreach (var r in reports.Take(5))
        {
            output.WriteLine(r.Describe());
        }

        Assert.Contains(reports, r => r.RuleId == rule);
    }

    /// <summary>A deterministic prefix that drives every region through map, touch, fork, GUP/DMA, growth and unmap.</summary>
    private static IEnumerable<Op> Exercise(InjectedBug bug)
    {
        for (var region = 0; region < 5; region++)
        {
            foreach (var priv in new[] { 1, 0 })
            {
                // Map (A: first page 0, B: region, C: 4 pages; C % 5 == 0 makes it private); B = -1 targets that mapping.
                yield return new Op(OpKind.Map, 0, region, priv == 1 ? 5 : 3);
                for (var page = 0; page < 4; page++)
                {
                    yield return new Op(OpKind.Touch, 0, -1, page * 2 + 1);
                    yield return new Op(OpKind.Touch, 0, -1, page * 2);
                }

                yield return new Op(OpKind.Fork, 0, 0, 0);
                yield return new Op(OpKind.Touch, 1, -1, 2);
                yield return new Op(OpKind.Gup, 0, -1, 1);
                yield return new Op(OpKind.Dma, 0, -1, 0);
                yield return new Op(OpKind.Exit, 1, 0, 0);
                yield return new Op(OpKind.DmaStep, 0, 0, 0);
                yield return new Op(OpKind.DmaStep, 0, 0, 0);
                yield return new Op(OpKind.Release, 0, 0, 0);
                yield return new Op(OpKind.Mremap, 0, -1, 5);
                yield return new Op(OpKind.Touch, 0, -1, 5 * 2 + 1);
                if (bug == InjectedBug.UncheckedRange && region == 1)
                {
                    yield return new Op(OpKind.MapRaw, 0, (int)ReferenceDriver.RemapBase + 2, 12); // pgoff 18, 12 pages: far past the region
                }

                if (bug == InjectedBug.FreeWhileMapped && region == 1)
                {
                    yield return new Op(OpKind.DriverFree, 0, 0, 0);
                    yield return new Op(OpKind.Map, 0, 5, 3);
                    yield return new Op(OpKind.Touch, 0, -1, 0);
                    yield return new Op(OpKind.Touch, 0, -1, 1);
                }

                yield return new Op(OpKind.Munmap, 0, 0, 0);
            }
        }
    }
}
