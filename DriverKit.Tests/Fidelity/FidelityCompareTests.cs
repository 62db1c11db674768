using System.Text.Json.Nodes;

namespace DriverKit.Tests.Fidelity;

/// <summary>The comparison machinery itself: normalisation keeps real differences, tolerances explain only their own shape.</summary>
public sealed class FidelityCompareTests
{
    private static ObsScenario Scenario(params (string Step, string Key, string Json)[] obs)
    {
        var s = new ObsScenario("t", string.Empty);
        foreach (var (step, key, json) in obs)
        {
            var st = s.Step(step);
            if (st is null)
            {
                st = new ObsStep(step);
                s.Steps.Add(st);
            }

            st.Set(key, JsonNode.Parse(json));
        }

        return s;
    }

    private static string Norm(ObsScenario s, string step, string key) => FidelityCompare.Text(FidelityCompare.Normalise(s).Step(step)!.Get(key));

    [Fact]
    public void PfnsBecomeRelations()
    {
        var s = Scenario(
            ("setup", "pfn", "[10524,10525,10526,10527]"),
            ("write", "pm_pfn", "[58102,10525,0,58102]"),
            ("gup", "held_pfn", "[7,58102]"));
        Assert.Equal("[0,1,2,3]", Norm(s, "setup", "pfn"));
        Assert.Equal("[\"p#0\",\"drv+1\",\"0\",\"p#0\"]", Norm(s, "write", "pm_pfn"));
        Assert.Equal("[\"p#1\",\"p#0\"]", Norm(s, "gup", "held_pfn"));
    }

    [Fact]
    public void AFrameAbsentFromThePreviousPfnStepIsNewWhenItComesBack()
    {
        var s = Scenario(
            ("write", "pm_pfn", "[500,501,502]"),
            ("fork", "pm_pfn", "[500,501,502]"),
            ("remove", "pm_pfn", "[0,0,501]"),
            ("gap", "errno", "0"),
            ("touch", "pm_pfn", "[501,500,503]"));
        Assert.Equal("[\"p#0\",\"p#1\",\"p#2\"]", Norm(s, "fork", "pm_pfn"));
        Assert.Equal("[\"0\",\"0\",\"p#1\"]", Norm(s, "remove", "pm_pfn"));

        // 501 stayed mapped through "remove" (a step without pfns in between does not count); 500 was gone: new label.
        Assert.Equal("[\"p#1\",\"p#3\",\"p#4\"]", Norm(s, "touch", "pm_pfn"));
    }

    [Fact]
    public void ProbeReusedIsNotComparedForABlockInTheBuddyAllocator()
    {
        var s = Scenario(
            ("o4_clear", "after_inbuddy", "[true,true]"),
            ("o4_clear", "probe_reused", "false"),
            ("o1_clear", "after_inbuddy", "[false,false]"),
            ("o1_clear", "probe_reused", "true"),
            ("o4_half", "after_inbuddy", "[true,false]"),
            ("o4_half", "probe_reused", "false"));
        Assert.Equal("\"in-buddy\"", Norm(s, "o4_clear", "probe_reused"));
        Assert.Equal("true", Norm(s, "o1_clear", "probe_reused"));
        Assert.Equal("false", Norm(s, "o4_half", "probe_reused"));
    }

    [Fact]
    public void SoftDirtyPatAndAnonLruAreDroppedButNothingElse()
    {
        var s = Scenario(
            ("a", "vmflags", "\"rd wr sh mr mw me ms pf io de ar dd sd\""),
            ("a", "pm_kpageflags", "[\"uptodate|lru|mmap|anon|swapbacked\",\"referenced|lru|mmap\"]"));
        Assert.Equal("\"rd wr sh mr mw me ms pf io de dd\"", Norm(s, "a", "vmflags"));
        Assert.Equal("[\"uptodate|mmap|anon|swapbacked\",\"referenced|lru|mmap\"]", Norm(s, "a", "pm_kpageflags"));
    }

    [Fact]
    public void DmesgIsComparedByShape()
    {
        var kernel = Scenario(
            ("setup", "pfn", "[10621,10622,10623,10624]"),
            ("close", "dmesg", """
                ["BUG: Bad page state in process dkfid-test  pfn:0297e",
                 "page:(____ptrval____) refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x297e",
                 "flags: 0xfffffc0001000(reserved|node=0|zone=1|lastcpupid=0x1fffff)",
                 "raw: 000fffffc0001000 dead000000000100 dead000000000122 0000000000000000",
                 "page dumped because: PAGE_FLAGS_CHECK_AT_FREE flag(s) set",
                 "Modules linked in: dkfid(OE)", "Call Trace:", " <TASK>", " dump_stack_lvl+0x44/0x5c", " </TASK>",
                 "Disabling lock debugging due to kernel taint"]
                """));
        var sim = Scenario(
            ("setup", "pfn", "[5,6,7,8]"),
            ("close", "dmesg", """
                ["BUG: Bad page state in process dkfid-test  pfn:00006",
                 "page:ffffea0000000180 refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x6",
                 "flags: 0x40(reserved)",
                 "page dumped because: PAGE_FLAGS_CHECK_AT_FREE flag(s) set"]
                """));
        Assert.Equal(Norm(kernel, "close", "dmesg"), Norm(sim, "close", "dmesg"));
        Assert.Contains("pfn:drv+1", Norm(sim, "close", "dmesg"), StringComparison.Ordinal);

        // A different page or reason is a difference.
        var other = Scenario(
            ("setup", "pfn", "[5,6,7,8]"),
            ("close", "dmesg", "[\"BUG: Bad page state in process dkfid-test  pfn:00005\",\"page dumped because: nonzero mapcount\"]"));
        Assert.NotEqual(Norm(kernel, "close", "dmesg"), Norm(other, "close", "dmesg"));
    }

    [Fact]
    public void AWarningsCommAndPidAreNotCompared()
    {
        static string Warn(string line) => Norm(Scenario(("dup", "dmesg", $"[\"{line}\"]")), "dup", "dmesg");
        const string Dup = ": attempted to duplicate a private mapping with mremap.  This is not supported.";

        Assert.Equal($"[\"<comm> (<pid>){Dup}\"]", Warn("dkfid-test (85)" + Dup));
        Assert.Equal(Warn("dkfid-test (85)" + Dup), Warn("dkfid-test (100)" + Dup));
        Assert.NotEqual(Warn("dkfid-test (85)" + Dup), Warn("dkfid-test (85): another warning"));
    }

    [Fact]
    public void DifferencesAndMissingStepsAreReported()
    {
        var kernel = Scenario(("a", "refcount", "[2,2]"), ("a", "errno", "0"), ("b", "errno", "0"));
        var sim = Scenario(("a", "refcount", "[2,1]"), ("c", "errno", "0"));
        var diffs = FidelityCompare.Diff(FidelityCompare.Normalise(kernel), FidelityCompare.Normalise(sim), out _, out var fields);
        Assert.Equal(3, fields);
        Assert.Equal(
            ["t/a/refcount: kernel=[2,2] simulator=[2,1]", "t/a/errno: kernel=0 simulator=(absent)", "t/b/(step): kernel=\"present\" simulator=(absent)", "t/c/(step): kernel=(absent) simulator=\"present\""],
            diffs.Select(d => d.ToString()));
    }

    [Fact]
    public void TolerancesExplainOnlyTheirShape()
    {
        var kernel = Scenario(("s", "vmflags", "\"rd wr mr mw me ac\""), ("s", "pflags", "[\"referenced\",\"dirty\"]"), ("s", "held_refcount", "[3,3]"));
        var sim = Scenario(("s", "vmflags", "\"rd wr mr mw me\""), ("s", "pflags", "[\"\",\"\"]"), ("s", "held_refcount", "[2,3]"));
        KnownDifference K(string key, Tolerance t) => new("t", "*", key, t, "k", "s", "f", "x") { File = string.Empty };
        var known = new[] { K("vmflags", Tolerance.Tokens(missing: ["ac"])), K("pflags", Tolerance.Tokens(missing: ["referenced"])), K("held_refcount", Tolerance.Offset(1)) };
        var r = ScenarioComparison.Run("f.json", kernel, sim, known);

        // "dirty" is not explained by the "referenced" entry.
        Assert.Equal(["t/s/pflags: kernel=[\"referenced\",\"dirty\"] simulator=[\"\",\"\"]"], r.Unexplained.Select(d => d.ToString()));
        Assert.Equal(2, r.Known.Count);

        // The same tokens the other way round (simulator has, kernel lacks) are not explained either.
        var r2 = ScenarioComparison.Run("f.json", sim, kernel, known);
        Assert.Equal(3, r2.Unexplained.Count);
    }
}
