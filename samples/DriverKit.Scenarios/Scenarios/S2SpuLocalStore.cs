using DriverKit.Runtime;
using DriverKit.Samples.SpuLocalStore;

namespace DriverKit.Scenarios;

/// <summary>
/// S2: Benjamin Herrenschmidt's fork refcount problem. The driver owns page P (rc 1); U maps it shared at A,
/// (1) touches it, (2) forks, (3) the child touches A, (4) the child exits, (5) U unmaps, (6) the driver drops its
/// reference.
/// </summary>
public sealed class S2SpuLocalStore : Scenario
{
    /// <inheritdoc />
    public override string Id => "S2";

    /// <inheritdoc />
    public override string Sample => "spulocalstore";

    /// <inheritdoc />
    public override string Title => "Ben's fork refcount problem: a struct-page page that the VM must never free";

    /// <inheritdoc />
    public override IReadOnlyList<ScenarioVariant> Variants { get; } =
    [
        new("a", "as shipped in 2.6.19: VM_RESERVED + ->nopage with get_page", ["DK0004", "DK0005", "DK0015"],
            EraPoint.At("2.6.14", "2.6.15-rc1", "2.6.19", "2.6.30"),
            s => Play(s, SpuVariant.ReservedNoPage)),
        new("b", "Ben's proposal: the same driver, vm_normal_page ignores VM_RESERVED vmas in every caller", ["DK0004", "DK0005", "DK0015"],
            EraPoint.At("2.6.19"),
            s => Play(s, SpuVariant.ReservedNoPageBenProposal)) { WhatIfVmReservedSpecial = true },
        new("c", "classification flips while PTEs exist: the driver toggles VM_PFNMAP around a context switch", ["DK0013", "DK0015"],
            [new EraPoint("2.6.20"), new EraPoint("2.6.20", DebugVm: true)],
            s => Play(s, SpuVariant.FlippedClassification)),
        new("d", "VM_IO | VM_PFNMAP + vmf_insert_pfn: special PTEs, no refcount", [],
            EraPoint.At("2.6.19", "2.6.24", "7.0"),
            s => Play(s, SpuVariant.PfnMap)),
        new("d-nopfn", "VM_IO | VM_PFNMAP + ->nopfn, as spufs did before vm_insert_pfn: special PTEs, no refcount", [],
            EraPoint.At("2.6.19", "2.6.26"),
            s => Play(s, SpuVariant.PfnMapNoPfn)),
        new("d-mixed", "VM_MIXEDMAP + vmf_insert_mixed: special PTEs where the arch has pte_special", [],
            [new EraPoint("2.6.30"), new EraPoint("2.6.30", PteSpecial: false), new EraPoint("7.0")],
            s => Play(s, SpuVariant.MixedMap)),
        new("e", "vm_insert_page in mmap: refcounted and rmapped", ["DK0015"],
            EraPoint.At("2.6.20", "7.0"),
            s => Play(s, SpuVariant.InsertPage)),
    ];

    private static string MmapText(SpuVariant variant) => variant switch
    {
        SpuVariant.PfnMap => "spufs_mmap sets VM_IO | VM_PFNMAP | VM_DONTEXPAND; ->fault does vmf_insert_pfn",
        SpuVariant.PfnMapNoPfn => "spufs_mmap sets VM_IO | VM_PFNMAP | VM_DONTEXPAND; ->nopfn returns P's pfn",
        SpuVariant.MixedMap => "spufs_mmap sets VM_MIXEDMAP | VM_DONTEXPAND; ->fault does vmf_insert_mixed",
        SpuVariant.InsertPage => "spufs_mmap does vm_insert_page(P)",
        SpuVariant.FlippedClassification => "spufs_mmap installs ->nopage, which does get_page(P)",
        _ => "spufs_mmap sets VM_RESERVED; ->nopage does get_page(P)",
    };

    private static void Play(Script s, SpuVariant variant)
    {
        var driver = new SpuLocalStoreDriver(s.Kernel, variant);
        s.Watch([driver.BackingPage]);
        s.Step("load", "driver", "spufs allocates the local-store page P and keeps its reference", Outcome.Done);
        var u = s.Spawn("U", "spu-run");
        if (s.Open(u, "/dev/spu0", "open /dev/spu0") is not { } fd)
        {
            return;
        }

        var map = u.Mmap(default, Kernel.PageSize, Prot.Read | Prot.Write, MapFlags.Shared, fd);
        s.Step("mmap", "U", $"mmap P at A (MAP_SHARED): {MmapText(variant)}", Outcome.Of(map, a => a.ToString()));
        if (!map.IsOk)
        {
            return;
        }

        var a = map.Value;
        s.Step("touch", "U", "touch A", Outcome.Of(u.Touch(a)));
        if (variant == SpuVariant.FlippedClassification)
        {
            s.Step("flip", "driver", "context saved: the driver sets VM_PFNMAP on the live vma (ioctl)", Outcome.Of(u.Ioctl(fd, SpuLocalStoreDriver.SetPfnMapIoctl)));
        }

        if (s.Fork(u, "C", "fork: the PTE of A is copied (with or without a reference) or left to fault") is { } child)
        {
            if (variant == SpuVariant.FlippedClassification)
            {
                s.Step("unflip", "driver", "context restored: the driver clears VM_PFNMAP (ioctl)", Outcome.Of(u.Ioctl(fd, SpuLocalStoreDriver.ClearPfnMapIoctl)));
            }

            s.Step("child-touch", "C", "touch A", Outcome.Of(child.Touch(a)));
            s.Snapshot("after the child's touch");
            s.Step("child-exit", "C", "exit: zap the child's PTE", Outcome.Of(child.Exit()));
        }

        s.Step("munmap", "U", "munmap A", Outcome.Of(u.Munmap(a, Kernel.PageSize)));
        s.Step("release", "driver", "the context goes away: the driver drops its reference to P (put_page)", Release(driver));
    }

    private static Outcome Release(SpuLocalStoreDriver driver)
    {
        try
        {
            driver.ReleaseContext();
            return Outcome.Done;
        }
        catch (KernelBugException e)
        {
            return Outcome.Of(e);
        }
    }
}
