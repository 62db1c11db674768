namespace DriverKit.Tests.Samples;

/// <summary>The runner's JSON for S2 (Ben Herrenschmidt's fork refcount problem) against §4's table.</summary>
[Collection(ScenarioRunsFixture.Collection)]
public sealed class ScenarioJsonS2Tests(ScenarioRunsFixture runs)
{
    private static readonly string[] Steps = ["touch", "fork", "child-touch", "child-exit", "munmap"];

    public static TheoryData<string, int[], int, long> Table => new()
    {
        // run; { rc, mc } after steps 1–5; rc after the driver's put (step 6); pool Δ at the end
        { "S2/a@2.6.19", [2, 1, 2, 1, 3, 2, 2, 1, 1, 0], 0, 0 },
        { "S2/b@2.6.19", [2, 1, 2, 1, 3, 2, 3, 2, 3, 2], 2, -1 },
        { "S2/d@2.6.24", [1, 0, 1, 0, 1, 0, 1, 0, 1, 0], 0, 0 },
        { "S2/d@7.0", [1, 0, 1, 0, 1, 0, 1, 0, 1, 0], 0, 0 },
        { "S2/d-mixed@2.6.30", [1, 0, 1, 0, 1, 0, 1, 0, 1, 0], 0, 0 },
        { "S2/d-mixed@7.0", [1, 0, 1, 0, 1, 0, 1, 0, 1, 0], 0, 0 },

        // §2.2: without pte_special vmf_insert_mixed refcounts through insert_page; kernel-verification.md item 9:
        // 2.6.26–3.6 fork does not copy VM_MIXEDMAP vmas, so the child refaults.
        { "S2/d-mixed@2.6.30+no_pte_special", [2, 1, 2, 1, 3, 2, 2, 1, 1, 0], 0, 0 },
        { "S2/e@2.6.20", [2, 1, 3, 2, 3, 2, 2, 1, 1, 0], 0, 0 },
        { "S2/e@7.0", [2, 1, 3, 2, 3, 2, 2, 1, 1, 0], 0, 0 },

        // Era notes of S2: E1 gave Ben's semantics per vma but still leaked the ->nopage reference (as in S1).
        { "S2/a@2.6.15-rc1", [2, 0, 2, 0, 2, 0, 2, 0, 2, 0], 1, -1 },

        // kernel-verification.md Q7: 2.6.14 copies the PTEs of VM_RESERVED vmas at fork, with get_page + dup_rmap.
        { "S2/a@2.6.14", [2, 1, 3, 2, 3, 2, 2, 1, 1, 0], 0, 0 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void RefcountsThroughForkAndExitMatchTheSpecTable(string key, int[] expected, int rcReleased, long poolDelta)
    {
        var run = runs.Faithful[key];
        Assert.Equal([1], run.Step("load").Rc);
        for (var i = 0; i < Steps.Length; i++)
        {
            var step = run.Step(Steps[i]);
            Assert.Equal((expected[2 * i], expected[(2 * i) + 1]), (step.Rc[0], step.Mc[0]));
        }

        Assert.Equal([rcReleased], run.Step("release").Rc);
        Assert.Equal(poolDelta, run.PoolDelta);
        Assert.Equal(poolDelta == 0 ? 0 : 1, run.Leaked.Length);
    }

    [Fact]
    public void VariantCFreesThePageUnderTheDriver()
    {
        var run = runs.Faithful["S2/c@2.6.20"];
        Assert.Equal((2, 1), (run.Step("touch").Rc[0], run.Step("touch").Mc[0]));
        Assert.Equal((2, 1), (run.Step("fork").Rc[0], run.Step("fork").Mc[0])); // copied without get: 2 PTEs, one reference
        Assert.Equal((2, 1), (run.Step("child-touch").Rc[0], run.Step("child-touch").Mc[0])); // already mapped
        Assert.Equal((1, 0), (run.Step("child-exit").Rc[0], run.Step("child-exit").Mc[0])); // off by one while U maps P

        // Step 5: mapcount goes negative and P goes back to the allocator while the driver owns it. 2.6.20 without
        // DEBUG_VM says nothing at the rmap; bad_page reports the page at free (kernel-verification.md Q10/Q11:
        // "Bad page map" is the 2.6.29+ print_bad_pte text, not 2.6.20's).
        var munmap = run.Step("munmap");
        Assert.Equal(run.Step("load").FreePages + 1, munmap.FreePages);
        Assert.Contains(munmap.Reports, r => r.GetProperty("kind").GetString() == "Kernel" && r.GetProperty("reason").GetString() == "nonzero mapcount");

        // Step 6: the owner's put hits a page already freed; the simulator refuses the use-after-free.
        Assert.Contains("INV-01", run.Step("release").Oops, StringComparison.Ordinal);
        Assert.Equal(["DK0013", "DK0015"], run.Rules);
    }

    [Fact]
    public void VariantCFlipIsFlaggedBeforeAnyCountGoesWrongInStrictMode()
    {
        // §4 S2: "INV-04 must flag the flip itself, before any count goes wrong".
        var flip = runs.Strict["S2/c@2.6.20"].Step("flip");
        Assert.Contains(flip.Reports, r => r.GetProperty("invariant").GetString() == "INV-04");
        Assert.Equal((2, 1), (flip.Rc[0], flip.Mc[0]));
    }

    [Fact]
    public void VariantCUnderDebugVmOopsesAtTheNegativeMapcount()
    {
        var munmap = runs.Faithful["S2/c@2.6.20+debug_vm"].Step("munmap");
        Assert.NotNull(munmap.Oops);
        Assert.Contains("Eeek! page_mapcount(page) went negative! (-1)", munmap.Log);
    }

    [Theory]
    [InlineData("S2/a@2.6.30", "->nopage does not exist")]
    [InlineData("S2/d@2.6.19", "->fault does not exist")]
    public void VariantsThatDoNotExistInAnEraDoNotCompile(string key, string message)
    {
        Assert.False(runs.Faithful[key].Compiles);
        Assert.Contains(message, runs.Faithful[key].NotInEra, StringComparison.Ordinal);
    }
}
