extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.VmaDisciplineAnalyzer;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.VmaDisciplineAnalyzer,
    DriverKit.CodeFixes.MmapStatementCodeFix>;

namespace DriverKit.Tests.Analyzers;

/// <summary>DK0009 (a refcounted page into a VM_PFNMAP VMA) and DK0011 (vm_insert_page outside ->mmap without VM_MIXEDMAP).</summary>
public class DK0009DK0011InsertPageDisciplineTests
{
    private static ExpectedDiagnostic DK0009(int location) => Verify.Diagnostic("DK0009").WithLocation(location);

    private static ExpectedDiagnostic DK0011(int location) => Verify.Diagnostic("DK0011").WithLocation(location);

    /// <summary>A driver whose ->mmap body is <paramref name="mmap"/> (its VMA never grows, nor is it private) and whose fault handler body is <paramref name="fault"/>.</summary>
    private static string Driver(string mmap, string fault, string members = "") => $$"""
        using DriverKit.Runtime;

        class Dev
        {
            private readonly Kernel kernel;
            private readonly Page regs;
            private readonly Page ring;
            private readonly VmOperations ops;

            Dev(Kernel kernel)
            {
                this.kernel = kernel;
                regs = kernel.AllocPage(Gfp.Kernel);
                ring = kernel.AllocPage(Gfp.Kernel);
                ops = new VmOperations { Fault = DevFault };
                kernel.RegisterChrdev("/dev/dev", new FileOperations { Mmap = DevMmap });
            }

            int DevMmap(OpenFile file, VmArea vma)
            {
                if ((vma.Flags & VmFlags.Shared) == 0)
                    return -Errno.EINVAL;
                vma.Flags |= VmFlags.DontExpand;
        {{mmap}}
            }

            VmFaultResult DevFault(VmFault vmf)
            {
        {{fault}}
            }
        {{members}}
        }
        """;

    private const string InsertInFault = """
                kernel.VmInsertPage(vmf.Vma, vmf.Address, ring);
                return VmFaultResult.NoPage;
        """;

    [Fact]
    public Task Remap_then_insert_in_the_same_mmap_is_DK0009() => Verify.VerifyAsync(Driver("""
                    var ret = kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(regs), Kernel.PageSize, vma.PageProt);
                    if (ret != 0)
                        return ret;
                    return {|#0:kernel.VmInsertPage(vma, vma.Start + Kernel.PageSize, ring)|};
            """, "        return VmFaultResult.Sigbus;"),
        DK0009(0).WithArguments("VmInsertPage", "DevMmap", "RemapPfnRange", "7.0 (era E7)", "vm_insert_page BUG()s on a VM_PFNMAP VMA"));

    [Fact]
    public Task Insert_before_the_remap_or_on_another_path_is_not_DK0009() => Verify.VerifyAsync(Driver("""
                    if (vma.Pgoff == 1)
                        return kernel.VmInsertPage(vma, vma.Start, ring);
                    kernel.VmInsertPage(vma, vma.Start, ring);
                    return kernel.RemapPfnRange(vma, vma.Start + Kernel.PageSize, kernel.PageToPfn(regs), Kernel.PageSize, vma.PageProt);
            """, "        return VmFaultResult.Sigbus;"));

    [Fact]
    public Task Mixed_map_set_by_the_driver_accepts_pages_and_pfns() => Verify.VerifyAsync(Driver("""
                    vma.Flags |= VmFlags.MixedMap;
                    vma.Ops = ops;
                    return 0;
            """, InsertInFault));

    [Fact]
    public Task Fault_insert_into_a_vma_mmap_never_marks_mixed_map_is_fixed_in_mmap() => Verify.VerifyFixAsync(
        Driver("""
                    vma.Ops = ops;
                    return 0;
            """, """
                    {|#0:kernel.VmInsertPage(vmf.Vma, vmf.Address, ring)|};
                    return VmFaultResult.NoPage;
            """),
        DK0011(0).WithArguments("VmInsertPage", "vm_ops->fault", "DevFault", "DevMmap",
            "in Linux 7.0 (era E7) it BUG()s there (BUG_ON(mmap_read_trylock)): the fault holds the mmap lock for read, not for write",
            "set VM_MIXEDMAP in 'DevMmap' with 'kernel.VmFlagsSet(vma, VmFlags.MixedMap);'"),
        Driver("""
                    kernel.VmFlagsSet(vma, VmFlags.MixedMap);
                    vma.Ops = ops;
                    return 0;
            """, """
                    kernel.VmInsertPage(vmf.Vma, vmf.Address, ring);
                    return VmFaultResult.NoPage;
            """));

    [Fact]
    public Task Fault_insert_into_a_pfnmap_vma_is_both() => Verify.VerifyAsync(Driver("""
                    vma.Flags |= VmFlags.PfnMap | VmFlags.IO;
                    vma.Ops = ops;
                    return 0;
            """, """
                    {|#0:kernel.VmInsertPage(vmf.Vma, vmf.Address, ring)|};
                    return VmFaultResult.NoPage;
            """),
        DK0009(0), DK0011(0));

    [Fact]
    public Task Inserts_in_mmap_itself_are_not_DK0011() => Verify.VerifyAsync(Driver("""
                    vma.Ops = ops;
                    return kernel.VmInsertPage(vma, vma.Start, ring);
            """, "        return VmFaultResult.Sigbus;"));

    [Fact]
    public Task C_port_table_elsewhere_helper_inserts_and_the_vma_is_a_local() => Verify.VerifyAsync("""
        using DriverKit.Runtime;

        static class RingOps
        {
            internal static Ring? ring;
            internal static readonly VmOperations ring_vm_ops = new VmOperations { Fault = RingFault };

            static VmFaultResult RingFault(VmFault vmf)
            {
                VmArea vma;
                int err;

                vma = vmf.Vma;
                err = ring!.Insert(vma, vmf.Address);
                if (err != 0)
                    goto out_sigbus;
                return VmFaultResult.NoPage;
            out_sigbus:
                return VmFaultResult.Sigbus;
            }
        }

        class Ring
        {
            private readonly Kernel kernel;
            private readonly Page page;

            Ring(Kernel kernel)
            {
                this.kernel = kernel;
                page = kernel.AllocPage(Gfp.Kernel);
                kernel.RegisterChrdev("/dev/ring", new FileOperations { Mmap = RingMmap });
            }

            internal int Insert(VmArea area, UserAddr address) => {|#0:kernel.VmInsertPage(area, address, page)|};

            int RingMmap(OpenFile file, VmArea vma)
            {
                vma.Flags |= VmFlags.DontExpand;
                vma.Ops = RingOps.ring_vm_ops;
                return 0;
            }
        }
        """, DK0011(0).WithArguments("VmInsertPage", "vm_ops->fault", "RingFault", "RingMmap",
            "in Linux 7.0 (era E7) it BUG()s there (BUG_ON(mmap_read_trylock)): the fault holds the mmap lock for read, not for write",
            "set VM_MIXEDMAP in 'RingMmap' with 'kernel.VmFlagsSet(vma, VmFlags.MixedMap);'"));

    [Fact]
    public Task An_insert_helper_nobody_calls_from_a_handler_is_not_reported() => Verify.VerifyAsync("""
        using DriverKit.Runtime;

        class Lone
        {
            int Put(Kernel kernel, VmArea vma, Page page) => kernel.VmInsertPage(vma, vma.Start, page);
        }
        """);

    [Fact]
    public Task Fix_all_sets_mixed_map_once_per_mmap_and_keeps_comments() => Verify.VerifyFixAsync(
        Driver("""
                    // the fault handler fills the mapping
                    vma.Ops = ops;
                    return 0;
            """, """
                    if (vmf.Pgoff == 0)
                        return {|#0:kernel.VmInsertPage(vmf.Vma, vmf.Address, regs)|} == 0 ? VmFaultResult.NoPage : VmFaultResult.Sigbus;
                    {|#1:kernel.VmInsertPage(vmf.Vma, vmf.Address, ring)|};
                    return VmFaultResult.NoPage;
            """),
        [DK0011(0), DK0011(1)],
        Driver("""
                    kernel.VmFlagsSet(vma, VmFlags.MixedMap);
                    // the fault handler fills the mapping
                    vma.Ops = ops;
                    return 0;
            """, """
                    if (vmf.Pgoff == 0)
                        return kernel.VmInsertPage(vmf.Vma, vmf.Address, regs) == 0 ? VmFaultResult.NoPage : VmFaultResult.Sigbus;
                    kernel.VmInsertPage(vmf.Vma, vmf.Address, ring);
                    return VmFaultResult.NoPage;
            """));

    [Theory]
    [InlineData(Eras.E0, null, null)]
    [InlineData("2.6.15-rc5", null, null)]
    [InlineData("2.6.15-rc6", "Warning", "none")]
    [InlineData(Eras.E3, "Warning", "none")]
    [InlineData(Eras.E4Last, "Warning", "none")]
    [InlineData(Eras.E5, "Error", "mmap-statement")]
    [InlineData(Eras.E7, "Error", "mmap-statement")]
    public async Task DK0011_follows_the_era(string version, string? severity, string? form)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Driver("""
                    vma.Ops = ops;
                    return 0;
            """, InsertInFault), version);
        var dk0011 = diagnostics.Where(diagnostic => diagnostic.Id == "DK0011").ToList();
        if (severity is null)
        {
            Assert.Empty(dk0011);
            return;
        }

        var diagnostic = Assert.Single(dk0011);
        Assert.Equal(severity, diagnostic.Severity.ToString());
        Assert.Equal(form, DriverKitAnalyzers::DriverKit.Analyzers.FixForms.Of(diagnostic.Properties));
    }

    [Theory]
    [InlineData(Eras.E3, "zap asks vm_normal_page")]
    [InlineData(Eras.E4Last, "zap asks vm_normal_page")]
    [InlineData(Eras.E5, "BUG()s on a VM_PFNMAP VMA")]
    public async Task DK0009_names_the_era_outcome(string version, string outcome)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Driver("""
                    kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(regs), Kernel.PageSize, vma.PageProt);
                    return kernel.VmInsertPage(vma, vma.Start + Kernel.PageSize, ring);
            """, "        return VmFaultResult.Sigbus;"), version);
        Assert.Contains(outcome, Assert.Single(diagnostics, diagnostic => diagnostic.Id == "DK0009").Message());
    }
}
