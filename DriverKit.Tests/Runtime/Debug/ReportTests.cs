using DriverKit.Runtime;
using DriverKit.Samples.FrameGrabber;
using DriverKit.Samples.Scullp;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Debug;

/// <summary>
/// Reports people read (docs/kernel-semantics.md §5.3): one simulator report per finding with every page it covers,
/// the help links as fields, short texts, and ledger labels that stay true after the fault.
/// </summary>
public sealed class ReportTests
{
    private const ulong Four = 4 * Kernel.PageSize;

    [Theory]
    [InlineData(E3)]
    [InlineData(E5)]
    [InlineData(E7)]
    public void A_block_freed_while_one_vma_maps_it_is_one_report_naming_its_four_pages(string version)
    {
        var k = FreedWhileCaptureMapsIt(version, strict: true);

        var freed = Assert.Single(k.Reports, r => r.Invariant == "INV-06");
        Assert.Equal(4, freed.Pages.Count);
        Assert.Equal(4, freed.Pages.Distinct().Count());
        Assert.Equal(freed.Pfn, freed.Pages[0]);
        Assert.Equal(4, freed.Occurrences);
        Assert.Contains("pages: 4 (pfn ", freed.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Two_processes_mapping_the_freed_block_are_two_reports()
    {
        var k = Boot(E7, strict: true);
        _ = new FrameGrabberDriver(k, FrameGrabberVariant.Remap);
        var u = k.Spawn("capture");
        var v = k.Spawn("viewer");
        var fd = u.OpenOk("/dev/video0");
        u.Map(Four, fd: fd);
        v.Map(Four, fd: v.OpenOk("/dev/video0"));

        Assert.True(u.Ioctl(fd, FrameGrabberDriver.FreeBufferIoctl).IsOk);

        var freed = k.Reports.Where(r => r.Invariant == "INV-06").ToArray();
        Assert.Equal(2, freed.Length);
        Assert.All(freed, r => Assert.Equal(4, r.Pages.Count));
        Assert.Contains(freed, r => r.Text.Contains("capture", StringComparison.Ordinal));
        Assert.Contains(freed, r => r.Text.Contains("viewer", StringComparison.Ordinal));
    }

    [Fact]
    public void Outside_strict_mode_no_simulator_finding_is_kept_merged_or_not()
    {
        var k = FreedWhileCaptureMapsIt(E7, strict: false);

        Assert.DoesNotContain(k.Reports, r => r.Kind == ReportKind.Simulator);
    }

    [Fact]
    public void A_report_links_its_invariant_and_its_rule_as_fields_not_in_its_text()
    {
        var k = FreedWhileCaptureMapsIt(E7, strict: true);

        var freed = Assert.Single(k.Reports, r => r.Invariant == "INV-06");
        Assert.EndsWith("/docs/kernel-semantics.md#inv-06", freed.HelpLink, StringComparison.Ordinal);
        Assert.EndsWith($"/docs/rules/{freed.RuleId}.md", freed.RuleHelpLink, StringComparison.Ordinal);
        Assert.DoesNotContain("docs/", freed.Text, StringComparison.Ordinal);
        Assert.Contains("help: " + freed.HelpLink, freed.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_leak_report_keeps_its_text_short_and_puts_the_ledgers_in_the_ledger_field()
    {
        var (k, _, u, fd) = ScullpReadAndUnmapped();
        Assert.True(u.Close(fd).IsOk);

        var leak = Assert.Single(k.Shutdown(), r => r.Invariant == "INV-20");
        Assert.Equal(4, leak.Pages.Count);
        Assert.True(leak.Text.Length <= 200, leak.Text);
        Assert.Contains("rc=", leak.Ledger, StringComparison.Ordinal);
        Assert.Equal(4, leak.Ledger!.Split("; ").Length);
        Assert.Equal("DK0004", leak.RuleId);
    }

    [Fact]
    public void A_fault_reference_the_pte_did_not_consume_is_labelled_leaked_once_the_fault_is_over()
    {
        var (k, driver, _, _) = ScullpReadAndUnmapped();

        foreach (var page in driver.Pages)
        {
            var ledger = k.Checker.Ledger(page);
            Assert.Contains("FaultLeaked", ledger, StringComparison.Ordinal);
            Assert.DoesNotContain("FaultInFlight", ledger, StringComparison.Ordinal);
        }

    }

    [Fact]
    public void A_fault_reference_the_pte_consumed_leaves_no_fault_holder()
    {
        var k = Boot(E3, strict: true);
        var driver = new ScullpDriver(k, ScullpVariant.ReservedNoPage);
        var u = k.Spawn("scullp-user");
        var a = u.Map(Four, fd: u.OpenOk("/dev/scullp"));
        u.ReadAll(a, 4);

        Assert.All(driver.Pages, page => Assert.DoesNotContain("Fault", k.Checker.Ledger(page), StringComparison.Ordinal));
    }

    /// <summary>2.6.15-rc1, LDD3's scullp with VM_RESERVED + ->nopage: its four pages read through a mapping, then unmapped.</summary>
    private static (Kernel Kernel, ScullpDriver Driver, Process User, int Fd) ScullpReadAndUnmapped()
    {
        var k = Boot(E1, strict: true);
        var driver = new ScullpDriver(k, ScullpVariant.ReservedNoPage);
        var u = k.Spawn("scullp-user");
        var fd = u.OpenOk("/dev/scullp");
        var a = u.Map(Four, fd: fd);
        u.ReadAll(a, 4);
        Assert.True(u.Munmap(a, Four).IsOk);
        return (k, driver, u, fd);
    }

    /// <summary>The frame grabber's remapped buffer, mapped by "capture", freed by its FREE_BUFFER ioctl.</summary>
    private static Kernel FreedWhileCaptureMapsIt(string version, bool strict)
    {
        var k = Boot(version, strict: strict);
        _ = new FrameGrabberDriver(k, FrameGrabberVariant.Remap);
        var u = k.Spawn("capture");
        var fd = u.OpenOk("/dev/video0");
        u.Map(Four, fd: fd);
        Assert.True(u.Ioctl(fd, FrameGrabberDriver.FreeBufferIoctl).IsOk);
        return k;
    }
}
