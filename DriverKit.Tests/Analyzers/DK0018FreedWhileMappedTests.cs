extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Verify = DriverKit.Tests.Verification.AnalyzerVerifier<DriverKitAnalyzers::DriverKit.Analyzers.MappingLifetimeAnalyzer>;

namespace DriverKit.Tests.Analyzers;

public class DK0018FreedWhileMappedTests
{
    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0018").WithLocation(location);

    /// <summary>A driver that remaps a page block in ->mmap; the members (ioctl, vm_ops, helpers) are given.</summary>
    private static string Driver(string members, string mmapExtra = "", string map = "kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(buf), Kernel.PageSize, vma.PageProt)") => $$"""
        using DriverKit.Runtime;

        class Dev
        {
            private readonly Kernel kernel;
            private Page buf;
            private int maps;

            Dev(Kernel kernel)
            {
                this.kernel = kernel;
                buf = kernel.AllocPages(Gfp.Kernel, 0);
            }

            int Mmap(OpenFile file, VmArea vma)
            {
        {{mmapExtra}}
                return {{map}};
            }

            FileOperations Fops() => new FileOperations { Mmap = Mmap, Ioctl = Ioctl };
        {{members}}
        }
        """;

    [Fact]
    public Task Ioctl_frees_the_remapped_buffer() => Verify.VerifyAsync(
        Driver("""
                long Ioctl(OpenFile file, uint cmd, ulong arg)
                {
                    {|#0:kernel.FreePages(buf, 0)|};
                    return 0;
                }
            """),
        Diagnostic(0).WithArguments("FreePages", "'buf'", "RemapPfnRange in 'Mmap'", "the ->unlocked_ioctl handler 'Ioctl'"));

    [Fact]
    public Task C_port_free_in_a_helper_reached_from_the_ioctl_switch() => Verify.VerifyAsync(
        Driver("""
                const uint DevFreeBuf = 2;

                long Ioctl(OpenFile file, uint cmd, ulong arg)
                {
                    long ret = 0;

                    switch (cmd)
                    {
                        case DevFreeBuf:
                            {|#0:ReleaseBuffer()|};
                            break;
                        default:
                            ret = -Errno.ENOTTY;
                            break;
                    }

                    return ret;
                }

                void ReleaseBuffer()
                {
                    Page p;

                    p = buf;
                    kernel.FreePage(p);
                }
            """),
        Diagnostic(0).WithArguments("FreePage", "'p'", "RemapPfnRange in 'Mmap'", "'ReleaseBuffer', called from the ->unlocked_ioctl handler 'Ioctl'"));

    [Fact]
    public Task Zapping_the_mappings_first_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                private AddressSpace? mapping;

                long Ioctl(OpenFile file, uint cmd, ulong arg)
                {
                    if (mapping is not null)
                        kernel.UnmapMappingRange(mapping, 0, 0, true);
                    kernel.FreePages(buf, 0);
                    return 0;
                }
            """));

    [Fact]
    public Task A_count_kept_by_open_and_tested_first_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                long Ioctl(OpenFile file, uint cmd, ulong arg)
                {
                    if (maps > 0)
                        return -Errno.EBUSY;
                    kernel.FreePages(buf, 0);
                    return 0;
                }

                VmOperations Ops() => new VmOperations { Open = vma => maps++, Close = vma => maps-- };
            """,
            "        vma.Ops = Ops();\n        maps++;"));

    [Fact]
    public Task Last_close_counted_with_open_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                long Ioctl(OpenFile file, uint cmd, ulong arg) => -Errno.ENOTTY;

                VmOperations Ops() => new VmOperations { Open = DevOpen, Close = DevClose };

                void DevOpen(VmArea vma) => maps++;

                void DevClose(VmArea vma)
                {
                    if (--maps == 0)
                        kernel.FreePages(buf, 0);
                }
            """,
            "        vma.Ops = Ops();\n        maps++;"));

    [Fact]
    public Task Unconditional_free_in_one_vmas_close_is_reported() => Verify.VerifyAsync(
        Driver("""
                long Ioctl(OpenFile file, uint cmd, ulong arg) => -Errno.ENOTTY;

                VmOperations Ops() => new VmOperations { Open = vma => maps++, Close = DevClose };

                void DevClose(VmArea vma)
                {
                    maps--;
                    {|#0:kernel.FreePages(buf, 0)|};
                }
            """,
            "        vma.Ops = Ops();\n        maps++;"),
        Diagnostic(0).WithArguments("FreePages", "'buf'", "RemapPfnRange in 'Mmap'", "the vm_ops->close handler 'DevClose'"));

    [Fact]
    public Task Close_without_open_is_left_to_the_first_form() => Verify.VerifyAsync(
        Driver("""
                long Ioctl(OpenFile file, uint cmd, ulong arg) => -Errno.ENOTTY;

                VmOperations Ops() => new VmOperations { {|#0:Close = vma => kernel.FreePages(buf, 0)|} };
            """,
            "        vma.Ops = Ops();"),
        Verify.Diagnostic(DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors.CloseWithoutOpen).WithLocation(0));

    [Fact]
    public Task Refcounted_insertion_and_release_are_not_reported() => Verify.VerifyAsync(
        Driver("""
                long Ioctl(OpenFile file, uint cmd, ulong arg)
                {
                    kernel.FreePages(buf, 0);
                    return 0;
                }

                int Release(Inode inode, OpenFile file)
                {
                    kernel.FreePages(buf, 0);
                    return 0;
                }
            """,
            map: "kernel.VmInsertPage(vma, vma.Start, buf)"));

    [Fact]
    public Task Free_in_release_is_safe() => Verify.VerifyAsync(
        Driver("""
                long Ioctl(OpenFile file, uint cmd, ulong arg) => -Errno.ENOTTY;

                int Release(Inode inode, OpenFile file)
                {
                    kernel.FreePages(buf, 0);
                    return 0;
                }

                FileOperations More() => new FileOperations { Mmap = Mmap, Release = Release };
            """));

    [Fact]
    public Task A_different_buffer_freed_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                private KernelAddr scratch = default;

                long Ioctl(OpenFile file, uint cmd, ulong arg)
                {
                    scratch = kernel.Kmalloc(64, Gfp.Kernel);
                    kernel.Kfree(scratch);
                    return 0;
                }
            """));

    [Fact]
    public Task Vmalloc_memory_inserted_by_pfn_in_a_fault_handler_and_freed_by_ioctl() => Verify.VerifyAsync(
        """
        using DriverKit.Runtime;

        class Fb
        {
            private readonly Kernel kernel;
            private VmallocAddr screen;

            Fb(Kernel kernel)
            {
                this.kernel = kernel;
                screen = kernel.Vmalloc(4 * Kernel.PageSize);
            }

            VmFaultResult Fault(VmFault vmf) =>
                vmf.Pgoff >= 4 ? VmFaultResult.Sigbus : kernel.VmfInsertPfn(vmf.Vma, vmf.Address, kernel.VmallocToPfn(screen + vmf.Pgoff * Kernel.PageSize));

            long Ioctl(OpenFile file, uint cmd, ulong arg)
            {
                {|#0:kernel.Vfree(screen)|};
                screen = kernel.Vmalloc(8 * Kernel.PageSize);
                return 0;
            }

            VmOperations Ops() => new VmOperations { Fault = Fault };

            FileOperations Fops() => new FileOperations { Ioctl = Ioctl };
        }
        """,
        Diagnostic(0).WithArguments("Vfree", "'screen'", "VmfInsertPfn in 'Fault'", "the ->unlocked_ioctl handler 'Ioctl'"));

    [Theory]
    [InlineData(Eras.E0)]
    [InlineData(Eras.E3)]
    [InlineData(Eras.E5)]
    [InlineData(Eras.E7)]
    public async Task Every_era_reports_it_and_offers_no_fix(string version)
    {
        // Special PTEs have never held references: the free is a use-after-free in every kernel, and the remedy is a design choice.
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new DriverKitAnalyzers::DriverKit.Analyzers.MappingLifetimeAnalyzer(), Driver("""
                long Ioctl(OpenFile file, uint cmd, ulong arg)
                {
                    kernel.FreePages(buf, 0);
                    return 0;
                }
            """), version);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("DK0018", diagnostic.Id);
        Assert.Equal(DriverKitAnalyzers::DriverKit.Analyzers.FixForms.None, DriverKitAnalyzers::DriverKit.Analyzers.FixForms.Of(diagnostic.Properties));
    }
}
