using DriverKit.Runtime;
using static DriverKit.Runtime.Errno;

namespace DriverKit.Samples.SpuLocalStore;

/// <summary>How the SPE local-store page is exposed (scenario S2, Benjamin Herrenschmidt's Dec 2006 question).</summary>
public enum SpuVariant
{
    /// <summary>(a) As shipped in 2.6.19: VM_RESERVED + -&gt;nopage with get_page — refcounted and rmapped.</summary>
    ReservedNoPage,

    /// <summary>(b) The same driver on a kernel patched the way Ben proposed (vm_normal_page ignores VM_RESERVED vmas); run with <see cref="KernelOptions.WhatIfVmReservedSpecial"/>.</summary>
    ReservedNoPageBenProposal,

    /// <summary>(c) The classification flips while PTEs exist: the driver toggles VM_PFNMAP around a context switch.</summary>
    FlippedClassification,

    /// <summary>(d) The answer: VM_IO | VM_PFNMAP + vmf_insert_pfn — special PTEs, no refcount.</summary>
    PfnMap,

    /// <summary>(d) as spufs did it in 2.6.19 – 2.6.26: VM_IO | VM_PFNMAP + -&gt;nopfn returning P's pfn.</summary>
    PfnMapNoPfn,

    /// <summary>(d') VM_MIXEDMAP + vmf_insert_mixed: special PTEs on pte_special architectures.</summary>
    MixedMap,

    /// <summary>(e) Refcounted: vm_insert_page in mmap.</summary>
    InsertPage,
}

/// <summary>
/// The Cell SPE local store of spufs, reduced to one backing page P that has a struct page but must never be
/// freed by the VM: the driver owns it (refcount 1) and drops its reference when the context goes away.
/// </summary>
public sealed class SpuLocalStoreDriver
{
    /// <summary>ioctl: the context is saved — switch the mapping's discipline (variant c only).</summary>
    public const uint SetPfnMapIoctl = 0x5301;

    /// <summary>ioctl: the context is restored (variant c only).</summary>
    public const uint ClearPfnMapIoctl = 0x5302;

    private readonly Kernel kernel;
    private readonly SpuVariant variant;
    private readonly List<VmArea> vmas = new();

    /// <summary>Loads the driver: allocates the local-store page P (the driver keeps its reference) and registers the device node.</summary>
    /// <param name="kernel">The machine.</param>
    /// <param name="variant">Which way of mapping P to use.</param>
    /// <param name="path">The device node.</param>
    public SpuLocalStoreDriver(Kernel kernel, SpuVariant variant, string path = "/dev/spu0")
    {
        this.kernel = kernel;
        this.variant = variant;
        BackingPage = kernel.AllocPage(Gfp.Kernel | Gfp.Zero);
        // Each variant is the driver of its own kernels, chosen at run time; the runtime refuses the hooks other kernels lack.
#pragma warning disable DK1001
        VmOps = variant switch
        {
            SpuVariant.ReservedNoPage or SpuVariant.ReservedNoPageBenProposal or SpuVariant.FlippedClassification =>
                new VmOperations { Open = SpuVmaOpen, Close = SpuVmaClose, NoPage = SpuNoPage },
            SpuVariant.PfnMap => new VmOperations { Open = SpuVmaOpen, Close = SpuVmaClose, Fault = SpuFaultPfn },
            SpuVariant.PfnMapNoPfn => new VmOperations { Open = SpuVmaOpen, Close = SpuVmaClose, NoPfn = SpuNoPfn },
            SpuVariant.MixedMap => new VmOperations { Open = SpuVmaOpen, Close = SpuVmaClose, Fault = SpuFaultMixed },
            _ => new VmOperations { Open = SpuVmaOpen, Close = SpuVmaClose },
        };
#pragma warning restore DK1001
        Device = kernel.RegisterChrdev(path, new FileOperations
        {
            Owner = "spufs",
            Mmap = SpuMmap,
            Ioctl = SpuIoctl,
        });
    }

    /// <summary>The local-store backing page P.</summary>
    public Page BackingPage { get; }

    /// <summary>The registered character device.</summary>
    public CharDevice Device { get; }

    private VmOperations VmOps { get; }

    /// <summary>The context goes away: the driver drops its own reference to P (step 6).</summary>
    public void ReleaseContext() => kernel.PutPage(BackingPage);

    private int SpuMmap(DriverKit.Runtime.OpenFile filp, VmArea vma)
    {
        if (vma.Pages != 1)
        {
            return -EINVAL;
        }

#pragma warning disable DK0015 // S2's VM_RESERVED and insert-page variants leave the one-page mapping growable
        vma.Ops = VmOps;
#pragma warning restore DK0015
        switch (variant)
        {
            case SpuVariant.ReservedNoPage:
            case SpuVariant.ReservedNoPageBenProposal:
#pragma warning disable DK0004, DK0005 // S2 (a)/(b): VM_RESERVED hoping the VM will leave the local store alone
                vma.Flags |= VmFlags.Reserved;
#pragma warning restore DK0004, DK0005
                break;
            case SpuVariant.PfnMap:
            case SpuVariant.PfnMapNoPfn:
                if (!vma.Flags.HasFlag(VmFlags.Shared))
                {
                    return -EINVAL; // PFNMAP cannot COW arbitrary pfns
                }

                vma.Flags |= VmFlags.IO | VmFlags.PfnMap | VmFlags.DontExpand;
                break;
            case SpuVariant.MixedMap:
                vma.Flags |= VmFlags.MixedMap | VmFlags.DontExpand;
                break;
            case SpuVariant.InsertPage:
                var ret = kernel.VmInsertPage(vma, vma.Start, BackingPage);
                if (ret != 0)
                {
                    return ret;
                }

                break;
        }

        SpuVmaOpen(vma);
        return 0;
    }

    private void SpuVmaOpen(VmArea vma) => vmas.Add(vma);

    private void SpuVmaClose(VmArea vma) => vmas.Remove(vma);

    private Page SpuNoPage(VmArea vma, UserAddr address)
    {
        kernel.GetPage(BackingPage);
        return BackingPage;
    }

    private ulong SpuNoPfn(VmArea vma, UserAddr address) => kernel.PageToPfn(BackingPage).Value;

    private VmFaultResult SpuFaultPfn(VmFault vmf) => kernel.VmfInsertPfn(vmf.Vma, vmf.Address, kernel.PageToPfn(BackingPage));

    private VmFaultResult SpuFaultMixed(VmFault vmf) => kernel.VmfInsertMixed(vmf.Vma, vmf.Address, kernel.PageToPfn(BackingPage));

    private long SpuIoctl(DriverKit.Runtime.OpenFile filp, uint cmd, ulong arg)
    {
        if (variant != SpuVariant.FlippedClassification)
        {
            return -ENOTTY;
        }

#pragma warning disable DK0013 // S2 (c): the classification flips while PTEs exist
        foreach (var vma in vmas)
        {
            switch (cmd)
            {
                case SetPfnMapIoctl:
                    vma.Flags |= VmFlags.PfnMap;
                    break;
                case ClearPfnMapIoctl:
                    vma.Flags &= ~VmFlags.PfnMap;
                    break;
                default:
                    return -ENOTTY;
            }
        }
#pragma warning restore DK0013

        return 0;
    }
}
