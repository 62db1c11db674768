namespace DriverKit.Tests.Samples;

/// <summary>The runner's JSON for S3 (VM_LOCKED | VM_IO) and S4 (PG_reserved remap) against §4's tables.</summary>
[Collection(ScenarioRunsFixture.Collection)]
public sealed class ScenarioJsonS3S4Tests(ScenarioRunsFixture runs)
{
    public static TheoryData<string, long, string?, string?, long, long, bool> S3Table => new()
    {
        // run; VmLck kB after mmap; errno of mlock(own 12 pages); errno of mlock(device); VmLck after both; after munmap; "lo" in smaps
        { "S3/locked-io@2.6.14", 32, "ENOMEM", null, 32, 0, true },
        { "S3/locked-io@2.6.20", 32, "ENOMEM", null, 32, 0, true },
        { "S3/locked-io@2.6.27", 32, "ENOMEM", null, 32, 0, true },

        // kernel-verification.md Q3: the spec's "≥2.6.28 [M]" is confirmed.
        { "S3/locked-io@2.6.28", 0, null, "ENOMEM", 48, 48, false },
        { "S3/locked-io@3.7", 0, null, "ENOMEM", 48, 48, false },
        { "S3/locked-io@6.6", 0, null, "ENOMEM", 48, 48, false },
        { "S3/locked-io@7.0", 0, null, "ENOMEM", 48, 48, false },
    };

    [Theory]
    [MemberData(nameof(S3Table))]
    public void S3MatchesTheSpecTable(string key, long lockedMapped, string? ownErrno, string? deviceErrno, long lockedAfter, long lockedUnmapped, bool loShown)
    {
        var run = runs.Faithful[key];
        var mmap = run.Step("mmap");
        Assert.Equal(lockedMapped, mmap.Observed("VmLck_kB").GetInt64());
        var flags = mmap.Observed("vmflags").GetString()!.Split(' ');
        Assert.Contains("io", flags);
        Assert.Equal(loShown, flags.Contains("lo"));
        Assert.Equal(ownErrno, run.Step("mlock-own").Errno);
        Assert.Equal(deviceErrno, run.Step("mlock-device").Errno);
        Assert.Equal(lockedAfter, run.Step("mlock-device").Observed("VmLck_kB").GetInt64());
        Assert.Equal(0, run.Step("child-exit").Observed("child_VmLck_kB").GetInt64()); // dup_mmap clears VM_LOCKED
        Assert.True(run.Step("reclaim").Observed("device_ptes_intact").GetBoolean()); // never on the LRU
        Assert.Equal("0x42", run.Step("reclaim").Observed("register").GetString());
        Assert.Equal(lockedUnmapped, run.Step("munmap").Observed("VmLck_kB").GetInt64());
        Assert.Equal(0, run.KernelReports);
    }

    [Theory]
    [InlineData("S3/locked-io@2.6.28", "pf io")]
    [InlineData("S3/locked-io@3.7", "pf io de dd")]
    [InlineData("S3/locked-io@7.0", "pf io de dd")]
    public void S3SmapsShowsTheRemapFlagsButNoLo(string key, string flags)
        => Assert.EndsWith(flags, runs.Faithful[key].Step("mmap").Observed("vmflags").GetString()!.Replace(" [reserved]", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);

    [Theory]
    [InlineData("S3/fix@2.6.14")]
    [InlineData("S3/fix@7.0")]
    public void S3FixedDriverLocksNothing(string key)
    {
        var run = runs.Faithful[key];
        Assert.Equal(0, run.Step("mmap").Observed("VmLck_kB").GetInt64());
        Assert.Null(run.Step("mlock-own").Errno);
        Assert.Equal(48, run.Step("mlock-own").Observed("VmLck_kB").GetInt64());
        Assert.Empty(run.Rules);
    }

    [Theory]
    [InlineData("S4/A@2.6.14", "0000", "0x00", 1)]
    [InlineData("S4/A@2.6.15-rc1", "ABCD", "0x55", 0)]
    [InlineData("S4/A@2.6.20", "ABCD", "0x55", 0)]
    [InlineData("S4/A@3.7", "ABCD", "0x55", 0)]
    [InlineData("S4/A@7.0", "ABCD", "0x55", 0)]
    public void S4AIsSilentlyEmptyBefore2615(string key, string seen, string readBack, long anonRss)
    {
        var run = runs.Faithful[key];
        Assert.Equal(seen, run.Step("read").Observed("seen").GetString());
        Assert.Equal(anonRss, run.Step("write").Observed("rss_anon").GetInt64());
        Assert.Equal(readBack, run.Step("close").Observed("read_back").GetString());
        Assert.Equal(0, run.PoolDelta);
        Assert.Empty(run.Reports);
    }

    [Theory]
    [InlineData("S4/B@2.6.14")]
    [InlineData("S4/B@2.6.15-rc1")]
    [InlineData("S4/B@2.6.20")]
    [InlineData("S4/B@7.0")]
    public void S4BWorksEverywhere(string key)
    {
        var run = runs.Faithful[key];
        Assert.Equal("ABCD", run.Step("read").Observed("seen").GetString());
        Assert.Equal("0x55", run.Step("close").Observed("read_back").GetString());
        Assert.Equal(0, run.PoolDelta);
        Assert.Empty(run.Reports);
        Assert.Equal(["DK0002"], run.Rules);
    }

    public static TheoryData<string, int, long, string> S4CTable => new()
    {
        // run; kernel reports; pool Δ; first line of each report
        { "S4/C@2.6.14", 0, -4, string.Empty },

        // kernel-verification.md Q10 / correction 5: in 2.6.15-rc1/rc2 bad_page clears PG_reserved and the page IS freed.
        { "S4/C@2.6.15-rc1", 4, 0, "Bad page state at __free_pages_ok (in process 'capture', page " },

        // Correction 14: 2.6.16–2.6.28 text.
        { "S4/C@2.6.20", 4, -4, "Bad page state in process 'capture'" },
        { "S4/C@3.7", 4, -4, "BUG: Bad page state in process capture  pfn:" },

        // Q6 / correction 13: Debian 6.1 (no DEBUG_VM) checks the tails of an order-2 free but not the pcp head: 3 reports, block leaked.
        { "S4/C@6.1.0-27-amd64", 3, -4, "BUG: Bad page state in process capture  pfn:" },
        { "S4/C@6.6", 0, 0, string.Empty },
        { "S4/C@6.6+check_pages", 4, -4, "BUG: Bad page state in process capture  pfn:" },
        { "S4/C@7.0", 0, 0, string.Empty },
        { "S4/C@7.0+check_pages", 4, -4, "BUG: Bad page state in process capture  pfn:" },
    };

    [Theory]
    [MemberData(nameof(S4CTable))]
    public void S4CFreeWithTheReservedBitSetPerEra(string key, int reports, long poolDelta, string firstLine)
    {
        var run = runs.Faithful[key];
        Assert.Equal("ABCD", run.Step("read").Observed("seen").GetString());
        Assert.Equal(reports, run.KernelReports);
        Assert.Equal(poolDelta, run.PoolDelta);
        Assert.Equal(poolDelta == 0 ? 0 : 4, run.Leaked.Length);
        Assert.All(run.Step("close").Reports, r =>
        {
            Assert.Equal("Kernel", r.GetProperty("kind").GetString());
            Assert.Equal("INV-05", r.GetProperty("invariant").GetString());
            Assert.Equal("DK0003", r.GetProperty("rule").GetString());
            Assert.StartsWith(firstLine, r.GetProperty("text").GetString(), StringComparison.Ordinal);
        });
        Assert.Equal(["DK0002", "DK0003"], run.Rules);
    }

    [Theory]
    [InlineData("S4/D@2.6.14")]
    [InlineData("S4/D@2.6.20")]
    [InlineData("S4/D@7.0")]
    public void S4DFreeWhileMappedIsASilentPhysicalUseAfterFree(string key)
    {
        var run = runs.Faithful[key];
        Assert.Equal("ABCD", run.Step("read").Observed("seen").GetString());
        Assert.Contains("EE", run.Step("read-again").Observed("seen_bytes").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, run.KernelReports);
        Assert.Single(run.Root.GetProperty("notes").EnumerateArray());
    }

    [Theory]
    [InlineData("S4/insert-page@2.6.20")]
    [InlineData("S4/insert-page@7.0")]
    public void S4InsertPageKeepsThePagesUntilMunmap(string key)
    {
        // §4 S4 comparison: freeing while mapped drops only the owner refs (rc 2 → 1); pages return to the pool at munmap.
        var run = runs.Faithful[key];
        Assert.Equal([2, 2, 2, 2], run.Step("mmap").Rc);
        Assert.Equal([1, 1, 1, 1], run.Step("free").Rc);
        Assert.Equal(run.Step("mmap").FreePages, run.Step("free").FreePages);
        Assert.Equal("B", run.Step("read").Observed("page1").GetString());
        Assert.Equal(run.Step("free").FreePages + 4, run.Step("munmap").FreePages);
        Assert.Equal(0, run.PoolDelta);
    }

    [Fact]
    public void S4InsertPageDoesNotExistBefore2615()
        => Assert.Contains("vm_insert_page does not exist in Linux 2.6.14", runs.Faithful["S4/insert-page@2.6.14"].NotInEra, StringComparison.Ordinal);
}
