extern alias DriverKitAnalyzers;

using DriverKit.CodeFixes;
using Rules = DriverKitAnalyzers::DriverKit.Analyzers;

namespace DriverKit.Tests.FixProof;

/// <summary>
/// DK0001–DK0006 through the fix-proof harness: each rule's example drivers (<see cref="SeedRuleExamples"/>) show the rule's
/// bug on the runtime in the kernels it covers, and run clean, with nothing new, after the fix — one fix at a time and Fix All.
/// </summary>
public class SeedRulesFixProofTests
{
    public static TheoryData<string> DK0001Examples => Names(SeedRuleExamples.DK0001);

    public static TheoryData<string> DK0002Examples => Names(SeedRuleExamples.DK0002);

    public static TheoryData<string> DK0003Examples => Names(SeedRuleExamples.DK0003);

    public static TheoryData<string> DK0004Examples => Names(SeedRuleExamples.DK0004);

    public static TheoryData<string> DK0005Examples => Names(SeedRuleExamples.DK0005);

    public static TheoryData<string> DK0006Examples => Names(SeedRuleExamples.DK0006);

    [Theory]
    [MemberData(nameof(DK0001Examples))]
    public Task DK0001(string example) => new FixProofHarness("DK0001", new Rules.LockedVmaAnalyzer(), new RemoveLockedFlagCodeFix())
        .ProveAsync(Find(SeedRuleExamples.DK0001, example));

    [Theory]
    [MemberData(nameof(DK0002Examples))]
    public Task DK0002(string example) => new FixProofHarness("DK0002", new Rules.PageReservedAnalyzer(), new RemovePageReservationCodeFix())
        .ProveAsync(Find(SeedRuleExamples.DK0002, example));

    [Theory]
    [MemberData(nameof(DK0003Examples))]
    public Task DK0003(string example) => new FixProofHarness("DK0003", new Rules.PageReservedAnalyzer(), new ClearReservedBeforeFreeCodeFix())
        .ProveAsync(Find(SeedRuleExamples.DK0003, example));

    [Theory]
    [MemberData(nameof(DK0004Examples))]
    public Task DK0004(string example) => new FixProofHarness("DK0004", new Rules.ReservedVmaFaultAnalyzer(), new ReplaceReservedFlagCodeFix())
        .ProveAsync(Find(SeedRuleExamples.DK0004, example));

    [Theory]
    [MemberData(nameof(DK0005Examples))]
    public Task DK0005(string example) => new FixProofHarness("DK0005", new Rules.VmReservedAnalyzer(), new ReplaceReservedFlagCodeFix())
        .ProveAsync(Find(SeedRuleExamples.DK0005, example));

    [Theory]
    [MemberData(nameof(DK0006Examples))]
    public Task DK0006(string example) => new FixProofHarness("DK0006", new Rules.PageLockAsPinAnalyzer(), new LockToReferenceCodeFix())
        .ProveAsync(Find(SeedRuleExamples.DK0006, example));

    private static TheoryData<string> Names(IEnumerable<FixProofExample> examples) => [.. examples.Select(example => example.Name)];

    private static FixProofExample Find(IEnumerable<FixProofExample> examples, string name) => examples.Single(example => example.Name == name);
}
