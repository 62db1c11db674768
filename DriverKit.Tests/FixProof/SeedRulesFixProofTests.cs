extern alias DriverKitAnalyzers;

using DriverKit.CodeFixes;
using Rules = DriverKitAnalyzers::DriverKit.Analyzers;
using static DriverKit.Tests.FixProof.FixProofExamples;

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
    public Task DK0001(string example) => Harness("DK0001").ProveAsync(Find(SeedRuleExamples.DK0001, example));

    [Theory]
    [MemberData(nameof(DK0002Examples))]
    public Task DK0002(string example) => Harness("DK0002").ProveAsync(Find(SeedRuleExamples.DK0002, example));

    [Theory]
    [MemberData(nameof(DK0003Examples))]
    public Task DK0003(string example) => Harness("DK0003").ProveAsync(Find(SeedRuleExamples.DK0003, example));

    [Theory]
    [MemberData(nameof(DK0004Examples))]
    public Task DK0004(string example) => Harness("DK0004").ProveAsync(Find(SeedRuleExamples.DK0004, example));

    [Theory]
    [MemberData(nameof(DK0005Examples))]
    public Task DK0005(string example) => Harness("DK0005").ProveAsync(Find(SeedRuleExamples.DK0005, example));

    [Theory]
    [MemberData(nameof(DK0006Examples))]
    public Task DK0006(string example) => Harness("DK0006").ProveAsync(Find(SeedRuleExamples.DK0006, example));

    /// <summary>
    /// The harness of a rule with a code fix: its analyzer and its fix (for DK0010, the Gfp.Comp fix of unsuitable pages), or, for
    /// a rule with several, the one whose form (<see cref="Rules.FixForms"/>) is given.
    /// </summary>
    internal static FixProofHarness Harness(string ruleId, string? form = null) => (ruleId, form) switch
    {
        ("DK0014", null or Rules.FixForms.IomapMemory) => new FixProofHarness(ruleId, new Rules.UncheckedRangeAnalyzer(), new IomapMemoryCodeFix()),
        ("DK0014", Rules.FixForms.ClearMayWrite) => new FixProofHarness(ruleId, new Rules.UncheckedRangeAnalyzer(), new ClearMayWriteCodeFix()),
        (_, not null) => throw new ArgumentException($"{ruleId} has no fix of the form '{form}'", nameof(form)),
        ("DK0001", _) => new FixProofHarness(ruleId, new Rules.LockedVmaAnalyzer(), new RemoveLockedFlagCodeFix()),
        ("DK0002", _) => new FixProofHarness(ruleId, new Rules.PageReservedAnalyzer(), new RemovePageReservationCodeFix()),
        ("DK0003", _) => new FixProofHarness(ruleId, new Rules.PageReservedAnalyzer(), new ClearReservedBeforeFreeCodeFix()),
        ("DK0004", _) => new FixProofHarness(ruleId, new Rules.ReservedVmaFaultAnalyzer(), new ReplaceReservedFlagCodeFix()),
        ("DK0005", _) => new FixProofHarness(ruleId, new Rules.VmReservedAnalyzer(), new ReplaceReservedFlagCodeFix()),
        ("DK0006", _) => new FixProofHarness(ruleId, new Rules.PageLockAsPinAnalyzer(), new LockToReferenceCodeFix()),
        ("DK0007", _) => new FixProofHarness(ruleId, new Rules.MappingOriginAnalyzer(), new RemapVmallocRangeCodeFix()),
        ("DK0008", _) => new FixProofHarness(ruleId, new Rules.MappingOriginAnalyzer(), new PageShiftCodeFix()),
        ("DK0010", _) => new FixProofHarness(ruleId, new Rules.InsertPageAnalyzer(), new CompoundBlockCodeFix()),
        ("DK0012" or "DK0013", _) => new FixProofHarness(ruleId, new Rules.FaultReferenceAnalyzer(), new GetPageCodeFix()),
        ("DK0020", _) => new FixProofHarness(ruleId, new Rules.VmaDisciplineAnalyzer(), new RefusePrivateCodeFix()),
        ("DK0011" or "DK0015" or "DK0017", _) => new FixProofHarness(ruleId, new Rules.VmaDisciplineAnalyzer(), new MmapStatementCodeFix()),
        ("DK0016", _) => new FixProofHarness(ruleId, new Rules.MappingOriginAnalyzer(), new NoncachedProtectionCodeFix()),
        ("DK0018", _) => new FixProofHarness(ruleId, new Rules.MappingLifetimeAnalyzer(), new AddOpenHandlerCodeFix()),
        ("DK0019", _) => new FixProofHarness(ruleId, new Rules.MappingOriginAnalyzer(), new IoRemapCodeFix()),
        _ => throw new ArgumentException($"{ruleId} has no fix-proof harness yet", nameof(ruleId)),
    };
}
