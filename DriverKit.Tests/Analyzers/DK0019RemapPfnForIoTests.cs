extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.MappingOriginAnalyzer,
    DriverKit.CodeFixes.IoRemapCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0019RemapPfnForIoTests
{
    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0019").WithLocation(location);

    /// <summary>A driver with a register window and RAM; the ->mmap body maps one of them (the protection already uncached).</summary>
    internal static string Driver(string mmapBody, string members = "") => $$"""
        using DriverKit.Runtime;

        class Driver
        {
            private readonly Kernel kernel;
            private readonly MmioRegion regs;
            private readonly Page page;
            private Pfn barPfn;

            Driver(Kernel kernel, MmioDevice device)
            {
                this.kernel = kernel;
                regs = kernel.RegisterMmioRegion("regs", Kernel.PageSize, device);
                page = kernel.AllocPage(Gfp.Kernel);
            }

            int Mmap(OpenFile file, VmArea vma)
            {
                vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
        {{mmapBody}}
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Remap_of_the_window_start_pfn() => Verify.VerifyAsync(
        Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, regs.StartPfn, vma.Length, vma.PageProt)|};
            """),
        Diagnostic(0).WithArguments("regs.StartPfn", "'MmioRegion.StartPfn'",
            "applies pgprot_decrypted: with memory encryption (SME, SEV, TDX) remap_pfn_range maps the registers with the encryption bit",
            ", or VmIomapMemory(vma, start, length) to map the window with its bounds checked"));

    [Fact]
    public Task Pfn_kept_in_a_field_set_elsewhere_with_a_shift() => Verify.VerifyAsync(
        Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, barPfn + vma.Pgoff, vma.Length, vma.PageProt)|};
            """,
            """
                void Probe() => barPfn = new Pfn(regs.Start.Value >> Kernel.PageShift);
            """),
        Diagnostic(0));

    [Fact]
    public Task C_port_pfn_declared_at_the_top_and_passed_through_a_helper() => Verify.VerifyAsync(
        Driver("""
                    Pfn pfn;
                    int ret;

                    pfn = regs.StartPfn;
                    ret = MapRange(vma, pfn);
                    if (ret != 0)
                        goto fail;
                    return 0;
                fail:
                    return ret;
            """,
            """
                int MapRange(VmArea vma, Pfn first) => {|#0:kernel.RemapPfnRange(vma, vma.Start, first, vma.Length, vma.PageProt)|};
            """),
        Diagnostic(0));

    [Fact]
    public Task RAM_and_io_remap_are_not_reported() => Verify.VerifyAsync(
        Driver("""
                    var ret = kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(page), Kernel.PageSize, vma.PageProt);
                    if (ret != 0)
                        return ret;
                    return kernel.IoRemapPfnRange(vma, vma.Start + Kernel.PageSize, regs.StartPfn, Kernel.PageSize, vma.PageProt);
            """));

    [Theory]
    [InlineData(Eras.E4Last, "encodes the I/O space where the architecture needs it (sparc, mips with 64-bit physical addresses)")]
    [InlineData(Eras.E5, "applies pgprot_decrypted")]
    public async Task Why_follows_the_era(string version, string why)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(
            new DriverKitAnalyzers::DriverKit.Analyzers.MappingOriginAnalyzer(),
            Driver("""
                        return kernel.RemapPfnRange(vma, vma.Start, regs.StartPfn, vma.Length, vma.PageProt);
                """),
            version);
        var diagnostic = Assert.Single(diagnostics, d => d.Id == "DK0019");
        Assert.Contains(why, diagnostic.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public Task Fix_renames_and_keeps_trivia() => Verify.VerifyFixAsync(
        Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, /* the BAR */ regs.StartPfn, vma.Length, vma.PageProt)|}; // map the registers
            """),
        Diagnostic(0),
        Driver("""
                    return kernel.IoRemapPfnRange(vma, vma.Start, /* the BAR */ regs.StartPfn, vma.Length, vma.PageProt); // map the registers
            """));

    [Fact]
    public Task Fix_all_in_the_document() => Verify.VerifyFixAsync(
        Driver("""
                    var ret = {|#0:kernel.RemapPfnRange(vma, vma.Start, regs.StartPfn, Kernel.PageSize, vma.PageProt)|};
                    if (ret != 0)
                        return ret;
                    return {|#1:kernel.RemapPfnRange(vma, vma.Start + Kernel.PageSize, regs.StartPfn, Kernel.PageSize, vma.PageProt)|};
            """),
        [Diagnostic(0), Diagnostic(1)],
        Driver("""
                    var ret = kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn, Kernel.PageSize, vma.PageProt);
                    if (ret != 0)
                        return ret;
                    return kernel.IoRemapPfnRange(vma, vma.Start + Kernel.PageSize, regs.StartPfn, Kernel.PageSize, vma.PageProt);
            """));
}
