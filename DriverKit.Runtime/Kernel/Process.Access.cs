using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DriverKit.Runtime;

public sealed partial class Process
{
    /// <summary>Reads user memory through the MMU, faulting like hardware.</summary>
    /// <param name="addr">Start address.</param>
    /// <param name="dest">Where the bytes go.</param>
    public AccessResult Read(UserAddr addr, Span<byte> dest) => Access(addr, dest, default, write: false);

    /// <summary>Writes user memory through the MMU, faulting like hardware (COW, page_mkwrite, …).</summary>
    /// <param name="addr">Start address.</param>
    /// <param name="src">The bytes.</param>
    public AccessResult Write(UserAddr addr, ReadOnlySpan<byte> src) => Access(addr, default, src, write: true);

    /// <summary>Reads one byte.</summary>
    /// <param name="addr">The address.</param>
    /// <param name="value">The byte read (0 when the access failed).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public AccessResult ReadByte(UserAddr addr, out byte value)
    {
        // The TLB-hit fast path of a running task: a cached PTE to a RAM frame, read straight from the frame's contents.
        var a = addr.Value;
        if (liveTlb is { } tlb && tlb.TryLookupRam(a >> Kernel.PageShift, out var pte))
        {
            // The TLB entry says the pfn is within the frame table; frame contents are page-sized arrays.
            var data = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(frameData), (nint)Pte.PfnOf(pte));
            value = data is null ? (byte)0 : Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(data), (nint)(a & (Kernel.PageSize - 1)));
            return default; // AccessResult.Ok
        }

        return ReadByteSlow(addr, out value);
    }

    private AccessResult ReadByteSlow(UserAddr addr, out byte value)
    {
        // Device registers go the long way, where an oops of the device model is caught.
        if (State == ProcessState.Running && TryTlbHit(addr.Value, write: false, out var pfn) && pfn < (ulong)frameData.Length)
        {
            value = Kernel.ReadPhysByte(pfn, (int)(addr.Value & (Kernel.PageSize - 1)));
            return AccessResult.Ok;
        }

        Span<byte> one = stackalloc byte[1];
        var result = Read(addr, one);
        value = one[0];
        return result;
    }

    /// <summary>Writes one byte.</summary>
    /// <param name="addr">The address.</param>
    /// <param name="value">The byte.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public AccessResult WriteByte(UserAddr addr, byte value)
    {
        // The TLB-hit fast path of a running task: a cached writable, dirty PTE to a RAM frame whose (page-sized) contents exist.
        var a = addr.Value;
        if (liveTlb is { } tlb && tlb.TryLookupRam(a >> Kernel.PageShift, out var pte) && (pte & (Pte.Write | Pte.Dirty)) == (Pte.Write | Pte.Dirty) &&
            Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(frameData), (nint)Pte.PfnOf(pte)) is { } data)
        {
            Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(data), (nint)(a & (Kernel.PageSize - 1))) = value;
            return default; // AccessResult.Ok
        }

        return WriteByteSlow(addr, value);
    }

    private AccessResult WriteByteSlow(UserAddr addr, byte value)
    {
        if (State == ProcessState.Running && TryTlbHit(addr.Value, write: true, out var pfn) && pfn < (ulong)frameData.Length)
        {
            Kernel.WritePhysByte(pfn, (int)(addr.Value & (Kernel.PageSize - 1)), value);
            return AccessResult.Ok;
        }

        return Write(addr, [value]);
    }

    /// <summary>Touches one byte (read, or write of its own value) to fault the page in.</summary>
    /// <param name="addr">The address.</param>
    /// <param name="write">Write access.</param>
    public AccessResult Touch(UserAddr addr, bool write = false)
    {
        if (!write)
        {
            return ReadByte(addr, out _);
        }

        var result = Translate(addr.Value, write: true, out var pfn);
        return result;
    }

    private bool TryTlbHit(ulong addr, bool write, out ulong pfn)
    {
        var pte = Mm.Tlb.Lookup(addr >> Kernel.PageShift);
        if (pte != 0 && (!write || (pte & (Pte.Write | Pte.Dirty)) == (Pte.Write | Pte.Dirty)))
        {
            pfn = Pte.PfnOf(pte);
            return true;
        }

        pfn = 0;
        return false;
    }

    private AccessResult Access(UserAddr addr, Span<byte> dest, ReadOnlySpan<byte> src, bool write)
    {
        var length = write ? src.Length : dest.Length;
        var done = 0;
        while (done < length)
        {
            var a = addr.Value + (ulong)done;
            var offset = (int)(a & (Kernel.PageSize - 1));
            var chunk = Math.Min(length - done, (int)Kernel.PageSize - offset);
            var result = Translate(a, write, out var pfn);
            if (!result.IsOk)
            {
                return result;
            }

            try
            {
                if (write)
                {
                    Kernel.WritePhys(pfn, offset, src.Slice(done, chunk));
                }
                else
                {
                    Kernel.ReadPhys(pfn, offset, dest.Slice(done, chunk));
                }
            }
            catch (KernelBugException e) when (syscallDepth == 0)
            {
                // A device register access that oopses (the device model threw) kills the task like a fault would.
                Kernel.KillByOops(this, e.Report);
                return new AccessResult(Signal.SIGKILL, 0, new UserAddr(a), e.Report);
            }

            done += chunk;
        }

        return AccessResult.Ok;
    }

    /// <summary>
    /// The MMU: TLB, then a page-table walk that sets the accessed and dirty bits, then a page fault
    /// (arch/x86/mm/fault.c: handle_page_fault → handle_mm_fault). A fault that makes no progress repeatedly is a
    /// livelock (a handler returning VM_FAULT_NOPAGE without installing a PTE: INV-12).
    /// </summary>
    internal AccessResult Translate(ulong addr, bool write, out ulong pfn)
    {
        pfn = 0;
        if (State != ProcessState.Running)
        {
            throw new InvalidOperationException($"{this} has exited; it cannot access memory.");
        }

        if (TryTlbHit(addr, write, out pfn))
        {
            return AccessResult.Ok;
        }

        var page = addr & ~(Kernel.PageSize - 1);
        for (var attempt = 0; attempt < 8; attempt++)
        {
            ref var slot = ref Mm.PageTable.Slot(page);
            var pte = slot;
            if (Pte.IsHardwarePresent(pte) && (!write || Pte.IsWritable(pte)))
            {
                slot = pte | Pte.Accessed | (write ? Pte.Dirty : 0);
                pfn = Pte.PfnOf(slot);
                Mm.Tlb.Fill(addr >> Kernel.PageShift, slot, ram: pfn < (ulong)frameData.Length);
                Kernel.CheckUserAccess(Mm, page, pfn);
                return AccessResult.Ok;
            }

            var result = Kernel.PageFault(this, addr, write);
            if (!result.IsOk)
            {
                return result;
            }
        }

        return Kernel.ReportLivelock(this, addr);
    }
}
