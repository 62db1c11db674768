extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.VmaDisciplineAnalyzer;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.VmaDisciplineAnalyzer,
    DriverKit.CodeFixes.RefusePrivateCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0020PartialOrCowPfnMapTests
{
    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0020").WithLocation(location);

    private static string Driver(string mmap, string members = "") => $$"""
        using DriverKit.Runtime;

        class Pfns
        {
            private readonly Kernel kernel;
            private readonly Page regs;
            private readonly Page ring;
            private readonly VmOperations ops;

            Pfns(Kernel kernel)
            {
                this.kernel = kernel;
                regs = kernel.AllocPage(Gfp.Kernel);
                ring = kernel.AllocPage(Gfp.Kernel);
                ops = new VmOperations { Fault = PfnsFault };
                kernel.RegisterChrdev("/dev/pfns", new FileOperations { Mmap = PfnsMmap });
            }

            int PfnsMmap(OpenFile file, VmArea vma)
            {
        {{mmap}}
            }

            VmFaultResult PfnsFault(VmFault vmf) => {|#0:kernel.VmfInsertPfn(vmf.Vma, vmf.Address, kernel.PageToPfn(regs))|};
        {{members}}
        }
        """;

    /// <summary>The driver with its fault handler's insert unmarked (not expected to be reported).</summary>
    private static string Plain(string mmap, string members = "") =>
        Driver(mmap, members).Replace("{|#0:kernel.VmfInsertPfn(vmf.Vma, vmf.Address, kernel.PageToPfn(regs))|}", "kernel.VmfInsertPfn(vmf.Vma, vmf.Address, kernel.PageToPfn(regs))");

    [Fact]
    public Task Fault_pfn_map_without_a_shared_check_is_fixed_at_the_top_of_mmap() => Verify.VerifyFixAsync(
        Driver("""
                    // one page of registers, served by the fault handler
                    vma.Flags |= VmFlags.PfnMap | VmFlags.IO | VmFlags.DontExpand;
                    vma.Ops = ops;
                    return 0;
            """),
        Diagnostic(0).WithArguments("VmfInsertPfn", "maps pfns into a VM_PFNMAP VMA", "PfnsMmap",
            "in Linux 7.0 (era E7) vmf_insert_pfn BUG()s on a COW VM_PFNMAP VMA at its first fault", "if ((vma.Flags & VmFlags.Shared) == 0) return -Errno.EINVAL;"),
        Plain("""
                    if ((vma.Flags & VmFlags.Shared) == 0) return -Errno.EINVAL;
                    // one page of registers, served by the fault handler
                    vma.Flags |= VmFlags.PfnMap | VmFlags.IO | VmFlags.DontExpand;
                    vma.Ops = ops;
                    return 0;
            """));

    [Theory]
    [InlineData("if ((vma.Flags & VmFlags.Shared) == 0)\n            return -Errno.EINVAL;")]
    [InlineData("if (!vma.Flags.HasFlag(VmFlags.MayShare))\n            throw new System.InvalidOperationException();")]
    [InlineData("vma.Flags &= ~VmFlags.MayWrite;")]
    public Task A_shared_check_or_cleared_may_write_is_accepted(string guard) => Verify.VerifyAsync(Plain($$"""
                    {{guard}}
                    vma.Flags |= VmFlags.PfnMap | VmFlags.IO | VmFlags.DontExpand;
                    vma.Ops = ops;
                    return 0;
            """));

    [Fact]
    public Task C_port_shared_check_in_a_helper_with_goto() => Verify.VerifyAsync(Plain("""
                    int ret;

                    ret = CheckShared(vma);
                    if (ret != 0)
                        goto out_err;
                    vma.Flags |= VmFlags.PfnMap | VmFlags.IO | VmFlags.DontExpand;
                    vma.Ops = ops;
                    return 0;
                out_err:
                    return ret;
            """, """
                static int CheckShared(VmArea area)
                {
                    if ((area.Flags & VmFlags.Shared) == 0)
                        return -Errno.EINVAL;
                    return 0;
                }
            """));

    [Fact]
    public Task Mixed_map_faults_are_not_reported() => Verify.VerifyAsync(Plain("""
                    vma.Flags |= VmFlags.MixedMap | VmFlags.IO | VmFlags.DontExpand;
                    vma.Ops = ops;
                    return 0;
            """));

    [Fact]
    public Task A_partial_remap_is_reported_and_a_whole_one_through_C_style_locals_is_not() => Verify.VerifyAsync(Plain("""
                    UserAddr addr;
                    ulong size;

                    addr = vma.Start;
                    size = vma.End - vma.Start;
                    if (vma.Pgoff == 0)
                        return kernel.RemapPfnRange(vma, addr, kernel.PageToPfn(regs), size, vma.PageProt);
                    addr += Kernel.PageSize;
                    return {|#1:kernel.RemapPfnRange(vma, addr, kernel.PageToPfn(ring), Kernel.PageSize, vma.PageProt)|};
            """), Verify.Diagnostic("DK0020").WithLocation(1).WithArguments("RemapPfnRange", "maps a part of the VMA", "PfnsMmap",
                "in Linux 7.0 (era E7) remap_pfn_range of a COW VMA must cover all of it (the linear rule), so every private mapping fails with EINVAL",
                "if ((vma.Flags & VmFlags.Shared) == 0) return -Errno.EINVAL;"));

    [Fact]
    public Task Fix_all_refuses_private_mappings_once() => Verify.VerifyFixAsync(
        Plain("""
                    var ret = {|#1:kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(regs), Kernel.PageSize, vma.PageProt)|};
                    if (ret != 0)
                        return ret;
                    return {|#2:kernel.RemapPfnRange(vma, vma.Start + Kernel.PageSize, kernel.PageToPfn(ring), Kernel.PageSize, vma.PageProt)|};
            """),
        [Verify.Diagnostic("DK0020").WithLocation(1), Verify.Diagnostic("DK0020").WithLocation(2)],
        Plain("""
                    if ((vma.Flags & VmFlags.Shared) == 0) return -Errno.EINVAL;
                    var ret = kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(regs), Kernel.PageSize, vma.PageProt);
                    if (ret != 0)
                        return ret;
                    return kernel.RemapPfnRange(vma, vma.Start + Kernel.PageSize, kernel.PageToPfn(ring), Kernel.PageSize, vma.PageProt);
            """));

    [Theory]
    [InlineData(Eras.E0, 0)]
    [InlineData(Eras.E2, 0)]
    [InlineData(Eras.E3, 1)]
    [InlineData(Eras.E7, 1)]
    public async Task Partial_remaps_are_reported_from_the_linear_rule_on(string version, int count)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Plain("""
                    return kernel.RemapPfnRange(vma, vma.Start + Kernel.PageSize, kernel.PageToPfn(ring), Kernel.PageSize, vma.PageProt);
            """), version);
        Assert.Equal(count, diagnostics.Count(diagnostic => diagnostic.Id == "DK0020"));
    }
}
