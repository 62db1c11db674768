extern alias DriverKitAnalyzers;
using Microsoft.CodeAnalysis;
using DriverKit.Tests.Verification;
using Verify = DriverKit.Tests.Verification.AnalyzerVerifier<DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer>;

namespace DriverKit.Tests.Analyzers;

public class SmokeTests
{
    [Fact]
    public Task Locked_io() => Verify.VerifyAsync("""
        using DriverKit.Runtime;

        class Driver
        {
            int Mmap(File file, VmArea vma)
            {
                vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.IO;
                return 0;
            }
        }
        """, Verify.Diagnostic().WithLocation(0).WithSeverity(DiagnosticSeverity.Error));
}

public class SmokeFixTests
{
    [Fact]
    public Task Fix_locked() => new CodeFixTest<DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer, DriverKit.CodeFixes.RemoveLockedFlagCodeFix>
    {
        TestCode = """
            using DriverKit.Runtime;

            class Driver
            {
                int Mmap(File file, VmArea vma)
                {
                    // map the registers
                    vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.IO; // pin it
                    vma.Flags |= {|#1:VmFlags.Locked|};
                    return 0;
                }
            }
            """,
        FixedCode = """
            using DriverKit.Runtime;

            class Driver
            {
                int Mmap(File file, VmArea vma)
                {
                    // map the registers
                    vma.Flags |= VmFlags.IO; // pin it
                    return 0;
                }
            }
            """,
        ExpectedDiagnostics =
        {
            CodeFixVerifier<DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer, DriverKit.CodeFixes.RemoveLockedFlagCodeFix>.Diagnostic().WithLocation(0).WithSeverity(DiagnosticSeverity.Error),
            CodeFixVerifier<DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer, DriverKit.CodeFixes.RemoveLockedFlagCodeFix>.Diagnostic().WithLocation(1).WithSeverity(DiagnosticSeverity.Error),
        },
    }.RunAsync();
}
