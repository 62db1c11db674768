namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    private readonly Dictionary<int, AddressSpace> shmemMappings = new();
    private int shmemOwner = -1;

    private int ShmemOwner => shmemOwner >= 0 ? shmemOwner : shmemOwner = Sites.Owner("shmem");

    /// <summary>The owner id of shmem page-cache memory.</summary>
    internal int ShmemOwnerId => ShmemOwner;

    /// <summary>mm/shmem.c: shmem_file_setup — an unlinked shmem file (memfd, or MAP_SHARED|MAP_ANONYMOUS backing).</summary>
    internal OpenFile CreateShmemFile(string name, ulong size)
    {
        var inode = new Inode(this, "/memfd:" + name, nextMappingId++, null) { Size = size };
        shmemMappings[inode.Mapping.Id] = inode.Mapping;
        return new OpenFile(inode, FMode.Read | FMode.Write, OpenFlags.ReadWrite);
    }

    /// <summary>
    /// A file of the initramfs's rootfs (tmpfs: shmem_file_setup's inode under a path), for a spawned program's
    /// executable. It has no directory entry in the simulated machine: its page cache goes with the last reference.
    /// </summary>
    internal OpenFile CreateRootfsFile(string path, ulong size)
    {
        var inode = new Inode(this, path, nextMappingId++, null) { Size = size };
        shmemMappings[inode.Mapping.Id] = inode.Mapping;
        return new OpenFile(inode, FMode.Read, OpenFlags.ReadOnly);
    }

    /// <summary>
    /// mm/shmem.c: shmem_fault — the page cache page at the faulting offset (allocated zeroed, or swapped back in);
    /// an offset at or past i_size is SIGBUS. A private write copies the page (do_cow_fault).
    /// </summary>
    private VmFaultResult ShmemFault(VmArea vma, ulong addr, bool write)
    {
        var inode = vma.File!.Inode;
        var pgoff = vma.PgoffOf(new UserAddr(addr));
        if (pgoff >= (inode.Size + PageSize - 1) >> PageShift)
        {
            return VmFaultResult.Sigbus;
        }

        var pfn = ShmemGetPage(inode, pgoff);
        if (pfn < 0)
        {
            return VmFaultResult.Oom;
        }

        if (write && vma.IsCowMapping)
        {
            var copy = AllocBlock(Gfp.HighUserMovable, 0, AnonOwner, CallSites.Kernel, ownerHolder: false);
            if (copy < 0)
            {
                return VmFaultResult.Oom;
            }

            CopyFrame((ulong)pfn, copy);
            MapNormalPte(vma, addr, copy, vma.PageProt with { Writable = true }, write: true, PteInstaller.Cow, PteRef.Inherit);
            AddNewPageToLru(vma, copy);
            return VmFaultResult.None;
        }

        MapNormalPte(vma, addr, pfn, vma.PageProt, write, PteInstaller.PageCache, PteRef.Take);
        if (write)
        {
            // do_shared_fault → fault_dirty_shared_page: set_page_dirty (noop_dirty_folio) on the page just written.
            MarkSharedPageDirty(pfn);
        }

        MlockIfLocked(vma, pfn);
        return VmFaultResult.None;
    }

    /// <summary>shmem_get_folio: find the cache page, bring it back from swap, or add a new zeroed one (the cache holds a reference).</summary>
    private int ShmemGetPage(Inode inode, ulong pgoff)
    {
        var mapping = inode.Mapping;
        if (mapping.Pages.TryGetValue(pgoff, out var pfn))
        {
            return pfn;
        }

        pfn = AllocBlock(Gfp.HighUserMovable | Gfp.Zero, 0, ShmemOwner, CallSites.Kernel, ownerHolder: false);
        if (pfn < 0)
        {
            return -1;
        }

        if (mapping.SwapSlots.Remove(pgoff, out var slot))
        {
            Swap.ReadInto(slot, pfn);
            Swap.Free(slot);
        }

        Mem.Mapping[pfn] = mapping.Id;
        Mem.Index[pfn] = (uint)pgoff;
        Mem.Set(pfn, PageFlags.SwapBacked | PageFlags.Uptodate);
        mapping.Pages[pgoff] = pfn;
        Lru.Add(pfn);
        return pfn;
    }

    /// <summary>PAGEVEC_SIZE: the pages one truncation batch holds.</summary>
    private const int PagevecSize = 15;

    /// <summary>shmem_truncate_range: drops cache pages (and swap slots) at or beyond <paramref name="fromPgoff"/>.</summary>
    private void ShmemTruncate(Inode inode, ulong fromPgoff) => ShmemTruncateRange(inode, fromPgoff, ulong.MaxValue);

    /// <summary>
    /// mm/shmem.c: shmem_truncate_range over the pages [fromPgoff, toPgoff) — their shared mappings are unmapped
    /// first (private COW copies stay), then the cache pages and swap slots are dropped. i_size does not change.
    /// </summary>
    private void ShmemTruncateRange(Inode inode, ulong fromPgoff, ulong toPgoff)
    {
        var mapping = inode.Mapping;
        UnmapMappingRange(mapping, fromPgoff << PageShift, toPgoff == ulong.MaxValue ? 0 : (toPgoff - fromPgoff) << PageShift, evenCows: false);
        // shmem_undo_range: find_lock_entries fills a batch (its own reference on each page) in index order, the
        // pages leave the cache, then folio_batch_release drops the batch references (release_pages).
        var cached = mapping.Pages.Where(e => e.Key >= fromPgoff && e.Key < toPgoff).OrderBy(e => e.Key).ToArray();
        foreach (var chunk in cached.Chunk(PagevecSize))
        {
            foreach (var (pgoff, pfn) in chunk)
            {
                Mem.RefCount[pfn]++;
                mapping.Pages.Remove(pgoff);
                DropFromPageCache(pfn);
            }

            // __folio_batch_release: lru_add_drain once, so pages still in the lru_add batch can be freed now.
            Lru.Drain();
            var release = chunk.Select(e => e.Value);
            foreach (var pfn in Policy.ReleasePagesFreesInReverse ? release.Reverse() : release)
            {
                PutPageRef(pfn);
            }
        }

        foreach (var (pgoff, slot) in mapping.SwapSlots.Where(e => e.Key >= fromPgoff && e.Key < toPgoff).ToArray())
        {
            mapping.SwapSlots.Remove(pgoff);
            Swap.Free(slot);
        }
    }

    /// <summary>delete_from_page_cache: page-&gt;mapping cleared and the cache's reference dropped.</summary>
    private void DropFromPageCache(int pfn)
    {
        if (Mem.Has(pfn, PageFlags.Lru))
        {
            Lru.Remove(pfn);
        }

        Mem.Mapping[pfn] = 0;
        Mem.Index[pfn] = 0;
        Mem.Clear(pfn, PageFlags.SwapBacked | PageFlags.Uptodate | PageFlags.Dirty);
        PutPageRef(pfn);
    }

    /// <summary>The last reference to an unlinked shmem file: its whole page cache goes.</summary>
    private void ReleaseShmem(Inode inode)
    {
        ShmemTruncate(inode, 0);
        shmemMappings.Remove(inode.Mapping.Id);
    }

    /// <summary>ftruncate on a shmem file.</summary>
    internal SysResult Ftruncate(Process p, int fd, ulong size)
    {
        if (!p.Files.TryGetValue(fd, out var file))
        {
            return SysResult.Error(Errno.EBADF);
        }

        if (file.Inode.Device is not null || file.Inode.Pipe is not null)
        {
            return SysResult.Error(Errno.EINVAL);
        }

        if (size < file.Inode.Size)
        {
            ShmemTruncate(file.Inode, (size + PageSize - 1) >> PageShift);
        }

        file.Inode.Size = size;
        return new SysResult(0);
    }
}
