extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.VmaDisciplineAnalyzer;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.VmaDisciplineAnalyzer,
    DriverKit.CodeFixes.MmapStatementCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0017MmioWithoutVmIoTests
{
    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0017").WithLocation(location);

    private static string Driver(string mmapFlags, string fault = "kernel.VmfInsertMixed(vmf.Vma, vmf.Address, regs.StartPfn + vmf.Pgoff)", string members = "") => $$"""
        using DriverKit.Runtime;

        class Regs
        {
            private readonly Kernel kernel;
            private readonly MmioRegion regs;
            private readonly Page page;

            Regs(Kernel kernel, MmioDevice device)
            {
                this.kernel = kernel;
                regs = kernel.RegisterMmioRegion("regs", Kernel.PageSize, device);
                page = kernel.AllocPage(Gfp.Kernel);
                kernel.RegisterChrdev("/dev/regs", new FileOperations { Mmap = RegsMmap });
            }

            int RegsMmap(OpenFile file, VmArea vma)
            {
                if ((vma.Flags & VmFlags.Shared) == 0)
                    return -Errno.EINVAL;
                {{mmapFlags}}
                vma.Ops = new VmOperations { Fault = RegsFault };
                return 0;
            }

            VmFaultResult RegsFault(VmFault vmf) => {{fault}};
        {{members}}
        }
        """;

    [Fact]
    public Task Mixed_map_of_registers_without_vm_io_is_fixed_in_mmap() => Verify.VerifyFixAsync(
        Driver("vma.Flags |= VmFlags.MixedMap | VmFlags.DontExpand;", "{|#0:kernel.VmfInsertMixed(vmf.Vma, vmf.Address, regs.StartPfn + vmf.Pgoff)|}"),
        Diagnostic(0).WithArguments("VmfInsertMixed", "'regs.StartPfn + vmf.Pgoff'", "vm_ops->fault", "RegsFault", "RegsMmap", "kernel.VmFlagsSet(vma, VmFlags.IO | VmFlags.DontDump);"),
        Driver("""
            vma.Flags |= VmFlags.MixedMap | VmFlags.DontExpand;
                    kernel.VmFlagsSet(vma, VmFlags.IO | VmFlags.DontDump);
            """));

    [Fact]
    public Task Pfn_map_of_registers_without_vm_io_is_reported() => Verify.VerifyAsync(
        Driver("vma.Flags |= VmFlags.PfnMap | VmFlags.DontExpand;", "{|#0:kernel.VmfInsertPfn(vmf.Vma, vmf.Address, regs.StartPfn + vmf.Pgoff)|}"),
        Diagnostic(0));

    [Fact]
    public Task Vm_io_set_by_the_driver_is_accepted() => Verify.VerifyAsync(
        Driver("vma.Flags |= VmFlags.MixedMap | VmFlags.IO | VmFlags.DontExpand | VmFlags.DontDump;"));

    [Fact]
    public Task Ram_pages_need_no_vm_io() => Verify.VerifyAsync(
        Driver("vma.Flags |= VmFlags.MixedMap | VmFlags.DontExpand;", "kernel.VmfInsertMixed(vmf.Vma, vmf.Address, kernel.PageToPfn(page))"));

    [Fact]
    public Task C_port_helper_inserts_the_window_for_the_fault_handler() => Verify.VerifyAsync(
        Driver("vma.Flags |= VmFlags.MixedMap | VmFlags.DontExpand;", "Insert(vmf.Vma, vmf.Address, vmf.Pgoff)", """
                VmFaultResult Insert(VmArea area, UserAddr address, ulong index)
                {
                    Pfn pfn;

                    pfn = regs.StartPfn + index;
                    return {|#0:kernel.VmfInsertMixed(area, address, pfn)|};
                }
            """),
        Diagnostic(0));

    [Fact]
    public Task Fix_all_sets_the_flags_once_and_keeps_comments() => Verify.VerifyFixAsync(
        Driver("""
            // registers only, through the fault handler
                    vma.Flags |= VmFlags.MixedMap | VmFlags.DontExpand;
            """, "vmf.Pgoff == 0 ? {|#0:kernel.VmfInsertMixed(vmf.Vma, vmf.Address, regs.StartPfn)|} : {|#1:kernel.VmfInsertPfn(vmf.Vma, vmf.Address, regs.StartPfn + vmf.Pgoff)|}"),
        [Diagnostic(0), Diagnostic(1)],
        Driver("""
            // registers only, through the fault handler
                    vma.Flags |= VmFlags.MixedMap | VmFlags.DontExpand;
                    kernel.VmFlagsSet(vma, VmFlags.IO | VmFlags.DontDump);
            """, "vmf.Pgoff == 0 ? kernel.VmfInsertMixed(vmf.Vma, vmf.Address, regs.StartPfn) : kernel.VmfInsertPfn(vmf.Vma, vmf.Address, regs.StartPfn + vmf.Pgoff)"));

    [Theory]
    [InlineData(Eras.E4, "vma.Flags |= VmFlags.IO;")]
    [InlineData(Eras.E5, "vma.Flags |= VmFlags.IO | VmFlags.DontDump;")]
    [InlineData(Eras.E7, "kernel.VmFlagsSet(vma, VmFlags.IO | VmFlags.DontDump);")]
    public async Task The_flags_follow_the_era(string version, string statement)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), Driver("vma.Flags |= VmFlags.MixedMap | VmFlags.DontExpand;"), version);
        Assert.Equal(statement, Assert.Single(diagnostics, diagnostic => diagnostic.Id == "DK0017").Properties["DriverKit.Statement"]);
    }
}
