using DriverKit.Runtime;
using DriverKit.Samples.MmioWindow;

namespace DriverKit.Scenarios;

/// <summary>
/// S3: the driver sets VM_LOCKED | VM_IO in mmap and remaps an 8-page register window. U has RLIMIT_MEMLOCK = 16
/// pages: it maps the device, mlocks 12 pages of its own memory, mlocks the device range, forks, lives through
/// reclaim and unmaps the device.
/// </summary>
public sealed class S3MmioWindow : Scenario
{
    private const ulong Window = MmioWindowDriver.WindowPages * Kernel.PageSize;
    private const ulong Own = 12 * Kernel.PageSize;

    /// <inheritdoc />
    public override string Id => "S3";

    /// <inheritdoc />
    public override string Sample => "mmiowindow";

    /// <inheritdoc />
    public override string Title => "VM_LOCKED | VM_IO set by the driver eats the user's mlock budget until 2.6.28";

    /// <inheritdoc />
    public override IReadOnlyList<ScenarioVariant> Variants { get; } =
    [
        new("locked-io", "nv_mmap: vma->vm_flags |= VM_LOCKED | VM_IO; remap_pfn_range of the window", ["DK0001"],
            EraPoint.At("2.6.14", "2.6.20", "2.6.27", "2.6.28", "3.7", "6.6", "7.0"),
            s => Play(s, MmioVariant.LockedIo)),
        new("fix", "the fix: pgprot_noncached + vm_iomap_memory, no VM_LOCKED", [],
            EraPoint.At("2.6.14", "7.0"),
            s => Play(s, MmioVariant.IoRemapNoncached)),
    ];

    private static void Play(Script s, MmioVariant variant)
    {
        _ = new MmioWindowDriver(s.Kernel, variant);
        var u = s.Spawn("U", "nv-app");
        s.Step("rlimit", "U", "setrlimit(RLIMIT_MEMLOCK, 64 KiB = 16 pages), no CAP_IPC_LOCK", Outcome.Of(u.SetMemlockLimit(16 * Kernel.PageSize)));
        if (s.Open(u, "/dev/nvidia0", "open /dev/nvidia0") is not { } fd)
        {
            return;
        }

        var dev = u.Mmap(default, Window, Prot.Read | Prot.Write, MapFlags.Shared, fd);
        if (dev.IsOk)
        {
            var flags = Proc.VmFlagsText(s.Kernel.Policy, u.Mm.VmaAt(dev.Value)!.Flags);
            s.Observe("vmflags", flags);
        }

        ObserveLocked(s, u);
        var mmapText = variant == MmioVariant.LockedIo ? "nv_mmap sets VM_LOCKED | VM_IO, remap_pfn_range" : "nv_mmap: pgprot_noncached, vm_iomap_memory";
        s.Step("mmap", "U", $"mmap the 8-page register window: {mmapText}", Outcome.Of(dev, a => a.ToString()));
        if (!dev.IsOk)
        {
            return;
        }

        var own = u.Mmap(default, Own, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous);
        var mlockOwn = own.IsOk ? u.Mlock(own.Value, Own) : default;
        ObserveLocked(s, u);
        s.Step("mlock-own", "U", "mlock 12 pages of its own anonymous memory", own.IsOk ? Outcome.Of(mlockOwn) : Outcome.Of(own, a => a.ToString()));
        var mlockDev = u.Mlock(dev.Value, Window);
        ObserveLocked(s, u);
        s.Step("mlock-device", "U", "mlock the device range", Outcome.Of(mlockDev));

        if (s.Fork(u, "C", "fork: dup_mmap clears VM_LOCKED in the child") is { } child)
        {
            s.Observe("child_VmLck_kB", child.Mm.LockedVm * 4);
            s.Step("child-exit", "C", "read its VmLck, exit", Outcome.Of(child.Exit()));
        }

        var before = DeviceSmaps(u, dev.Value);
        u.WriteByte(dev.Value + Kernel.PageSize, 0x42);
        s.Kernel.Reclaim(1_000);
        var read = u.ReadByte(dev.Value + Kernel.PageSize, out var value);
        s.Observe("device_ptes_intact", before == DeviceSmaps(u, dev.Value));
        s.Observe("register", $"0x{value:x2}");
        s.Snapshot("after reclaim");
        s.Step("reclaim", "kernel", "memory pressure: reclaim 1000 pages; U reads back the register it wrote (0x42)", Outcome.Of(read));
        var unmap = u.Munmap(dev.Value, Window);
        ObserveLocked(s, u);
        s.Step("munmap", "U", "munmap the device range", Outcome.Of(unmap));
    }

    private static void ObserveLocked(Script s, Process u) => s.Observe("VmLck_kB", u.Mm.LockedVm * 4);

    private static string DeviceSmaps(Process p, UserAddr a)
    {
        var vma = p.Mm.VmaAt(a)!;
        return $"{Proc.SmapsOf(vma)} {Proc.VmFlagsText(p.Kernel.Policy, vma.Flags)}";
    }
}
