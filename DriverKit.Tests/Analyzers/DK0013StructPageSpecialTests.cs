extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.FaultReferenceAnalyzer;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.FaultReferenceAnalyzer,
    DriverKit.CodeFixes.GetPageCodeFix>;

namespace DriverKit.Tests.Analyzers;

/// <summary>DK0013: Benjamin Herrenschmidt's case — pages the driver hopes VM_RESERVED or VM_IO makes special — and discipline flips.</summary>
public class DK0013StructPageSpecialTests
{
    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0013").WithLocation(location);

    private static string Driver(string flags, string fault = "vmf.Page = {|#0:store|};", string members = "") => $$"""
        using DriverKit.Runtime;

        class Spu
        {
            private readonly Kernel kernel;
            private readonly Page store;

            Spu(Kernel kernel)
            {
                this.kernel = kernel;
                store = kernel.AllocPage(Gfp.Kernel);
                kernel.RegisterChrdev("/dev/spu", new FileOperations { Mmap = SpuMmap, Ioctl = SpuIoctl });
            }

            int SpuMmap(OpenFile file, VmArea vma)
            {
                {{flags}}
                vma.Ops = new VmOperations { Fault = SpuFault };
                return 0;
            }

            VmFaultResult SpuFault(VmFault vmf)
            {
                {{fault}}
                return VmFaultResult.None;
            }

            long SpuIoctl(OpenFile file, uint cmd, ulong arg) => 0;
        {{members}}
        }
        """;

    [Fact]
    public Task Vm_io_hoped_to_make_the_page_special_is_DK0013_and_gets_a_reference() => Verify.VerifyFixAsync(
        Driver("vma.Flags |= VmFlags.IO | VmFlags.DontExpand;"),
        Diagnostic(0).WithArguments("The vm_ops->fault handler 'SpuFault'", "store", "SpuMmap", "VM_IO", "7.0 (era E7)",
            "take one with 'kernel.GetPage(store);' first; a page the VM must not manage goes in with VmfInsertPfn on a VM_PFNMAP | VM_IO VMA that refuses private mappings"),
        Driver("vma.Flags |= VmFlags.IO | VmFlags.DontExpand;", """
            kernel.GetPage(store);
                    vmf.Page = store;
            """));

    [Fact]
    public Task Without_vm_io_or_reserved_it_is_DK0012() => Verify.VerifyAsync(
        Driver("vma.Flags |= VmFlags.DontExpand;"),
        Verify.Diagnostic("DK0012").WithLocation(0));

    [Fact]
    public Task A_pfnmap_vma_is_not_hoping() => Verify.VerifyAsync(
        Driver("vma.Flags |= VmFlags.IO | VmFlags.PfnMap;"),
        Verify.Diagnostic("DK0012").WithLocation(0));

    [Fact]
    public Task A_reference_taken_is_not_reported() => Verify.VerifyAsync(
        Driver("vma.Flags |= VmFlags.IO;", """
            kernel.GetPage(store);
                    vmf.Page = store;
            """));

    [Fact]
    public Task Fix_all_takes_a_reference_at_each_hand_out() => Verify.VerifyFixAsync(
        Driver("vma.Flags |= VmFlags.IO;", """
            if (vmf.Pgoff != 0)
                    {
                        vmf.Page = {|#1:store|}; // the same page for every offset
                        return VmFaultResult.None;
                    }

                    vmf.Page = {|#0:store|};
            """),
        [Diagnostic(1), Diagnostic(0)],
        Driver("vma.Flags |= VmFlags.IO;", """
            if (vmf.Pgoff != 0)
                    {
                        kernel.GetPage(store);
                        vmf.Page = store; // the same page for every offset
                        return VmFaultResult.None;
                    }

                    kernel.GetPage(store);
                    vmf.Page = store;
            """));

    [Theory]
    [InlineData(Eras.E1, "DK0012")]
    [InlineData(Eras.E3, "DK0013")]
    [InlineData(Eras.E4Last, "DK0013")]
    public async Task Reserved_counts_from_2_6_15_rc3(string version, string id)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Driver("vma.Flags |= VmFlags.Reserved;", "vmf.Page = store;"), version);
        Assert.Equal(id, Assert.Single(diagnostics).Id);
    }

    [Fact]
    public Task An_ioctl_that_flips_pfnmap_is_reported() => Verify.VerifyAsync(
        Driver("vma.Flags |= VmFlags.MixedMap | VmFlags.DontExpand;", """
            kernel.GetPage(store);
                    vmf.Page = store;
            """, """
                private VmArea? last;

                long Switch(OpenFile file, uint cmd, ulong arg)
                {
                    if (last is null)
                        return -Errno.EINVAL;
                    if (cmd == 1)
                        {|#1:kernel.VmFlagsSet(last, VmFlags.PfnMap)|};
                    else
                        {|#2:last.Flags &= ~VmFlags.MixedMap|};
                    return 0;
                }

                FileOperations Fops => new FileOperations { Ioctl = Switch };
            """),
        Verify.Diagnostic(DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors.DisciplineFlip).WithLocation(1).WithArguments("last", "sets VM_PFNMAP", "->unlocked_ioctl", "Switch",
            "in Linux 7.0 (era E7) the PTE's special bit decides where the architecture has one; where it has none (and for VM_MIXEDMAP's pfn_valid test) fork and zap go by these flags and disagree with the fault that installed the PTE")
            .WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Warning),
        Verify.Diagnostic(DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors.DisciplineFlip).WithLocation(2).WithSeverity(Microsoft.CodeAnalysis.DiagnosticSeverity.Warning));

    [Fact]
    public Task Flags_set_in_mmap_or_in_a_helper_nobody_registers_are_not_flips() => Verify.VerifyAsync(
        Driver("vma.Flags |= VmFlags.PfnMap | VmFlags.IO;", "vmf.Page = {|#0:store|};", """
                static void Prepare(VmArea area) => area.Flags |= VmFlags.MixedMap;
            """),
        Verify.Diagnostic("DK0012").WithLocation(0));

    [Fact]
    public async Task A_flip_is_an_error_before_pte_special()
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), """
            using DriverKit.Runtime;

            class Flip
            {
                private VmArea? last;

                Flip(Kernel kernel) => kernel.RegisterChrdev("/dev/flip", new FileOperations { Ioctl = FlipIoctl });

                long FlipIoctl(OpenFile file, uint cmd, ulong arg)
                {
                    last!.Flags |= VmFlags.PfnMap;
                    return 0;
                }
            }
            """, Eras.E3);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(("DK0013", Microsoft.CodeAnalysis.DiagnosticSeverity.Error), (diagnostic.Id, diagnostic.Severity));
        Assert.Contains("vm_normal_page decides from these flags at every fork and zap", diagnostic.Message());
    }
}
