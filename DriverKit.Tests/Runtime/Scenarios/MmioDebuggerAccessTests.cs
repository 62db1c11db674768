using System.Buffers.Binary;
using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Scenarios;

/// <summary>
/// A graphics card's register window (BAR0) mapped into its user-space driver with io_remap_pfn_range; where the kernel
/// has -&gt;access (2.6.27) the driver sets generic_access_phys, as the DRM and PCI sysfs resource mappings do, so a
/// debugger attached to the process can read the registers through /proc/&lt;pid&gt;/mem (and write them from 2.6.39).
/// </summary>
internal sealed class RegisterWindowDriver
{
    public const ulong WindowSize = 2 * Kernel.PageSize;
    public const ulong IdReg = 0x0;
    public const ulong ScratchReg = 0x100;
    public const ulong StatusReg = Kernel.PageSize + 0x10; // in the window's second page
    public const uint ChipId = 0x10de0421;

    public RegisterWindowDriver(Kernel kernel)
    {
        Kernel = kernel;
        Chip = new ChipRegisters();
        Bar0 = kernel.RegisterMmioRegion("gpu-bar0", WindowSize, Chip);
        kernel.RegisterChrdev("/dev/gpu0", new FileOperations { Owner = "gpudrv", Mmap = Mmap });
    }

    public Kernel Kernel { get; }

    public MmioRegion Bar0 { get; }

    public ChipRegisters Chip { get; }

    private int Mmap(OpenFile file, VmArea vma)
    {
        if (vma.Pgoff != 0 || vma.Length > WindowSize)
        {
            return -Errno.EINVAL;
        }

        Kernel.VmFlagsSet(vma, VmFlags.DontExpand);

        // #ifdef CONFIG_HAVE_IOREMAP_PROT: .access = generic_access_phys
        vma.Ops = Kernel.Policy.Exists("VmOperations.Access") ? new VmOperations { Access = Kernel.GenericAccessPhys } : null;
        return Kernel.IoRemapPfnRange(vma, vma.Start, Bar0.StartPfn, vma.Length, Kernel.PgprotNoncached(vma.PageProt));
    }

    /// <summary>The chip: a read-only id, a scratch register, and a status register counting its reads.</summary>
    internal sealed class ChipRegisters : MmioDevice
    {
        private readonly byte[] scratch = new byte[4];

        public int StatusReads { get; private set; }

        public uint Scratch => BinaryPrimitives.ReadUInt32LittleEndian(scratch);

        public override byte Read(ulong offset)
        {
            if (offset is >= IdReg and < IdReg + 4)
            {
                return (byte)(ChipId >> (int)(8 * (offset - IdReg)));
            }

            if (offset is >= ScratchReg and < ScratchReg + 4)
            {
                return scratch[offset - ScratchReg];
            }

            if (offset == StatusReg)
            {
                StatusReads++;
                return 0x80; // idle
            }

            return 0xff;
        }

        public override void Write(ulong offset, byte value)
        {
            if (offset is >= ScratchReg and < ScratchReg + 4)
            {
                scratch[offset - ScratchReg] = value;
            }
        }
    }
}

public sealed class MmioDebuggerAccessTests
{
    [Theory]
    [InlineData("2.6.26")]
    [InlineData("2.6.27")]
    [InlineData("2.6.39")]
    [InlineData("3.2")]
    [InlineData(E7)]
    public void A_debugger_reads_the_register_window_of_the_process_it_debugs(string version)
    {
        var k = Boot(version, strict: true);
        var driver = new RegisterWindowDriver(k);
        var app = k.Spawn("Xorg");
        var regs = app.Map(RegisterWindowDriver.WindowSize, fd: app.OpenOk("/dev/gpu0"));
        var heap = app.Map(Kernel.PageSize, flags: MapFlags.Private | MapFlags.Anonymous);
        Assert.True(app.Write(heap, "gpu state"u8).IsOk);
        Assert.True(app.Write(regs + RegisterWindowDriver.ScratchReg, [0x11, 0x22, 0x33, 0x44]).IsOk);
        var gdb = k.Spawn("gdb");

        // x/wx heap: ordinary memory reads through get_user_pages in every kernel.
        var text = new byte[9];
        Assert.Equal(9, gdb.ReadProcMem(app.Pid, heap, text).Value);
        Assert.Equal("gpu state"u8.ToArray(), text);

        // x/wx on the register window: get_user_pages refuses VM_IO|VM_PFNMAP; only ->access gets further.
        var id = new byte[4];
        var read = gdb.ReadProcMem(app.Pid, regs + RegisterWindowDriver.IdReg, id);
        if (!k.Policy.Exists("VmOperations.Access"))
        {
            Assert.Equal(Errno.EIO, read.Errno);
        }
        else
        {
            Assert.Equal(4, read.Value);
            Assert.Equal(RegisterWindowDriver.ChipId, BinaryPrimitives.ReadUInt32LittleEndian(id));

            // A read across the window's page boundary reaches the status register once: reads have side effects.
            var span = new byte[0x20];
            Assert.Equal(0x20, gdb.ReadProcMem(app.Pid, regs + (RegisterWindowDriver.StatusReg - 0x18), span).Value);
            Assert.Equal(0x80, span[0x18]);
            Assert.Equal(1, driver.Chip.StatusReads);
        }

        // set *(int *)scratch = 0xcafef00d — /proc/<pid>/mem takes writes from 2.6.39.
        if (k.Policy.Exists("Process.WriteProcMem"))
        {
            var value = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(value, 0xcafef00d);
            Assert.Equal(4, gdb.WriteProcMem(app.Pid, regs + RegisterWindowDriver.ScratchReg, value).Value);
            Assert.Equal(0xcafef00du, driver.Chip.Scratch);
        }

        // process_vm_readv (3.2) pins pages and has no ->access: the window stays out of reach.
        if (k.Policy.Exists("Process.ProcessVmReadv"))
        {
            Assert.Equal(Errno.EFAULT, gdb.ProcessVmReadv(app.Pid, id, regs).Errno);
            Assert.Equal(9, gdb.ProcessVmReadv(app.Pid, text, heap).Value);
        }

        Assert.True(app.Exit().IsOk);
        Assert.True(gdb.Exit().IsOk);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }
}
