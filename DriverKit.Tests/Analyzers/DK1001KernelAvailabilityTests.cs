extern alias DriverKitAnalyzers;

using System.Reflection;
using DriverKit.Runtime;
using DriverKit.Tests.Runtime;
using DriverKit.Tests.Runtime.Vm;
using DriverKit.Tests.Verification;
using Analyzer = DriverKitAnalyzers::DriverKit.Analyzers.KernelAvailabilityAnalyzer;
using Descriptors = DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors;
using Verify = DriverKit.Tests.Verification.CodeFixVerifier<
    DriverKitAnalyzers::DriverKit.Analyzers.KernelAvailabilityAnalyzer,
    DriverKit.CodeFixes.NoPageToFaultCodeFix>;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// DK1001: what the configured kernel does not define, at build time, from the same table the runtime's EraMismatchException
/// reads. The boundaries below are written out from the kernel history, independently of the table, and both the table, the
/// analyzer and the runtime are checked against them.
/// </summary>
public class DK1001KernelAvailabilityTests
{
    /// <summary>Every boundary of the table: the member, the last kernel without it and the first with it (or the last with it and the first without).</summary>
    public static TheoryData<string, string, string, bool> Boundaries => new()
    {
        { "VmFlags.PfnMap", "2.6.15-rc2-git5", "2.6.15-rc3", true },
        { "VmFlags.MixedMap", "2.6.25", "2.6.26", true },
        { "VmFlags.DontDump", "3.3", "3.4", true },
        { "VmFlags.LockOnFault", "4.3", "4.4", true },
        { "VmFlags.WipeOnFork", "4.13", "4.14", true },
        { "VmFlags.NoReserve", "2.6.26", "2.6.27", true },
        { "VmFlags.Reserved", "3.7", "3.6", false },
        { "VmFlags.Unpaged", "2.6.15-rc2", "2.6.15-rc2-git1", true },
        { "VmFlags.Unpaged", "2.6.15-rc3", "2.6.15-rc2-git5", false },
        { "VmFlags.InsertPage", "2.6.15-rc5", "2.6.15-rc6", true },
        { "VmFlags.InsertPage", "3.7", "3.6", false },
        { "VmFlags.Shm", "2.6.18", "2.6.17", false },
        { "VmFlags.AlwaysDump", "2.6.19", "2.6.20", true },
        { "VmFlags.AlwaysDump", "3.4", "3.3", false },
        { "PageFlags.Private2", "2.6.29", "2.6.30", true },
        { "PageFlags.SwapBacked", "2.6.27", "2.6.28", true },
        { "PageFlags.Unevictable", "2.6.27", "2.6.28", true },
        { "PageFlags.Mlocked", "2.6.27", "2.6.28", true },
        { "PageFlags.HwPoison", "2.6.31", "2.6.32", true },
        { "PageFlags.Error", "6.12", "6.11", false },
        { "PageFlags.LruGen", "6.0", "6.1", true },
        { "PageFlags.AnonExclusive", "5.18", "5.19", true },
        { "VmOperations.NoPage", "2.6.26", "2.6.25", false },
        { "VmOperations.NoPfn", "2.6.18", "2.6.19", true },
        { "VmOperations.NoPfn", "2.6.27", "2.6.26", false },
        { "VmOperations.Fault", "2.6.22", "2.6.23", true },
        { "VmOperations.PageMkwrite", "2.6.17", "2.6.18", true },
        { "VmOperations.MaySplit", "4.14", "4.15", true },
        { "VmOperations.NoPfnRefault", "2.6.20", "2.6.21", true },
        { "VmOperations.NoPfnRefault", "2.6.27", "2.6.26", false },
        { "Kernel.VmInsertPage", "2.6.15-rc3", "2.6.15-rc4", true },
        { "Kernel.VmMapPages", "4.20", "5.0", true },
        { "Kernel.RemapVmallocRange", "2.6.17", "2.6.18", true },
        { "Kernel.VmallocUser", "2.6.17", "2.6.18", true },
        { "Kernel.VmIomapMemory", "3.8", "3.9", true },
        { "Kernel.VmfInsertPfn", "2.6.20", "2.6.21", true },
        { "Kernel.VmfInsertMixed", "2.6.25", "2.6.26", true },
        { "Kernel.GetUserPagesFast", "2.6.26", "2.6.27", true },
        { "Kernel.PinUserPages", "5.5", "5.6", true },
        { "Kernel.UnpinUserPages", "5.5", "5.6", true },
        { "Kernel.UnpinUserPagesDirtyLock", "5.5", "5.6", true },
        { "Kernel.Kzalloc", "2.6.13", "2.6.14", true },
        { "Kernel.Vzalloc", "2.6.36", "2.6.37", true },
        { "Kernel.DmaMmapCoherent", "3.5", "3.6", true },
        { "Kernel.PciAllocConsistent", "5.18", "5.17", false },
        { "Kernel.PciFreeConsistent", "5.18", "5.17", false },
        { "Kernel.Kvmalloc", "4.11", "4.12", true },
        { "Kernel.Kvfree", "3.14", "3.15", true },
        { "Kernel.Vmalloc32User", "2.6.17", "2.6.18", true },
        { "Kernel.VmInsertPages", "5.6", "5.7", true },
        { "Kernel.VmfInsertPfnProt", "4.4", "4.5", true },
        { "Kernel.PinUserPagesFast", "5.5", "5.6", true },
        { "Kernel.PinUserPagesRemote", "5.5", "5.6", true },
        { "Process.CoredumpFilter", "2.6.22", "2.6.23", true },
        { "VmOperations.Access", "2.6.26", "2.6.27", true },
        { "Kernel.GenericAccessPhys", "2.6.26", "2.6.27", true },
        { "Process.WriteProcMem", "2.6.38", "2.6.39", true },
        { "Process.ProcessVmReadv", "3.1", "3.2", true },
        { "Process.ProcessVmWritev", "3.1", "3.2", true },
        { "Advice.Remove", "2.6.15", "2.6.16", true },
        { "Advice.Free", "4.4", "4.5", true },
        { "Advice.Cold", "5.3", "5.4", true },
        { "Advice.PageOut", "5.3", "5.4", true },
        { "Advice.PopulateRead", "5.13", "5.14", true },
        { "Advice.PopulateWrite", "5.13", "5.14", true },
        { "Advice.DontNeedLocked", "5.17", "5.18", true },
        { "MremapFlags.DontUnmap", "5.6", "5.7", true },
    };

    /// <summary>A use of each member in driver code, for the analyzer (`kernel`, `vma` and `process` are in scope).</summary>
    private static readonly Dictionary<string, string> FunctionUses = new(StringComparer.Ordinal)
    {
        ["Kernel.VmInsertPage"] = "kernel.VmInsertPage(vma, vma.Start, default);",
        ["Kernel.VmMapPages"] = "kernel.VmMapPages(vma, new Page[0]);",
        ["Kernel.RemapVmallocRange"] = "kernel.RemapVmallocRange(vma, default, 0);",
        ["Kernel.VmallocUser"] = "kernel.VmallocUser(Kernel.PageSize);",
        ["Kernel.VmIomapMemory"] = "kernel.VmIomapMemory(vma, default, Kernel.PageSize);",
        ["Kernel.VmfInsertPfn"] = "kernel.VmfInsertPfn(vma, vma.Start, default);",
        ["Kernel.VmfInsertMixed"] = "kernel.VmfInsertMixed(vma, vma.Start, default);",
        ["Kernel.GetUserPagesFast"] = "kernel.GetUserPagesFast(vma.Start, 1, FollFlags.None, new Page[1]);",
        ["Kernel.PinUserPages"] = "kernel.PinUserPages(vma.Start, 1, FollFlags.None, new Page[1]);",
        ["Kernel.UnpinUserPages"] = "kernel.UnpinUserPages(new Page[1], 1);",
        ["Kernel.UnpinUserPagesDirtyLock"] = "kernel.UnpinUserPagesDirtyLock(new Page[1], 1, true);",
        ["Kernel.Kzalloc"] = "kernel.Kzalloc(64, Gfp.Kernel);",
        ["Kernel.Vzalloc"] = "kernel.Vzalloc(Kernel.PageSize);",
        ["Kernel.DmaMmapCoherent"] = "kernel.DmaMmapCoherent(null!, vma, default, default, Kernel.PageSize);",
        ["Kernel.PciAllocConsistent"] = "kernel.PciAllocConsistent(null!, Kernel.PageSize, out var handle);",
        ["Kernel.PciFreeConsistent"] = "kernel.PciFreeConsistent(null!, Kernel.PageSize, default, default);",
        ["Kernel.Kvmalloc"] = "kernel.Kvmalloc(64, Gfp.Kernel);",
        ["Kernel.Kvfree"] = "kernel.Kvfree(default(KernelAddr));",
        ["Kernel.Vmalloc32User"] = "kernel.Vmalloc32User(Kernel.PageSize);",
        ["Kernel.VmInsertPages"] = "ulong num = 0;\n        kernel.VmInsertPages(vma, vma.Start, new Page[0], ref num);",
        ["Kernel.VmfInsertPfnProt"] = "kernel.VmfInsertPfnProt(vma, vma.Start, default, vma.PageProt);",
        ["Kernel.PinUserPagesFast"] = "kernel.PinUserPagesFast(vma.Start, 1, FollFlags.None, new Page[1]);",
        ["Kernel.PinUserPagesRemote"] = "kernel.PinUserPagesRemote(process.Mm, vma.Start, 1, FollFlags.None, new Page[1]);",
        ["Process.CoredumpFilter"] = "process.CoredumpFilter = 0x33;",
        ["Kernel.GenericAccessPhys"] = "kernel.GenericAccessPhys(vma, vma.Start, new byte[1], false);",
        ["Process.WriteProcMem"] = "process.WriteProcMem(process.Pid, vma.Start, new byte[1]);",
        ["Process.ProcessVmReadv"] = "process.ProcessVmReadv(process.Pid, new byte[1], vma.Start);",
        ["Process.ProcessVmWritev"] = "process.ProcessVmWritev(process.Pid, new byte[1], vma.Start);",
        ["Advice.Remove"] = "process.Madvise(vma.Start, Kernel.PageSize, Advice.Remove);",
        ["Advice.Free"] = "process.Madvise(vma.Start, Kernel.PageSize, Advice.Free);",
        ["Advice.Cold"] = "process.Madvise(vma.Start, Kernel.PageSize, Advice.Cold);",
        ["Advice.PageOut"] = "process.Madvise(vma.Start, Kernel.PageSize, Advice.PageOut);",
        ["Advice.PopulateRead"] = "process.Madvise(vma.Start, Kernel.PageSize, Advice.PopulateRead);",
        ["Advice.PopulateWrite"] = "process.Madvise(vma.Start, Kernel.PageSize, Advice.PopulateWrite);",
        ["Advice.DontNeedLocked"] = "process.Madvise(vma.Start, Kernel.PageSize, Advice.DontNeedLocked);",
        ["MremapFlags.DontUnmap"] = "process.Mremap(vma.Start, Kernel.PageSize, Kernel.PageSize, MremapFlags.MayMove | MremapFlags.DontUnmap);",
    };

    /// <summary>The same calls on the runtime.</summary>
    private static readonly Dictionary<string, Action<Kernel>> FunctionCalls = new(StringComparer.Ordinal)
    {
        ["Kernel.VmInsertPage"] = k => k.VmInsertPage(null!, default, default),
        ["Kernel.VmMapPages"] = k => k.VmMapPages(null!, []),
        ["Kernel.RemapVmallocRange"] = k => k.RemapVmallocRange(null!, default, 0),
        ["Kernel.VmallocUser"] = k => k.VmallocUser(Kernel.PageSize),
        ["Kernel.VmIomapMemory"] = k => k.VmIomapMemory(null!, default, Kernel.PageSize),
        ["Kernel.VmfInsertPfn"] = k => k.VmfInsertPfn(null!, default, default),
        ["Kernel.VmfInsertMixed"] = k => k.VmfInsertMixed(null!, default, default),
        ["Kernel.GetUserPagesFast"] = k => k.GetUserPagesFast(default, 1, FollFlags.None, new Page[1]),
        ["Kernel.PinUserPages"] = k => k.PinUserPages(default, 1, FollFlags.None, new Page[1]),
        ["Kernel.UnpinUserPages"] = k => k.UnpinUserPages([], 0),
        ["Kernel.UnpinUserPagesDirtyLock"] = k => k.UnpinUserPagesDirtyLock([], 0, true),
        ["Kernel.Kzalloc"] = k => k.Kzalloc(64, Gfp.Kernel),
        ["Kernel.Vzalloc"] = k => k.Vzalloc(Kernel.PageSize),
        ["Kernel.DmaMmapCoherent"] = k => k.DmaMmapCoherent(null!, null!, default, default, Kernel.PageSize),
        ["Kernel.PciAllocConsistent"] = k => k.PciAllocConsistent(null!, Kernel.PageSize, out _),
        ["Kernel.PciFreeConsistent"] = k => k.PciFreeConsistent(null!, Kernel.PageSize, default, default),
        ["Kernel.Kvmalloc"] = k => k.Kvmalloc(64, Gfp.Kernel),
        ["Kernel.Kvfree"] = k => k.Kvfree(default(KernelAddr)),
        ["Kernel.Vmalloc32User"] = k => k.Vmalloc32User(Kernel.PageSize),
        ["Kernel.VmInsertPages"] = k =>
        {
            var num = 0UL;
            k.VmInsertPages(null!, default, [], ref num);
        },
        ["Kernel.VmfInsertPfnProt"] = k => k.VmfInsertPfnProt(null!, default, default, default),
        ["Kernel.PinUserPagesFast"] = k => k.PinUserPagesFast(default, 1, FollFlags.None, null!),
        ["Kernel.PinUserPagesRemote"] = k => k.PinUserPagesRemote(null!, default, 1, FollFlags.None, new Page[1]),
        ["Process.CoredumpFilter"] = k => k.Spawn().CoredumpFilter = 0x33,
        ["Kernel.GenericAccessPhys"] = k => k.GenericAccessPhys(null!, default, [], false),
        ["Process.WriteProcMem"] = k => k.Spawn().WriteProcMem(99999, default, [1]),
        ["Process.ProcessVmReadv"] = k => k.Spawn().ProcessVmReadv(99999, new byte[1], default),
        ["Process.ProcessVmWritev"] = k => k.Spawn().ProcessVmWritev(99999, [1], default),
        ["Advice.Remove"] = k => MadviseOwn(k, Advice.Remove),
        ["Advice.Free"] = k => MadviseOwn(k, Advice.Free),
        ["Advice.Cold"] = k => MadviseOwn(k, Advice.Cold),
        ["Advice.PageOut"] = k => MadviseOwn(k, Advice.PageOut),
        ["Advice.PopulateRead"] = k => MadviseOwn(k, Advice.PopulateRead),
        ["Advice.PopulateWrite"] = k => MadviseOwn(k, Advice.PopulateWrite),
        ["Advice.DontNeedLocked"] = k => MadviseOwn(k, Advice.DontNeedLocked),
        ["MremapFlags.DontUnmap"] = k =>
        {
            var p = k.Spawn();
            var a = p.Map(Kernel.PageSize, flags: MapFlags.Private);
            p.Mremap(a, Kernel.PageSize, Kernel.PageSize, MremapFlags.MayMove | MremapFlags.DontUnmap);
        },
    };

    /// <summary>madvise of one page of a private anonymous mapping.</summary>
    private static void MadviseOwn(Kernel kernel, Advice advice)
    {
        var p = kernel.Spawn();
        p.Madvise(p.Map(Kernel.PageSize, flags: MapFlags.Private), Kernel.PageSize, advice);
    }

    private static string Driver(string mmapBody, string members = "") => $$"""
        using DriverKit.Runtime;

        class Driver
        {
            private readonly Kernel kernel;
            private readonly Page page;

            Driver(Kernel kernel) => this.kernel = kernel;

            int Mmap(OpenFile file, VmArea vma)
            {
        {{mmapBody}}
            }
        {{members}}
        }
        """;

    private static ExpectedDiagnostic Missing(int location) => Verify.Diagnostic(Descriptors.MissingInKernel).WithLocation(location);

    private static AnalyzerTest<Analyzer> At(string version, string source, params ExpectedDiagnostic[] expected)
    {
        var test = new AnalyzerTest<Analyzer> { TestCode = source, GlobalConfig = $"driverkit.kernel_version = {version}" };
        test.ExpectedDiagnostics.AddRange(expected);
        return test;
    }

    // ---- the table ---------------------------------------------------------------------------------------------

    [Fact]
    public void The_table_holds_exactly_the_boundaries_of_the_kernel_history()
    {
        var facts = Boundaries.Select(row => ((string)row[0], (string)row[1], (string)row[2], (bool)row[3])).ToList();
        foreach (var row in KernelAvailability.All.Where(row => !row.Always))
        {
            if (row.Since is { } since)
            {
                Assert.Contains(facts, fact => fact.Item1 == row.Member && fact.Item4 && KernelVersion.Parse(fact.Item3) == since);
            }

            if (row.RemovedIn is { } removed)
            {
                Assert.Contains(facts, fact => fact.Item1 == row.Member && !fact.Item4 && KernelVersion.Parse(fact.Item2) == removed);
            }
        }

        foreach (var (member, without, with, _) in facts)
        {
            var row = KernelAvailability.Find(member);
            Assert.NotNull(row);
            Assert.False(row.ExistsIn(KernelVersion.Parse(without)), $"{member} in {without}");
            Assert.True(row.ExistsIn(KernelVersion.Parse(with)), $"{member} in {with}");
        }
    }

    [Fact]
    public void Every_flag_and_hook_has_a_row()
    {
        var members = Enum.GetNames<VmFlags>().Select(name => "VmFlags." + name)
            .Concat(Enum.GetNames<PageFlags>().Select(name => "PageFlags." + name))
            .Concat(HookNames(typeof(VmOperations)).Select(name => "VmOperations." + name))
            .Concat(HookNames(typeof(FileOperations)).Select(name => "FileOperations." + name));
        Assert.All(members, member => Assert.NotNull(KernelAvailability.Find(member)));
        Assert.Equal(KernelAvailability.All.Count, KernelAvailability.All.Select(row => row.Member).Distinct().Count());
    }

    private static IEnumerable<string> HookNames(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(property => typeof(Delegate).IsAssignableFrom(property.PropertyType)).Select(property => property.Name);

    // ---- the analyzer at every boundary -----------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Boundaries))]
    public async Task Reported_exactly_where_the_kernel_lacks_it(string member, string without, string with, bool _)
    {
        var source = Driver(Use(member) + "\n        return 0;");
        var missing = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), source, without);
        var present = await AnalyzerRun.DiagnosticsAsync(new Analyzer(), source, with);
        if (member == "VmFlags.Reserved")
        {
            Assert.Empty(missing); // DK0005's
            return;
        }
        var diagnostic = Assert.Single(missing);
        Assert.Equal("DK1001", diagnostic.Id);
        Assert.Contains($"({member}) does not exist in Linux {without}", diagnostic.Message(), StringComparison.Ordinal);
        Assert.Empty(present);
    }

    private static string Use(string member)
    {
        var (type, name) = (member.Split('.')[0], member.Split('.')[1]);
        return type switch
        {
            "VmFlags" or "PageFlags" => $"var used = {member};",
            "VmOperations" when name == "NoPfnRefault" => "var used = VmOperations.NoPfnRefault;",
            "VmOperations" => $"vma.Ops = new VmOperations {{ {name} = null }};",
            _ => "var process = kernel.Spawn();\n        " + FunctionUses[member],
        };
    }

    // ---- the runtime at every boundary ------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Boundaries))]
    public void The_runtime_refuses_it_exactly_where_the_kernel_lacks_it(string member, string without, string with, bool _)
    {
        if (member.StartsWith("PageFlags.", StringComparison.Ordinal))
        {
            return; // drivers only read page flags; the table's rows for them serve the analyzer alone
        }

        var refused = Assert.Throws<EraMismatchException>(() => RunOn(without, member));
        Assert.Equal(member == "VmFlags.Reserved" ? "DK0005" : "DK1001", refused.RuleId);
        if (member != "VmOperations.NoPfnRefault" || with != "2.6.26")
        {
            Assert.Contains(KernelAvailability.Find(member)!.KernelName, refused.Message, StringComparison.Ordinal); // from 2.6.27 ->nopfn itself is refused first
        }

        var error = Record.Exception(() => RunOn(with, member));
        Assert.False(error is EraMismatchException, $"{member} in {with}: {error?.Message}");
    }

    private static void RunOn(string version, string member)
    {
        var kernel = Machines.Boot(version, strict: true);
        var (type, name) = (member.Split('.')[0], member.Split('.')[1]);
        switch (type)
        {
            case "VmFlags":
                MmapWith(kernel, vma => vma.Flags |= Enum.Parse<VmFlags>(name));
                break;
            case "VmOperations" when name == "NoPfnRefault":
                var pfnmap = kernel.Policy.FlagExists(VmFlags.PfnMap) ? VmFlags.PfnMap : VmFlags.None;
                var user = MmapWith(kernel, vma =>
                {
                    vma.Flags |= VmFlags.IO | pfnmap;
                    vma.Ops = new VmOperations { NoPfn = (_, _) => VmOperations.NoPfnRefault };
                });
                user.Process.Touch(user.Start, write: false);
                break;
            case "VmOperations":
                MmapWith(kernel, vma => vma.Ops = Hook(name));
                break;
            default:
                FunctionCalls[member](kernel);
                break;
        }
    }

    private static (Process Process, UserAddr Start) MmapWith(Kernel kernel, Action<VmArea> mmap)
    {
        var device = new TestDevice(kernel) { OnMmap = vma => { mmap(vma); return 0; } };
        var process = kernel.Spawn();
        var map = process.Mmap(default, Kernel.PageSize, Prot.Read, MapFlags.Shared, (int)process.Open(device.Device.Path).Value);
        return (process, map.IsOk ? map.Value : default);
    }

    private static VmOperations Hook(string name) => name switch
    {
        "NoPage" => new VmOperations { NoPage = (_, _) => default },
        "NoPfn" => new VmOperations { NoPfn = (_, _) => VmOperations.NoPfnSigbus },
        "Fault" => new VmOperations { Fault = _ => VmFaultResult.Sigbus },
        "PageMkwrite" => new VmOperations { PageMkwrite = _ => VmFaultResult.None },
        "MaySplit" => new VmOperations { MaySplit = (_, _) => 0 },
        "Access" => new VmOperations { Access = (_, _, _, _) => 0 },
        _ => throw new ArgumentException(name, nameof(name)),
    };

    // ---- the examples ------------------------------------------------------------------------------------

    [Fact]
    public Task VM_DONTDUMP_at_2_6_20() => At("2.6.20", Driver("""
                kernel.VmFlagsSet(vma, VmFlags.DontExpand | {|#0:VmFlags.DontDump|});
                return 0;
        """), Missing(0).WithArguments("VM_DONTDUMP (VmFlags.DontDump)", "2.6.20 (era E3)", "from 3.4 (as VM_NODUMP until 3.6)", "; VM_IO or VM_RESERVED also keep the vma out of core dumps")).RunAsync();

    [Fact]
    public Task Flags_and_hooks_gone_by_6_6() => At("6.6", Driver("""
                vma.Flags |= {|#0:VmFlags.Unpaged|} | {|#1:VmFlags.InsertPage|};
                vma.Ops = new VmOperations { {|#2:NoPage|} = (v, address) => page };
                return 0;
        """), Missing(0), Missing(1), Missing(2)).RunAsync();

    [Fact]
    public Task VM_NODUMP_is_named_as_3_5_spells_it() => At("3.5", Driver("""
                var used = VmFlags.DontDump;
                vma.Ops = new VmOperations { {|#0:MaySplit|} = null };
                return 0;
        """), Missing(0).WithArguments("->may_split (VmOperations.MaySplit)", "3.5 (era E4)", "from 4.15 (as ->split until 5.10)",
            "; nothing can veto a split; refuse partial munmap/mprotect effects in ->open/->close")).RunAsync();

    [Fact]
    public Task Everything_exists_in_the_newest_kernel_but_what_was_removed() => At("7.0", Driver("""
                vma.Flags |= VmFlags.DontDump | VmFlags.MixedMap | VmFlags.WipeOnFork | VmFlags.PfnMap;
                vma.Ops = new VmOperations { Fault = vmf => VmFaultResult.Sigbus, MaySplit = (v, a) => 0, PageMkwrite = vmf => 0 };
                kernel.VmMapPages(vma, new Page[0]);
                return kernel.VmIomapMemory(vma, default, Kernel.PageSize);
        """)).RunAsync();

    [Fact]
    public Task Flags_under_using_static_and_qualified_page_flags() => At("6.12", """
        using DriverKit.Runtime;
        using static DriverKit.Runtime.VmFlags;

        class Driver
        {
            int Error;

            bool Failed(Page page) => (page.Flags & {|#0:PageFlags.Error|}) != 0 || Error != 0;

            VmFlags Legacy => {|#1:InsertPage|} | IO;
        }
        """, Missing(0), Missing(1)).RunAsync();

    [Fact]
    public Task VM_RESERVED_stays_DK0005s() => At("6.6", Driver("""
                vma.Flags |= VmFlags.Reserved;
                return 0;
        """)).RunAsync();

    [Fact]
    public Task Method_groups_and_helpers_are_uses() => At("4.20", Driver("""
                System.Func<VmArea, System.Collections.Generic.IReadOnlyList<Page>, string, string, int, int> map = kernel.{|#0:VmMapPages|};
                return Helper(vma);
        """, """
            private int Helper(VmArea vma) => kernel.{|#1:VmMapPages|}(vma, new Page[0]);
        """), Missing(0), Missing(1)).RunAsync();

    // ---- version tests ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("if (kernel.Policy.FlagExists(VmFlags.DontDump))\n            vma.Flags |= VmFlags.DontDump;")]
    [InlineData("if (kernel.Policy.FlagExists(VmFlags.DontDump | VmFlags.DontExpand)) { vma.Flags |= VmFlags.DontDump; }")]
    [InlineData("if (kernel.Version >= KernelVersion.Of(3, 4))\n            vma.Flags |= VmFlags.DontDump;")]
    [InlineData("if (KernelVersion.Parse(\"3.4\") <= kernel.Policy.Version) { vma.Flags |= VmFlags.DontDump; }")]
    [InlineData("if (kernel.Version < KernelVersion.Of(3, 4))\n            return 0;\n        vma.Flags |= VmFlags.DontDump;")]
    [InlineData("if (!kernel.Policy.FlagExists(VmFlags.DontDump)) { return -Errno.EINVAL; }\n        vma.Flags |= VmFlags.DontDump;")]
    [InlineData("vma.Flags |= kernel.Policy.FlagExists(VmFlags.DontDump) ? VmFlags.DontDump : VmFlags.IO;")]
    [InlineData("if (kernel.Policy.Exists(\"VmFlags.DontDump\") && vma.Length > 0) vma.Flags |= VmFlags.DontDump;")]
    [InlineData("if (kernel.Era >= Era.E5) vma.Flags |= VmFlags.DontDump;")]
    [InlineData("if (SomeVersionCheck(kernel.Version)) vma.Flags |= VmFlags.DontDump;")]
    public Task Uses_under_a_test_that_is_false_for_the_configured_kernel_are_not_reported(string body) => At("2.6.20", Driver(
        body + "\n        return 0;", "    private static bool SomeVersionCheck(KernelVersion version) => true;")).RunAsync();

    [Theory]
    [InlineData("if (kernel.Policy.HasFault) { vma.Ops = new VmOperations { {|#0:NoPage|} = (v, a) => page }; }")]
    [InlineData("if (kernel.Version >= KernelVersion.Of(2, 6, 26)) { vma.Ops = new VmOperations { {|#0:NoPage|} = (v, a) => page }; }")]
    [InlineData("if (vma.Length > 0) { vma.Ops = new VmOperations { {|#0:NoPage|} = (v, a) => page }; }")]
    [InlineData("if (kernel.Policy.HasNoPage) return 0;\n        else vma.Ops = new VmOperations { {|#0:NoPage|} = (v, a) => page };")]
    public Task A_test_that_is_true_for_the_configured_kernel_does_not_hide_the_use(string body) => At("6.6", Driver(
        body + "\n        return 0;"), Missing(0)).RunAsync();

    [Fact]
    public Task Both_hooks_chosen_by_the_policy_are_clean_in_either_kernel()
    {
        var source = Driver("""
                    vma.Ops = kernel.Policy.HasNoPage
                        ? new VmOperations { NoPage = (v, a) => page }
                        : new VmOperations { Fault = vmf => VmFaultResult.Sigbus };
                    return 0;
            """);
        return Task.WhenAll(At("2.6.20", source).RunAsync(), At("6.6", source).RunAsync());
    }

    [Fact]
    public Task The_flag_named_in_FlagExists_is_not_a_use() => At("2.6.20", Driver("""
                var has = kernel.Policy.FlagExists(VmFlags.DontDump);
                _ = nameof(VmFlags.DontDump);
                return 0;
        """)).RunAsync();

    [Fact]
    public Task Silent_without_DriverKit() => new AnalyzerTest<Analyzer>
    {
        TestCode = """
            enum VmFlags { DontDump }
            class C { VmFlags F() => VmFlags.DontDump; }
            """,
        ReferenceDriverKitRuntime = false,
        GlobalConfig = "driverkit.kernel_version = 2.6.20",
    }.RunAsync();

    // ---- the ->nopage to ->fault fix ----------------------------------------------------------------------------------

    [Fact]
    public Task Fix_rewrites_a_lambda_handler() => new CodeFixTest<Analyzer, DriverKit.CodeFixes.NoPageToFaultCodeFix>
    {
        TestCode = Driver("""
                    vma.Ops = new VmOperations
                    {
                        // the buffer's page, with a reference for the mapping
                        {|#0:NoPage|} = (v, address) =>
                        {
                            if (address >= v.End)
                                return default;
                            kernel.GetPage(page); // dropped at unmap
                            return page;
                        },
                    };
                    return 0;
            """),
        ExpectedDiagnostics = { Missing(0) },
        FixedCode = Driver("""
                    vma.Ops = new VmOperations
                    {
                        // the buffer's page, with a reference for the mapping
                        Fault = vmf =>
                        {
                            var v = vmf.Vma;
                            var address = vmf.Address;
                            if (address >= v.End)
                                return VmFaultResult.Sigbus;
                            kernel.GetPage(page); // dropped at unmap
                            vmf.Page = page;
                            return vmf.Page.IsNull ? (vmf.Page.IsNoPageOom ? VmFaultResult.Oom : VmFaultResult.Sigbus) : VmFaultResult.None;
                        },
                    };
                    return 0;
            """),
        GlobalConfig = "driverkit.kernel_version = 6.6",
    }.RunAsync();

    [Fact]
    public Task Fix_rewrites_a_handler_method_and_its_documentation() => new CodeFixTest<Analyzer, DriverKit.CodeFixes.NoPageToFaultCodeFix>
    {
        TestCode = Driver("""
                    vma.Ops = new VmOperations { Open = v => { }, {|#0:NoPage|} = ScullpVmaNoPage };
                    return 0;
            """, """

                /// <summary>Hands out the page behind the address.</summary>
                /// <param name="vma">The vma.</param>
                /// <param name="address">The address.</param>
                private Page ScullpVmaNoPage(VmArea vma, UserAddr address)
                {
                    if (address >= vma.End)
                    {
                        return Page.NoPageOom;
                    }

                    kernel.GetPage(page);
                    return page;
                }
            """),
        ExpectedDiagnostics = { Missing(0) },
        FixedCode = Driver("""
                    vma.Ops = new VmOperations { Open = v => { }, Fault = ScullpVmaFault };
                    return 0;
            """, """

                /// <summary>Hands out the page behind the address.</summary>
                /// <param name="vmf">The fault: its vma, address and page offset; the page goes to its Page.</param>
                private VmFaultResult ScullpVmaFault(VmFault vmf)
                {
                    var vma = vmf.Vma;
                    var address = vmf.Address;
                    if (address >= vma.End)
                    {
                        return VmFaultResult.Oom;
                    }

                    kernel.GetPage(page);
                    vmf.Page = page;
                    return vmf.Page.IsNull ? (vmf.Page.IsNoPageOom ? VmFaultResult.Oom : VmFaultResult.Sigbus) : VmFaultResult.None;
                }
            """),
        GlobalConfig = "driverkit.kernel_version = 2.6.26",
    }.RunAsync();

    [Fact]
    public Task Fix_all_rewrites_every_handler() => new CodeFixTest<Analyzer, DriverKit.CodeFixes.NoPageToFaultCodeFix>
    {
        TestCode = Driver("""
                    vma.Ops = vma.Pgoff == 0
                        ? new VmOperations { {|#0:NoPage|} = (v, a) => default }
                        : new VmOperations { {|#1:NoPage|} = (_, _) => page };
                    return 0;
            """),
        ExpectedDiagnostics = { Missing(0), Missing(1) },
        FixedCode = Driver("""
                    vma.Ops = vma.Pgoff == 0
                        ? new VmOperations { Fault = vmf => VmFaultResult.Sigbus }
                        : new VmOperations { Fault = vmf => (vmf.Page = page).IsNull ? (vmf.Page.IsNoPageOom ? VmFaultResult.Oom : VmFaultResult.Sigbus) : VmFaultResult.None };
                    return 0;
            """),
        GlobalConfig = "driverkit.kernel_version = 7.0",
    }.RunAsync();

    [Fact]
    public Task No_fix_when_the_handler_is_used_elsewhere_or_Fault_is_set() => Verify.VerifyNoFixAsync(
        Driver("""
                    vma.Ops = new VmOperations { {|#0:NoPage|} = Shared };
                    var other = new VmOperations { {|#1:NoPage|} = Shared };
                    var both = new VmOperations { Fault = vmf => VmFaultResult.Sigbus, {|#2:NoPage|} = (v, a) => page };
                    return 0;
            """, """
                private Page Shared(VmArea vma, UserAddr address) => page;
            """),
        Missing(0), Missing(1), Missing(2));

    [Fact]
    public Task No_fix_before_2_6_23_has_fault() => At("2.6.22", Driver("""
                vma.Ops = new VmOperations { {|#0:Fault|} = vmf => VmFaultResult.Sigbus };
                return 0;
        """), Missing(0)).RunAsync();
}
