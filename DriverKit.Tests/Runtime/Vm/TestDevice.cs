using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>
/// A configurable test driver: its mmap handler runs <see cref="OnMmap"/>, so each test states exactly which kernel
/// function the driver calls. Owns <see cref="Pages"/> (order-0, allocated at construction).
/// </summary>
internal sealed class TestDevice
{
    public TestDevice(Kernel kernel, int pages = 4, string path = "/dev/test")
    {
        Kernel = kernel;
        Pages = Enumerable.Range(0, pages).Select(_ => kernel.AllocPage(Gfp.Kernel | Gfp.Zero)).ToArray();
        for (var i = 0; i < pages; i++)
        {
            kernel.WriteKernel(kernel.PageAddress(Pages[i]), [(byte)('a' + i)]);
        }

        Device = kernel.RegisterChrdev(path, new FileOperations
        {
            Owner = "testdev",
            Open = (_, _) => { Opens++; return 0; },
            Release = (_, _) => { Releases++; return 0; },
            Mmap = (f, vma) => OnMmap(vma),
            Ioctl = (f, cmd, arg) => OnIoctl(cmd, arg),
        });
    }

    public Kernel Kernel { get; }

    public Page[] Pages { get; }

    public CharDevice Device { get; }

    public Func<VmArea, int> OnMmap { get; set; } = _ => 0;

    public Func<uint, ulong, long> OnIoctl { get; set; } = (_, _) => -Errno.ENOTTY;

    public int Opens { get; private set; }

    public int Releases { get; private set; }

    public List<string> VmEvents { get; } = new();

    /// <summary>vm_ops that log open/close/may_split and serve <see cref="Pages"/> from -&gt;fault with a reference.</summary>
    public VmOperations FaultOps(bool withOpen = true, Func<VmArea, UserAddr, int>? maySplit = null) => new()
    {
        Open = withOpen ? vma => VmEvents.Add($"open {vma.Start}-{vma.End}") : null,
        Close = vma => VmEvents.Add($"close {vma.Start}-{vma.End}"),
        Fault = vmf =>
        {
            if (vmf.Pgoff >= (ulong)Pages.Length)
            {
                return VmFaultResult.Sigbus;
            }

            Kernel.GetPage(Pages[vmf.Pgoff]);
            vmf.Page = Pages[vmf.Pgoff];
            return VmFaultResult.None;
        },
        MaySplit = maySplit is null ? null : (vma, addr) => maySplit(vma, addr),
    };

    public VmOperations NoPageOps() => new()
    {
        NoPage = (vma, addr) =>
        {
            var i = (addr - vma.Start) / Kernel.PageSize + vma.Pgoff;
            if (i >= (ulong)Pages.Length)
            {
                return default;
            }

            Kernel.GetPage(Pages[i]);
            return Pages[i];
        },
    };
}
