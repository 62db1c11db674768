extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Verify = DriverKit.Tests.Verification.AnalyzerVerifier<DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer>;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// The driver model names the handler a finding lies in ("in the ->mmap handler 'MapIt'") from the FileOperations and
/// VmOperations initializers of the compilation, wherever they are (C ports fill the tables in a module class). It finds those
/// initializers by the property names they spell and binds only them; these tests pin the places an initializer can be, and
/// the ones that give no role. DK0001's message shows it.
/// </summary>
public class DriverModelTests
{
    private const string Consequence = "the kernel never pages out VM_IO regions and silently clears VM_LOCKED on them after ->mmap";

    private const string Handler = """
            private static int MapIt(OpenFile file, VmArea vma)
            {
                vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.IO;
                return 0;
            }
        """;

    private static ExpectedDiagnostic Reported(string context) =>
        Verify.Diagnostic().WithLocation(0).WithArguments("vma", "VM_LOCKED", context, " together with VM_IO", "7.0 (era E7)", Consequence);

    [Fact]
    public Task Initializer_in_an_expression_bodied_property() => Verify.VerifyAsync($$"""
        using DriverKit.Runtime;

        class Regs
        {
            public FileOperations Ops => new() { Owner = "regs", Mmap = MapIt };

        {{Handler}}
        }
        """,
        Reported(" in the ->mmap handler 'MapIt'"));

    [Fact]
    public Task Initializer_in_another_part_of_a_partial_type() => new AnalyzerTest
    {
        TestCode = $$"""
            using DriverKit.Runtime;

            partial class Regs
            {
            {{Handler}}
            }
            """,
        AdditionalSources =
        {
            ("Registration.cs", """
                using DriverKit.Runtime;

                partial class Regs
                {
                    Regs(Kernel kernel) => kernel.RegisterChrdev("/dev/regs", new FileOperations { Mmap = MapIt });
                }
                """),
        },
        Analyzers = { new DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer() },
        ExpectedDiagnostics = { Reported(" in the ->mmap handler 'MapIt'") },
    }.RunAsync();

    [Fact]
    public Task Property_name_spelt_with_a_unicode_escape() => Verify.VerifyAsync($$"""
        using DriverKit.Runtime;

        class Regs
        {
            Regs(Kernel kernel) => kernel.RegisterChrdev("/dev/regs", new FileOperations { M\u006dap = MapIt });

        {{Handler}}
        }
        """,
        Reported(" in the ->mmap handler 'MapIt'"));

    [Fact]
    public Task Initializer_in_a_local_function_and_a_lambda_handler_of_vm_ops() => Verify.VerifyAsync("""
        using DriverKit.Runtime;

        class Regs
        {
            Regs(Kernel kernel)
            {
                kernel.RegisterChrdev("/dev/regs", Make());

                static FileOperations Make() => new()
                {
                    Mmap = (file, vma) =>
                    {
                        vma.Ops = new VmOperations { Close = area => area.Flags |= {|#1:VmFlags.Locked|} };
                        vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.IO;
                        return 0;
                    },
                };
            }
        }
        """,
        Reported(" in the ->mmap handler '(lambda)'"),
        Verify.Diagnostic().WithLocation(1).WithSeverity(DiagnosticSeverity.Warning).WithArguments(
            "area", "VM_LOCKED", " in the vm_ops->close handler '(lambda)'", "", "7.0 (era E7)",
            "driver pages are never on the LRU, so it only charges the process's locked_vm or is stripped from special VMAs"));

    [Fact]
    public Task A_comment_and_another_type_with_a_Mmap_property_give_no_role() => Verify.VerifyAsync($$"""
        using DriverKit.Runtime;

        class Regs
        {
            // Mmap = MapIt in a comment, and a property of another type that happens to be called Mmap, are not a table.
            private readonly Other other = new() { Mmap = MapIt };

        {{Handler}}
        }

        class Other
        {
            public FileMmapHandler? Mmap { get; init; }
        }
        """,
        Reported(""));

    [Fact]
    public Task A_table_another_type_fills_gives_the_handler_its_role() => Verify.VerifyAsync($$"""
        using DriverKit.Runtime;

        class Regs
        {
        {{Handler.Replace("private static", "internal static")}}

            class Registration
            {
                Registration(Kernel kernel) => kernel.RegisterChrdev("/dev/regs", new FileOperations { Mmap = MapIt });
            }
        }

        static class Module
        {
            static FileOperations Fops() => new() { Owner = "regs", Mmap = Regs.MapIt };
        }
        """,
        Reported(" in the ->mmap handler 'MapIt'"));
}
