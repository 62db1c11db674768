extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.MappingOriginAnalyzer,
    DriverKit.CodeFixes.PageShiftCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0008PhysAddrAsPfnTests
{
    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0008").WithLocation(location);

    private static string Driver(string mmapBody, string members = "") => $$"""
        using DriverKit.Runtime;

        class Driver
        {
            private readonly Kernel kernel;
            private readonly KernelAddr page;
            private readonly KernelAddr small;
            private readonly KernelAddr large;
            private ulong physBase;

            Driver(Kernel kernel)
            {
                this.kernel = kernel;
                page = kernel.GetZeroedPage(Gfp.Kernel);
                small = kernel.Kmalloc(200, Gfp.Kernel);
                large = kernel.Kmalloc(4 * Kernel.PageSize, Gfp.Kernel);
            }

            int Mmap(OpenFile file, VmArea vma)
            {
        {{mmapBody}}
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Physical_address_value_as_pfn() => Verify.VerifyAsync(
        Driver("""
                    return kernel.RemapPfnRange(vma, vma.Start, {|#0:new Pfn(kernel.VirtToPhys(page).Value)|}, vma.Length, vma.PageProt);
            """),
        Diagnostic(0).WithArguments("kernel.VirtToPhys(page).Value", "4096"));

    [Fact]
    public Task C_port_address_declared_at_the_top_offset_added_later() => Verify.VerifyAsync(
        Driver("""
                    ulong addr;
                    Pfn pfn;

                    addr = 0;
                    addr = kernel.VirtToPhys(page).Value;
                    addr += vma.Pgoff << Kernel.PageShift;
                    pfn = {|#0:new Pfn(addr)|};
                    return kernel.RemapPfnRange(vma, vma.Start, pfn, vma.Length, vma.PageProt);
            """),
        Diagnostic(0));

    [Fact]
    public Task Byte_address_kept_in_a_field_and_passed_to_a_helper() => Verify.VerifyAsync(
        Driver("""
                    physBase = kernel.VirtToPhys(page).Value;
                    return MapAt(vma, physBase);
            """,
            """
                int MapAt(VmArea vma, ulong where) => kernel.RemapPfnRange(vma, vma.Start, {|#0:new Pfn(where)|}, vma.Length, vma.PageProt);
            """),
        Diagnostic(0));

    [Fact]
    public Task Helper_called_with_a_comment_before_the_parenthesis() => Verify.VerifyAsync(
        Driver("""
                    return MapAt /* the shared page */ (vma, kernel.VirtToPhys(page).Value);
            """,
            """
                int MapAt(VmArea vma, ulong where) => kernel.RemapPfnRange(vma, vma.Start, {|#0:new Pfn(where)|}, vma.Length, vma.PageProt);
            """),
        Diagnostic(0));

    [Fact]
    public Task Shifted_divided_and_frame_values_are_not_reported() => Verify.VerifyAsync(
        Driver("""
                    ulong frame = kernel.VirtToPhys(page).Value >> Kernel.PageShift;
                    var a = new Pfn(frame);
                    var b = new Pfn(kernel.VirtToPhys(page).Value / Kernel.PageSize);
                    var c = new Pfn(a.Value + vma.Pgoff);
                    var d = new Pfn(physBase >> Kernel.PageShift);
                    return kernel.RemapPfnRange(vma, vma.Start, b, vma.Length, vma.PageProt) + (int)(c.Value + d.Value);
            """));

    [Fact]
    public Task Slab_object_remapped_is_reported_without_a_fix() => Verify.VerifyNoFixAsync(
        Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(small).ToPfn(), Kernel.PageSize, vma.PageProt)|};
            """),
        Diagnostic(0).WithArguments("RemapPfnRange", "kernel.VirtToPhys(small).ToPfn()", "'kernel.Kmalloc(200, Gfp.Kernel)'"));

    [Fact]
    public Task Large_kmalloc_is_page_allocator_memory() => Verify.VerifyAsync(
        Driver("""
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(large).ToPfn(), vma.Length, vma.PageProt);
            """));

    [Theory]
    [InlineData(Eras.E0)]
    [InlineData(Eras.E5)]
    [InlineData(Eras.E7)]
    public async Task Reported_in_every_era(string version)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(
            new DriverKitAnalyzers::DriverKit.Analyzers.MappingOriginAnalyzer(),
            Driver("""
                        return kernel.RemapPfnRange(vma, vma.Start, new Pfn(kernel.VirtToPhys(page).Value), vma.Length, vma.PageProt);
                """),
            version);
        Assert.Single(diagnostics, d => d.Id == "DK0008");
    }

    [Fact]
    public Task Fix_shifts_and_keeps_trivia() => Verify.VerifyFixAsync(
        Driver("""
                    var phys = kernel.VirtToPhys(page);
                    return kernel.RemapPfnRange(vma, vma.Start, {|#0:new Pfn(/* bytes */ phys.Value)|}, vma.Length, vma.PageProt); // one page
            """),
        Diagnostic(0),
        Driver("""
                    var phys = kernel.VirtToPhys(page);
                    return kernel.RemapPfnRange(vma, vma.Start, new Pfn(/* bytes */ phys.Value >> Kernel.PageShift), vma.Length, vma.PageProt); // one page
            """));

    [Fact]
    public Task Fix_all_parenthesizes_where_needed() => Verify.VerifyFixAsync(
        Driver("""
                    var phys = kernel.VirtToPhys(page).Value;
                    var first = {|#0:new Pfn(phys | 0x800)|};
                    var second = {|#1:new Pfn(phys + Kernel.PageSize)|};
                    return kernel.RemapPfnRange(vma, vma.Start, first, Kernel.PageSize, vma.PageProt) + kernel.RemapPfnRange(vma, vma.Start, second, Kernel.PageSize, vma.PageProt);
            """),
        [Diagnostic(0), Diagnostic(1)],
        Driver("""
                    var phys = kernel.VirtToPhys(page).Value;
                    var first = new Pfn((phys | 0x800) >> Kernel.PageShift);
                    var second = new Pfn(phys + Kernel.PageSize >> Kernel.PageShift);
                    return kernel.RemapPfnRange(vma, vma.Start, first, Kernel.PageSize, vma.PageProt) + kernel.RemapPfnRange(vma, vma.Start, second, Kernel.PageSize, vma.PageProt);
            """));
}
