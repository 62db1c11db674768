using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime;

public sealed class EraSweepTests
{
    private static readonly string[] Eras = [Machines.E0, Machines.E1, Machines.E3, Machines.E5, Machines.E7];

    [Fact]
    public void Each_version_gets_a_fresh_strict_machine_in_the_order_given()
    {
        var seen = new List<Kernel>();
        var sweep = EraSweep.Run(Eras, seen.Add);

        Assert.Equal(Eras.Length, seen.Distinct().Count());
        Assert.Equal(seen, sweep.Runs.Select(run => run.Kernel));
        Assert.Equal(Eras.Select(KernelVersion.Parse), sweep.Runs.Select(run => run.Version));
        Assert.Equal([Era.E0, Era.E1, Era.E3, Era.E5, Era.E7], sweep.Runs.Select(run => run.Era));
        Assert.All(seen, kernel => Assert.Equal(CheckerMode.Strict, kernel.Options.CheckerMode));
        Assert.True(sweep.Clean, sweep.Describe());
        Assert.True(sweep.LeakFree);
        Assert.Equal("Linux 2.6.14 (E0): clean", sweep.Runs[0].Describe());
    }

    [Fact]
    public void Configure_sets_the_options_but_the_sweep_sets_the_version()
    {
        var sweep = EraSweep.Run(["3.7", "6.6"], _ => { }, options =>
        {
            options.MemoryBytes = 16UL << 20;
            options.CheckerMode = CheckerMode.Faithful;
            options.Version = "2.6.14";
        });

        Assert.Equal(["3.7", "6.6"], sweep.Runs.Select(run => run.Kernel.Options.Version));
        Assert.All(sweep.Runs, run => Assert.Equal(16 << 20 >> 12, run.Kernel.TotalRamPages));
        Assert.All(sweep.Runs, run => Assert.Equal(CheckerMode.Faithful, run.Kernel.Options.CheckerMode));
    }

    [Fact]
    public void A_page_the_driver_never_frees_is_a_leak_in_every_era()
    {
        var sweep = EraSweep.Run(Eras, kernel => kernel.AllocPage(Gfp.Kernel));

        Assert.False(sweep.LeakFree);
        Assert.False(sweep.Clean);
        Assert.All(sweep.Runs, run =>
        {
            var leak = Assert.Single(run.Leaks);
            Assert.Equal("INV-20", leak.Invariant);
            Assert.Contains(leak, run.Reports);
            Assert.Null(run.Exception);
        });
        Assert.StartsWith("Linux 3.7 (E5): 1 report(s), 1 leak(s)\n    DKSIM INV-20: 1 page(s) leaked at shutdown", sweep.Runs[3].Describe(), StringComparison.Ordinal);
        Assert.Contains("Linux 7.0 (E7): 1 report(s), 1 leak(s)", sweep.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_leak_faithful_mode_keeps_quiet_is_not_collected()
    {
        var sweep = EraSweep.Run(Eras, kernel => kernel.AllocPage(Gfp.Kernel), options => options.CheckerMode = CheckerMode.Faithful);

        Assert.True(sweep.LeakFree);
    }

    [Fact]
    public void A_script_that_throws_is_that_versions_outcome_and_the_sweep_goes_on()
    {
        var sweep = EraSweep.Run(["3.6", "3.7", "7.0"], kernel =>
        {
            kernel.RegisterChrdev("/dev/reserved", new FileOperations
            {
                Owner = "reserved",
                Mmap = (file, vma) =>
                {
                    vma.Flags |= VmFlags.Reserved;
                    return 0;
                },
            });
            var process = kernel.Spawn();
            var fd = (int)process.Open("/dev/reserved").Value;
            process.Mmap(default, Kernel.PageSize, Prot.Read, MapFlags.Shared, fd).Unwrap();
        });

        Assert.Null(sweep.Runs[0].Exception);
        Assert.IsType<EraMismatchException>(sweep.Runs[1].Exception);
        Assert.IsType<EraMismatchException>(sweep.Runs[2].Exception);
        Assert.False(sweep.LeakFree);
        Assert.Contains("Linux 3.7 (E5): 0 report(s), 0 leak(s), the script threw EraMismatchException: VM_RESERVED does not exist", sweep.Describe(), StringComparison.Ordinal);
        Assert.Equal("Linux 3.6 (E4): clean", sweep.Runs[0].ToString());
    }

    [Fact]
    public void Arguments_are_checked_before_any_machine_boots()
    {
        var booted = 0;
        void Script(Kernel kernel) => booted++;

        Assert.Equal("versions", Assert.Throws<ArgumentNullException>(() => EraSweep.Run(null!, Script)).ParamName);
        Assert.Equal("script", Assert.Throws<ArgumentNullException>(() => EraSweep.Run(Eras, null!)).ParamName);

        var empty = Assert.Throws<ArgumentException>(() => EraSweep.Run([], Script));
        Assert.Equal("versions", empty.ParamName);
        Assert.Contains("at least one kernel version", empty.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<ArgumentException>(() => EraSweep.Run(["3.7", null!], Script));
        Assert.Contains("#1 is null", missing.Message, StringComparison.Ordinal);

        var bad = Assert.Throws<ArgumentException>(() => EraSweep.Run(["3.7", "6.6", "2.4.31"], Script));
        Assert.Equal("versions", bad.ParamName);
        Assert.Contains("#2 (\"2.4.31\") is not one the simulator models", bad.Message, StringComparison.Ordinal);
        Assert.Contains("accepted:", bad.Message, StringComparison.Ordinal);

        Assert.Equal(0, booted);
    }
}
