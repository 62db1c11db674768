extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.MappingOriginAnalyzer,
    DriverKit.CodeFixes.NoncachedProtectionCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0016CacheableMmioTests
{
    private const string Advice = "wrap the protection in Kernel.PgprotNoncached (Kernel.PgprotWritecombine for a frame buffer)";

    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0016").WithLocation(location);

    private static string Driver(string mmapBody, string members = "") => $$"""
        using DriverKit.Runtime;

        class Driver
        {
            private readonly Kernel kernel;
            private readonly MmioRegion regs;
            private readonly Page page;

            Driver(Kernel kernel, MmioDevice device)
            {
                this.kernel = kernel;
                regs = kernel.RegisterMmioRegion("regs", Kernel.PageSize, device);
                page = kernel.AllocPage(Gfp.Kernel);
            }

            int Mmap(OpenFile file, VmArea vma)
            {
        {{mmapBody}}
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Window_io_remapped_with_the_default_protection() => Verify.VerifyAsync(
        Driver("""
                    return {|#0:kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn, vma.Length, vma.PageProt)|};
            """),
        Diagnostic(0).WithArguments("IoRemapPfnRange", "'MmioRegion.StartPfn'", "vma.PageProt", Advice));

    [Fact]
    public Task Vm_iomap_memory_uses_the_vma_protection() => Verify.VerifyAsync(
        Driver("""
                    return {|#0:kernel.VmIomapMemory(vma, regs.Start, regs.Size)|};
            """),
        Diagnostic(0).WithArguments("VmIomapMemory", "'MmioRegion.Start'", "vma.PageProt", "set vma.PageProt = Kernel.PgprotNoncached(vma.PageProt) in ->mmap first"));

    [Fact]
    public Task Uncached_store_on_another_path_does_not_count() => Verify.VerifyAsync(
        Driver("""
                    if (vma.Pgoff == 1)
                    {
                        vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                        return kernel.VmIomapMemory(vma, regs.Start, regs.Size);
                    }

                    return {|#0:kernel.VmIomapMemory(vma, regs.Start, regs.Size)|};
            """),
        Diagnostic(0));

    [Fact]
    public Task C_port_protection_local_declared_at_the_top() => Verify.VerifyAsync(
        Driver("""
                    PgProt prot;
                    Pfn pfn;

                    pfn = regs.StartPfn;
                    prot = vma.PageProt;
                    if (vma.Pgoff != 0)
                        goto bad;
                    return {|#0:kernel.IoRemapPfnRange(vma, vma.Start, pfn, vma.Length, prot)|};
                bad:
                    return -Errno.EINVAL;
            """),
        Diagnostic(0));

    [Fact]
    public Task Uncached_window_and_write_back_RAM_are_not_reported() => Verify.VerifyAsync(
        Driver("""
                    var ret = kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(page), Kernel.PageSize, vma.PageProt);
                    if (ret != 0)
                        return ret;
                    SetUncached(vma);
                    ret = kernel.VmIomapMemory(vma, regs.Start, regs.Size);
                    if (ret != 0)
                        return ret;
                    return kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn, Kernel.PageSize, Kernel.PgprotWritecombine(vma.PageProt));
            """,
            """
                static void SetUncached(VmArea vma) => vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
            """));

    [Fact]
    public Task Fault_handler_inserting_pfns_after_mmap_made_the_protection_uncached() => Verify.VerifyAsync(
        Driver("""
                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    vma.Ops = new VmOperations { Fault = Fault };
                    return 0;
            """,
            """
                VmFaultResult Fault(VmFault vmf) => kernel.VmfInsertPfn(vmf.Vma, vmf.Address, regs.StartPfn);
            """));

    [Fact]
    public Task Fault_handler_without_an_uncached_mmap_is_reported() => Verify.VerifyAsync(
        Driver("""
                    vma.Ops = new VmOperations { Fault = Fault };
                    return 0;
            """,
            """
                VmFaultResult Fault(VmFault vmf) => {|#0:kernel.VmfInsertPfn(vmf.Vma, vmf.Address, regs.StartPfn)|};
            """),
        Diagnostic(0));

    [Fact]
    public Task Vmf_insert_pfn_prot_is_judged_by_the_protection_it_is_given() => Verify.VerifyAsync(
        Driver("""
                    vma.Ops = new VmOperations { Fault = Fault, PageMkwrite = Cached };
                    return 0;
            """,
            """
                VmFaultResult Fault(VmFault vmf) => kernel.VmfInsertPfnProt(vmf.Vma, vmf.Address, regs.StartPfn, Kernel.PgprotNoncached(vmf.Vma.PageProt));
                VmFaultResult Cached(VmFault vmf) => {|#0:kernel.VmfInsertPfnProt(vmf.Vma, vmf.Address, regs.StartPfn, vmf.Vma.PageProt)|};
            """),
        Diagnostic(0));

    [Fact]
    public Task Store_by_a_caller_that_writes_a_comment_before_the_parenthesis_counts() => Verify.VerifyAsync(
        Driver("""
                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    return MapRegs /* bar 0 */ (vma);
            """,
            """
                private int MapRegs(VmArea vma) => kernel.VmIomapMemory(vma, regs.Start, regs.Size);
            """));

    [Fact]
    public Task Store_in_a_switch_section_without_braces_counts() => Verify.VerifyAsync(
        Driver("""
                    switch (vma.Pgoff)
                    {
                        case 0:
                            vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                            return kernel.VmIomapMemory(vma, regs.Start, regs.Size);
                        default:
                            return -Errno.EINVAL;
                    }
            """));

    [Fact]
    public Task No_fix_inside_a_lambda() => Verify.VerifyNoFixAsync(
        Driver("""
                    System.Func<VmArea, int> map = v => {|#0:kernel.VmIomapMemory(v, regs.Start, regs.Size)|};
                    return map(vma);
            """),
        Diagnostic(0));

    [Fact]
    public Task No_fix_when_a_path_is_already_write_combining() => Verify.VerifyNoFixAsync(
        Driver("""
                    var prot = vma.Pgoff == 0 ? Kernel.PgprotWritecombine(vma.PageProt) : vma.PageProt;
                    return {|#0:kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn, vma.Length, prot)|};
            """),
        Diagnostic(0));

    [Fact]
    public Task RAM_mapped_uncached_is_reported_without_a_fix() => Verify.VerifyNoFixAsync(
        Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(page), Kernel.PageSize, Kernel.PgprotNoncached(vma.PageProt))|};
            """),
        Diagnostic(0).WithArguments("RemapPfnRange", "'kernel.AllocPage(Gfp.Kernel)'"));

    [Theory]
    [InlineData(Eras.E0)]
    [InlineData(Eras.E7)]
    public async Task Reported_in_every_era(string version)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(
            new DriverKitAnalyzers::DriverKit.Analyzers.MappingOriginAnalyzer(),
            Driver("""
                        return kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn, vma.Length, vma.PageProt);
                """),
            version);
        Assert.Single(diagnostics, d => d.Id == "DK0016");
    }

    [Fact]
    public Task Fix_wraps_the_protection_and_keeps_trivia() => Verify.VerifyFixAsync(
        Driver("""
                    return {|#0:kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn, vma.Length, /* as set by the core */ vma.PageProt)|}; // registers
            """),
        Diagnostic(0),
        Driver("""
                    return kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn, vma.Length, /* as set by the core */ Kernel.PgprotNoncached(vma.PageProt)); // registers
            """));

    [Fact]
    public Task Fix_sets_the_vma_protection_before_vm_iomap_memory() => Verify.VerifyFixAsync(
        Driver("""
                    // the whole window
                    return {|#0:kernel.VmIomapMemory(vma, regs.Start, regs.Size)|};
            """),
        Diagnostic(0),
        Driver("""
                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    // the whole window
                    return kernel.VmIomapMemory(vma, regs.Start, regs.Size);
            """));

    [Fact]
    public Task Fix_all_in_the_document() => Verify.VerifyFixAsync(
        Driver("""
                    var ret = {|#0:kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn, Kernel.PageSize, vma.PageProt)|};
                    if (ret != 0)
                        return ret;
                    return {|#1:kernel.IoRemapPfnRange(vma, vma.Start + Kernel.PageSize, regs.StartPfn, Kernel.PageSize, vma.PageProt)|};
            """),
        [Diagnostic(0), Diagnostic(1)],
        Driver("""
                    var ret = kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn, Kernel.PageSize, Kernel.PgprotNoncached(vma.PageProt));
                    if (ret != 0)
                        return ret;
                    return kernel.IoRemapPfnRange(vma, vma.Start + Kernel.PageSize, regs.StartPfn, Kernel.PageSize, Kernel.PgprotNoncached(vma.PageProt));
            """));
}
