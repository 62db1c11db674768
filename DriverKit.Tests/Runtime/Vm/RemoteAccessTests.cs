using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>
/// Another task's memory: /proc/&lt;pid&gt;/mem (access_remote_vm: GUP with FOLL_FORCE, then vm_ops-&gt;access for VM_IO/VM_PFNMAP),
/// process_vm_readv/writev (3.2: pinned pages, no FOLL_FORCE, no -&gt;access) and generic_access_phys (2.6.27).
/// </summary>
public sealed class RemoteAccessTests
{
    private const ulong P = Kernel.PageSize;

    [Theory]
    [InlineData("2.6.14", false, false, false)]
    [InlineData("2.6.26", false, false, false)]
    [InlineData("2.6.27", true, false, false)]
    [InlineData("2.6.38", true, false, false)]
    [InlineData("2.6.39", true, true, false)]
    [InlineData("3.1", true, true, false)]
    [InlineData("3.2", true, true, true)]
    [InlineData(E7, true, true, true)]
    public void The_interfaces_exist_from_their_release(string version, bool access, bool memWrite, bool processVm)
    {
        var k = Boot(version);
        var u = k.Spawn();
        var buf = u.Map(P, flags: MapFlags.Private);
        Assert.Equal(!access, Record.Exception(() => k.GenericAccessPhys(null!, default, [], false)) is EraMismatchException);
        var dev = new TestDevice(k) { OnMmap = vma => { vma.Ops = new VmOperations { Access = (_, _, _, _) => 0 }; return 0; } };
        Assert.Equal(!access, Record.Exception(() => u.Mmap(default, P, Prot.Read, MapFlags.Shared, u.OpenOk(dev.Device.Path))) is EraMismatchException);
        Assert.Equal(!memWrite, Record.Exception(() => u.WriteProcMem(u.Pid, buf, [1])) is EraMismatchException);
        Assert.Equal(!processVm, Record.Exception(() => u.ProcessVmReadv(u.Pid, new byte[1], buf)) is EraMismatchException);
        Assert.Equal(!processVm, Record.Exception(() => u.ProcessVmWritev(u.Pid, [1], buf)) is EraMismatchException);
        Assert.Equal(1, u.ReadProcMem(u.Pid, buf, new byte[1]).Value); // reads of /proc/<pid>/mem: every kernel
    }

    [Theory]
    [InlineData("2.6.14")]
    [InlineData("3.7")]
    [InlineData("5.6")]
    [InlineData(E7)]
    public void A_debugger_reads_and_writes_normal_pages_across_a_page_boundary(string version)
    {
        var k = Boot(version, strict: true);
        var target = k.Spawn("target");
        var debugger = k.Spawn("gdb");
        var buf = target.Map(2 * P, flags: MapFlags.Private | MapFlags.Anonymous);
        Assert.True(target.Write(buf + (P - 3), "abcdef"u8).IsOk);

        var got = new byte[8];
        Assert.Equal(8, debugger.ReadProcMem(target.Pid, buf + (P - 4), got).Value);
        Assert.Equal("\0abcdef\0"u8.ToArray(), got);

        if (k.Policy.Exists("Process.WriteProcMem"))
        {
            Assert.Equal(4, debugger.WriteProcMem(target.Pid, buf + (P - 2), "WXYZ"u8).Value);
            var back = new byte[6];
            Assert.True(target.Read(buf + (P - 3), back).IsOk);
            Assert.Equal("aWXYZf"u8.ToArray(), back);
        }

        if (k.Policy.Exists("Process.ProcessVmReadv"))
        {
            var viaCma = new byte[6];
            Assert.Equal(6, debugger.ProcessVmReadv(target.Pid, viaCma, buf + (P - 3)).Value);
            Assert.Equal("aWXYZf"u8.ToArray(), viaCma);
            Assert.Equal(2, debugger.ProcessVmWritev(target.Pid, "!!"u8, buf).Value);
            Assert.True(target.ReadByte(buf + 1, out var b).IsOk);
            Assert.Equal((byte)'!', b);
        }

        Assert.True(target.Exit().IsOk);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }

    [Theory]
    [InlineData("2.6.39")]
    [InlineData("5.6")]
    [InlineData(E7)]
    public void A_write_through_proc_mem_copies_a_page_shared_with_a_fork_child(string version)
    {
        var k = Boot(version, strict: true);
        var parent = k.Spawn("target");
        var debugger = k.Spawn("gdb");
        var buf = parent.Map(P, flags: MapFlags.Private | MapFlags.Anonymous);
        Assert.True(parent.Write(buf, "parent"u8).IsOk);
        var child = parent.Fork().Unwrap();

        Assert.Equal(3, debugger.WriteProcMem(parent.Pid, buf, "PAR"u8).Value);
        var a = new byte[6];
        var b = new byte[6];
        Assert.True(parent.Read(buf, a).IsOk);
        Assert.True(child.Read(buf, b).IsOk);
        Assert.Equal("PARent"u8.ToArray(), a);
        Assert.Equal("parent"u8.ToArray(), b); // COW broken for the parent only

        if (k.Policy.Exists("Process.ProcessVmWritev"))
        {
            Assert.Equal(2, debugger.ProcessVmWritev(child.Pid, "CH"u8, buf).Value);
            Assert.True(child.Read(buf, b).IsOk);
            Assert.True(parent.Read(buf, a).IsOk);
            Assert.Equal("CHrent"u8.ToArray(), b);
            Assert.Equal("PARent"u8.ToArray(), a);
        }

        Assert.True(child.Exit().IsOk);
        Assert.True(parent.Exit().IsOk);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }

    [Theory]
    [InlineData("2.6.39")]
    [InlineData(E7)]
    public void Foll_force_writes_a_read_only_private_mapping_but_process_vm_writev_does_not(string version)
    {
        var k = Boot(version, strict: true);
        var target = k.Spawn("target");
        var debugger = k.Spawn("gdb");
        var text = target.Map(P, flags: MapFlags.Private | MapFlags.Anonymous);
        Assert.True(target.Write(text, "\x90\x90\x90"u8).IsOk);
        Assert.True(target.Mprotect(text, P, Prot.Read).IsOk);
        var child = target.Fork().Unwrap(); // the page is shared with the child: the breakpoint must not reach it

        Assert.Equal(1, debugger.WriteProcMem(target.Pid, text + 1, [0xcc]).Value); // int3
        Assert.True(target.ReadByte(text + 1, out var mine).IsOk);
        Assert.True(child.ReadByte(text + 1, out var theirs).IsOk);
        Assert.Equal(0xcc, mine);
        Assert.Equal(0x90, theirs);
        Assert.Equal(Signal.SIGSEGV, target.WriteByte(text, 0).Signal); // the PTE and the vma stay read-only
        if (k.Policy.Exists("Process.ProcessVmWritev"))
        {
            Assert.Equal(Errno.EFAULT, debugger.ProcessVmWritev(target.Pid, [0xcc], text).Errno);
        }

        // A shared read-only mapping is no COW mapping: a forced write is refused.
        var fd = (int)target.MemfdCreate("shm").Value;
        Assert.True(target.Ftruncate(fd, P).IsOk);
        var shared = target.Mmap(default, P, Prot.Read, MapFlags.Shared, fd).Unwrap();
        Assert.Equal(Errno.EIO, debugger.WriteProcMem(target.Pid, shared, [1]).Errno);

        // PROT_NONE: FOLL_FORCE reads it (VM_MAYREAD), process_vm_readv does not.
        var none = target.Mmap(default, P, Prot.None, MapFlags.Private | MapFlags.Anonymous).Unwrap();
        Assert.Equal(4, debugger.ReadProcMem(target.Pid, none, new byte[4]).Value);
        if (k.Policy.Exists("Process.ProcessVmReadv"))
        {
            Assert.Equal(Errno.EFAULT, debugger.ProcessVmReadv(target.Pid, new byte[4], none).Errno);
        }

        Assert.True(child.Exit().IsOk);
        Assert.True(target.Exit().IsOk);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }

    private sealed class Registers : MmioDevice
    {
        public byte[] Regs { get; } = new byte[2 * Kernel.PageSize];

        public override byte Read(ulong offset) => Regs[offset];

        public override void Write(ulong offset, byte value) => Regs[offset] = value;
    }

    /// <summary>A device whose mmap io_remap_pfn_range's a two-page register window, with <paramref name="access"/> as -&gt;access.</summary>
    private static (Kernel K, Process Target, UserAddr Window, Registers Regs) IoWindow(string version, Func<Kernel, VmAccessHandler?> access)
    {
        var k = Boot(version, strict: true);
        var regs = new Registers();
        var region = k.RegisterMmioRegion("bar0", 2 * P, regs);
        var handler = access(k);
        k.RegisterChrdev("/dev/bar0", new FileOperations
        {
            Owner = "bardrv",
            Mmap = (_, vma) =>
            {
                vma.Ops = handler is null ? null : new VmOperations { Access = handler };
                return k.IoRemapPfnRange(vma, vma.Start, region.StartPfn, vma.Length, Kernel.PgprotNoncached(vma.PageProt));
            },
        });
        var target = k.Spawn("target");
        var window = target.Map(2 * P, fd: target.OpenOk("/dev/bar0"));
        Assert.True(target.Write(window + (P - 2), "REGS"u8).IsOk);
        return (k, target, window, regs);
    }

    [Theory]
    [InlineData("2.6.26")]
    [InlineData(E7)]
    public void Without_access_an_io_window_stops_the_read(string version)
    {
        var (k, target, window, _) = IoWindow(version, _ => null);
        var debugger = k.Spawn("gdb");
        Assert.Equal(Errno.EIO, debugger.ReadProcMem(target.Pid, window, new byte[4]).Errno);
        if (k.Policy.Exists("Process.ProcessVmReadv"))
        {
            Assert.Equal(Errno.EFAULT, debugger.ProcessVmReadv(target.Pid, new byte[4], window).Errno);
        }

        Assert.True(target.Exit().IsOk);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }

    [Theory]
    [InlineData("2.6.27")]
    [InlineData("3.2")]
    [InlineData(E7)]
    public void Generic_access_phys_reads_and_writes_the_registers_across_pages(string version)
    {
        var (k, target, window, regs) = IoWindow(version, k => k.GenericAccessPhys);
        var debugger = k.Spawn("gdb");
        var got = new byte[4];
        Assert.Equal(4, debugger.ReadProcMem(target.Pid, window + (P - 2), got).Value);
        Assert.Equal("REGS"u8.ToArray(), got);
        if (k.Policy.Exists("Process.WriteProcMem"))
        {
            Assert.Equal(2, debugger.WriteProcMem(target.Pid, window + 8, "ok"u8).Value);
            Assert.Equal("ok"u8.ToArray(), regs.Regs.AsSpan(8, 2).ToArray());
        }

        if (k.Policy.Exists("Process.ProcessVmReadv"))
        {
            Assert.Equal(Errno.EFAULT, debugger.ProcessVmReadv(target.Pid, got, window).Errno); // no ->access for CMA
        }

        Assert.True(target.Exit().IsOk);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }

    [Fact]
    public void Generic_access_phys_refuses_what_it_cannot_map()
    {
        var (k, target, window, _) = IoWindow(E7, k => k.GenericAccessPhys);
        var vma = target.Mm.FindVma(window)!;
        Assert.Equal(-Errno.EINVAL, k.GenericAccessPhys(vma, window + 2 * P, new byte[1], false)); // outside the vma

        var anon = target.Map(P, flags: MapFlags.Private | MapFlags.Anonymous);
        Assert.True(target.WriteByte(anon, 1).IsOk);
        Assert.Equal(-Errno.EINVAL, k.GenericAccessPhys(target.Mm.FindVma(anon)!, anon, new byte[1], false)); // not VM_IO/VM_PFNMAP

        var other = Boot(E7);
        Assert.Throws<ArgumentException>(() => other.GenericAccessPhys(vma, window, new byte[1], false));
        Assert.Throws<ArgumentNullException>(() => k.GenericAccessPhys(null!, window, new byte[1], false));
    }

    [Fact]
    public void Generic_access_phys_refuses_ram_and_a_write_through_a_read_only_pte()
    {
        var k = Boot(E7, strict: true);
        var ram = k.AllocPage(Gfp.Kernel | Gfp.Zero);
        k.RegisterChrdev("/dev/ramwin", new FileOperations
        {
            Owner = "ramdrv",
            Mmap = (_, vma) =>
            {
                vma.Ops = new VmOperations { Access = k.GenericAccessPhys };
                return k.RemapPfnRange(vma, vma.Start, ram.Pfn, P, vma.PageProt);
            },
        });
        var target = k.Spawn("target");
        var map = target.Map(P, prot: Prot.Read, fd: target.OpenOk("/dev/ramwin", OpenFlags.ReadOnly));
        var debugger = k.Spawn("gdb");
        Assert.Equal(Errno.EIO, debugger.ReadProcMem(target.Pid, map, new byte[1]).Errno); // ioremap on RAM: -ENOMEM, the read stops
        Assert.Equal(-Errno.ENOMEM, k.GenericAccessPhys(target.Mm.FindVma(map)!, map, new byte[1], false));
        Assert.Equal(-Errno.EINVAL, k.GenericAccessPhys(target.Mm.FindVma(map)!, map, new byte[1], true));
        Assert.True(target.Exit().IsOk);
        k.FreePage(ram);
    }

    [Fact]
    public void An_access_handler_that_crashes_oopses_the_reader_not_the_target()
    {
        var (k, target, window, _) = IoWindow(E7, _ => (_, _, _, _) => throw new NullReferenceException());
        var debugger = k.Spawn("gdb");
        var result = debugger.ReadProcMem(target.Pid, window, new byte[4]);
        Assert.NotNull(result.Oops);
        Assert.Equal(ProcessState.Running, target.State);
        Assert.NotEqual(ProcessState.Running, debugger.State);
    }

    [Fact]
    public void Bad_input_gives_defined_errors_and_changes_nothing()
    {
        var k = Boot(E7, strict: true);
        var target = k.Spawn("target");
        var debugger = k.Spawn("gdb");
        var buf = target.Map(2 * P, flags: MapFlags.Private | MapFlags.Anonymous);
        Assert.True(target.Write(buf, "data"u8).IsOk);
        var vma = target.Mm.FindVma(buf)!;
        var rss = (target.Mm.RssAnon, target.Mm.RssFile, target.Mm.TotalVm);

        // Zero length: nothing to do, even for a pid that does not exist.
        Assert.Equal(0, debugger.ReadProcMem(target.Pid, buf, []).Value);
        Assert.Equal(0, debugger.ProcessVmReadv(99999, [], buf).Value);
        Assert.Equal(0, debugger.ProcessVmWritev(target.Pid, [], buf).Value);

        // No such task.
        Assert.Equal(Errno.ESRCH, debugger.ReadProcMem(99999, buf, new byte[1]).Errno);
        Assert.Equal(Errno.ESRCH, debugger.ProcessVmReadv(99999, new byte[1], buf).Errno);

        // Unmapped, and past the top of the address space.
        Assert.Equal(Errno.EIO, debugger.ReadProcMem(target.Pid, buf + 16 * P, new byte[1]).Errno);
        Assert.Equal(Errno.EIO, debugger.WriteProcMem(target.Pid, new UserAddr(ulong.MaxValue - 1), new byte[4]).Errno);
        Assert.Equal(Errno.EFAULT, debugger.ProcessVmReadv(target.Pid, new byte[1], buf + 16 * P).Errno);
        Assert.Equal(Errno.EFAULT, debugger.ProcessVmWritev(target.Pid, new byte[4], new UserAddr(ulong.MaxValue - 1)).Errno);

        // Longer than the mapping: the bytes up to its end.
        var huge = new byte[64 * P];
        Assert.Equal((long)(2 * P), debugger.ReadProcMem(target.Pid, buf, huge).Value);
        Assert.Equal("data"u8.ToArray(), huge[..4]);
        Assert.Equal((long)(2 * P - 2), debugger.ProcessVmReadv(target.Pid, huge, buf + 2).Value);
        Assert.Equal("ta"u8.ToArray(), huge[..2]);

        // Reads fault the second page in (as the target's own read would); the failed calls left nothing behind.
        Assert.Equal((rss.RssAnon, rss.RssFile, rss.TotalVm), (target.Mm.RssAnon, target.Mm.RssFile, target.Mm.TotalVm));
        Assert.Same(vma, target.Mm.FindVma(buf));

        // An exited target or caller.
        var gone = k.Spawn("gone");
        var gbuf = gone.Map(P, flags: MapFlags.Private | MapFlags.Anonymous);
        Assert.True(gone.Exit().IsOk);
        Assert.Equal(Errno.ESRCH, debugger.ReadProcMem(gone.Pid, gbuf, new byte[1]).Errno);
        Assert.Equal(Errno.ESRCH, debugger.WriteProcMem(gone.Pid, gbuf, new byte[1]).Errno);
        Assert.Equal(Errno.ESRCH, debugger.ProcessVmReadv(gone.Pid, new byte[1], gbuf).Errno);
        Assert.Equal(Errno.ESRCH, gone.ReadProcMem(target.Pid, buf, new byte[1]).Errno);
        Assert.Equal(Errno.ESRCH, gone.ProcessVmWritev(target.Pid, new byte[1], buf).Errno);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
    }
}
