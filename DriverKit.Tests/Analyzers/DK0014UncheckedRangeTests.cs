extern alias DriverKitAnalyzers;

using DriverKit.CodeFixes;
using DriverKit.Tests.Verification;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.UncheckedRangeAnalyzer;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.UncheckedRangeAnalyzer,
    DriverKit.CodeFixes.IomapMemoryCodeFix>;
using VerifyMayWrite = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.UncheckedRangeAnalyzer,
    DriverKit.CodeFixes.ClearMayWriteCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0014UncheckedRangeTests
{
    private static ExpectedDiagnostic Diagnostic(int location) => Verify.Diagnostic("DK0014").WithLocation(location);

    /// <summary>A driver with a register window, a RAM block of <c>Pages</c> pages and a page table; the ->mmap body is given.</summary>
    internal static string Driver(string mmapBody, string members = "") => $$"""
        using DriverKit.Runtime;

        class Driver
        {
            private const int Pages = 4;
            private const ulong BufSize = Pages * Kernel.PageSize;
            private readonly Kernel kernel;
            private readonly MmioRegion regs;
            private readonly Page block;
            private readonly Page[] table = new Page[Pages];

            Driver(Kernel kernel, MmioDevice device)
            {
                this.kernel = kernel;
                regs = kernel.RegisterMmioRegion("regs", 2 * Kernel.PageSize, device);
                block = kernel.AllocPages(Gfp.Kernel | Gfp.Comp, 2);
            }

            int Mmap(OpenFile file, VmArea vma)
            {
        {{mmapBody}}
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Pgoff_and_length_straight_into_remap_pfn_range() => Verify.VerifyAsync(
        Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + vma.Pgoff, vma.Length, vma.PageProt)|};
            """),
        Diagnostic(0).WithArguments("pfn", "kernel.PageToPfn(block) + vma.Pgoff", "VmArea.Pgoff", ""));

    [Fact]
    public Task Length_alone_is_unchecked_too() => Verify.VerifyAsync(
        Driver("""
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block), vma.Length, vma.PageProt)|};
            """),
        Diagnostic(0).WithArguments("size", "vma.Length", "VmArea.Length", ""));

    [Fact]
    public Task Checked_offset_and_size_are_not_reported() => Verify.VerifyAsync(
        Driver("""
                    if (vma.Pgoff + vma.Pages > Pages)
                        return -Errno.EINVAL;
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + vma.Pgoff, vma.Length, vma.PageProt);
            """));

    [Fact]
    public Task Check_against_the_size_in_bytes_through_locals() => Verify.VerifyAsync(
        Driver("""
                    var offset = vma.Pgoff;
                    var size = vma.Length;
                    if (offset > Pages || size > BufSize - (offset << Kernel.PageShift))
                        return -Errno.EINVAL;
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + offset, size, vma.PageProt);
            """));

    [Fact]
    public Task A_check_that_can_wrap_around_does_not_count() => Verify.VerifyAsync(
        Driver("""
                    ulong off = vma.Pgoff << Kernel.PageShift;
                    if (off + vma.Length > BufSize)
                        return -Errno.EINVAL;
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + vma.Pgoff, vma.Length, vma.PageProt)|};
            """),
        Diagnostic(0).WithArguments("pfn", "kernel.PageToPfn(block) + vma.Pgoff", "VmArea.Pgoff", " (the check 'off + vma.Length > BufSize' can wrap around)"));

    [Fact]
    public Task A_signed_shift_of_the_offset_wraps_too() => Verify.VerifyAsync(
        Driver("""
                    if (((long)vma.Pgoff << Kernel.PageShift) >= (long)BufSize)
                        return -Errno.EINVAL;
                    if (vma.Length > BufSize)
                        return -Errno.EINVAL;
                    return {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + vma.Pgoff, vma.Length, vma.PageProt)|};
            """),
        Diagnostic(0));

    [Fact]
    public Task A_check_inside_the_branch_that_maps_counts() => Verify.VerifyAsync(
        Driver("""
                    if (vma.Pgoff == 0 && vma.Length <= BufSize)
                    {
                        return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + vma.Pgoff, vma.Length, vma.PageProt);
                    }

                    return -Errno.EINVAL;
            """));

    [Fact]
    public Task Clamped_size_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                    if (vma.Pgoff != 0)
                        return -Errno.EINVAL;
                    var size = System.Math.Min(vma.Length, BufSize);
                    return kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block), size, vma.PageProt);
            """));

    [Fact]
    public Task Validating_helpers_are_not_sinks() => Verify.VerifyAsync(
        Driver("""
                    var ret = kernel.VmIomapMemory(vma, regs.Start, regs.Size);
                    if (ret != 0)
                        return ret;
                    return kernel.VmMapPages(vma, table);
            """));

    [Fact]
    public Task C_port_check_in_a_helper_called_first_with_goto() => Verify.VerifyAsync(
        Driver("""
                    int ret;
                    Pfn pfn;

                    ret = CheckRange(vma);
                    if (ret != 0)
                        goto fail;
                    pfn = kernel.PageToPfn(block) + vma.Pgoff;
                    ret = kernel.RemapPfnRange(vma, vma.Start, pfn, vma.Length, vma.PageProt);
                fail:
                    return ret;
            """,
            """
                int CheckRange(VmArea vma) => vma.Pgoff + vma.Pages > Pages ? -Errno.EINVAL : 0;
            """));

    [Fact]
    public Task C_port_unchecked_in_a_helper_reached_from_mmap() => Verify.VerifyAsync(
        Driver("""
                    int ret;

                    ret = MapRange(vma, vma.Pgoff);
                    return ret;
            """,
            """
                int MapRange(VmArea vma, ulong first) => {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + first, Kernel.PageSize, vma.PageProt)|};
            """),
        Diagnostic(0).WithArguments("pfn", "kernel.PageToPfn(block) + first", "VmArea.Pgoff", ""));

    [Fact]
    public Task Helper_whose_every_caller_checks_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                    if (vma.Pgoff >= Pages)
                        return -Errno.EINVAL;
                    return MapRange(vma, vma.Pgoff);
            """,
            """
                int MapRange(VmArea vma, ulong first) => kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + first, Kernel.PageSize, vma.PageProt);
            """));

    [Fact]
    public Task Insert_loop_bounded_by_the_vma_size() => Verify.VerifyAsync(
        Driver("""
                    ulong i;
                    int ret;

                    for (i = 0; i < vma.Pages; i++)
                    {
                        ret = {|#0:kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, kernel.PfnToPage(kernel.PageToPfn(block) + i))|};
                        if (ret != 0)
                            return ret;
                    }

                    return 0;
            """),
        Diagnostic(0).WithArguments("page", "kernel.PfnToPage(kernel.PageToPfn(block) + i)", "the loop bound 'vma.Pages'", ""));

    [Fact]
    public Task Insert_loop_after_a_size_check_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                    if (vma.Pages > Pages)
                        return -Errno.EINVAL;
                    for (ulong i = 0; i < vma.Pages; i++)
                    {
                        var ret = kernel.VmInsertPage(vma, vma.Start + i * Kernel.PageSize, table[i]);
                        if (ret != 0)
                            return ret;
                    }

                    return 0;
            """));

    [Fact]
    public Task C_port_cursor_in_the_for_header() => Verify.VerifyAsync(
        Driver("""
                    UserAddr addr;
                    Pfn pfn;
                    int ret = 0;

                    for (addr = vma.Start, pfn = kernel.PageToPfn(block); addr < vma.End; addr += Kernel.PageSize, pfn += 1)
                    {
                        ret = {|#0:kernel.RemapPfnRange(vma, addr, pfn, Kernel.PageSize, vma.PageProt)|};
                        if (ret != 0)
                            break;
                    }

                    return ret;
            """),
        Diagnostic(0).WithArguments("pfn", "pfn", "the loop bound 'vma.End'", ""));

    [Fact]
    public Task Fault_handler_page_by_pgoff() => Verify.VerifyAsync(
        Driver("""
                    vma.Ops = new VmOperations { Fault = Fault };
                    return 0;
            """,
            """
                VmFaultResult Fault(VmFault vmf)
                {
                    var page = kernel.PfnToPage(kernel.PageToPfn(block) + vmf.Pgoff);
                    kernel.GetPage(page);
                    vmf.Page = {|#0:page|};
                    return VmFaultResult.None;
                }
            """),
        Diagnostic(0).WithArguments("page", "page", "VmFault.Pgoff", ""));

    [Fact]
    public Task Fault_handler_table_index_by_pgoff() => Verify.VerifyAsync(
        Driver("""
                    vma.Ops = new VmOperations { Fault = Fault };
                    return 0;
            """,
            """
                VmFaultResult Fault(VmFault vmf)
                {
                    kernel.GetPage(table[{|#0:vmf.Pgoff|}]);
                    vmf.Page = table[{|#1:vmf.Pgoff|}];
                    return VmFaultResult.None;
                }
            """),
        Diagnostic(0).WithArguments("page table index", "vmf.Pgoff", "VmFault.Pgoff", ""),
        Diagnostic(1));

    [Fact]
    public Task Fault_handler_that_checks_the_offset_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                    vma.Ops = new VmOperations { Fault = Fault };
                    return 0;
            """,
            """
                VmFaultResult Fault(VmFault vmf)
                {
                    if (vmf.Pgoff >= Pages)
                        return VmFaultResult.Sigbus;
                    kernel.GetPage(table[vmf.Pgoff]);
                    vmf.Page = table[vmf.Pgoff];
                    return VmFaultResult.None;
                }
            """));

    [Fact]
    public Task Ioctl_argument_as_a_pfn_offset() => Verify.VerifyAsync(
        Driver("""
                    return 0;
            """,
            """
                private VmArea? last;

                long Ioctl(OpenFile file, uint cmd, ulong arg) =>
                    last is null ? -Errno.EINVAL : {|#0:kernel.RemapPfnRange(last, last.Start, kernel.PageToPfn(block) + arg, Kernel.PageSize, last.PageProt)|};

                FileOperations Fops() => new FileOperations { Mmap = Mmap, Ioctl = Ioctl };
            """),
        Diagnostic(0).WithArguments("pfn", "kernel.PageToPfn(block) + arg", "the ioctl argument 'arg'", ""));

    [Fact]
    public Task Offset_from_a_field_a_handler_stored() => Verify.VerifyAsync(
        Driver("""
                    first = vma.Pgoff;
                    return Map(vma);
            """,
            """
                private ulong first;

                private int Map(VmArea vma) => {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + first, Kernel.PageSize, vma.PageProt)|};
            """),
        Diagnostic(0).WithArguments("pfn", "kernel.PageToPfn(block) + first", "VmArea.Pgoff", ""));

    [Fact]
    public Task Fix_maps_the_window_with_vm_iomap_memory_and_keeps_trivia() => Verify.VerifyFixAsync(
        Driver("""
                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    return /* registers */ {|#0:kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn + vma.Pgoff, vma.Length, vma.PageProt)|}; // whole window
            """),
        Diagnostic(0),
        Driver("""
                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    return /* registers */ kernel.VmIomapMemory(vma, regs.Start, regs.Size); // whole window
            """));

    [Fact]
    public Task Fix_stores_an_explicit_protection_first() => Verify.VerifyFixAsync(
        Driver("""
                    // map the registers
                    return {|#0:kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn + vma.Pgoff, vma.Length, Kernel.PgprotNoncached(vma.PageProt))|};
            """),
        Diagnostic(0),
        Driver("""
                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    // map the registers
                    return kernel.VmIomapMemory(vma, regs.Start, regs.Size);
            """));

    [Fact]
    public Task Fix_turns_an_expression_bodied_handler_into_a_block() => Verify.VerifyFixAsync(
        Driver("""
                    return Map(vma);
            """,
            """
                int Map(VmArea vma) =>
                    {|#0:kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn + vma.Pgoff, vma.Length, Kernel.PgprotNoncached(vma.PageProt))|};
            """),
        Diagnostic(0),
        Driver("""
                    return Map(vma);
            """,
            """
                int Map(VmArea vma)
                {
                    vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    return kernel.VmIomapMemory(vma, regs.Start, regs.Size);
                }
            """));

    [Fact]
    public async Task No_window_fix_before_3_9()
    {
        var source = Driver("""
                    return kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn + vma.Pgoff, vma.Length, Kernel.PgprotNoncached(vma.PageProt));
            """);
        foreach (var (version, form) in new[] { (Eras.E5, "none"), ("3.9", "vm-iomap-memory") })
        {
            var diagnostic = Assert.Single(await AnalyzerRun.DiagnosticsAsync(new Analyzer(), source, version));
            Assert.Equal(form, DriverKitAnalyzers::DriverKit.Analyzers.FixForms.Of(diagnostic.Properties));
        }
    }

    [Fact]
    public Task No_fix_for_RAM_or_a_part_of_the_vma() => Verify.VerifyNoFixAsync(
        Driver("""
                    var ret = {|#0:kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(block) + vma.Pgoff, vma.Length, vma.PageProt)|};
                    if (ret != 0)
                        return ret;
                    return {|#1:kernel.IoRemapPfnRange(vma, vma.Start + Kernel.PageSize, regs.StartPfn + vma.Pgoff, vma.Length, Kernel.PgprotNoncached(vma.PageProt))|};
            """),
        Diagnostic(0), Diagnostic(1));

    /// <summary>
    /// VmIomapMemory maps the whole vma from the window's offset <c>vma.Pgoff</c>: a remap of fewer bytes, or of another part of
    /// the window, would map different memory after the rewrite, so the fix is offered only for that exact shape.
    /// </summary>
    [Theory]
    [InlineData("regs.StartPfn + vma.Pgoff", "Kernel.PageSize")]
    [InlineData("regs.StartPfn + vma.Pgoff", "vma.Length / 2")]
    [InlineData("regs.StartPfn + vma.Pgoff + 1", "vma.Length")]
    [InlineData("regs.StartPfn", "vma.Length")]
    public Task No_window_fix_for_another_range_than_the_whole_vma_at_its_offset(string pfn, string size) => Verify.VerifyNoFixAsync(
        Driver($$"""
                    return {|#0:kernel.IoRemapPfnRange(vma, vma.Start, {{pfn}}, {{size}}, Kernel.PgprotNoncached(vma.PageProt))|};
            """),
        Diagnostic(0));

    [Fact]
    public Task No_window_fix_when_the_window_is_read_with_side_effects() => Verify.VerifyNoFixAsync(
        Driver("""
                    return {|#0:kernel.IoRemapPfnRange(vma, vma.Start, Window().StartPfn + vma.Pgoff, vma.Length, Kernel.PgprotNoncached(vma.PageProt))|};
            """,
            """
                private int windowsTaken;

                private MmioRegion Window()
                {
                    windowsTaken++;
                    return regs;
                }
            """),
        Diagnostic(0));

    [Fact]
    public Task Fix_all_in_the_document() => Verify.VerifyFixAsync(
        """
        using DriverKit.Runtime;

        class Windows
        {
            private readonly Kernel kernel;
            private readonly MmioRegion regs;
            private readonly MmioRegion frame;

            Windows(Kernel kernel, MmioRegion regs, MmioRegion frame)
            {
                this.kernel = kernel;
                this.regs = regs;
                this.frame = frame;
            }

            int MmapRegs(OpenFile file, VmArea vma) =>
                {|#0:kernel.IoRemapPfnRange(vma, vma.Start, regs.StartPfn + vma.Pgoff, vma.Length, vma.PageProt)|};

            int MmapFrame(OpenFile file, VmArea vma) =>
                {|#1:kernel.IoRemapPfnRange(vma, vma.Start, frame.StartPfn + vma.Pgoff, vma.Length, vma.PageProt)|};
        }
        """,
        [Diagnostic(0), Diagnostic(1)],
        """
        using DriverKit.Runtime;

        class Windows
        {
            private readonly Kernel kernel;
            private readonly MmioRegion regs;
            private readonly MmioRegion frame;

            Windows(Kernel kernel, MmioRegion regs, MmioRegion frame)
            {
                this.kernel = kernel;
                this.regs = regs;
                this.frame = frame;
            }

            int MmapRegs(OpenFile file, VmArea vma) =>
                kernel.VmIomapMemory(vma, regs.Start, regs.Size);

            int MmapFrame(OpenFile file, VmArea vma) =>
                kernel.VmIomapMemory(vma, frame.Start, frame.Size);
        }
        """);

    private static string ReadOnlyDriver(string test) => $$"""
        using DriverKit.Runtime;

        class Rom
        {
            private readonly Kernel kernel;
            private readonly Page page;

            Rom(Kernel kernel)
            {
                this.kernel = kernel;
                page = kernel.AllocPage(Gfp.Kernel);
            }

            int Mmap(OpenFile file, VmArea vma)
            {
        {{test}}
                return kernel.VmInsertPage(vma, vma.Start, page);
            }

            FileOperations Fops() => new FileOperations { Mmap = Mmap };
        }
        """;

    [Fact]
    public Task VM_WRITE_refused_with_VM_MAYWRITE_left_set() => VerifyMayWrite.VerifyFixAsync(
        ReadOnlyDriver("""
                    if ({|#0:(vma.Flags & VmFlags.Write) != 0|}) // read-only device
                        return -Errno.EPERM;
            """),
        VerifyMayWrite.Diagnostic("DK0014").WithLocation(0).WithArguments("Mmap", "kernel.VmFlagsClear(vma, VmFlags.MayWrite);"),
        ReadOnlyDriver("""
                    if ((vma.Flags & VmFlags.Write) != 0) // read-only device
                        return -Errno.EPERM;
                    kernel.VmFlagsClear(vma, VmFlags.MayWrite);
            """));

    [Fact]
    public Task VM_MAYWRITE_cleared_is_not_reported() => VerifyMayWrite.VerifyAsync(
        ReadOnlyDriver("""
                    if ((vma.Flags & VmFlags.Write) != 0)
                        return -Errno.EPERM;
                    vma.Flags &= ~VmFlags.MayWrite;
            """));

    [Fact]
    public Task A_VM_WRITE_test_that_does_not_refuse_is_not_reported() => VerifyMayWrite.VerifyAsync(
        ReadOnlyDriver("""
                    if ((vma.Flags & VmFlags.Write) != 0)
                        vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
            """));

    /// <summary>
    /// Only a test that is true exactly when the mapping asks for VM_WRITE, with a branch that always leaves and no else, refuses
    /// writable mappings: clearing VM_MAYWRITE after anything else (a compound condition, an inverted test, a branch that
    /// leaves on one path, an else that maps) would take write access from mappings the driver allows, or never run.
    /// </summary>
    [Theory]
    [InlineData("""
                    if ((vma.Flags & VmFlags.Write) != 0 && vma.Pgoff != 0)
                        return -Errno.EPERM;
        """)]
    [InlineData("""
                    if ((vma.Flags & VmFlags.Write) == 0)
                        return kernel.VmInsertPage(vma, vma.Start, page);
        """)]
    [InlineData("""
                    if ((vma.Flags & VmFlags.Write) != 0)
                    {
                        if (vma.Pgoff != 0)
                            return -Errno.EPERM;
                        vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);
                    }
        """)]
    [InlineData("""
                    if ((vma.Flags & VmFlags.Write) != 0)
                        return -Errno.EPERM;
                    else
                        return kernel.VmInsertPage(vma, vma.Start, page);
        """)]
    public Task Tests_that_do_not_refuse_every_writable_mapping_are_not_reported(string test) => VerifyMayWrite.VerifyAsync(ReadOnlyDriver(test));

    /// <summary>The clearing statement names a Kernel that exists at its place: the field, not a local declared after the test.</summary>
    [Fact]
    public Task The_MayWrite_fix_names_a_kernel_in_scope_after_the_test() => VerifyMayWrite.VerifyFixAsync(
        ReadOnlyDriver("""
                    if ({|#0:(vma.Flags & VmFlags.Write) != 0|})
                        return -Errno.EPERM;
                    var k = kernel;
                    _ = k.PageToPfn(page);
            """),
        VerifyMayWrite.Diagnostic("DK0014").WithLocation(0).WithArguments("Mmap", "kernel.VmFlagsClear(vma, VmFlags.MayWrite);"),
        ReadOnlyDriver("""
                    if ((vma.Flags & VmFlags.Write) != 0)
                        return -Errno.EPERM;
                    kernel.VmFlagsClear(vma, VmFlags.MayWrite);
                    var k = kernel;
                    _ = k.PageToPfn(page);
            """));

    [Fact]
    public Task VM_WRITE_compared_with_itself_is_a_refusal() => VerifyMayWrite.VerifyFixAsync(
        ReadOnlyDriver("""
                    if ({|#0:(vma.Flags & VmFlags.Write) == VmFlags.Write|})
                        return -Errno.EPERM;
            """),
        VerifyMayWrite.Diagnostic("DK0014").WithLocation(0).WithArguments("Mmap", "kernel.VmFlagsClear(vma, VmFlags.MayWrite);"),
        ReadOnlyDriver("""
                    if ((vma.Flags & VmFlags.Write) == VmFlags.Write)
                        return -Errno.EPERM;
                    kernel.VmFlagsClear(vma, VmFlags.MayWrite);
            """));

    [Theory]
    [InlineData(Eras.E3, "vma.Flags &= ~VmFlags.MayWrite;")]
    [InlineData(Eras.E5, "vma.Flags &= ~VmFlags.MayWrite;")]
    [InlineData(Eras.E6, "kernel.VmFlagsClear(vma, VmFlags.MayWrite);")]
    public async Task The_clearing_statement_follows_the_era(string version, string statement)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), ReadOnlyDriver("""
                    if ((vma.Flags & VmFlags.Write) != 0)
                        goto fail;
                    goto map;
                fail:
                    return -Errno.EACCES;
                map:
            """), version);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Contains(statement, diagnostic.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public Task Fix_all_clears_VM_MAYWRITE_in_each_handler() => VerifyMayWrite.VerifyFixAsync(
        """
        using DriverKit.Runtime;

        class Roms
        {
            private readonly Kernel kernel;
            private readonly Page page;

            Roms(Kernel kernel, Page page)
            {
                this.kernel = kernel;
                this.page = page;
            }

            int MmapA(OpenFile file, VmArea vma)
            {
                if ({|#0:vma.Flags.HasFlag(VmFlags.Write)|})
                    return -Errno.EPERM;
                return kernel.VmInsertPage(vma, vma.Start, page);
            }

            int MmapB(OpenFile file, VmArea area)
            {
                if ({|#1:(area.Flags & VmFlags.Write) != 0|})
                {
                    return -Errno.EACCES;
                }
                return kernel.VmInsertPage(area, area.Start, page);
            }

            FileOperations A() => new FileOperations { Mmap = MmapA };

            FileOperations B() => new FileOperations { Mmap = MmapB };
        }
        """,
        [VerifyMayWrite.Diagnostic("DK0014").WithLocation(0), VerifyMayWrite.Diagnostic("DK0014").WithLocation(1)],
        """
        using DriverKit.Runtime;

        class Roms
        {
            private readonly Kernel kernel;
            private readonly Page page;

            Roms(Kernel kernel, Page page)
            {
                this.kernel = kernel;
                this.page = page;
            }

            int MmapA(OpenFile file, VmArea vma)
            {
                if (vma.Flags.HasFlag(VmFlags.Write))
                    return -Errno.EPERM;
                kernel.VmFlagsClear(vma, VmFlags.MayWrite);
                return kernel.VmInsertPage(vma, vma.Start, page);
            }

            int MmapB(OpenFile file, VmArea area)
            {
                if ((area.Flags & VmFlags.Write) != 0)
                {
                    return -Errno.EACCES;
                }

                kernel.VmFlagsClear(area, VmFlags.MayWrite);
                return kernel.VmInsertPage(area, area.Start, page);
            }

            FileOperations A() => new FileOperations { Mmap = MmapA };

            FileOperations B() => new FileOperations { Mmap = MmapB };
        }
        """);
}
