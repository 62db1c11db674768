namespace DriverKit.Runtime;

/// <summary>A swap area (mm/swapfile.c): slots holding page contents, each with a use count (swap_map).</summary>
internal sealed class SwapDevice
{
    private readonly Kernel kernel;
    private readonly byte[]?[] data;
    private readonly int[] count;
    private int next;

    internal SwapDevice(Kernel kernel, int pages)
    {
        this.kernel = kernel;
        data = new byte[]?[Math.Max(0, pages)];
        count = new int[Math.Max(0, pages)];
    }

    /// <summary>Slots in use.</summary>
    internal int Used { get; private set; }

    internal int Capacity => count.Length;

    /// <summary>get_swap_page: a free slot with use count 1, or -1 when swap is full.</summary>
    internal int Alloc()
    {
        for (var i = 0; i < count.Length; i++)
        {
            var slot = (next + i) % count.Length;
            if (count[slot] == 0)
            {
                count[slot] = 1;
                next = slot + 1;
                Used++;
                return slot;
            }
        }

        return -1;
    }

    /// <summary>swap_writepage: the frame's contents go to the slot.</summary>
    internal void WriteFrom(int slot, int pfn)
    {
        var src = kernel.Mem.Data[pfn];
        data[slot] = src is null ? null : (byte[])src.Clone();
    }

    /// <summary>swap_readpage: the slot's contents come back into a frame.</summary>
    internal void ReadInto(int slot, int pfn)
    {
        var src = data[slot];
        kernel.Mem.Data[pfn] = src is null ? null : (byte[])src.Clone();
    }

    /// <summary>swap_duplicate: one more PTE refers to the slot (fork).</summary>
    internal void Duplicate(int slot) => count[slot]++;

    /// <summary>swap_free: drops one use; returns true when it was the last (the caller had the only copy).</summary>
    internal bool Free(int slot)
    {
        if (--count[slot] > 0)
        {
            return false;
        }

        data[slot] = null;
        Used--;
        return true;
    }

    internal void SetCount(int slot, int uses) => count[slot] = uses;
}
