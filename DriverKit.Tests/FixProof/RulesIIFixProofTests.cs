extern alias DriverKitAnalyzers;

using DriverKit.CodeFixes;
using Rules = DriverKitAnalyzers::DriverKit.Analyzers;
using static DriverKit.Tests.FixProof.FixProofExamples;

namespace DriverKit.Tests.FixProof;

/// <summary>
/// DK0007, DK0008, DK0010, DK0016 and DK0019 through the fix-proof harness (<see cref="RulesIIExamples"/>): each example shows the
/// rule's bug on the runtime, tagged with the rule's id, in the kernels it covers, and runs clean with nothing new after the
/// fix; findings without a mechanical fix prove the bug and that no fix is offered.
/// </summary>
public class RulesIIFixProofTests
{
    public static TheoryData<string> DK0007Examples => Names(RulesIIExamples.DK0007);

    public static TheoryData<string> DK0008Examples => Names(RulesIIExamples.DK0008);

    public static TheoryData<string> DK0008UnfixableExamples => Names(RulesIIExamples.DK0008Unfixable);

    public static TheoryData<string> DK0010Examples => Names(RulesIIExamples.DK0010);

    public static TheoryData<string> DK0010IgnoredExamples => Names(RulesIIExamples.DK0010Ignored);

    public static TheoryData<string> DK0010UnfixableExamples => Names(RulesIIExamples.DK0010Unfixable);

    public static TheoryData<string> DK0016Examples => Names(RulesIIExamples.DK0016);

    public static TheoryData<string> DK0016UnfixableExamples => Names(RulesIIExamples.DK0016Unfixable);

    public static TheoryData<string> DK0019Examples => Names(RulesIIExamples.DK0019);

    public static TheoryData<string> DK0018Examples => Names(RulesIIExamples.DK0018);

    [Theory]
    [MemberData(nameof(DK0007Examples))]
    public Task DK0007(string example) =>
        SeedRulesFixProofTests.Harness("DK0007").ProveAsync(Find(RulesIIExamples.DK0007, example));

    [Theory]
    [MemberData(nameof(DK0008Examples))]
    public Task DK0008(string example) =>
        SeedRulesFixProofTests.Harness("DK0008").ProveAsync(Find(RulesIIExamples.DK0008, example));

    [Theory]
    [MemberData(nameof(DK0008UnfixableExamples))]
    public Task DK0008_slab(string example) =>
        SeedRulesFixProofTests.Harness("DK0008").ProveBugAsync(Find(RulesIIExamples.DK0008Unfixable, example));

    [Theory]
    [MemberData(nameof(DK0010Examples))]
    public Task DK0010(string example) =>
        SeedRulesFixProofTests.Harness("DK0010").ProveAsync(Find(RulesIIExamples.DK0010, example));

    [Theory]
    [MemberData(nameof(DK0010IgnoredExamples))]
    public Task DK0010_ignored_result(string example) =>
        new FixProofHarness("DK0010", new Rules.InsertPageAnalyzer(), new ReturnMappingErrorCodeFix()).ProveAsync(Find(RulesIIExamples.DK0010Ignored, example));

    [Theory]
    [MemberData(nameof(DK0010UnfixableExamples))]
    public Task DK0010_slab(string example) =>
        SeedRulesFixProofTests.Harness("DK0010").ProveBugAsync(Find(RulesIIExamples.DK0010Unfixable, example));

    [Theory]
    [MemberData(nameof(DK0016Examples))]
    public Task DK0016(string example) =>
        SeedRulesFixProofTests.Harness("DK0016").ProveAsync(Find(RulesIIExamples.DK0016, example));

    [Theory]
    [MemberData(nameof(DK0016UnfixableExamples))]
    public Task DK0016_ram(string example) =>
        SeedRulesFixProofTests.Harness("DK0016").ProveBugAsync(Find(RulesIIExamples.DK0016Unfixable, example));

    [Theory]
    [MemberData(nameof(DK0019Examples))]
    public Task DK0019(string example) =>
        SeedRulesFixProofTests.Harness("DK0019").ProveAsync(Find(RulesIIExamples.DK0019, example));

    [Theory]
    [MemberData(nameof(DK0018Examples))]
    public Task DK0018(string example) => SeedRulesFixProofTests.Harness("DK0018").ProveAsync(Find(RulesIIExamples.DK0018, example));
}
