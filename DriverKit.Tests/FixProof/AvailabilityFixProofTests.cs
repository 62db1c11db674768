extern alias DriverKitAnalyzers;

using DriverKit.CodeFixes;
using Rules = DriverKitAnalyzers::DriverKit.Analyzers;
using static DriverKit.Tests.FixProof.FixProofExamples;

namespace DriverKit.Tests.FixProof;

/// <summary>
/// DK1001 through the fix-proof harness: a -&gt;nopage driver built for a kernel without -&gt;nopage is flagged, the runtime
/// refuses it (the kernel would not compile it), and the -&gt;fault handler the fix writes maps, forks and unmaps clean.
/// </summary>
public class AvailabilityFixProofTests
{
    /// <summary>Kernels without -&gt;nopage: the first, one of each later era.</summary>
    private static readonly string[] WithoutNoPage = ["2.6.26", "3.7", "6.6", "7.0"];

    internal static IEnumerable<FixProofExample> NoPageDrivers =>
    [
        new("LDD3 scullp-style nopage handler (method group)", """
            using DriverKit.Runtime;

            public static class ScullModule
            {
                public const int MapPages = 2;
                private static Scull? dev;

                public static void Init(Kernel kernel)
                {
                    dev = new Scull(kernel);
                    kernel.RegisterChrdev("/dev/scullp", new FileOperations { Owner = "scullp", Mmap = dev.Mmap });
                }

                public static void Exit(Kernel kernel) => dev?.Free();
            }

            public sealed class Scull
            {
                private readonly Kernel kernel;
                private readonly Page block;

                public Scull(Kernel kernel)
                {
                    this.kernel = kernel;
                    block = kernel.AllocPages(Gfp.Kernel | Gfp.Comp | Gfp.Zero, 1);
                }

                public int Mmap(OpenFile file, VmArea vma)
                {
                    if (vma.Pgoff + vma.Pages > ScullModule.MapPages)
                        return -Errno.EINVAL;
                    vma.Ops = new VmOperations { NoPage = ScullpVmaNopage };
                    return 0;
                }

                /// <summary>The page behind the address, with a reference for the mapping.</summary>
                /// <param name="vma">The vma.</param>
                /// <param name="address">The faulting address.</param>
                private Page ScullpVmaNopage(VmArea vma, UserAddr address)
                {
                    Page page;
                    ulong offset;

                    offset = (address - vma.Start) / Kernel.PageSize + vma.Pgoff;
                    if (offset >= ScullModule.MapPages)
                        goto out_sigbus;
                    page = kernel.PfnToPage(kernel.PageToPfn(block) + offset);
                    kernel.GetPage(page);
                    return page;
                out_sigbus:
                    return default;
                }

                public void Free() => kernel.FreePages(block, 1);
            }
            """, WithoutNoPage),
        new("nopage lambda in the ops initializer", """
            using DriverKit.Runtime;

            public static class BufModule
            {
                public const int MapPages = 1;
                private static Page page;

                public static void Init(Kernel kernel)
                {
                    page = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
                    kernel.RegisterChrdev("/dev/buf", new FileOperations
                    {
                        Owner = "buf",
                        Mmap = (file, vma) =>
                        {
                            vma.Ops = new VmOperations
                            {
                                NoPage = (v, address) =>
                                {
                                    if (address - v.Start >= Kernel.PageSize)
                                        return Page.NoPageOom;
                                    kernel.GetPage(page);
                                    return page;
                                },
                            };
                            return 0;
                        },
                    });
                }

                public static void Exit(Kernel kernel) => kernel.FreePage(page);
            }
            """, WithoutNoPage),
    ];

    public static TheoryData<string> NoPageExamples => Names(NoPageDrivers);

    [Theory]
    [MemberData(nameof(NoPageExamples))]
    public Task DK1001_nopage_becomes_fault(string example) =>
        new FixProofHarness("DK1001", new Rules.KernelAvailabilityAnalyzer(), new NoPageToFaultCodeFix()).ProveAsync(Find(NoPageDrivers, example));
}
