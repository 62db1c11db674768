extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.MappingOriginAnalyzer,
    DriverKit.CodeFixes.RemapVmallocRangeCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0007RemapVmallocTests
{
    private const string Advice = "allocate it with VmallocUser and map it with RemapVmallocRange";

    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0007").WithLocation(location);

    private static string Driver(string mmapBody, string members = "", string alloc = "kernel.Vmalloc(4 * Kernel.PageSize)") => $$"""
        using DriverKit.Runtime;

        class Driver
        {
            private readonly Kernel kernel;
            private VmallocAddr buf;

            Driver(Kernel kernel)
            {
                this.kernel = kernel;
                buf = {{alloc}};
            }

            int Mmap(OpenFile file, VmArea vma)
            {
        {{mmapBody}}
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Whole_buffer_from_its_first_pfn() => Verify.VerifyAsync(
        Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(buf), vma.Length, vma.PageProt)|};
            """),
        Diagnostic(0).WithArguments("RemapPfnRange", "kernel.VmallocToPfn(buf)", "vma.Length", "'kernel.Vmalloc(4 * Kernel.PageSize)'", Advice));

    [Fact]
    public Task C_port_pfn_computed_into_a_local_and_a_helper_allocates() => Verify.VerifyAsync(
        Driver("""
                    Pfn pfn;
                    ulong size;

                    size = vma.End - vma.Start;
                    pfn = kernel.VmallocToPfn(buf);
                    if (size > 4 * Kernel.PageSize)
                        goto fail;
                    return {|#0:kernel.IoRemapPfnRange(vma, vma.Start, pfn, size, vma.PageProt)|};
                fail:
                    return -Errno.EINVAL;
            """,
            """
                void Resize(ulong size) => buf = Grow(size);

                VmallocAddr Grow(ulong size) => kernel.Vzalloc(size);
            """),
        Diagnostic(0));

    [Fact]
    public Task Page_by_page_remap_and_remap_vmalloc_range_are_not_reported() => Verify.VerifyAsync(
        Driver("""
                    for (ulong off = 0; off < vma.Length; off += Kernel.PageSize)
                    {
                        var ret = kernel.RemapPfnRange(vma, vma.Start + off, kernel.VmallocToPfn(buf + off), Kernel.PageSize, vma.PageProt);
                        if (ret != 0)
                            return ret;
                    }

                    return kernel.RemapVmallocRange(vma, buf, vma.Pgoff);
            """));

    [Fact]
    public Task Contiguous_ram_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                    var page = kernel.AllocPages(Gfp.Kernel, 2);
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(page), vma.Length, vma.PageProt);
            """));

    [Theory]
    [InlineData("2.6.17", "remap it one page at a time (RemapVmallocRange arrives in 2.6.18")]
    [InlineData("2.6.18", Advice)]
    public async Task Advice_follows_the_era(string version, string advice)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(
            new DriverKitAnalyzers::DriverKit.Analyzers.MappingOriginAnalyzer(),
            Driver("""
                        return kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(buf), vma.Length, vma.PageProt);
                """),
            version);
        var diagnostic = Assert.Single(diagnostics, d => d.Id == "DK0007");
        Assert.Contains(advice, diagnostic.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public Task No_fix_before_remap_vmalloc_range_exists() => new CodeFixTest<DriverKitAnalyzers::DriverKit.Analyzers.MappingOriginAnalyzer, DriverKit.CodeFixes.RemapVmallocRangeCodeFix>
    {
        TestCode = Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(buf), vma.Length, vma.PageProt)|};
            """),
        FixedCode = Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(buf), vma.Length, vma.PageProt)|};
            """),
        GlobalConfig = "driverkit.kernel_version = 2.6.17",
        ExpectedDiagnostics = { Diagnostic(0) },
    }.RunAsync();

    [Fact]
    public Task No_fix_for_a_partial_remap() => Verify.VerifyNoFixAsync(
        Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start + Kernel.PageSize, kernel.VmallocToPfn(buf), 2 * Kernel.PageSize, vma.PageProt)|};
            """),
        Diagnostic(0));

    [Fact]
    public Task No_fix_when_the_remap_covers_part_of_the_vma() => Verify.VerifyNoFixAsync(
        Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(buf), 2 * Kernel.PageSize, vma.PageProt)|};
            """),
        Diagnostic(0));

    [Fact]
    public Task Fix_maps_page_by_page_and_allocates_for_user_mapping() => Verify.VerifyFixAsync(
        Driver("""
                    // map the ring
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(buf), vma.Length, vma.PageProt)|}; // whole vma
            """),
        Diagnostic(0),
        Driver("""
                    // map the ring
                    return kernel.RemapVmallocRange(vma, buf, 0); // whole vma
            """,
            alloc: "kernel.VmallocUser(4 * Kernel.PageSize)"));

    [Fact]
    public Task Fix_all_renames_every_allocation_once() => Verify.VerifyFixAsync(
        Driver("""
                    if (vma.Pgoff == 0)
                        return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(buf), vma.Length, vma.PageProt)|};
                    return {|#1:kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(buf), vma.Length, vma.PageProt)|};
            """,
            """
                void Reset() => buf = kernel.Vzalloc(8 * Kernel.PageSize);
            """),
        [Diagnostic(0), Diagnostic(1)],
        Driver("""
                    if (vma.Pgoff == 0)
                        return kernel.RemapVmallocRange(vma, buf, 0);
                    return kernel.RemapVmallocRange(vma, buf, 0);
            """,
            """
                void Reset() => buf = kernel.VmallocUser(8 * Kernel.PageSize);
            """,
            alloc: "kernel.VmallocUser(4 * Kernel.PageSize)"));
}
