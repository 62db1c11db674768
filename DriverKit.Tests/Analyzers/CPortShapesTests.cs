extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using LockAnalyzer = DriverKitAnalyzers::DriverKit.Analyzers.PageLockAsPinAnalyzer;
using ReservedAnalyzer = DriverKitAnalyzers::DriverKit.Analyzers.PageReservedAnalyzer;
using Descriptors = DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// DK0002, DK0003 and DK0006 on drivers written the way a port of a C driver reads: variables declared at the top and
/// assigned later, cursors in <c>for</c> headers and moved by <c>+=</c>, helpers that take the page as a parameter or hand it
/// back through a return value or an out argument, goto error paths, and buffers copied between fields of different
/// objects. Each shape has a positive and a negative that differs only in what the value analysis must follow.
/// </summary>
public class CPortShapesTests
{
    private static ExpectedDiagnostic Reserve(int location) => ExpectedDiagnostic.Create(Descriptors.ReservePagesForRemap).WithLocation(location);

    private static ExpectedDiagnostic LeftAtFree(int location) => ExpectedDiagnostic.Create(Descriptors.ReservedBitLeftAtFree).WithLocation(location);

    private static ExpectedDiagnostic Pin(int location) => ExpectedDiagnostic.Create(Descriptors.PageLockAsPin).WithLocation(location);

    /// <summary>A relay-style channel: the buffer lives in another object, the page cursor is declared at the top.</summary>
    private static string Relay(string create, string destroy) => $$"""
        using DriverKit.Runtime;

        class Channel
        {
            public KernelAddr Buf;
            public int BufPages;
        }

        class Relay
        {
            private readonly Kernel kernel;
            private readonly Channel channel = new();

            Relay(Kernel kernel) => this.kernel = kernel;

            int Create()
            {
                Page page;
                int i;

                channel.BufPages = 4;
                channel.Buf = kernel.GetFreePages(Gfp.Kernel, 2);
        {{create}}
                return 0;
            }

            void Destroy()
            {
                Page page;
                int i;

        {{destroy}}
            }
        }
        """;

    [Fact]
    public Task Declared_at_the_top_assigned_later_and_moved_by_a_cursor() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        Relay("""
                    page = kernel.VirtToPage(channel.Buf);
                    for (i = 0; i < channel.BufPages; i++)
                    {
                        {|#0:kernel.SetPageReserved(page)|};
                        page += 1;
                    }
            """, """
                    {|#1:kernel.FreePages(channel.Buf, 2)|};
            """),
        Reserve(0).WithArguments("page", "7.0 (era E7)"),
        LeftAtFree(1).WithArguments("FreePages", "Buf", "7.0 (era E7)",
            "with page checks (DEBUG_VM, init_on_alloc, init_on_free) bad_page() reports 'Bad page state' and the page is never freed (leaked); without them the flag is cleared and the page freed silently"));

    [Fact]
    public Task Cursor_clears_the_same_buffer_before_the_free() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        Relay("""
                    page = kernel.VirtToPage(channel.Buf);
                    for (i = 0; i < channel.BufPages; i++)
                    {
                        {|#0:kernel.SetPageReserved(page)|};
                        page += 1;
                    }
            """, """
                    page = kernel.VirtToPage(channel.Buf);
                    for (i = 0; i < channel.BufPages; i++)
                    {
                        kernel.ClearPageReserved(page);
                        page = page + 1;
                    }

                    kernel.FreePages(channel.Buf, 2);
            """),
        Reserve(0));

    [Fact]
    public Task Clears_of_one_field_in_two_other_functions_count_before_a_free_in_a_third() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        Relay("""
                    page = kernel.VirtToPage(channel.Buf);
                    for (i = 0; i < channel.BufPages; i++)
                    {
                        {|#0:kernel.SetPageReserved(page)|};
                        page += 1;
                    }
            """, """
                    kernel.FreePages(channel.Buf, 2);
                }

                void Suspend()
                {
                    kernel.ClearPageReserved(kernel.VirtToPage(channel.Buf));
                }

                void Shutdown()
                {
                    Page page = kernel.VirtToPage(channel.Buf);
                    kernel.ClearPageReserved(page + 1);
            """),
        Reserve(0));

    [Fact]
    public Task A_clear_in_a_lambda_is_another_function_and_a_clear_after_the_free_still_does_not_count() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        Relay("""
                    page = kernel.VirtToPage(channel.Buf);
                    for (i = 0; i < channel.BufPages; i++)
                    {
                        {|#0:kernel.SetPageReserved(page)|};
                        page += 1;
                    }
            """, """
                    System.Action release = () => kernel.ClearPageReserved(kernel.VirtToPage(channel.Buf));
                    kernel.FreePages(channel.Buf, 2);
                    release();
                }

                void Reset(KernelAddr other)
                {
                    Page page;
                    page = kernel.VirtToPage(other);
                    kernel.SetPageReserved(kernel.PfnToPage(kernel.PageToPfn(page)));
                    {|#1:kernel.Kfree(other)|};
                    kernel.ClearPageReserved(page);
            """),
        Reserve(0),
        LeftAtFree(1).WithArguments("Kfree", "other", "7.0 (era E7)",
            "with page checks (DEBUG_VM, init_on_alloc, init_on_free) bad_page() reports 'Bad page state' and the page is never freed (leaked); without them the flag is cleared and the page freed silently"));

    /// <summary>An fbdev-style driver: the cursor is assigned in the for header, the buffer is freed through a copy in another object.</summary>
    private static string Framebuffer(string probe, string remove) => $$"""
        using DriverKit.Runtime;

        class FbInfo
        {
            public VmallocAddr ScreenBase;
            public ulong ScreenSize;
        }

        class VfbDevice
        {
            public VmallocAddr Vidmem;
        }

        class Vfb
        {
            private readonly Kernel kernel;
            private readonly VfbDevice dev = new();
            private readonly FbInfo info = new();

            Vfb(Kernel kernel) => this.kernel = kernel;

            int Probe(ulong size)
            {
                VmallocAddr p;

                dev.Vidmem = kernel.Vmalloc(size);
        {{probe}}
                info.ScreenBase = dev.Vidmem;
                info.ScreenSize = size;
                return 0;
            }

            void Remove()
            {
                VmallocAddr p;

        {{remove}}
            }
        }
        """;

    [Fact]
    public Task Cursor_in_the_for_header_and_a_free_through_a_copied_field() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        Framebuffer("""
                    for (p = dev.Vidmem; p.Value < dev.Vidmem.Value + size; p += Kernel.PageSize)
                    {
                        {|#0:kernel.SetPageReserved(kernel.VmallocToPage(p))|};
                    }
            """, """
                    {|#1:kernel.Vfree(info.ScreenBase)|};
            """),
        Reserve(0), LeftAtFree(1).WithArguments("Vfree", "ScreenBase", "7.0 (era E7)",
            "with page checks (DEBUG_VM, init_on_alloc, init_on_free) bad_page() reports 'Bad page state' and the page is never freed (leaked); without them the flag is cleared and the page freed silently"));

    [Fact]
    public Task Clearing_through_the_copy_counts_for_the_original() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        Framebuffer("""
                    for (p = dev.Vidmem; p.Value < dev.Vidmem.Value + size; p += Kernel.PageSize)
                    {
                        {|#0:kernel.SetPageReserved(kernel.VmallocToPage(p))|};
                    }
            """, """
                    for (p = info.ScreenBase; p.Value < info.ScreenBase.Value + info.ScreenSize; p += Kernel.PageSize)
                    {
                        kernel.ClearPageReserved(kernel.VmallocToPage(p));
                    }

                    kernel.Vfree(info.ScreenBase);
            """),
        Reserve(0));

    [Fact]
    public Task Goto_error_path_frees_while_the_reservation_is_held() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        """
        using DriverKit.Runtime;

        class Grabber
        {
            private readonly Kernel kernel;
            private KernelAddr buf;

            Grabber(Kernel kernel) => this.kernel = kernel;

            int Open(OpenFile file, VmArea vma)
            {
                Page page;
                int i, ret;

                buf = kernel.GetFreePages(Gfp.Kernel, 1);
                if (buf.IsNull)
                {
                    ret = -Errno.ENOMEM;
                    goto out_none;
                }

                page = kernel.VirtToPage(buf);
                for (i = 0; i < 2; i++)
                {
                    {|#0:kernel.SetPageReserved(page + i)|};
                }

                ret = kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(page), vma.Length, vma.PageProt);
                if (ret != 0)
                {
                    goto out_free;
                }

                return 0;

            out_free:
                {|#1:kernel.FreePages(buf, 1)|};
            out_none:
                return ret;
            }

            void Release()
            {
                for (var i = 0; i < 2; i++)
                {
                    kernel.ClearPageReserved(kernel.VirtToPage(buf) + i);
                }

                kernel.FreePages(buf, 1);
            }
        }
        """,
        Reserve(0), LeftAtFree(1));

    [Fact]
    public Task Goto_error_path_that_clears_first_is_fine() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        """
        using DriverKit.Runtime;

        class Grabber
        {
            private readonly Kernel kernel;
            private KernelAddr buf;

            Grabber(Kernel kernel) => this.kernel = kernel;

            int Open(OpenFile file, VmArea vma)
            {
                Page page;
                int i, ret;

                buf = kernel.GetFreePages(Gfp.Kernel, 1);
                page = kernel.VirtToPage(buf);
                for (i = 0; i < 2; i++)
                {
                    {|#0:kernel.SetPageReserved(page + i)|};
                }

                ret = kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(page), vma.Length, vma.PageProt);
                if (ret != 0)
                {
                    goto out_unreserve;
                }

                return 0;

            out_unreserve:
                for (i = 0; i < 2; i++)
                {
                    kernel.ClearPageReserved(page + i);
                }

                kernel.FreePages(buf, 1);
                return ret;
            }
        }
        """,
        Reserve(0));

    [Fact]
    public Task Helpers_with_the_page_as_parameter_return_value_and_out_argument() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        """
        using DriverKit.Runtime;

        class Ring
        {
            private readonly Kernel kernel;
            private KernelAddr ring;

            Ring(Kernel kernel) => this.kernel = kernel;

            private static void MarkPages(Kernel k, Page first, int count)
            {
                for (var i = 0; i < count; i++)
                {
                    {|#0:k.SetPageReserved(first + i)|};
                }
            }

            private Page FirstPage() => kernel.VirtToPage(ring);

            private void RingAddress(out KernelAddr address) => address = ring;

            void Setup()
            {
                ring = kernel.Kzalloc(Kernel.PageSize, Gfp.Kernel);
                MarkPages(kernel, FirstPage(), 1);
            }

            void Teardown()
            {
                KernelAddr address;
                RingAddress(out address);
                {|#1:kernel.Kfree(address)|};
            }
        }
        """,
        Reserve(0), LeftAtFree(1));

    [Fact]
    public Task A_local_reused_for_another_buffer_is_not_confused_with_the_first() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        """
        using DriverKit.Runtime;

        class Two
        {
            private readonly Kernel kernel;
            private KernelAddr a;
            private KernelAddr b;

            Two(Kernel kernel) => this.kernel = kernel;

            void Open()
            {
                Page p;

                a = kernel.GetFreePages(Gfp.Kernel, 0);
                b = kernel.GetFreePages(Gfp.Kernel, 0);
                p = kernel.VirtToPage(a);
                {|#0:kernel.SetPageReserved(p)|};
                p = kernel.VirtToPage(b);
                kernel.FreePages(b, 0);
            }

            void Release()
            {
                kernel.ClearPageReserved(kernel.VirtToPage(a));
                kernel.FreePages(a, 0);
            }
        }
        """,
        Reserve(0));

    [Fact]
    public Task Device_pages_declared_first_and_assigned_later_are_not_DK0002() => AnalyzerVerifier.VerifyAsync(
        [new ReservedAnalyzer()],
        """
        using DriverKit.Runtime;

        class Isa
        {
            private readonly Kernel kernel;

            Isa(Kernel kernel) => this.kernel = kernel;

            void Init(ulong first)
            {
                Page page;
                Pfn pfn;

                pfn = new Pfn(first);
                page = kernel.PfnToPage(pfn);
                kernel.SetPageReserved(page);
            }
        }
        """);

    /// <summary>A capture driver: pages found by a helper, locked in ioctl, handed to DMA; the unlock lives in a teardown helper.</summary>
    private static string Capture(string ioctl, string members = "") => $$"""
        using DriverKit.Runtime;

        class Capture
        {
            private readonly Kernel kernel;
            private readonly Page[] pages = new Page[4];
            private readonly Page[] spare = new Page[4];
            private Page current;

            Capture(Kernel kernel) => this.kernel = kernel;

            private Page Next(int index) => pages[index];

            long Ioctl(OpenFile file, uint cmd, ulong arg)
            {
                Page page;
                int n;

                n = (int)kernel.GetUserPages(new UserAddr(arg), pages.Length, FollFlags.Write, pages);
        {{ioctl}}
                return 0;
            }

            private void Teardown(Page page)
            {
                kernel.UnlockPage(page);
            }
        {{members}}
        }
        """;

    [Fact]
    public Task Lock_through_a_helper_result_then_dma_through_a_field_copy() => AnalyzerVerifier.VerifyAsync(
        [new LockAnalyzer()],
        Capture("""
                    page = Next(0);
                    {|#0:kernel.LockPage(page)|};
                    current = page;
                    kernel.Dma.Submit(current, 0, new byte[16]);
                    Teardown(current);
            """),
        Pin(0).WithArguments("LockPage", "page", " and hands the locked page to DMA", "GetPage/PutPage, or PinUserPages/UnpinUserPages for user memory"));

    [Fact]
    public Task Lock_left_for_a_teardown_helper_in_another_method() => AnalyzerVerifier.VerifyAsync(
        [new LockAnalyzer()],
        Capture("""
                    for (var i = 0; i < n; i++)
                    {
                        page = pages[i];
                        {|#0:kernel.LockPage(page)|};
                    }
            """, """
                void Release()
                {
                    foreach (var page in pages)
                    {
                        Teardown(page);
                    }
                }
            """),
        Pin(0).WithArguments("LockPage", "page", " and leaves it locked when the method returns", "GetPage/PutPage, or PinUserPages/UnpinUserPages for user memory"));

    [Fact]
    public Task Unlock_through_a_helper_in_the_same_method_is_a_lock() => AnalyzerVerifier.VerifyAsync(
        [new LockAnalyzer()],
        Capture("""
                    page = Next(1);
                    kernel.LockPage(page);
                    kernel.Dma.Submit(spare[2], 0, new byte[16]);
                    Teardown(page);
                    kernel.Dma.Submit(page, 0, new byte[16]);
            """));
}
