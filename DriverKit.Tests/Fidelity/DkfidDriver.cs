using DriverKit.Runtime;
using static DriverKit.Runtime.Errno;

namespace DriverKit.Tests.Fidelity;

/// <summary>mmap behaviour chosen by DKFID_SETUP (module/dkfid_uapi.h enum dkfid_mode).</summary>
internal enum DkfidMode : uint
{
    None = 0,
    InsertPage = 1,
    Remap = 2,
    FaultGet = 3,
    FaultNoget = 4,
    InsertPfn = 5,
    InsertMixed = 6,
    FaultMkwrite = 7,
}

/// <summary>struct dkfid_pstate: the struct page state as the module reads it (dk_pstate).</summary>
internal readonly record struct DkfidPState(ulong Pfn, int Refcount, int Mapcount, uint Flags);

/// <summary>
/// The C# mirror of fidelity/module/dkfid.c: a misc device whose mmap behaviour is chosen by the SETUP ioctl, one
/// global buffer (order-N block, split into order-0 pages unless NOSPLIT, byte 0 of page i = 'A' + i), vm_ops per
/// mode, and ioctls that report struct page state, run get_user_pages / pin_user_pages / get_user_pages_fast in the
/// caller's mm, do the PG_reserved free experiment and read back bytes. It deliberately contains the module's broken
/// patterns (fault without get_page, PG_reserved left set at free, .close without .open).
/// </summary>
/// <remarks>
/// ioctl arguments: the C module copies a struct from the user pointer it is given and back. Here the user-side
/// mirror registers the argument object under a handle (<see cref="Call"/>), passes the handle as the ioctl's
/// <c>arg</c>, and the driver's copy_from_user/copy_to_user are reads and writes of that object. The ioctl itself
/// runs through <see cref="Process.Ioctl"/>, so GUP runs in the caller's process context as in the module.
/// </remarks>
internal sealed class DkfidDriver
{
    public const string DevicePath = "/dev/dkfid";
    public const int MaxPages = 16;

    // dkfid_uapi.h ioctl numbers (_IOW/_IOR/_IOWR('k', n, ...)): only their identity matters here.
    public const uint IocSetup = 0x6b01;
    public const uint IocQuery = 0x6b02;
    public const uint IocGup = 0x6b03;
    public const uint IocResFree = 0x6b04;
    public const uint IocReadB = 0x6b05;
    public const uint IocFreeBuf = 0x6b06;

    // DKFID_VMF_*: extra vma flags ->mmap ORs in.
    public const uint VmfLocked = 0x01;
    public const uint VmfIo = 0x02;
    public const uint VmfDontExpand = 0x04;
    public const uint VmfDontDump = 0x08;
    public const uint VmfDontCopy = 0x10;

    // DKFID_BUF_*.
    public const uint BufNoSplit = 0x01;
    public const uint BufReserve = 0x02;
    public const uint BufClear = 0x04;
    public const uint BufCloseOnly = 0x08;
    public const uint BufFaultFail = 0x10;

    // DKFID_PF_* bits, in the order of the user program's name table.
    public const uint PfLocked = 1u << 0;
    public const uint PfReserved = 1u << 1;
    public const uint PfLru = 1u << 2;
    public const uint PfDirty = 1u << 3;
    public const uint PfReferenced = 1u << 4;
    public const uint PfUptodate = 1u << 5;
    public const uint PfAnon = 1u << 6;
    public const uint PfSwapbacked = 1u << 7;
    public const uint PfHead = 1u << 8;
    public const uint PfTail = 1u << 9;
    public const uint PfBuddy = 1u << 10;
    public const uint PfSlab = 1u << 11;
    public const uint PfMlocked = 1u << 12;
    public const uint PfUnevictable = 1u << 13;
    public const uint PfActive = 1u << 14;
    public const uint PfPrivate = 1u << 15;
    public const uint PfMapping = 1u << 16;
    public const uint PfWriteback = 1u << 17;
    public const uint PfInbuddy = 1u << 18;

    // DKFID_GUP_*.
    public const uint GupGup = 0;
    public const uint GupPin = 1;
    public const uint GupFast = 2;

    /// <summary>MAX_ORDER of Linux 6.1 (orders 0 … 10), the bound of dk_pfn_in_buddy's walk.</summary>
    private const int MaxOrder = 11;

    private readonly Kernel kernel;
    private readonly Dictionary<ulong, object> userArgs = new();
    private ulong nextHandle = 0x7ffd_0000_0000UL;

    // struct dkfid_state.
    private readonly Page[] pages = new Page[MaxPages];
    private readonly int[] relRefcount = new int[MaxPages];
    private int npages;
    private int order;
    private uint bufflags;
    private uint guard;
    private bool allocated;
    private bool freed;
    private DkfidMode mode;
    private uint vmflags;
    private DriverKit.Runtime.OpenFile? owner;
    private int maps;
    private int vmOpen;
    private int vmClose;
    private int faults;
    private int mkwrite;
    private long lastFaultPgoff = -1;
    private int mmaps;
    private int mmapCalls;
    private int mmapErr;

    private readonly VmOperations opsPlain;
    private readonly VmOperations opsCloseOnly;
    private readonly VmOperations opsFaultGet;
    private readonly VmOperations opsFaultNoget;
    private readonly VmOperations opsPfn;
    private readonly VmOperations opsMixed;
    private readonly VmOperations opsMkwrite;

    public DkfidDriver(Kernel kernel)
    {
        this.kernel = kernel;
        Array.Fill(relRefcount, -1);
        opsPlain = new VmOperations { Open = DkVmOpen, Close = DkVmClose };
        opsCloseOnly = new VmOperations { Close = DkVmCloseCounting };
        opsFaultGet = new VmOperations { Open = DkVmOpen, Close = DkVmClose, Fault = DkFaultGet };
        opsFaultNoget = new VmOperations { Open = DkVmOpen, Close = DkVmClose, Fault = DkFaultNoget };
        opsPfn = new VmOperations { Open = DkVmOpen, Close = DkVmClose, Fault = DkFaultPfn };
        opsMixed = new VmOperations { Open = DkVmOpen, Close = DkVmClose, Fault = DkFaultMixed };
        opsMkwrite = new VmOperations { Open = DkVmOpen, Close = DkVmClose, Fault = DkFaultGet, PageMkwrite = DkPageMkwrite };

        // misc_register(&dk_misc): mode 0666, no ->open.
        Device = kernel.RegisterChrdev(DevicePath, new FileOperations
        {
            Owner = "dkfid",
            Mmap = DkMmap,
            Ioctl = DkIoctl,
            Release = DkRelease,
        });
    }

    public CharDevice Device { get; }

    /// <summary>ioctl(fd, cmd, &amp;arg) from the user-side mirror: the argument object travels under a handle.</summary>
    public SysResult Call(Process p, int fd, uint cmd, object? arg)
    {
        if (arg is null)
        {
            return p.Ioctl(fd, cmd, 0);
        }

        var handle = nextHandle += 0x1000;
        userArgs[handle] = arg;
        try
        {
            return p.Ioctl(fd, cmd, handle);
        }
        finally
        {
            userArgs.Remove(handle);
        }
    }

    private T? FromUser<T>(ulong arg)
        where T : class
        => userArgs.TryGetValue(arg, out var o) ? o as T : null;

    // ------------------------------------------------------------------------------------------------------------
    // struct page inspection

    /// <summary>dk_pfn_in_buddy: some aligned ancestor is PageBuddy with buddy_order ≥ the distance's order.</summary>
    private bool PfnInBuddy(int pfn)
    {
        var mem = kernel.Mem;
        for (var o = 0; o < MaxOrder; o++)
        {
            var h = pfn & ~((1 << o) - 1);
            if (h < 0 || h >= mem.Count)
            {
                break;
            }

            if (mem.Type[h] == PageType.Buddy && mem.Order[h] >= o)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>dk_pstate: page_ref_count, _mapcount + 1 (0 for typed pages), and the flag bits.</summary>
    public DkfidPState PState(Page page)
    {
        var mem = kernel.Mem;
        var pfn = kernel.CheckPage(page);
        var fl = (PageFlags)mem.Flags[pfn];
        uint f = 0;
        void Bit(PageFlags pf, uint bit)
        {
            if ((fl & pf) != 0)
            {
                f |= bit;
            }
        }

        Bit(PageFlags.Locked, PfLocked);
        Bit(PageFlags.Reserved, PfReserved);
        Bit(PageFlags.Lru, PfLru);
        Bit(PageFlags.Dirty, PfDirty);
        Bit(PageFlags.Referenced, PfReferenced);
        Bit(PageFlags.Uptodate, PfUptodate);
        Bit(PageFlags.SwapBacked, PfSwapbacked);
        Bit(PageFlags.Head, PfHead);
        Bit(PageFlags.Mlocked, PfMlocked);
        Bit(PageFlags.Unevictable, PfUnevictable);
        Bit(PageFlags.Active, PfActive);
        Bit(PageFlags.Private, PfPrivate);
        Bit(PageFlags.Writeback, PfWriteback);
        if (mem.Type[pfn] == PageType.Slab)
        {
            f |= PfSlab;
        }

        if (mem.IsCompoundTail(pfn))
        {
            f |= PfTail;
        }

        if (mem.Type[pfn] == PageType.Buddy)
        {
            f |= PfBuddy;
        }

        if (mem.Mapping[pfn] != 0)
        {
            f |= PfMapping;
            if (mem.Mapping[pfn] == MemMap.AnonMapping)
            {
                f |= PfAnon;
            }
        }

        if (PfnInBuddy(pfn))
        {
            f |= PfInbuddy;
        }

        // page_ref_count() reads this page's own _refcount; page_has_type() pages report mapcount 0.
        return new DkfidPState((ulong)pfn, mem.RefCount[pfn], mem.Type[pfn] != PageType.None ? 0 : mem.MapCount[pfn], f);
    }

    // ------------------------------------------------------------------------------------------------------------
    // the buffer

    /// <summary>dk_buf_free: rel_refcount, then the NOSPLIT or per-page free.</summary>
    private void BufFree()
    {
        if (!allocated || freed)
        {
            return;
        }

        for (var i = 0; i < npages; i++)
        {
            relRefcount[i] = kernel.Mem.RefCount[(int)pages[i].Pfn.Value];
        }

        var clear = (bufflags & BufReserve) != 0 && (bufflags & BufClear) != 0;
        if ((bufflags & BufNoSplit) != 0)
        {
            if (clear)
            {
                for (var i = 0; i < npages; i++)
                {
                    kernel.ClearPageReserved(pages[i]);
                }
            }

            kernel.FreePages(pages[0], order);
        }
        else
        {
            for (var i = 0; i < npages; i++)
            {
                var p = pages[i];
                var rc = kernel.Mem.RefCount[(int)p.Pfn.Value];
                if (clear)
                {
                    kernel.ClearPageReserved(p);
                }

                // A page already at 0 was freed by the VM: leave it.
                if (rc <= 0)
                {
                    continue;
                }

                if (rc > 1 && guard != 0)
                {
                    // page_ref_sub(p, min(rc - 1, guard)): never reaches 0 here.
                    for (var k = 0; k < Math.Min(rc - 1, (int)guard); k++)
                    {
                        kernel.PutPage(p);
                    }
                }

                kernel.FreePage(p);
            }
        }

        freed = true;
    }

    /// <summary>dk_buf_alloc.</summary>
    private int BufAlloc(SetupArgs su)
    {
        var n = su.NPages;
        if (n == 0 || n > MaxPages || (n & (n - 1)) != 0)
        {
            return -EINVAL;
        }

        if ((uint)su.Mode > (uint)DkfidMode.FaultMkwrite)
        {
            return -EINVAL;
        }

        if (su.Guard != 0 && (su.BufFlags & BufNoSplit) != 0)
        {
            return -EINVAL;
        }

        var o = (int)Math.Log2(n);
        var page = kernel.AllocPages(Gfp.Kernel | Gfp.Zero, o);
        if (page.IsNull)
        {
            return -ENOMEM;
        }

        if ((su.BufFlags & BufNoSplit) == 0)
        {
            kernel.SplitPage(page, o);
        }

        Array.Clear(pages);
        for (var i = 0; i < n; i++)
        {
            pages[i] = page + i;

            // marker: byte 0 of page i is 'A' + i
            kernel.WriteKernel(kernel.PageAddress(page + i), [(byte)('A' + i)]);
            relRefcount[i] = -1;
        }

        for (var i = n; i < MaxPages; i++)
        {
            relRefcount[i] = -1;
        }

        if ((su.BufFlags & BufReserve) != 0)
        {
            for (var i = 0; i < n; i++)
            {
                kernel.SetPageReserved(pages[i]);
            }
        }

        if (su.Guard != 0)
        {
            for (var i = 0; i < n; i++)
            {
                // page_ref_add(page, guard)
                for (var k = 0; k < su.Guard; k++)
                {
                    kernel.GetPage(pages[i]);
                }
            }
        }

        npages = n;
        order = o;
        bufflags = su.BufFlags;
        guard = su.Guard;
        mode = su.Mode;
        vmflags = su.VmFlags;
        allocated = true;
        freed = false;
        maps = 0;
        vmOpen = 0;
        vmClose = 0;
        faults = 0;
        mkwrite = 0;
        lastFaultPgoff = -1;
        mmaps = 0;
        mmapCalls = 0;
        mmapErr = 0;
        return 0;
    }

    // ------------------------------------------------------------------------------------------------------------
    // vm operations

    private void DkVmOpen(VmArea vma) => vmOpen++;

    private void DkVmClose(VmArea vma) => vmClose++;

    /// <summary>DKMM018-B: a vma-counting driver without .open.</summary>
    private void DkVmCloseCounting(VmArea vma)
    {
        vmClose++;
        if (--maps == 0)
        {
            BufFree();
        }
    }

    private Page DkFaultPage(VmFault vmf)
    {
        faults++;
        lastFaultPgoff = (long)vmf.Pgoff;
        if (!allocated || freed || vmf.Pgoff >= (ulong)npages || (bufflags & BufFaultFail) != 0)
        {
            return default;
        }

        return pages[vmf.Pgoff];
    }

    private VmFaultResult DkFaultGet(VmFault vmf)
    {
        var p = DkFaultPage(vmf);
        if (p.IsNull)
        {
            return VmFaultResult.Sigbus;
        }

        kernel.GetPage(p);
        vmf.Page = p;
        return VmFaultResult.None;
    }

    /// <summary>dk_page_mkwrite: write-notify; the page has no -&gt;mapping, so it comes back locked (VM_FAULT_LOCKED).</summary>
    private VmFaultResult DkPageMkwrite(VmFault vmf)
    {
        mkwrite++;
        kernel.LockPage(vmf.Page);
        return VmFaultResult.Locked;
    }

    private VmFaultResult DkFaultNoget(VmFault vmf)
    {
        var p = DkFaultPage(vmf);
        if (p.IsNull)
        {
            return VmFaultResult.Sigbus;
        }

        vmf.Page = p; // DKMM012: no get_page()
        return VmFaultResult.None;
    }

    private VmFaultResult DkFaultPfn(VmFault vmf)
    {
        var p = DkFaultPage(vmf);
        return p.IsNull ? VmFaultResult.Sigbus : kernel.VmfInsertPfn(vmf.Vma, vmf.Address, kernel.PageToPfn(p));
    }

    private VmFaultResult DkFaultMixed(VmFault vmf)
    {
        var p = DkFaultPage(vmf);
        return p.IsNull ? VmFaultResult.Sigbus : kernel.VmfInsertMixed(vmf.Vma, vmf.Address, kernel.PageToPfn(p));
    }

    // ------------------------------------------------------------------------------------------------------------
    // file operations

    private int DkMmapInner(VmArea vma)
    {
        var n = vma.Pages;
        var off = vma.Pgoff;
        if (!allocated || freed)
        {
            return -ENXIO;
        }

        if (off >= (ulong)npages || n > (ulong)npages - off)
        {
            return -EINVAL;
        }

        var extra = VmFlags.None;
        if ((vmflags & VmfLocked) != 0)
        {
            extra |= VmFlags.Locked;
        }

        if ((vmflags & VmfIo) != 0)
        {
            extra |= VmFlags.IO;
        }

        if ((vmflags & VmfDontExpand) != 0)
        {
            extra |= VmFlags.DontExpand;
        }

        if ((vmflags & VmfDontDump) != 0)
        {
            extra |= VmFlags.DontDump;
        }

        if ((vmflags & VmfDontCopy) != 0)
        {
            extra |= VmFlags.DontCopy;
        }

        if (mode == DkfidMode.InsertPfn)
        {
            // vmf_insert_pfn() BUG()s on a COW PFNMAP vma: refuse it
            if (vma.IsCowMapping)
            {
                return -EINVAL;
            }

            extra |= VmFlags.PfnMap | VmFlags.IO;
        }

        if (mode == DkfidMode.InsertMixed)
        {
            extra |= VmFlags.MixedMap;
        }

        if (extra != VmFlags.None)
        {
            // dk_vm_flags_set: vm_flags_set() from 6.3, vma->vm_flags |= f before.
            if (kernel.Version.CompareTo(KernelVersion.Of(6, 3)) >= 0)
            {
                kernel.VmFlagsSet(vma, extra);
            }
            else
            {
                vma.Flags |= extra;
            }
        }

        var ret = 0;
        switch (mode)
        {
            case DkfidMode.InsertPage:
                vma.Ops = (bufflags & BufCloseOnly) != 0 ? opsCloseOnly : opsPlain;
                for (var i = 0UL; i < n; i++)
                {
                    ret = kernel.VmInsertPage(vma, vma.Start + (i << Kernel.PageShift), pages[off + i]);
                    if (ret != 0)
                    {
                        break;
                    }
                }

                break;
            case DkfidMode.Remap:
                vma.Ops = (bufflags & BufCloseOnly) != 0 ? opsCloseOnly : opsPlain;
                ret = kernel.RemapPfnRange(vma, vma.Start, kernel.PageToPfn(pages[off]), n << Kernel.PageShift, vma.PageProt);
                break;
            case DkfidMode.FaultGet:
                vma.Ops = opsFaultGet;
                break;
            case DkfidMode.FaultNoget:
                vma.Ops = opsFaultNoget;
                break;
            case DkfidMode.FaultMkwrite:
                vma.Ops = opsMkwrite;
                break;
            case DkfidMode.InsertPfn:
                vma.Ops = opsPfn;
                break;
            case DkfidMode.InsertMixed:
                vma.Ops = opsMixed;
                break;
            default:
                return -EINVAL;
        }

        if (ret == 0 && (bufflags & BufCloseOnly) != 0)
        {
            maps++;
        }

        return ret;
    }

    private int DkMmap(DriverKit.Runtime.OpenFile f, VmArea vma)
    {
        mmapCalls++;
        var ret = DkMmapInner(vma);
        mmapErr = ret;
        if (ret == 0)
        {
            mmaps++;
        }

        return ret;
    }

    private long DkIocQuery(ulong arg)
    {
        var q = FromUser<QueryResult>(arg);
        if (q is null)
        {
            return -EFAULT;
        }

        q.Clear();
        if (allocated)
        {
            q.NPages = npages;
            q.Freed = freed;
            q.Maps = maps;
            q.VmOpen = vmOpen;
            q.VmClose = vmClose;
            q.Faults = faults;
            q.Mkwrite = mkwrite;
            q.LastFaultPgoff = lastFaultPgoff;
            q.Mmaps = mmaps;
            q.MmapCalls = mmapCalls;
            q.MmapErr = mmapErr;
            for (var i = 0; i < npages; i++)
            {
                q.P[i] = PState(pages[i]);
            }
        }

        for (var i = 0; i < MaxPages; i++)
        {
            q.RelRefcount[i] = allocated ? relRefcount[i] : -1;
        }

        return 0;
    }

    private long DkIocGup(ulong arg)
    {
        var g = FromUser<GupArgs>(arg);
        if (g is null)
        {
            return -EFAULT;
        }

        if (g.NPages == 0 || g.NPages > MaxPages || g.Method > GupFast)
        {
            return -EINVAL;
        }

        var flags = g.Write ? FollFlags.Write : FollFlags.None;
        var got = new Page[MaxPages];
        long n;
        if (g.Method == GupFast)
        {
            n = kernel.GetUserPagesFast(g.Addr, g.NPages, flags, got);
        }
        else
        {
            // mmap_read_lock(current->mm) … mmap_read_unlock: the simulator's GUP runs under the caller's context.
            n = g.Method == GupPin ? kernel.PinUserPages(g.Addr, g.NPages, flags, got) : kernel.GetUserPages(g.Addr, g.NPages, flags, got);
        }

        g.Ret = (int)n;
        if (n > 0)
        {
            for (var i = 0; i < n; i++)
            {
                g.Held[i] = PState(got[i]);
            }

            if (g.Method == GupPin)
            {
                kernel.UnpinUserPages(got, (int)n);
            }
            else
            {
                for (var i = 0; i < n; i++)
                {
                    kernel.PutPage(got[i]);
                }
            }

            for (var i = 0; i < n; i++)
            {
                g.After[i] = PState(got[i]);
            }
        }

        return 0;
    }

    private long DkIocResFree(ulong arg)
    {
        var r = FromUser<ResFreeArgs>(arg);
        if (r is null)
        {
            return -EFAULT;
        }

        if (r.Order > 4)
        {
            return -EINVAL;
        }

        var n = 1 << r.Order;

        // a plain (non-compound) high-order allocation, as drivers used to do
        var page = kernel.AllocPages(Gfp.Kernel, r.Order);
        if (page.IsNull)
        {
            return -ENOMEM;
        }

        for (var i = 0; i < n; i++)
        {
            kernel.SetPageReserved(page + i);
        }

        if (r.Clear)
        {
            for (var i = 0; i < n; i++)
            {
                kernel.ClearPageReserved(page + i);
            }
        }

        for (var i = 0; i < n; i++)
        {
            r.Before[i] = PState(page + i);
        }

        r.Pfn = page.Pfn.Value;
        kernel.FreePages(page, r.Order);
        for (var i = 0; i < n; i++)
        {
            r.After[i] = PState(page + i);
        }

        // per-cpu lists are LIFO: a freed block comes straight back
        var probe = kernel.AllocPages(Gfp.Kernel, r.Order);
        r.ProbeReused = probe == page;
        if (!probe.IsNull)
        {
            kernel.FreePages(probe, r.Order);
        }

        return 0;
    }

    private long DkIoctl(DriverKit.Runtime.OpenFile f, uint cmd, ulong arg)
    {
        switch (cmd)
        {
            case IocSetup:
            {
                var su = FromUser<SetupArgs>(arg);
                if (su is null)
                {
                    return -EFAULT;
                }

                BufFree();
                var ret = BufAlloc(su);
                if (ret == 0)
                {
                    owner = f;
                }

                return ret;
            }

            case IocQuery:
                return DkIocQuery(arg);
            case IocGup:
                return DkIocGup(arg);
            case IocResFree:
                return DkIocResFree(arg);
            case IocReadB:
            {
                var r = FromUser<ReadBArgs>(arg);
                if (r is null)
                {
                    return -EFAULT;
                }

                if (!allocated || freed)
                {
                    r.Err = -ENXIO;
                }
                else if (r.Index >= npages || r.Offset >= (int)Kernel.PageSize)
                {
                    return -EINVAL;
                }
                else
                {
                    Span<byte> one = stackalloc byte[1];
                    kernel.ReadKernel(kernel.PageAddress(pages[r.Index]) + (ulong)r.Offset, one);
                    r.Value = one[0];
                    r.Err = 0;
                }

                return 0;
            }

            case IocFreeBuf:
                BufFree();
                return 0;
            default:
                return -ENOTTY;
        }
    }

    private int DkRelease(Inode inode, DriverKit.Runtime.OpenFile f)
    {
        if (ReferenceEquals(owner, f))
        {
            BufFree();
            owner = null;
        }

        return 0;
    }

    // ------------------------------------------------------------------------------------------------------------
    // ioctl argument structs (dkfid_uapi.h)

    /// <summary>struct dkfid_setup.</summary>
    public sealed class SetupArgs
    {
        public DkfidMode Mode { get; init; }

        public uint VmFlags { get; init; }

        public int NPages { get; init; }

        public uint BufFlags { get; init; }

        public uint Guard { get; init; }
    }

    /// <summary>struct dkfid_query.</summary>
    public sealed class QueryResult
    {
        public int NPages { get; set; }

        public bool Freed { get; set; }

        public int Maps { get; set; }

        public int VmOpen { get; set; }

        public int VmClose { get; set; }

        public int Faults { get; set; }

        public int Mkwrite { get; set; }

        public long LastFaultPgoff { get; set; }

        public int Mmaps { get; set; }

        public int MmapCalls { get; set; }

        public int MmapErr { get; set; }

        public DkfidPState[] P { get; } = new DkfidPState[MaxPages];

        public int[] RelRefcount { get; } = new int[MaxPages];

        public void Clear()
        {
            NPages = 0;
            Freed = false;
            Maps = VmOpen = VmClose = Faults = Mkwrite = Mmaps = MmapCalls = MmapErr = 0;
            LastFaultPgoff = 0;
            Array.Clear(P);
            Array.Clear(RelRefcount);
        }
    }

    /// <summary>struct dkfid_gup.</summary>
    public sealed class GupArgs
    {
        public UserAddr Addr { get; init; }

        public int NPages { get; init; }

        public uint Method { get; init; }

        public bool Write { get; init; }

        public int Ret { get; set; }

        public DkfidPState[] Held { get; } = new DkfidPState[MaxPages];

        public DkfidPState[] After { get; } = new DkfidPState[MaxPages];
    }

    /// <summary>struct dkfid_resfree.</summary>
    public sealed class ResFreeArgs
    {
        public int Order { get; init; }

        public bool Clear { get; init; }

        public ulong Pfn { get; set; }

        public DkfidPState[] Before { get; } = new DkfidPState[MaxPages];

        public DkfidPState[] After { get; } = new DkfidPState[MaxPages];

        public bool ProbeReused { get; set; }
    }

    /// <summary>struct dkfid_rdb.</summary>
    public sealed class ReadBArgs
    {
        public int Index { get; init; }

        public int Offset { get; init; }

        public int Value { get; set; }

        public int Err { get; set; }
    }
}
