extern alias DriverKitAnalyzers;

namespace DriverKit.Tests.Analyzers;

public class ScratchProvenanceTests
{
    private const string Source = """
        using DriverKit.Runtime;

        class Dev
        {
            private readonly Kernel kernel;
            private VmallocAddr vbuf;
            private KernelAddr obj;
            private MmioRegion? regs;
            private Page block;

            Dev(Kernel kernel)
            {
                this.kernel = kernel;
                vbuf = kernel.Vmalloc(4 * Kernel.PageSize);
                obj = kernel.Kmalloc(200, Gfp.Kernel);
                block = kernel.AllocPages(Gfp.Kernel, 2);
            }

            int MmapV(File f, VmArea vma) => kernel.RemapPfnRange(vma, vma.Start, kernel.VmallocToPfn(vbuf), vma.Length, vma.PageProt);

            int MmapPhys(File f, VmArea vma)
            {
                ulong phys;
                phys = kernel.VirtToPhys(obj).Value;
                return kernel.RemapPfnRange(vma, vma.Start, new Pfn(phys), vma.Length, vma.PageProt);
            }

            int MmapRegs(File f, VmArea vma) => kernel.RemapPfnRange(vma, vma.Start, regs!.StartPfn, vma.Length, vma.PageProt);

            int MmapRegsOk(File f, VmArea vma)
            {
                vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                return kernel.IoRemapPfnRange(vma, vma.Start, regs!.StartPfn, vma.Length, vma.PageProt);
            }

            int MmapBlock(File f, VmArea vma)
            {
                for (ulong i = 0; i < 4; i++)
                    kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + i));
                return 0;
            }

            int MmapSlab(File f, VmArea vma) => kernel.VmInsertPage(vma, vma.Start, kernel.VirtToPage(obj));
        }
        """;

    [Fact]
    public async Task Show()
    {
        var a = await AnalyzerRun.DiagnosticsAsync(new DriverKitAnalyzers::DriverKit.Analyzers.MappingOriginAnalyzer(), Source);
        var b = await AnalyzerRun.DiagnosticsAsync(new DriverKitAnalyzers::DriverKit.Analyzers.InsertPageAnalyzer(), Source);
        Assert.Fail(string.Join("\n", a.Concat(b).Select(d => d.Location.GetLineSpan().StartLinePosition.Line + ": " + d.Id + " " + d.Message())));
    }
}
