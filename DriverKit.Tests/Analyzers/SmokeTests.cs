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
