extern alias DriverKitAnalyzers;

using DriverKit.CodeFixes;
using Rules = DriverKitAnalyzers::DriverKit.Analyzers;
using static DriverKit.Tests.FixProof.FixProofExamples;

namespace DriverKit.Tests.FixProof;

/// <summary>
/// The per-VMA rules through the fix-proof harness (<see cref="RulesIIIExamples"/>): each example shows its bug on the runtime,
/// tagged with the rule's id, in the eras the catalog predicts; the fixed drivers run clean with nothing new, and findings without
/// a mechanical fix are offered none.
/// </summary>
public class RulesIIIFixProofTests
{
    public static TheoryData<string> DK0015Examples => Names(RulesIIIExamples.DK0015);

    public static TheoryData<string> DK0011Examples => Names(RulesIIIExamples.DK0011);

    public static TheoryData<string> DK0011RacingExamples => Names(RulesIIIExamples.DK0011Racing);

    public static TheoryData<string> DK0012Examples => Names(RulesIIIExamples.DK0012);

    public static TheoryData<string> DK0020Examples => Names(RulesIIIExamples.DK0020);

    public static TheoryData<string> DK0017Examples => Names(RulesIIIExamples.DK0017);

    public static TheoryData<string> DK0013Examples => Names(RulesIIIExamples.DK0013);

    public static TheoryData<string> DK0013FlipExamples => Names(RulesIIIExamples.DK0013Flip);

    public static TheoryData<string> DK0009Examples => Names(RulesIIIExamples.DK0009);

    [Theory]
    [MemberData(nameof(DK0015Examples))]
    public Task DK0015(string example) => SeedRulesFixProofTests.Harness("DK0015").ProveAsync(Find(RulesIIIExamples.DK0015, example));

    [Theory]
    [MemberData(nameof(DK0011Examples))]
    public Task DK0011(string example) => SeedRulesFixProofTests.Harness("DK0011").ProveAsync(Find(RulesIIIExamples.DK0011, example));

    [Theory]
    [MemberData(nameof(DK0011RacingExamples))]
    public Task DK0011_before_3_7(string example) => SeedRulesFixProofTests.Harness("DK0011").ProveBugAsync(Find(RulesIIIExamples.DK0011Racing, example));

    [Theory]
    [MemberData(nameof(DK0009Examples))]
    public Task DK0009(string example) => new FixProofHarness("DK0009", new Rules.VmaDisciplineAnalyzer(), new MmapStatementCodeFix()).ProveBugAsync(Find(RulesIIIExamples.DK0009, example));

    [Theory]
    [MemberData(nameof(DK0012Examples))]
    public Task DK0012(string example) => SeedRulesFixProofTests.Harness("DK0012").ProveAsync(Find(RulesIIIExamples.DK0012, example));

    [Theory]
    [MemberData(nameof(DK0020Examples))]
    public Task DK0020(string example) => SeedRulesFixProofTests.Harness("DK0020").ProveAsync(Find(RulesIIIExamples.DK0020, example));

    [Theory]
    [MemberData(nameof(DK0017Examples))]
    public Task DK0017(string example) => SeedRulesFixProofTests.Harness("DK0017").ProveAsync(Find(RulesIIIExamples.DK0017, example));

    [Theory]
    [MemberData(nameof(DK0013Examples))]
    public Task DK0013(string example) => SeedRulesFixProofTests.Harness("DK0013").ProveAsync(Find(RulesIIIExamples.DK0013, example));

    [Theory]
    [MemberData(nameof(DK0013FlipExamples))]
    public Task DK0013_flip(string example) => SeedRulesFixProofTests.Harness("DK0013").ProveBugAsync(Find(RulesIIIExamples.DK0013Flip, example));
}
