using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Samples;

/// <summary>
/// The runner's JSON for S1 and S1F against the tables of docs/kernel-semantics.md §4, as corrected against the
/// kernel history in docs/kernel-verification.md (where the spec and the kernel disagree, the kernel wins).
/// </summary>
[Collection(ScenarioRunsFixture.Collection)]
public sealed class ScenarioJsonS1Tests(ScenarioRunsFixture runs)
{
    private const int N = 4;

    public static TheoryData<string, int, int, long, int, int, int, long> S1Table => new()
    {
        // run; after the first reads: rc, mc, file rss; rc after the first munmap; rc after K = 3 cycles; rc after close; pool Δ at the end
        { "S1/nopage@2.6.14", 2, 1, N, 1, 1, 0, 0 },
        { "S1/nopage@2.6.15-rc1", 2, 0, 0, 2, 4, 3, -N },

        // kernel-verification.md Q1: -rc2 still has the -rc1 VM_RESERVED model; E1 covers -rc1 and -rc2.
        { "S1/nopage@2.6.15-rc2", 2, 0, 0, 2, 4, 3, -N },

        // kernel-verification.md Q1: E2 (VM_UNPAGED) exists only in the -git snapshots between -rc2 and -rc3.
        { "S1/nopage@2.6.15-rc2-git5", 2, 1, N, 1, 1, 0, 0 },
        { "S1/nopage@2.6.20", 2, 1, N, 1, 1, 0, 0 },
        { "S1/fault@2.6.24", 2, 1, N, 1, 1, 0, 0 },

        // E5+: "with VM_DONTEXPAND|VM_DONTDUMP instead: as E3".
        { "S1/modern@3.7", 2, 1, N, 1, 1, 0, 0 },
        { "S1/modern@7.0", 2, 1, N, 1, 1, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(S1Table))]
    public void S1MatchesTheSpecTable(string key, int rcTouched, int mcTouched, long rssTouched, int rcUnmapped, int rcCycles, int rcClosed, long poolDelta)
    {
        var run = runs.Faithful[key];
        Assert.True(run.Compiles);
        var touch = run.Step("touch");
        Assert.Equal(Repeat(rcTouched, N), touch.Rc);
        Assert.Equal(Repeat(mcTouched, N), touch.Mc);
        Assert.Equal(rssTouched, touch.Observed("rss_file").GetInt64());
        Assert.Equal(Repeat(rcUnmapped, N), run.Step("munmap").Rc);
        Assert.Equal(Repeat(0, N), run.Step("munmap").Mc);
        Assert.Equal(Repeat(rcCycles, N), run.Step("cycle3").Rc);
        Assert.Equal(Repeat(rcClosed, N), run.Step("close").Rc);
        Assert.Equal(poolDelta, run.PoolDelta);
        Assert.Equal(poolDelta == 0 ? 0 : N, run.Leaked.Length);
        Assert.Equal(0, run.KernelReports); // the E1 leak is silent: "no kernel message"
    }

    [Theory]
    [InlineData("S1/nopage@2.6.14", null)]
    [InlineData("S1/nopage@2.6.15-rc1", "EACCES")]
    [InlineData("S1/nopage@2.6.15-rc2-git5", null)]
    [InlineData("S1/nopage@2.6.20", null)]
    public void S1PrivateWritableMappingIsRefusedOnlyInE1(string key, string? errno)
    {
        var step = runs.Faithful[key].Step("private-write");
        Assert.Equal(errno, step.Errno);
        var warned = step.Log.Any(l => l.Contains("is using MAP_PRIVATE, PROT_WRITE mmap of VM_RESERVED memory, which is deprecated", StringComparison.Ordinal));
        Assert.Equal(errno is not null, warned);
    }

    [Theory]
    [InlineData("S1/fault@3.7", "VM_RESERVED does not exist in Linux 3.7 (era E5)")]
    [InlineData("S1/nopage@2.6.30", "->nopage does not exist in Linux 2.6.30")]
    public void S1DriverThatDoesNotExistInAnEraIsRecordedAsNotCompiling(string key, string message)
    {
        var run = runs.Faithful[key];
        Assert.False(run.Compiles);
        Assert.Contains(message, run.NotInEra, StringComparison.Ordinal);
        Assert.Equal(0, run.PoolDelta);
    }

    [Fact]
    public void S1LeakDetectorNamesTheFourPagesInStrictMode()
    {
        // §4 S1: "Leak detector (INV-20) must report in E1: 4 pages leaked (rc=3 each, no owner, no mappings)".
        var leak = runs.Strict["S1/nopage@2.6.15-rc1"].Step("shutdown").Reports.Single(r => r.GetProperty("invariant").GetString() == "INV-20");
        Assert.Equal("Simulator", leak.GetProperty("kind").GetString());
        Assert.Equal("DK0004", leak.GetProperty("rule").GetString());
        Assert.Contains("4 page(s) leaked", leak.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, leak.GetProperty("pages").GetArrayLength());
        Assert.Contains("rc=3 mc=0", leak.GetProperty("ledger").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("rc=3", leak.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("docs/kernel-semantics.md#inv-20", leak.GetProperty("help").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, int, int, int, int, int> S1FTable => new()
    {
        // run; rc and mc after fork; rc after the child's 4 reads; rc and mc after the child's exit
        { "S1F/nopage@2.6.14", 3, 2, 3, 2, 1 },
        { "S1F/nopage@2.6.15-rc1", 2, 0, 2, 2, 0 },
        { "S1F/nopage@2.6.15-rc2-git5", 3, 2, 3, 2, 1 },
        { "S1F/nopage@2.6.20", 2, 1, 3, 2, 1 },
        { "S1F/fault@2.6.30", 2, 1, 3, 2, 1 },
        { "S1F/modern@7.0", 2, 1, 3, 2, 1 },
    };

    [Theory]
    [MemberData(nameof(S1FTable))]
    public void S1FMatchesTheSpecTable(string key, int rcForked, int mcForked, int rcChildRead, int rcChildExited, int mcChildExited)
    {
        var run = runs.Faithful[key];
        Assert.Equal(Repeat(rcForked, N), run.Step("fork").Rc);
        Assert.Equal(Repeat(mcForked, N), run.Step("fork").Mc);
        Assert.Equal(Repeat(rcChildRead, N), run.Step("child-touch").Rc);
        Assert.Equal(Repeat(rcChildExited, N), run.Step("child-exit").Rc);
        Assert.Equal(Repeat(mcChildExited, N), run.Step("child-exit").Mc);
    }
}
