namespace DriverKit.Runtime;

/// <summary>A device's register window: reads and writes of its physical range come here (there is no struct page).</summary>
public abstract class MmioDevice
{
    /// <summary>For the device's subclass.</summary>
    protected MmioDevice()
    {
    }

    /// <summary>A read of one byte at <paramref name="offset"/> in the window. Reads may have side effects.</summary>
    /// <param name="offset">Byte offset from the window's start.</param>
    public abstract byte Read(ulong offset);

    /// <summary>A write of one byte at <paramref name="offset"/> in the window.</summary>
    /// <param name="offset">Byte offset from the window's start.</param>
    /// <param name="value">The byte written.</param>
    public abstract void Write(ulong offset, byte value);
}

/// <summary>A registered MMIO window above RAM (request_mem_region + a device BAR).</summary>
public sealed class MmioRegion
{
    internal MmioRegion(string name, PhysAddr start, ulong size, MmioDevice device, int owner)
    {
        Name = name;
        Start = start;
        Size = size;
        Device = device;
        Owner = owner;
    }

    /// <summary>The region's name (struct resource name, as /proc/iomem shows it).</summary>
    public string Name { get; }

    /// <summary>The physical start (struct resource start), page aligned.</summary>
    public PhysAddr Start { get; }

    /// <summary>resource_size: the size in bytes (whole pages).</summary>
    public ulong Size { get; }

    /// <summary>The first pfn (pfn_valid is false for all of them).</summary>
    public Pfn StartPfn => Start.ToPfn();

    /// <summary>Number of pages.</summary>
    public ulong Pages => Size / Kernel.PageSize;

    /// <summary>The device behind the window.</summary>
    public MmioDevice Device { get; }

    internal int Owner { get; set; }

    internal bool Contains(ulong pfn) => pfn >= StartPfn.Value && pfn < StartPfn.Value + Pages;
}

public sealed partial class Kernel
{
    private readonly List<MmioRegion> mmio = new();
    private ulong nextMmioPfn;

    /// <summary>
    /// Registers a device register window above RAM (the simulator's stand-in for a PCI BAR + request_mem_region).
    /// Its pfns have no struct page; accesses through PTEs reach <paramref name="device"/>.
    /// </summary>
    /// <param name="name">Region name.</param>
    /// <param name="size">Size in bytes, a multiple of PAGE_SIZE.</param>
    /// <param name="device">The device callbacks.</param>
    /// <param name="file">Filled in by the compiler.</param>
    /// <exception cref="ArgumentException">The size is zero or not page aligned.</exception>
    public MmioRegion RegisterMmioRegion(string name, ulong size, MmioDevice device, [System.Runtime.CompilerServices.CallerFilePath] string file = "")
    {
        ArgumentNullException.ThrowIfNull(device);
        if (size == 0 || size % PageSize != 0 || size > (1UL << 32))
        {
            throw new ArgumentException($"MMIO region size {size} must be a non-zero multiple of {PageSize} up to 4 GiB", nameof(size));
        }

        if (nextMmioPfn == 0)
        {
            nextMmioPfn = MmioBase.Value;
        }

        var region = new MmioRegion(name, new Pfn(nextMmioPfn).ToPhysAddr(), size, device, OwnerFor(file));
        nextMmioPfn += size / PageSize + 16; // a guard gap between windows
        mmio.Add(region);
        return region;
    }

    internal MmioRegion? MmioAt(ulong pfn)
    {
        foreach (var r in mmio)
        {
            if (r.Contains(pfn))
            {
                return r;
            }
        }

        return null;
    }

    /// <summary>Reads physical memory: RAM frames (zeros until written) or a device window; elsewhere the bus returns 0xff.</summary>
    internal void ReadPhys(ulong pfn, int offset, Span<byte> dest)
    {
        if (pfn < (ulong)Mem.Count)
        {
            var data = Mem.Data[(int)pfn];
            if (data is null)
            {
                dest.Clear();
            }
            else
            {
                data.AsSpan(offset, dest.Length).CopyTo(dest);
            }

            return;
        }

        var region = MmioAt(pfn);
        if (region is null)
        {
            dest.Fill(0xff);
            return;
        }

        var baseOffset = ((pfn - region.StartPfn.Value) << PageShift) + (ulong)offset;
        try
        {
            for (var i = 0; i < dest.Length; i++)
            {
                dest[i] = region.Device.Read(baseOffset + (ulong)i);
            }
        }
        catch (Exception e) when (IsDriverCrash(e))
        {
            // The device model is driver code: whatever it throws is an oops of the access that reached it.
            throw DriverCrash(e, null);
        }
    }

    /// <summary>One byte of physical memory (the TLB-hit fast path).</summary>
    internal byte ReadPhysByte(ulong pfn, int offset)
    {
        if (pfn < (ulong)Mem.Count)
        {
            var data = Mem.Data[(int)pfn];
            return data is null ? (byte)0 : data[offset];
        }

        Span<byte> one = stackalloc byte[1];
        ReadPhys(pfn, offset, one);
        return one[0];
    }

    /// <summary>One byte of physical memory (the TLB-hit fast path).</summary>
    internal void WritePhysByte(ulong pfn, int offset, byte value)
    {
        if (pfn < (ulong)Mem.Count)
        {
            (Mem.Data[(int)pfn] ??= new byte[PageSize])[offset] = value;
            return;
        }

        WritePhys(pfn, offset, [value]);
    }

    /// <summary>Writes physical memory: RAM frames (allocating their contents on first write) or a device window.</summary>
    internal void WritePhys(ulong pfn, int offset, ReadOnlySpan<byte> src)
    {
        if (pfn < (ulong)Mem.Count)
        {
            var data = Mem.Data[(int)pfn] ??= new byte[PageSize];
            src.CopyTo(data.AsSpan(offset));
            return;
        }

        var region = MmioAt(pfn);
        if (region is null)
        {
            return;
        }

        var baseOffset = ((pfn - region.StartPfn.Value) << PageShift) + (ulong)offset;
        try
        {
            for (var i = 0; i < src.Length; i++)
            {
                region.Device.Write(baseOffset + (ulong)i, src[i]);
            }
        }
        catch (Exception e) when (IsDriverCrash(e))
        {
            throw DriverCrash(e, null);
        }
    }

    /// <summary>memcpy from kernel memory (a linear-map address) into <paramref name="dest"/>.</summary>
    /// <param name="src">Source address.</param>
    /// <param name="dest">Destination buffer.</param>
    public void ReadKernel(KernelAddr src, Span<byte> dest) => CopyLinear(VirtToPhys(src).Value, dest, default, write: false);

    /// <summary>memcpy into kernel memory (a linear-map address).</summary>
    /// <param name="dest">Destination address.</param>
    /// <param name="src">Bytes to write.</param>
    public void WriteKernel(KernelAddr dest, ReadOnlySpan<byte> src) => CopyLinear(VirtToPhys(dest).Value, default, src, write: true);

    /// <summary>memset on kernel memory (a linear-map address).</summary>
    /// <param name="dest">Destination address.</param>
    /// <param name="value">The byte.</param>
    /// <param name="count">Number of bytes.</param>
    public void Memset(KernelAddr dest, byte value, ulong count)
    {
        var phys = VirtToPhys(dest).Value;
        CheckLinear(phys, count);
        Span<byte> page = stackalloc byte[(int)PageSize];
        page.Fill(value);
        for (var done = 0UL; done < count; done += PageSize)
        {
            CopyLinear(phys + done, default, page[..(int)Math.Min(count - done, PageSize)], write: true);
        }
    }

    /// <summary>A linear-map access of <paramref name="length"/> bytes at <paramref name="phys"/> must stay inside RAM.</summary>
    private void CheckLinear(ulong phys, ulong length)
    {
        var ram = (ulong)Mem.Count << PageShift;
        if (length > ram || phys > ram - length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"kernel access of {length} bytes at phys {phys:x} runs past RAM ({ram:x} bytes)");
        }
    }

    private void CopyLinear(ulong phys, Span<byte> dest, ReadOnlySpan<byte> src, bool write)
    {
        var length = write ? src.Length : dest.Length;
        CheckLinear(phys, (ulong)length);

        var done = 0;
        while (done < length)
        {
            var pfn = (phys + (ulong)done) >> PageShift;
            var offset = (int)((phys + (ulong)done) & (PageSize - 1));
            var chunk = Math.Min(length - done, (int)PageSize - offset);
            if (write)
            {
                WritePhys(pfn, offset, src.Slice(done, chunk));
            }
            else
            {
                ReadPhys(pfn, offset, dest.Slice(done, chunk));
            }

            done += chunk;
        }
    }
}
