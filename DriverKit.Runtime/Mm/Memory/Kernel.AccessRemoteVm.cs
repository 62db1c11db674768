namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// mm/memory.c: generic_access_phys (2.6.27, CONFIG_HAVE_IOREMAP_PROT) — the <see cref="VmOperations.Access"/>
    /// of a VM_IO/VM_PFNMAP vma whose PTEs map device memory (remap_pfn_range, io_remap_pfn_range): follow_pte finds the
    /// frame at <paramref name="address"/>, ioremap_prot maps <c>len + offset</c> bytes of physical memory from it and
    /// memcpy_fromio/memcpy_toio copies the whole buffer (physically contiguous from that frame, even past its page).
    /// Set it as the hook: <c>Access = kernel.GenericAccessPhys</c>.
    /// </summary>
    /// <param name="vma">The vma.</param>
    /// <param name="address">The user address.</param>
    /// <param name="buffer">The bytes to write, or where the bytes read go.</param>
    /// <param name="write">Write (FOLL_WRITE).</param>
    /// <returns>
    /// The buffer's length; -EINVAL when the vma is neither VM_IO nor VM_PFNMAP, the PTE is not present (follow_pte), or
    /// a write meets a read-only PTE; -ENOMEM when the frame is RAM (x86's ioremap refuses RAM: "ioremap on RAM").
    /// </returns>
    /// <exception cref="EraMismatchException">Before 2.6.27.</exception>
    /// <exception cref="ArgumentException">The vma belongs to another machine.</exception>
    public int GenericAccessPhys(VmArea vma, UserAddr address, Span<byte> buffer, bool write)
    {
        CheckApi(nameof(GenericAccessPhys));
        ArgumentNullException.ThrowIfNull(vma);
        RequireMine(vma.Mm.Kernel, "the vma", nameof(vma));

        // mm/memory.c: generic_access_phys.
        if ((vma.RawFlags & (VmFlags.IO | VmFlags.PfnMap)) == 0)
        {
            return -Errno.EINVAL;
        }

        // follow_pte: a present PTE inside the vma.
        var addr = address.Value;
        if (addr < vma.Start.Value || addr >= vma.End.Value)
        {
            return -Errno.EINVAL;
        }

        var pte = vma.Mm.GetPte(addr);
        if (!Pte.IsHardwarePresent(pte) || (write && !Pte.IsWritable(pte)))
        {
            return -Errno.EINVAL;
        }

        var pfn = Pte.PfnOf(pte);
        var offset = (int)(addr & (PageSize - 1));
        var pages = ((ulong)offset + (ulong)buffer.Length + PageSize - 1) >> PageShift;
        for (var k = 0UL; k < pages; k++)
        {
            if (pfn + k < (ulong)Mem.Count)
            {
                // arch/x86/mm/ioremap.c: __ioremap_caller — "ioremap on RAM at …" returns NULL.
                return -Errno.ENOMEM;
            }
        }

        // memcpy_fromio / memcpy_toio over the ioremapped range.
        var done = 0;
        var frame = pfn;
        while (done < buffer.Length)
        {
            var chunk = Math.Min(buffer.Length - done, (int)PageSize - offset);
            if (write)
            {
                WritePhys(frame, offset, buffer.Slice(done, chunk));
            }
            else
            {
                ReadPhys(frame, offset, buffer.Slice(done, chunk));
            }

            done += chunk;
            offset = 0;
            frame++;
        }

        return buffer.Length;
    }

    /// <summary>
    /// mm/memory.c: __access_remote_vm (access_remote_vm, access_process_vm) — under <paramref name="mm"/>'s mmap read
    /// lock, copies bytes page by page through get_user_pages of one page (FOLL_FORCE for ptrace and /proc/pid/mem: a
    /// forced write breaks COW of a read-only private page); where GUP refuses the vma (VM_IO, VM_PFNMAP) the vma's
    /// -&gt;access is asked for the rest, and without one (or when it returns ≤ 0) the copy stops.
    /// </summary>
    /// <returns>The number of bytes copied (0 when none could be).</returns>
    internal int AccessRemoteVm(MmStruct mm, ulong addr, byte[] buffer, int length, FollFlags flags)
    {
        var write = (flags & FollFlags.Write) != 0;
        var done = 0;
        var one = new Page[1];
        using (EnterProcess(mm.Owner, MmapLockMode.Read))
        {
            while (done < length)
            {
                var a = addr + (ulong)done;
                if (a < addr)
                {
                    break; // past the top of the address space: no vma there
                }

                if (Gup(mm, new UserAddr(a), 1, flags, one, pin: false, CallSites.Kernel) != 1)
                {
                    var vma = mm.Vmas.FindVma(a);
                    if (vma is null || vma.Start.Value > a)
                    {
                        break;
                    }

                    // Check if this is a VM_IO | VM_PFNMAP vma, which we can access using slightly different code.
                    var bytes = 0;
                    if (vma.RawOps?.Access is { } access)
                    {
                        var (from, count) = (done, length - done);
                        bytes = CallDriver(vma.Driver, ContextKind.Access, MmapLockMode.Read, () => access(vma, new UserAddr(a), buffer.AsSpan(from, count), write), vma);
                    }

                    if (bytes <= 0)
                    {
                        break;
                    }

                    // The kernel trusts the count; more than was asked for would run past its buffer: stop at the end.
                    done += Math.Min(bytes, length - done);
                    continue;
                }

                var page = one[0].Index;
                var offset = (int)(a & (PageSize - 1));
                var chunk = Math.Min(length - done, (int)PageSize - offset);
                if (write)
                {
                    // copy_to_user_page, then set_page_dirty_lock.
                    WritePhys((ulong)page, offset, buffer.AsSpan(done, chunk));
                }
                else
                {
                    ReadPhys((ulong)page, offset, buffer.AsSpan(done, chunk));
                }

                ReleaseGupPage(page, pin: false, dirty: write);
                done += chunk;
            }
        }

        return done;
    }
}
