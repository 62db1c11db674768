extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer,
    DriverKit.CodeFixes.RemoveLockedFlagCodeFix>;

namespace DriverKit.Tests.Analyzers;

public class DK0001LockedVmaTests
{
    private static ExpectedDiagnostic Error(int location) => Verify.Diagnostic().WithLocation(location);

    private static ExpectedDiagnostic Warning(int location) => Verify.Diagnostic().WithLocation(location).WithSeverity(DiagnosticSeverity.Warning);

    private static string Driver(string mmapBody, string members = "") => $$"""
        using DriverKit.Runtime;

        class Driver
        {
            private readonly Kernel kernel;

            Driver(Kernel kernel) => this.kernel = kernel;

            int Mmap(OpenFile file, VmArea vma)
            {
        {{mmapBody}}
            }
        {{members}}
        }
        """;

    // ---- syntactic shapes ---------------------------------------------------------------------------------------

    [Fact]
    public Task Compound_assignment_with_IO_is_an_error() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.IO;
                    return 0;
            """),
        Error(0).WithArguments("vma", "VM_LOCKED", "", " together with VM_IO", "7.0 (era E7)",
            "the kernel never pages out VM_IO regions and silently clears VM_LOCKED on them after ->mmap"));

    [Fact]
    public Task Locked_without_IO_is_a_warning() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.DontExpand;
                    return 0;
            """),
        Warning(0));

    [Fact]
    public Task Separate_statements_combine() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= {|#0:VmFlags.Locked|};
                    vma.Flags |= VmFlags.IO;
                    return 0;
            """),
        Error(0));

    [Fact]
    public Task Plain_assignment_through_the_current_flags() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags = vma.Flags | {|#0:VmFlags.Locked|};
                    vma.Flags = vma.Flags | VmFlags.IO;
                    return 0;
            """),
        Error(0));

    [Fact]
    public Task VmFlagsSet_counts() => Verify.VerifyAsync(
        Driver("""
                    kernel.VmFlagsSet(vma, VmFlags.IO);
                    kernel.VmFlagsSet(vma, {|#0:VmFlags.LockOnFault|});
                    return 0;
            """),
        Error(0).WithArguments("vma", "VM_LOCKONFAULT", "", " together with VM_IO", "7.0 (era E7)",
            "the kernel never pages out VM_IO regions and silently clears VM_LOCKED on them after ->mmap"));

    [Fact]
    public Task RemapPfnRange_gives_the_vma_VM_IO() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= {|#0:VmFlags.Locked|};
                    return kernel.RemapPfnRange(vma, vma.Start, new Pfn(0x100), vma.Length, vma.PageProt);
            """),
        Error(0));

    [Fact]
    public Task Helper_that_sets_flags_counts_at_the_call_site() => Verify.VerifyAsync(
        Driver("""
                    {|#0:Pin(vma)|};
                    vma.Flags |= VmFlags.IO;
                    return 0;
            """,
            """
                private static void Pin(VmArea area)
                {
                    area.Flags |= {|#1:VmFlags.Locked|};
                }
            """),
        Error(0).WithArguments("vma", "VM_LOCKED", "", " together with VM_IO", "7.0 (era E7)",
            "the kernel never pages out VM_IO regions and silently clears VM_LOCKED on them after ->mmap"),
        Warning(1));

    [Fact]
    public Task Helper_returning_flags_counts_at_the_call_site() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= {|#0:DeviceFlags()|} | VmFlags.IO;
                    return 0;
            """,
            """
                private static VmFlags DeviceFlags() => VmFlags.Locked | VmFlags.DontDump;
            """),
        Error(0));

    [Fact]
    public Task Nested_helpers_are_followed() => Verify.VerifyAsync(
        Driver("""
                    {|#0:Setup(vma)|};
                    return 0;
            """,
            """
                private void Setup(VmArea area)
                {
                    {|#1:Pin(area)|};
                    kernel.VmFlagsSet(area, VmFlags.IO);
                }

                private static void Pin(VmArea area) => area.Flags |= {|#2:VmFlags.Locked|};
            """),
        Error(0), Error(1), Warning(2));

    [Fact]
    public Task Helper_that_clears_the_flag_cancels_it() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= VmFlags.Locked | VmFlags.IO;
                    Unpin(vma);
                    return 0;
            """,
            """
                private static void Unpin(VmArea area) => area.Flags &= ~VmFlags.Locked;
            """));

    [Fact]
    public Task Recursive_helpers_terminate() => Verify.VerifyAsync(
        Driver("""
                    {|#0:Ping(vma, 3)|};
                    vma.Flags |= VmFlags.IO;
                    return 0;
            """,
            """
                private static void Ping(VmArea area, int n)
                {
                    if (n > 0) {|#1:Pong(area, n - 1)|};
                    area.Flags |= {|#2:VmFlags.Locked|};
                }

                private static void Pong(VmArea area, int n)
                {
                    if (n > 0) {|#3:Ping(area, n - 1)|};
                }
            """),
        Error(0), Warning(1), Warning(2), Warning(3));

    [Fact]
    public Task Const_field() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= {|#0:DeviceFlags|};
                    return 0;
            """,
            """
                private const VmFlags DeviceFlags = VmFlags.Locked | VmFlags.IO;
            """),
        Error(0));

    [Fact]
    public Task Static_readonly_field() => Verify.VerifyAsync(
        Driver("""
                    kernel.VmFlagsSet(vma, {|#0:DeviceFlags|});
                    return 0;
            """,
            """
                private static readonly VmFlags DeviceFlags = VmFlags.Locked | VmFlags.IO;
            """),
        Error(0));

    [Fact]
    public Task Local_variables_carry_the_flag() => Verify.VerifyAsync(
        Driver("""
                    var flags = {|#0:VmFlags.Locked|};
                    flags |= VmFlags.IO;
                    var copy = flags;
                    vma.Flags |= copy;
                    return 0;
            """),
        Error(0));

    [Fact]
    public Task Local_cleared_before_use_is_fine() => Verify.VerifyAsync(
        Driver("""
                    var flags = VmFlags.Locked | VmFlags.IO;
                    flags &= ~VmFlags.Locked;
                    vma.Flags |= flags;
                    return 0;
            """));

    [Fact]
    public Task A_path_that_reaches_the_combination_reports() => Verify.VerifyAsync(
        Driver("""
                    if (file.Flags == 0)
                    {
                        vma.Flags |= {|#0:VmFlags.Locked|};
                    }

                    vma.Flags |= VmFlags.IO;
                    return 0;
            """),
        Error(0));

    [Fact]
    public Task Exclusive_branches_never_combine() => Verify.VerifyAsync(
        Driver("""
                    if (file.Flags == 0)
                    {
                        vma.Flags |= {|#0:VmFlags.Locked|};
                    }
                    else
                    {
                        vma.Flags |= VmFlags.IO;
                    }

                    return 0;
            """),
        Warning(0));

    [Fact]
    public Task Conditional_expression() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= (file.Flags == 0 ? {|#0:VmFlags.Locked|} : VmFlags.None) | VmFlags.IO;
                    return 0;
            """),
        Error(0));

    [Fact]
    public Task Switch_statement_arm() => Verify.VerifyAsync(
        Driver("""
                    switch ((int)file.Flags)
                    {
                        case 1:
                            vma.Flags |= {|#0:VmFlags.Locked|};
                            break;
                        case 2:
                            vma.Flags |= VmFlags.DontCopy;
                            break;
                    }

                    vma.Flags |= VmFlags.IO;
                    return 0;
            """),
        Error(0));

    [Fact]
    public Task Switch_expression_arm() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= (int)file.Flags switch
                    {
                        1 => {|#0:VmFlags.Locked|} | VmFlags.IO,
                        _ => VmFlags.IO,
                    };
                    return 0;
            """),
        Error(0));

    [Fact]
    public Task Loop_reaches_a_fixed_point() => Verify.VerifyAsync(
        Driver("""
                    for (var i = 0; i < 3; i++)
                    {
                        if (i == 2)
                        {
                            vma.Flags |= VmFlags.IO;
                        }
                        else
                        {
                            vma.Flags |= {|#0:VmFlags.Locked|};
                        }
                    }

                    return 0;
            """),
        Error(0));

    [Fact]
    public Task Message_names_the_handler_found_from_the_driver_model() => Verify.VerifyAsync("""
        using DriverKit.Runtime;

        class Regs
        {
            Regs(Kernel kernel)
            {
                kernel.RegisterChrdev("/dev/regs", new FileOperations { Owner = "regs", Mmap = MapRegisters });
            }

            private static int MapRegisters(OpenFile file, VmArea vma)
            {
                vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.IO;
                return 0;
            }

            private static readonly VmOperations Ops = new()
            {
                Fault = vmf =>
                {
                    vmf.Vma.Flags |= {|#1:VmFlags.Locked|};
                    return VmFaultResult.NoPage;
                },
            };
        }
        """,
        Error(0).WithArguments("vma", "VM_LOCKED", " in the ->mmap handler 'MapRegisters'", " together with VM_IO", "7.0 (era E7)",
            "the kernel never pages out VM_IO regions and silently clears VM_LOCKED on them after ->mmap"),
        Warning(1).WithArguments("vmf.Vma", "VM_LOCKED", " in the vm_ops->fault handler '(lambda)'", "", "7.0 (era E7)",
            "driver pages are never on the LRU, so it only charges the process's locked_vm or is stripped from special VMAs"));

    [Fact]
    public Task Object_initializer_lambda_handler() => Verify.VerifyAsync("""
        using DriverKit.Runtime;

        class Driver
        {
            public FileOperations Ops { get; } = new FileOperations
            {
                Owner = "bar",
                Mmap = (file, vma) =>
                {
                    vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.IO;
                    return 0;
                },
            };
        }
        """,
        Error(0));

    [Fact]
    public Task Object_initializer_of_a_settings_type() => Verify.VerifyAsync(
        Driver("""
                    var spec = new Spec { Name = "bar", Flags = {|#0:VmFlags.Locked|} | VmFlags.IO };
                    vma.Flags |= spec.Flags;
                    return 0;
            """,
            """
                private sealed class Spec
                {
                    public string Name { get; set; } = "";

                    public VmFlags Flags { get; set; }
                }
            """),
        Error(0));

    [Fact]
    public Task Local_function_handler() => Verify.VerifyAsync("""
        using DriverKit.Runtime;

        class Driver
        {
            FileOperations Create()
            {
                return new FileOperations { Mmap = Map };

                static int Map(OpenFile file, VmArea vma)
                {
                    vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.IO;
                    return 0;
                }
            }
        }
        """,
        Error(0));

    [Fact]
    public Task Using_static() => Verify.VerifyAsync("""
        using DriverKit.Runtime;
        using static DriverKit.Runtime.VmFlags;

        class Driver
        {
            int Mmap(OpenFile file, VmArea vma)
            {
                vma.Flags |= {|#0:Locked|} | IO;
                return 0;
            }
        }
        """,
        Error(0));

    [Fact]
    public Task Numeric_cast_means_what_the_bits_mean_today() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= {|#0:(VmFlags)0x2000|} | VmFlags.IO;
                    return 0;
            """),
        Error(0));

    [Fact]
    public Task Fault_handler_vma_is_tracked() => Verify.VerifyAsync(
        Driver("""
                    return 0;
            """,
            """
                VmFaultResult Fault(VmFault vmf)
                {
                    vmf.Vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.IO;
                    return VmFaultResult.NoPage;
                }
            """),
        Error(0));

    /// <summary>
    /// A helper whose condition nests deeper than the flow core analyzes (a chain of 3,000 <c>&amp;&amp;</c>, which the flow core
    /// follows recursively and the compiler binds without recursing, so the test does not depend on the test thread's stack)
    /// is given up, and its caller is still analyzed and reported: the give-up neither throws nor takes the caller with it.
    /// </summary>
    [Fact]
    public Task A_helper_too_deep_to_analyze_is_given_up_and_its_caller_still_reported()
    {
        const int depth = 3000;
        var deep = new System.Text.StringBuilder("    static void Deep(VmArea v)\n    {\n        if (v.Length != 0UL");
        for (var i = 1; i < depth; i++)
        {
            deep.Append(" && v.Length != ").Append(i).Append("UL");
        }

        deep.Append(")\n        {\n            v.Flags &= ~VmFlags.IO;\n        }\n    }\n");
        return Verify.VerifyAsync(
            Driver("""
                        vma.Flags |= {|#0:VmFlags.Locked|};
                        Deep(vma);
                        vma.Flags |= VmFlags.IO;
                        return 0;
                """,
                deep.ToString()),
            Error(0));
    }

    // ---- negatives ----------------------------------------------------------------------------------------------

    [Fact]
    public Task Runtime_set_flags_and_reads_are_not_reported() => Verify.VerifyAsync(
        Driver("""
                    if ((vma.Flags & VmFlags.Locked) != 0 || vma.Flags.HasFlag(VmFlags.LockOnFault))
                    {
                        return -1;
                    }

                    vma.Flags &= ~(VmFlags.Locked | VmFlags.LockOnFault);
                    kernel.VmFlagsClear(vma, VmFlags.Locked);
                    return kernel.RemapPfnRange(vma, vma.Start, new Pfn(0x100), vma.Length, vma.PageProt);
            """));

    [Fact]
    public Task Set_then_cleared_is_not_reported() => Verify.VerifyAsync(
        Driver("""
                    vma.Flags |= VmFlags.Locked | VmFlags.IO;
                    vma.Flags &= ~VmFlags.Locked;
                    return 0;
            """));

    [Fact]
    public Task Unrelated_enum_is_not_reported() => Verify.VerifyAsync("""
        using System;

        [Flags]
        enum VmFlags { None = 0, Locked = 0x2000, IO = 0x4000 }

        class VmArea { public VmFlags Flags { get; set; } }

        class Driver
        {
            void Mmap(VmArea vma) => vma.Flags |= VmFlags.Locked | VmFlags.IO;
        }
        """);

    [Fact]
    public Task Code_without_DriverKit_is_not_analyzed() => new AnalyzerTest<DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer>
    {
        ReferenceDriverKitRuntime = false,
        TestCode = """
            namespace DriverKit.Runtime
            {
                public enum VmFlags : ulong { Locked = 0x2000, IO = 0x4000 }

                public sealed class VmArea { public VmFlags Flags { get; set; } }
            }

            class Driver
            {
                void Mmap(DriverKit.Runtime.VmArea vma) => vma.Flags |= DriverKit.Runtime.VmFlags.Locked | DriverKit.Runtime.VmFlags.IO;
            }
            """,
    }.RunAsync();

    [Fact]
    public Task Pragma_suppresses() => Verify.VerifyAsync(
        Driver("""
            #pragma warning disable DK0001 // demonstrates S3
                    vma.Flags |= VmFlags.Locked | VmFlags.IO;
            #pragma warning restore DK0001
                    return 0;
            """));

    [Fact]
    public Task Generated_code_is_not_analyzed() => Verify.VerifyAsync("""
        // <auto-generated/>
        using DriverKit.Runtime;

        class Driver
        {
            int Mmap(OpenFile file, VmArea vma)
            {
                vma.Flags |= VmFlags.Locked | VmFlags.IO;
                return 0;
            }
        }
        """);

    // ---- eras ---------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(Eras.E0, "mmap charges the whole mapping to the process's locked_vm and RLIMIT_MEMLOCK")]
    [InlineData(Eras.E4Before2628, "mmap charges the whole mapping to the process's locked_vm and RLIMIT_MEMLOCK")]
    [InlineData(Eras.E4, "silently clears VM_LOCKED on them after ->mmap")]
    [InlineData(Eras.E7, "silently clears VM_LOCKED on them after ->mmap")]
    public async Task Message_follows_the_era_of_driver_set_VM_LOCKED(string version, string consequence)
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(
            new DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer(),
            Driver("""
                        vma.Flags |= VmFlags.Locked | VmFlags.IO;
                        return 0;
                """),
            version);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains($"in Linux {version}", diagnostic.Message(), StringComparison.Ordinal);
        Assert.Contains(consequence, diagnostic.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public Task Kernel_version_from_the_MSBuild_property() => new AnalyzerTest<DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer>
    {
        TestCode = Driver("""
                    vma.Flags |= {|#0:VmFlags.Locked|};
                    return 0;
            """),
        BuildProperties = { ["DriverKitKernelVersion"] = "2.6.11" },
        ExpectedDiagnostics =
        {
            Warning(0).WithArguments("vma", "VM_LOCKED", "", "", "2.6.11 (era E0)",
                "mmap charges the mapping to the process's locked_vm and RLIMIT_MEMLOCK although driver pages are never on the LRU"),
        },
    }.RunAsync();

    // ---- code fix -----------------------------------------------------------------------------------------------

    [Fact]
    public Task Fix_removes_the_bit_and_keeps_comments() => Verify.VerifyFixAsync(
        Driver("""
                    // the register window
                    vma.Flags |= {|#0:VmFlags.Locked|} | VmFlags.IO; // "pin" it
                    return 0;
            """),
        Error(0),
        Driver("""
                    // the register window
                    vma.Flags |= VmFlags.IO; // "pin" it
                    return 0;
            """));

    [Fact]
    public Task Fix_removes_a_statement_that_only_sets_the_bit() => Verify.VerifyFixAsync(
        Driver("""
                    vma.Flags |= VmFlags.IO;
                    // lock it
                    vma.Flags |= {|#0:VmFlags.Locked|};
                    kernel.VmFlagsSet(vma, {|#1:VmFlags.LockOnFault|});
                    return 0;
            """),
        [Error(0), Error(1)],
        Driver("""
                    vma.Flags |= VmFlags.IO;
                    // lock it
                    return 0;
            """));

    [Fact]
    public Task Fix_in_the_middle_of_a_chain_with_using_static() => Verify.VerifyFixAsync("""
        using DriverKit.Runtime;
        using static DriverKit.Runtime.VmFlags;

        class Driver
        {
            int Mmap(OpenFile file, VmArea vma)
            {
                vma.Flags |= IO | {|#0:Locked|} /* pin */ | DontExpand;
                return 0;
            }
        }
        """,
        Error(0),
        """
        using DriverKit.Runtime;
        using static DriverKit.Runtime.VmFlags;

        class Driver
        {
            int Mmap(OpenFile file, VmArea vma)
            {
                vma.Flags |= IO /* pin */ | DontExpand;
                return 0;
            }
        }
        """);

    [Fact]
    public Task Fix_removes_a_local_that_only_carried_the_bit() => Verify.VerifyFixAsync(
        Driver("""
                    var flags = {|#0:VmFlags.Locked|};
                    vma.Flags |= flags | VmFlags.IO;
                    return 0;
            """),
        Error(0),
        Driver("""
                    vma.Flags |= VmFlags.IO;
                    return 0;
            """));

    [Fact]
    public Task Fix_keeps_a_local_used_for_more_than_setting_flags_as_None() => Verify.VerifyFixAsync(
        Driver("""
                    var flags = {|#0:VmFlags.Locked|};
                    vma.Flags |= flags | VmFlags.IO;
                    return flags == VmFlags.None ? 0 : 1;
            """),
        Error(0),
        Driver("""
                    var flags = VmFlags.None;
                    vma.Flags |= flags | VmFlags.IO;
                    return flags == VmFlags.None ? 0 : 1;
            """));

    [Fact]
    public Task Fix_all_in_document_and_project() => new CodeFixTest<DriverKitAnalyzers::DriverKit.Analyzers.LockedVmaAnalyzer, DriverKit.CodeFixes.RemoveLockedFlagCodeFix>
    {
        TestCode = Driver("""
                    vma.Flags |= {|#0:VmFlags.Locked|} | {|#1:VmFlags.LockOnFault|} | VmFlags.IO;
                    return 0;
            """,
            """
                int Other(OpenFile file, VmArea vma)
                {
                    kernel.VmFlagsSet(vma, VmFlags.IO | {|#2:VmFlags.Locked|});
                    return 0;
                }
            """),
        AdditionalSources =
        {
            ("Second.cs", """
                using DriverKit.Runtime;

                class Second
                {
                    void Mmap(VmArea vma) => vma.Flags |= {|#3:VmFlags.Locked|} | VmFlags.IO;
                }
                """),
        },
        ExpectedDiagnostics = { Error(0), Error(1), Error(2), Error(3) },
        NumberOfFixAllIterations = 2,
        FixedCode = Driver("""
                    vma.Flags |= VmFlags.IO;
                    return 0;
            """,
            """
                int Other(OpenFile file, VmArea vma)
                {
                    kernel.VmFlagsSet(vma, VmFlags.IO);
                    return 0;
                }
            """),
        FixedAdditionalSources =
        {
            ("Second.cs", """
                using DriverKit.Runtime;

                class Second
                {
                    void Mmap(VmArea vma) => vma.Flags |= VmFlags.IO;
                }
                """),
        },
    }.RunAsync();

    [Fact]
    public Task No_fix_where_the_bit_comes_from_a_helper_or_constant() => Verify.VerifyNoFixAsync(
        Driver("""
                    {|#0:Pin(vma)|};
                    vma.Flags |= {|#1:DeviceFlags|};
                    return 0;
            """,
            """
                private const VmFlags DeviceFlags = VmFlags.IO;

                private static void Pin(VmArea area)
                {
            #pragma warning disable DK0001
                    area.Flags |= VmFlags.Locked;
            #pragma warning restore DK0001
                }
            """),
        Error(0));
}
