using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>
/// The kernel has no exceptions: whatever escapes driver code — from any hook, of any type — is an oops that kills the
/// task, never an exception out of the runtime; a driver that re-enters the kernel without end dies like a kernel that ran
/// off its stack, and the host process survives; a NULL struct page is a descriptive exception, not a NullReferenceException.
/// </summary>
public sealed class DriverCrashTests
{
    private const ulong Two = 2 * Kernel.PageSize;

    public static TheoryData<string, string> HooksAndExceptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var hook in new[] { "open", "mmap", "ioctl", "fault", "nopage", "vm_open", "vm_close", "release", "page_mkwrite" })
        {
            foreach (var exception in new[] { "InvalidOperation", "KeyNotFound", "NullReference", "Format" })
            {
                data.Add(hook, exception);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(HooksAndExceptions))]
    public void An_exception_out_of_any_hook_is_an_oops_that_kills_the_task(string hook, string exception)
    {
        var k = Boot(hook == "nopage" ? E3 : E7, strict: true);
        var dev = new TestDevice(k);
        Exception Throw() => exception switch
        {
            "InvalidOperation" => new InvalidOperationException("driver state"),
            "KeyNotFound" => new KeyNotFoundException("no such buffer"),
            "NullReference" => new NullReferenceException(),
            _ => new FormatException("bad header"),
        };

        var ops = new VmOperations
        {
            Open = hook == "vm_open" ? _ => throw Throw() : _ => { },
            Close = hook == "vm_close" ? _ => throw Throw() : _ => { },
            Fault = hook == "nopage" ? null : vmf =>
            {
                if (hook == "fault")
                {
                    throw Throw();
                }

                k.GetPage(dev.Pages[vmf.Pgoff]);
                vmf.Page = dev.Pages[vmf.Pgoff];
                return VmFaultResult.None;
            },
            NoPage = hook == "nopage" ? (_, _) => throw Throw() : null,
            PageMkwrite = hook == "page_mkwrite" ? _ => throw Throw() : null,
        };
        var node = k.RegisterChrdev("/dev/crash", new FileOperations
        {
            Owner = "crash",
            Open = (_, _) => hook == "open" ? throw Throw() : 0,
            Release = (_, _) => hook == "release" ? throw Throw() : 0,
            Mmap = (_, vma) =>
            {
                if (hook == "mmap")
                {
                    throw Throw();
                }

                vma.Ops = ops;
                return 0;
            },
            Ioctl = (_, _, _) => hook == "ioctl" ? throw Throw() : 0,
        });

        var u = k.Spawn("victim");
        var steps = new List<Func<object>>();
        var fd = -1;
        var map = default(UserAddr);
        steps.Add(() =>
        {
            var r = u.Open("/dev/crash");
            fd = (int)r.Value;
            return r;
        });
        steps.Add(() => u.Ioctl(fd, 1));
        steps.Add(() =>
        {
            var r = u.Mmap(default, Two, Prot.Read | Prot.Write, MapFlags.Shared, fd);
            map = r.Value;
            return r;
        });
        steps.Add(() => u.ReadByte(map, out _));
        steps.Add(() => u.WriteByte(map, 1));
        steps.Add(() =>
        {
            var child = u.Fork();
            return child.IsOk ? child.Value!.Exit() : child;
        });
        steps.Add(() => u.Munmap(map, Two));
        steps.Add(() => u.Close(fd));

        Report? oops = null;
        foreach (var step in steps)
        {
            oops = OopsOf(step());
            if (oops is not null)
            {
                break;
            }
        }

        Assert.NotNull(oops);
        Assert.Equal("OOPS", oops!.Invariant);
        Assert.Contains(exception, oops.Text, StringComparison.Ordinal);
        Assert.Contains(k.Processes, p => p.KilledBy == oops);

        // The machine goes on: another process, the checker, shutdown.
        Assert.True(k.Spawn("next").Map(Kernel.PageSize, flags: MapFlags.Private) != default);
        _ = k.Checker.CheckAll();
        _ = k.Shutdown();
        GC.KeepAlive(node);
    }

    public static TheoryData<string, string> ReentrantCalls()
    {
        var data = new TheoryData<string, string>();
        foreach (var hook in new[] { "mmap", "fault", "close" })
        {
            foreach (var call in new[] { "mmap", "munmap", "mprotect", "fork", "exit", "touch" })
            {
                if (hook != "fault" || call != "touch")
                {
                    data.Add(hook, call);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReentrantCalls))]
    public void A_callback_that_calls_back_into_its_own_task_under_mmap_lock_gets_lockdeps_report_not_the_nested_call(string hook, string call)
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        Process u = null!;
        var other = default(UserAddr);
        var nestedRan = false;
        void Reenter()
        {
            nestedRan = true;
            _ = call switch
            {
                "mmap" => (object)u.Mmap(default, Kernel.PageSize, Prot.Read, MapFlags.Private | MapFlags.Anonymous),
                "munmap" => u.Munmap(other, Kernel.PageSize),
                "mprotect" => u.Mprotect(other, Kernel.PageSize, Prot.Read),
                "fork" => u.Fork(),
                "exit" => u.Exit(),
                _ => u.ReadByte(other, out _),
            };
            nestedRan = false; // reached only if the nested call returned
        }

        var ops = dev.FaultOps();
        dev.OnMmap = vma =>
        {
            vma.Ops = new VmOperations
            {
                Open = ops.Open,
                Close = v =>
                {
                    if (hook == "close")
                    {
                        Reenter();
                    }
                },
                Fault = vmf =>
                {
                    if (hook == "fault")
                    {
                        Reenter();
                    }

                    return ops.Fault!(vmf);
                },
            };
            if (hook == "mmap")
            {
                Reenter();
            }

            return 0;
        };
        u = k.Spawn("reenter");
        other = u.Map(Kernel.PageSize, flags: MapFlags.Private);
        var vmasBefore = u.Mm.VmAreas.Count;
        var fd = u.OpenOk("/dev/test");
        var map = u.Mmap(default, Kernel.PageSize, Prot.Read | Prot.Write, MapFlags.Shared, fd);
        Report? oops = map.Oops;
        if (oops is null)
        {
            oops = u.ReadByte(map.Value, out _).Oops ?? u.Munmap(map.Value, Kernel.PageSize).Oops;
        }

        Assert.NotNull(oops);
        Assert.True(nestedRan, "the nested call returned instead of being stopped");
        Assert.Contains("possible recursive locking detected", oops!.Text, StringComparison.Ordinal);
        Assert.Contains("is trying to acquire lock: &mm->mmap_lock at: ", oops.Text, StringComparison.Ordinal);
        Assert.Contains("but task is already holding lock: &mm->mmap_lock at: " + (hook == "fault" ? "do_user_addr_fault" : "sys_m"), oops.Text, StringComparison.Ordinal);
        Assert.Equal(ProcessState.Exited, u.State);
        Assert.Same(oops, u.KilledBy);
        Assert.True(vmasBefore >= 1);
        Assert.Single(k.Processes, p => p.Comm == "reenter"); // no half-made child of a nested fork
        _ = k.Checker.CheckAll();
        foreach (var page in dev.Pages)
        {
            k.FreePage(page);
        }

        Assert.Empty(k.Shutdown()); // the dead task's teardown left nothing behind
    }

    [Fact]
    public void A_fault_handler_may_touch_other_user_memory_the_fault_path_takes_the_read_lock_by_trylock()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        Process u = null!;
        var other = default(UserAddr);
        byte seen = 0;
        var ops = dev.FaultOps();
        dev.OnMmap = vma =>
        {
            vma.Ops = new VmOperations
            {
                Fault = vmf =>
                {
                    Assert.True(u.WriteByte(other, 7).IsOk); // copy_to_user from a fault handler
                    return ops.Fault!(vmf);
                },
            };
            return 0;
        };
        u = k.Spawn("copier");
        other = u.Map(Kernel.PageSize, flags: MapFlags.Private);
        var a = u.Map(Kernel.PageSize, fd: u.OpenOk("/dev/test"));
        Assert.True(u.ReadByte(a, out seen).IsOk);
        Assert.Equal((byte)'a', seen);
        Assert.True(u.ReadByte(other, out seen).IsOk);
        Assert.Equal(7, seen);
    }

    private static Report? OopsOf(object outcome) => outcome switch
    {
        SysResult r => r.Oops,
        SysResult<UserAddr> r => r.Oops,
        SysResult<Process> r => r.Oops,
        AccessResult r => r.Oops,
        _ => null,
    };

    [Theory]
    [InlineData(E3Fault)]
    [InlineData(E5)]
    [InlineData(E7)]
    public void A_fault_handler_that_faults_on_its_own_mapping_through_gup_overflows_the_kernel_stack_not_the_hosts(string version)
    {
        var k = Boot(version, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            vma.Ops = new VmOperations
            {
                Fault = vmf =>
                {
                    var pages = new Page[1];
                    return k.GetUserPages(vmf.Address, 1, FollFlags.None, pages) == 1 ? VmFaultResult.None : VmFaultResult.Sigbus;
                },
            };
            return 0;
        };
        var u = k.Spawn("recurse");
        var a = u.Map(Kernel.PageSize, fd: u.OpenOk("/dev/test"));

        var r = u.ReadByte(a, out _);

        Assert.NotNull(r.Oops);
        Assert.Contains("stack guard page was hit", r.Oops!.Text, StringComparison.Ordinal);
        Assert.Contains($"{Kernel.MaxDriverNesting + 1} levels deep", r.Oops.Text, StringComparison.Ordinal);
        Assert.Equal(ProcessState.Exited, u.State);
        _ = k.Checker.CheckAll();
    }

    [Fact]
    public void A_null_struct_page_is_a_descriptive_exception()
    {
        foreach (var page in new[] { default, Page.NoPageOom })
        {
            Assert.Contains("Page.IsNull", Assert.Throws<NullPageException>(() => page.Refcount).Message, StringComparison.Ordinal);
            Assert.Throws<NullPageException>(() => page.Flags);
            Assert.Throws<NullPageException>(() => page.Pfn);
            Assert.Throws<NullPageException>(() => page + 1);
        }

        Assert.Equal("NULL", default(Page).ToString());
        Assert.Equal("NOPAGE_OOM", Page.NoPageOom.ToString());
    }

    [Fact]
    public void A_memset_past_ram_is_refused_before_any_byte_changes()
    {
        var k = Boot(E7);
        var page = k.AllocPage(Gfp.Kernel | Gfp.Zero);
        var addr = k.PageAddress(page);
        foreach (var count in new[] { ulong.MaxValue, (ulong)k.TotalRamPages * Kernel.PageSize })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => k.Memset(addr, 0xAA, count));
        }

        var first = new byte[1];
        k.ReadKernel(addr, first);
        Assert.Equal(0, first[0]);
        k.Memset(addr, 0xAA, Kernel.PageSize);
        k.ReadKernel(addr, first);
        Assert.Equal(0xAA, first[0]);
    }

    [Fact]
    public void Open_of_a_null_path_is_efault()
        => Assert.Equal(-Errno.EFAULT, Boot(E7).Spawn("u").Open(null!).Value);
}
