using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Scenarios;

/// <summary>
/// A network-card-style driver with a descriptor ring in coherent DMA memory: the ring comes from dma_alloc_coherent at
/// the first open, user space maps it with dma_mmap_coherent and polls the descriptors the device writes, and the
/// driver's remove frees it after the last user is gone. The buggy variant's reset ioctl frees and re-allocates the ring
/// while the user still maps it: the user keeps special PTEs to frames the allocator hands out again.
/// </summary>
internal sealed class DmaRingDriver
{
    public const uint IoctlReset = 0x5201;
    public const ulong RingBytes = 3 * Kernel.PageSize; // get_order: a 4-page block, of which the driver uses 3

    public DmaRingDriver(Kernel kernel)
    {
        Kernel = kernel;
        Device = kernel.RegisterDevice("0000:00:03.0");
        Node = kernel.RegisterChrdev("/dev/ring0", new FileOperations
        {
            Owner = "ringdrv",
            Open = (_, _) =>
            {
                if (Ring.IsNull)
                {
                    Ring = kernel.DmaAllocCoherent(Device, RingBytes, out var handle, Gfp.Kernel);
                    Handle = handle;
                    if (Ring.IsNull)
                    {
                        return -Errno.ENOMEM;
                    }
                }

                return 0;
            },
            Mmap = (_, vma) => kernel.DmaMmapCoherent(Device, vma, Ring, Handle, RingBytes),
            Ioctl = (_, cmd, _) =>
            {
                if (cmd != IoctlReset)
                {
                    return -Errno.ENOTTY;
                }

                // The bug this scenario shows: the ring is freed while user space maps it (DKMM018).
                kernel.DmaFreeCoherent(Device, RingBytes, Ring, Handle);
                Ring = kernel.DmaAllocCoherent(Device, RingBytes, out var handle, Gfp.Kernel);
                Handle = handle;
                return 0;
            },
        });
    }

    public Kernel Kernel { get; }

    public Device Device { get; }

    public CharDevice Node { get; }

    public KernelAddr Ring { get; private set; }

    public DmaAddr Handle { get; private set; }

    /// <summary>The device writes descriptor <paramref name="slot"/> (16 bytes) into the ring through its bus address.</summary>
    public DmaTransfer WriteDescriptor(int slot, byte tag)
    {
        var offset = (ulong)slot * 16;
        var page = Kernel.PfnToPage(new PhysAddr(Handle.Value + offset).ToPfn());
        var data = Enumerable.Repeat(tag, 16).ToArray();
        return Kernel.Dma.Submit(page, (int)(offset % Kernel.PageSize), data, delay: 2);
    }

    /// <summary>The driver's remove: free the ring, drop the node.</summary>
    public void Remove()
    {
        Kernel.DmaFreeCoherent(Device, RingBytes, Ring, Handle);
        Ring = default;
        Kernel.UnregisterChrdev(Node);
    }
}

public sealed class DmaRingBufferTests
{
    [Theory]
    [InlineData("3.6")]
    [InlineData("4.19")]
    [InlineData(E6)]
    [InlineData(E7)]
    public void The_ring_is_mapped_polled_and_torn_down_without_a_report(string version)
    {
        var k = Boot(version, strict: true);
        var driver = new DmaRingDriver(k);
        var u = k.Spawn("ringd");
        var fd = u.OpenOk("/dev/ring0");
        var ring = u.Map(DmaRingDriver.RingBytes, Prot.Read, fd: fd);
        var vma = u.Mm.VmAreas.Single(v => v.Start == ring);
        Assert.True(vma.Flags.HasFlag(VmFlags.IO) && vma.Flags.HasFlag(VmFlags.PfnMap));

        // Descriptors in the first and the third page; the device completes them two steps later.
        driver.WriteDescriptor(0, 0xa1);
        driver.WriteDescriptor(2 * (int)Kernel.PageSize / 16, 0xa3);
        var before = new byte[16];
        Assert.True(u.Read(ring, before).IsOk);
        Assert.All(before, b => Assert.Equal(0, b)); // dma_alloc_coherent memory is zeroed
        k.Dma.RunUntilIdle();

        var desc = new byte[16];
        Assert.True(u.Read(ring, desc).IsOk);
        Assert.All(desc, b => Assert.Equal(0xa1, b));
        Assert.True(u.Read(ring + 2 * Kernel.PageSize, desc).IsOk);
        Assert.All(desc, b => Assert.Equal(0xa3, b));

        // The CPU sees what the device wrote through the kernel address too: one buffer, two views.
        var kernelView = new byte[16];
        k.ReadKernel(driver.Ring, kernelView);
        Assert.Equal(desc.Length, kernelView.Length);
        Assert.All(kernelView, b => Assert.Equal(0xa1, b));

        Assert.True(u.Munmap(ring, DmaRingDriver.RingBytes).IsOk);
        Assert.True(u.Close(fd).IsOk);
        driver.Remove();
        Assert.Equal(0, k.UnloadModule("ringdrv").Value);
        Assert.Empty(k.Reports);
        Assert.Empty(k.Shutdown());
    }

    [Theory]
    [InlineData("3.6")]
    [InlineData(E7)]
    public void A_reset_that_frees_the_mapped_ring_is_a_use_after_free_through_the_mapping(string version)
    {
        var k = Boot(version, strict: true);
        var driver = new DmaRingDriver(k);
        var u = k.Spawn("ringd");
        var fd = u.OpenOk("/dev/ring0");
        var ring = u.Map(DmaRingDriver.RingBytes, Prot.Read, fd: fd);
        var oldPfn = new PhysAddr(driver.Handle.Value).ToPfn();

        Assert.Equal(0, u.Ioctl(fd, DmaRingDriver.IoctlReset, 0).Value);
        var atFree = k.Reports.Where(r => r.Invariant == "INV-06").ToList();
        Assert.NotEmpty(atFree);
        Assert.Contains("freed while mapped SPECIAL", atFree[0].Text, StringComparison.Ordinal);
        Assert.Equal("DK0018", atFree[0].RuleId);

        // The user still reads the old frames: whatever owns them now.
        Assert.True(u.Read(ring, new byte[16]).IsOk);
        Assert.Contains(k.Reports, r => r.Invariant == "INV-06" && r.Text.Contains("user access to pfn", StringComparison.Ordinal)
            && r.Text.Contains($"pfn {oldPfn}", StringComparison.Ordinal));

        Assert.True(u.Munmap(ring, DmaRingDriver.RingBytes).IsOk);
        Assert.True(u.Close(fd).IsOk);
        driver.Remove();
        Assert.Equal(0, k.UnloadModule("ringdrv").Value);
        Assert.DoesNotContain(k.Reports, r => r.Invariant == "INV-20");
    }

    [Fact]
    public void A_driver_that_never_frees_its_ring_is_named_at_unload_with_the_dma_debug_text()
    {
        var k = Boot(E7, strict: true);
        var driver = new DmaRingDriver(k);
        var u = k.Spawn("ringd");
        Assert.True(u.Close(u.OpenOk("/dev/ring0")).IsOk);
        k.UnregisterChrdev(driver.Node);

        Assert.Equal(0, k.UnloadModule("ringdrv").Value);
        var leaks = k.Reports.Where(r => r.Invariant == "INV-20").ToList();
        var dma = Assert.Single(leaks, r => r.Reason == "coherent DMA buffer leak");
        Assert.Contains("device driver has pending DMA allocations while released from device [count=1]", dma.Text, StringComparison.Ordinal);
        Assert.Contains($"[device address={driver.Handle}] [size=12288 bytes] for 0000:00:03.0", dma.Text, StringComparison.Ordinal);
        Assert.Equal(4, dma.Pages.Count);
        Assert.Contains("DmaRingBufferTests.cs", dma.CallSite, StringComparison.Ordinal);

        // The page-level accounting counts the same block as the module's leak.
        Assert.Contains(leaks, r => r.Reason == "leak at module unload" && r.Pages.Count == 4);
    }
}
