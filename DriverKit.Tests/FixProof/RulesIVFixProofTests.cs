extern alias DriverKitAnalyzers;

using DriverKit.CodeFixes;
using Rules = DriverKitAnalyzers::DriverKit.Analyzers;
using static DriverKit.Tests.FixProof.FixProofExamples;

namespace DriverKit.Tests.FixProof;

/// <summary>
/// DK0014 and DK0018's free-while-mapped form through the fix-proof harness (<see cref="RulesIVExamples"/>): each example shows its
/// bug on the runtime, tagged with the rule's id, when user space probes the device; the fixed drivers run clean with nothing new,
/// and findings without a mechanical fix are offered none.
/// </summary>
public class RulesIVFixProofTests
{
    public static TheoryData<string> DK0014Examples => Names(RulesIVExamples.DK0014);

    public static TheoryData<string> DK0014UnfixableExamples => Names(RulesIVExamples.DK0014Unfixable);

    public static TheoryData<string> DK0014MayWriteExamples => Names(RulesIVExamples.DK0014MayWrite);

    public static TheoryData<string> DK0018FreedExamples => Names(RulesIVExamples.DK0018Freed);

    [Theory]
    [MemberData(nameof(DK0014Examples))]
    public Task DK0014(string example) => SeedRulesFixProofTests.Harness("DK0014").ProveAsync(Find(RulesIVExamples.DK0014, example));

    [Theory]
    [MemberData(nameof(DK0014UnfixableExamples))]
    public Task DK0014_RAM_and_faults(string example) => SeedRulesFixProofTests.Harness("DK0014").ProveBugAsync(Find(RulesIVExamples.DK0014Unfixable, example));

    [Theory]
    [MemberData(nameof(DK0014MayWriteExamples))]
    public Task DK0014_VM_MAYWRITE(string example) =>
        SeedRulesFixProofTests.Harness("DK0014", Rules.FixForms.ClearMayWrite).ProveAsync(Find(RulesIVExamples.DK0014MayWrite, example));

    [Theory]
    [MemberData(nameof(DK0018FreedExamples))]
    public Task DK0018_freed_while_mapped(string example) =>
        new FixProofHarness("DK0018", new Rules.MappingLifetimeAnalyzer(), new AddOpenHandlerCodeFix()).ProveBugAsync(Find(RulesIVExamples.DK0018Freed, example));
}
