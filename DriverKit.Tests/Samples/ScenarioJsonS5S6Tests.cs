namespace DriverKit.Tests.Samples;

/// <summary>The runner's JSON for S5 (growth of a device mapping) and S6 (.close without .open), plus the rule map.</summary>
[Collection(ScenarioRunsFixture.Collection)]
public sealed class ScenarioJsonS5S6Tests(ScenarioRunsFixture runs)
{
    [Theory]
    [InlineData("S5/expandable@2.6.24")]
    [InlineData("S5/expandable@3.7")]
    [InlineData("S5/expandable@7.0")]
    public void S5GrowthReachesTheFaultHandlerPastTheBuffer(string key)
    {
        // "All eras: mremap succeeds; touch calls ->fault with pgoff 6 ⇒ OOB read of pages[6] ⇒ … crash on invalid pointer".
        var run = runs.Faithful[key];
        Assert.Null(run.Step("mremap").Errno);
        var touch = run.Step("touch");
        Assert.Equal("SIGKILL", touch.Signal);
        Assert.StartsWith("BUG: unable to handle page fault in driver code", touch.Oops, StringComparison.Ordinal);
        Assert.Equal(["DK0015"], run.Rules);
    }

    [Theory]
    [InlineData("S5/dontexpand@3.7")]
    [InlineData("S5/dontexpand@7.0")]
    public void S5DontExpandMakesGrowthFail(string key) => Assert.Equal("EFAULT", runs.Faithful[key].Step("mremap").Errno);

    [Theory]
    [InlineData("S5/insert-page-only@2.6.20", false)]
    [InlineData("S5/insert-page-only@4.9", false)]
    [InlineData("S5/insert-page-only@4.18", true)]
    [InlineData("S5/insert-page-only@7.0", true)]
    public void S5InsertPageOnlyDriverGetsAnonymousPagesOrSigbus(string key, bool sigbus)
    {
        // The spec says SIGBUS from 4.2; kernel-verification.md Q4 / correction 19: that is for vmas with vm_ops but no
        // ->fault. This driver sets no vm_ops at all, and such file vmas got anonymous pages until 4.17, SIGBUS from 4.18.
        var touch = runs.Faithful[key].Step("touch");
        if (sigbus)
        {
            Assert.Equal("SIGBUS", touch.Signal);
            Assert.Contains("BUS_ADRERR", touch.Result, StringComparison.Ordinal);
        }
        else
        {
            Assert.Null(touch.Signal);
            Assert.Equal("0x00", touch.Observed("byte").GetString());
        }
    }

    [Theory]
    [InlineData("S6/close-without-open@2.6.20")]
    [InlineData("S6/close-without-open@3.7")]
    [InlineData("S6/close-without-open@7.0")]
    public void S6ChildExitFreesTheBufferUnderTheParent(string key)
    {
        var run = runs.Faithful[key];
        Assert.Equal("ABCD", run.Step("read").Observed("seen").GetString());
        Assert.Equal(run.Step("read").FreePages + 4, run.Step("child-exit").FreePages);
        Assert.Contains("99", run.Step("read-again").Observed("seen_bytes").GetString(), StringComparison.Ordinal);
        Assert.Null(run.Step("read-again").Signal);
        Assert.Equal(0, run.KernelReports); // "kernel silent"
    }

    [Fact]
    public void S6StrictModeReportsCloseWithoutOpenAndTheUseAfterFree()
    {
        // §4 S6: "simulator: INV-06 + INV-18 ('close without matching open')".
        var reports = runs.Strict["S6/close-without-open@7.0"].Reports.ToArray();
        Assert.Contains(reports, r => r.GetProperty("invariant").GetString() == "INV-18" && r.GetProperty("rule").GetString() == "DK0018");
        Assert.Contains(reports, r => r.GetProperty("invariant").GetString() == "INV-06");
        Assert.DoesNotContain(reports, r => r.GetProperty("kind").GetString() == "Kernel");
    }

    public static TheoryData<string, string, string[]> RuleMap => new()
    {
        { "S1", "nopage", ["DK0004", "DK0005", "DK0015"] },
        { "S1", "fault", ["DK0004", "DK0005", "DK0015"] },
        { "S1", "modern", [] },
        { "S1F", "nopage", ["DK0004", "DK0005", "DK0015"] },
        { "S2", "a", ["DK0004", "DK0005", "DK0015"] },
        { "S2", "b", ["DK0004", "DK0005", "DK0015"] },
        { "S2", "c", ["DK0013", "DK0015"] },
        { "S2", "d", [] },
        { "S2", "e", ["DK0015"] },
        { "S3", "locked-io", ["DK0001"] },
        { "S3", "fix", [] },
        { "S4", "A", [] },
        { "S4", "B", ["DK0002"] },
        { "S4", "C", ["DK0002", "DK0003"] },
        { "S4", "D", ["DK0002", "DK0018"] },
        { "S5", "expandable", ["DK0015"] },
        { "S6", "close-without-open", ["DK0018"] },
    };

    [Theory]
    [MemberData(nameof(RuleMap))]
    public void EveryRunNamesTheRulesThatFlagItsDriverCode(string scenario, string variant, string[] rules)
    {
        var matching = runs.Faithful.All.Where(r => r.Key.StartsWith($"{scenario}/{variant}@", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(matching);
        Assert.All(matching, r => Assert.Equal(rules, r.Rules));
    }

    [Fact]
    public void EveryRunEitherPlaysOrSaysWhyItDoesNotCompile()
        => Assert.All(runs.Faithful.All, r => Assert.True(r.Compiles || r.NotInEra.Contains(" does not exist in Linux ", StringComparison.Ordinal), r.Key));
}
