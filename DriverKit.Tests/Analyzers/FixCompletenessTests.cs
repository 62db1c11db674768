extern alias DriverKitAnalyzers;

using DriverKit.CodeFixes;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Rules = DriverKitAnalyzers::DriverKit.Analyzers;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// A fix never makes a program worse: it is complete — the pair, the counterpart in another method, no <c>| None</c> left
/// behind, no rewrite inside a test of the flag — or it is not offered. One test per defect class found by applying the
/// fixes to ported drivers, with the exact code each fix must produce.
/// </summary>
public class FixCompletenessTests
{
    private static ExpectedDiagnostic Locked(int location, DiagnosticSeverity severity = DiagnosticSeverity.Error) =>
        ExpectedDiagnostic.Create(Rules.DiagnosticDescriptors.LockedIoMapping).WithLocation(location).WithSeverity(severity);

    private static ExpectedDiagnostic Reserved(int location) => ExpectedDiagnostic.Create(Rules.DiagnosticDescriptors.VmReservedObsolete).WithLocation(location);

    private static ExpectedDiagnostic Pin(int location) => ExpectedDiagnostic.Create(Rules.DiagnosticDescriptors.PageLockAsPin).WithLocation(location);

    private static ExpectedDiagnostic LeftAtFree(int location) => ExpectedDiagnostic.Create(Rules.DiagnosticDescriptors.ReservedBitLeftAtFree).WithLocation(location);

    private static ExpectedDiagnostic Reservation(int location) => ExpectedDiagnostic.Create(Rules.DiagnosticDescriptors.ReservePagesForRemap).WithLocation(location);

    private static string Mmap(string body) => $$"""
        using DriverKit.Runtime;

        class Cam
        {
            private readonly Kernel kernel;
            private readonly bool pin;

            Cam(Kernel kernel, bool pin)
            {
                this.kernel = kernel;
                this.pin = pin;
            }

            int Mmap(OpenFile file, VmArea vma)
            {
        {{body}}
                return 0;
            }
        }
        """;

    // ---- DK0001 -------------------------------------------------------------------------------------------------

    [Fact]
    public Task DK0001_the_else_branch_that_clears_the_bit_goes_with_the_set() => new CodeFixTest<Rules.LockedVmaAnalyzer, RemoveLockedFlagCodeFix>
    {
        TestCode = Mmap("""
                    if (pin)
                        vma.Flags |= {|#0:VmFlags.Locked|};
                    else
                        vma.Flags &= ~VmFlags.Locked;
                    vma.Flags |= VmFlags.IO;
            """),
        ExpectedDiagnostics = { Locked(0) },
        FixedCode = Mmap("""
                    vma.Flags |= VmFlags.IO;
            """),
    }.RunAsync();

    [Fact]
    public Task DK0001_an_if_whose_only_branch_set_the_bit_goes() => new CodeFixTest<Rules.LockedVmaAnalyzer, RemoveLockedFlagCodeFix>
    {
        TestCode = Mmap("""
                    VmFlags flags;

                    flags = VmFlags.IO;
                    if (pin)
                    {
                        flags |= {|#0:VmFlags.Locked|};
                    }

                    vma.Flags |= flags;
            """),
        ExpectedDiagnostics = { Locked(0) },
        FixedCode = Mmap("""
                    VmFlags flags;

                    flags = VmFlags.IO;

                    vma.Flags |= flags;
            """),
    }.RunAsync();

    [Fact]
    public Task DK0001_no_fix_where_the_set_shares_an_if_with_other_work() => CodeFixVerifier<Rules.LockedVmaAnalyzer, RemoveLockedFlagCodeFix>.VerifyNoFixAsync(
        Mmap("""
                    if (pin)
                        vma.Flags |= {|#0:VmFlags.Locked|};
                    else
                        vma.Flags |= VmFlags.DontDump;
                    vma.Flags |= VmFlags.IO;
            """),
        Locked(0));

    [Fact]
    public Task DK0001_no_fix_where_dropping_the_if_would_drop_a_call() => CodeFixVerifier<Rules.LockedVmaAnalyzer, RemoveLockedFlagCodeFix>.VerifyNoFixAsync(
        Mmap("""
                    if (Probe())
                        vma.Flags |= {|#0:VmFlags.Locked|} ;
                    vma.Flags |= VmFlags.IO;
            """).Replace("    int Mmap(", "    bool Probe() => pin;\n\n    int Mmap(", StringComparison.Ordinal),
        Locked(0));

    [Fact]
    public Task DK0001_a_self_assignment_left_behind_goes() => new CodeFixTest<Rules.LockedVmaAnalyzer, RemoveLockedFlagCodeFix>
    {
        TestCode = Mmap("""
                    vma.Flags = vma.Flags | {|#0:VmFlags.Locked|};
                    vma.Flags |= VmFlags.IO;
            """),
        ExpectedDiagnostics = { Locked(0) },
        FixedCode = Mmap("""
                    vma.Flags |= VmFlags.IO;
            """),
    }.RunAsync();

    // ---- DK0005 -------------------------------------------------------------------------------------------------

    private static string Compat(string body) => $$"""
        using DriverKit.Runtime;

        class Compat
        {
            private readonly Kernel kernel;

            Compat(Kernel kernel) => this.kernel = kernel;

            int Mmap(OpenFile file, VmArea vma)
            {
        {{body}}
                return 0;
            }
        }
        """;

    [Fact]
    public Task DK0005_a_test_of_whether_the_kernel_has_VM_RESERVED_keeps_the_other_branch() => new CodeFixTest<Rules.VmReservedAnalyzer, ReplaceReservedFlagCodeFix>
    {
        TestCode = Compat("""
                    vma.Flags |= kernel.Policy.FlagExists({|#0:VmFlags.Reserved|}) ? {|#1:VmFlags.Reserved|} : VmFlags.DontExpand | VmFlags.DontDump;
            """),
        ExpectedDiagnostics = { Reserved(0), Reserved(1) },
        FixedCode = Compat("""
                    vma.Flags |= VmFlags.DontExpand | VmFlags.DontDump;
            """),
    }.RunAsync();

    [Fact]
    public Task DK0005_an_if_on_the_negated_test_keeps_its_then_branch() => new CodeFixTest<Rules.VmReservedAnalyzer, ReplaceReservedFlagCodeFix>
    {
        TestCode = Compat("""
                    if (!kernel.Policy.FlagExists({|#0:VmFlags.Reserved|}))
                    {
                        vma.Flags |= VmFlags.DontExpand;
                    }
                    else
                    {
                        vma.Flags |= {|#1:VmFlags.Reserved|};
                    }
            """),
        ExpectedDiagnostics = { Reserved(0), Reserved(1) },
        FixedCode = Compat("""
                    vma.Flags |= VmFlags.DontExpand;
            """),
    }.RunAsync();

    // ---- DK0006 -------------------------------------------------------------------------------------------------

    private static string Share(string members) => $$"""
        using DriverKit.Runtime;

        class Share
        {
            private readonly Kernel kernel;
            private Page page;
            private Page other;

            Share(Kernel kernel) => this.kernel = kernel;

            int Open(Inode inode, OpenFile file)
            {
                page = kernel.AllocPage(Gfp.Kernel);
        {{members}}
        }
        """;

    [Fact]
    public Task DK0006_the_unlock_in_a_teardown_helper_becomes_the_put() => new CodeFixTest<Rules.PageLockAsPinAnalyzer, LockToReferenceCodeFix>
    {
        TestCode = Share("""
                    {|#0:kernel.SetPageLocked(page)|};
                    return 0;
                }

                private void Teardown(Page p)
                {
                    kernel.UnlockPage(p);
                    kernel.FreePage(p);
                }

                int Release(Inode inode, OpenFile file)
                {
                    Teardown(page);
                    return 0;
                }
            """),
        ExpectedDiagnostics = { Pin(0) },
        FixedCode = Share("""
                    kernel.GetPage(page);
                    return 0;
                }

                private void Teardown(Page p)
                {
                    kernel.PutPage(p);
                    kernel.FreePage(p);
                }

                int Release(Inode inode, OpenFile file)
                {
                    Teardown(page);
                    return 0;
                }
            """),
    }.RunAsync();

    [Fact]
    public Task DK0006_no_fix_when_the_unlock_is_shared_with_a_real_lock() => CodeFixVerifier<Rules.PageLockAsPinAnalyzer, LockToReferenceCodeFix>.VerifyNoFixAsync(
        Share("""
                    other = kernel.AllocPage(Gfp.Kernel);
                    {|#0:kernel.SetPageLocked(page)|};
                    return 0;
                }

                void Modify()
                {
                    kernel.LockPage(other);
                    kernel.WriteKernel(kernel.PageAddress(other), new byte[] { 1 });
                    Unlock(other);
                }

                private void Unlock(Page p) => kernel.UnlockPage(p);

                int Release(Inode inode, OpenFile file)
                {
                    Unlock(page);
                    return 0;
                }
            """),
        Pin(0));

    [Fact]
    public Task DK0006_no_fix_without_an_unlock_to_turn_into_the_put() => CodeFixVerifier<Rules.PageLockAsPinAnalyzer, LockToReferenceCodeFix>.VerifyNoFixAsync(
        Share("""
                    {|#0:kernel.SetPageLocked(page)|};
                    return 0;
                }
            """),
        Pin(0));

    // ---- DK0003 -------------------------------------------------------------------------------------------------

    [Fact]
    public Task DK0003_fix_all_carries_a_local_of_the_reserving_method_over() => new CodeFixTest<Rules.PageReservedAnalyzer, ClearReservedBeforeFreeCodeFix>
    {
        TestCode = """
            using DriverKit.Runtime;

            class Log
            {
                private readonly Kernel kernel;
                private KernelAddr area;
                private KernelAddr spare;

                Log(Kernel kernel) => this.kernel = kernel;

                void Open()
                {
                    area = kernel.Kzalloc(Kernel.PageSize, Gfp.Kernel);
                    spare = kernel.Kzalloc(Kernel.PageSize, Gfp.Kernel);
                    var first = kernel.VirtToPage(area);
                    {|#0:kernel.SetPageReserved(first)|};
                    var second = kernel.VirtToPage(spare);
                    {|#1:kernel.SetPageReserved(second)|};
                }

                void Release()
                {
                    {|#2:kernel.Kfree(area)|};
                    {|#3:kernel.Kfree(spare)|};
                }
            }
            """,
        ExpectedDiagnostics = { Reservation(0), Reservation(1), LeftAtFree(2), LeftAtFree(3) },
        FixedCode = """
            using DriverKit.Runtime;

            class Log
            {
                private readonly Kernel kernel;
                private KernelAddr area;
                private KernelAddr spare;

                Log(Kernel kernel) => this.kernel = kernel;

                void Open()
                {
                    area = kernel.Kzalloc(Kernel.PageSize, Gfp.Kernel);
                    spare = kernel.Kzalloc(Kernel.PageSize, Gfp.Kernel);
                    var first = kernel.VirtToPage(area);
                    {|#0:kernel.SetPageReserved(first)|};
                    var second = kernel.VirtToPage(spare);
                    {|#1:kernel.SetPageReserved(second)|};
                }

                void Release()
                {
                    var first = kernel.VirtToPage(area);
                    kernel.ClearPageReserved(first);
                    kernel.Kfree(area);
                    var second = kernel.VirtToPage(spare);
                    kernel.ClearPageReserved(second);
                    kernel.Kfree(spare);
                }
            }
            """,
        FixedExpectedDiagnostics = { Reservation(0), Reservation(1) },
    }.RunAsync();

    [Fact]
    public Task DK0003_a_free_under_a_goto_label_gets_the_clear_under_the_label() => new CodeFixTest<Rules.PageReservedAnalyzer, ClearReservedBeforeFreeCodeFix>
    {
        TestCode = """
            using DriverKit.Runtime;

            class Probe
            {
                private readonly Kernel kernel;

                Probe(Kernel kernel) => this.kernel = kernel;

                int Init(VmArea vma)
                {
                    KernelAddr buf;
                    int ret;

                    buf = kernel.GetFreePages(Gfp.Kernel, 0);
                    {|#0:kernel.SetPageReserved(kernel.VirtToPage(buf))|};
                    ret = kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(buf).ToPfn(), vma.Length, vma.PageProt);
                    if (ret != 0)
                        goto fail;
                    return 0;

                fail:
                    {|#1:kernel.FreePages(buf, 0)|};
                    return ret;
                }
            }
            """,
        ExpectedDiagnostics = { Reservation(0), LeftAtFree(1) },
        FixedCode = """
            using DriverKit.Runtime;

            class Probe
            {
                private readonly Kernel kernel;

                Probe(Kernel kernel) => this.kernel = kernel;

                int Init(VmArea vma)
                {
                    KernelAddr buf;
                    int ret;

                    buf = kernel.GetFreePages(Gfp.Kernel, 0);
                    {|#0:kernel.SetPageReserved(kernel.VirtToPage(buf))|};
                    ret = kernel.RemapPfnRange(vma, vma.Start, kernel.VirtToPhys(buf).ToPfn(), vma.Length, vma.PageProt);
                    if (ret != 0)
                        goto fail;
                    return 0;

                fail:
                    kernel.ClearPageReserved(kernel.VirtToPage(buf));
                    kernel.FreePages(buf, 0);
                    return ret;
                }
            }
            """,
        FixedExpectedDiagnostics = { Reservation(0) },
    }.RunAsync();

    // ---- DK0002 -------------------------------------------------------------------------------------------------

    private static string Grabber(string open, string release, string members = "") => $$"""
        using DriverKit.Runtime;

        class Grabber
        {
            private const int Order = 1;
            private readonly Kernel kernel;
            private KernelAddr buf;

            Grabber(Kernel kernel) => this.kernel = kernel;

            int Open(Inode inode, OpenFile file)
            {
        {{open}}
                return 0;
            }

            int Release(Inode inode, OpenFile file)
            {
        {{release}}
                return 0;
            }
        {{members}}
        }
        """;

    [Fact]
    public Task DK0002_cursors_their_loops_and_declarations_go_with_the_pair() => new CodeFixTest<Rules.PageReservedAnalyzer, RemovePageReservationCodeFix>
    {
        TestCode = Grabber("""
                    Page page;
                    int i;

                    buf = kernel.GetFreePages(Gfp.Kernel, Order);
                    page = kernel.VirtToPage(buf);
                    for (i = 0; i < 1 << Order; i++)
                    {
                        {|#0:kernel.SetPageReserved(page)|};
                        page += 1;
                    }
            """, """
                    Page page;
                    int i;

                    page = kernel.VirtToPage(buf);
                    for (i = 0; i < 1 << Order; i++)
                    {
                        kernel.ClearPageReserved(page);
                        page = page + 1;
                    }

                    kernel.FreePages(buf, Order);
            """),
        ExpectedDiagnostics = { Reservation(0) },
        FixedCode = Grabber("""
                    buf = kernel.GetFreePages(Gfp.Kernel, Order);
            """, """
                    kernel.FreePages(buf, Order);
            """),
    }.RunAsync();

    [Fact]
    public Task DK0002_a_cleanup_helper_left_empty_goes_with_its_call() => new CodeFixTest<Rules.PageReservedAnalyzer, RemovePageReservationCodeFix>
    {
        TestCode = Grabber("""
                    buf = kernel.GetFreePages(Gfp.Kernel, Order);
                    for (var i = 0; i < 1 << Order; i++)
                        {|#0:kernel.SetPageReserved(kernel.VirtToPage(buf) + i)|};
            """, """
                    var first = kernel.VirtToPage(buf);
                    Unreserve(first, 1 << Order);
                    kernel.FreePages(buf, Order);
            """, """
                private void Unreserve(Page page, int count)
                {
                    for (var n = 0; n < count; n++)
                    {
                        kernel.ClearPageReserved(page + n);
                    }
                }
            """),
        ExpectedDiagnostics = { Reservation(0) },
        FixedCode = Grabber("""
                    buf = kernel.GetFreePages(Gfp.Kernel, Order);
            """, """
                    kernel.FreePages(buf, Order);
            """, "").Replace("    }\n\n}", "    }\n}", StringComparison.Ordinal),
    }.RunAsync();

    [Fact]
    public Task DK0002_no_fix_when_the_clear_is_shared_with_device_memory() => CodeFixVerifier<Rules.PageReservedAnalyzer, RemovePageReservationCodeFix>.VerifyNoFixAsync(
        Grabber("""
                    buf = kernel.GetFreePages(Gfp.Kernel, Order);
                    {|#0:kernel.SetPageReserved(kernel.VirtToPage(buf))|};
                    kernel.SetPageReserved(kernel.PfnToPage(new Pfn(0x9f)));
            """, """
                    Unreserve(kernel.VirtToPage(buf));
                    Unreserve(kernel.PfnToPage(new Pfn(0x9f)));
                    kernel.FreePages(buf, Order);
            """, """
                private void Unreserve(Page page) => kernel.ClearPageReserved(page);
            """),
        Reservation(0));
}
