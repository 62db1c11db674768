using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Vm;

/// <summary>mmap_read_lock/mmap_read_unlock (5.8) with lockdep's reports, pin_user_pages_fast and pin_user_pages_remote (5.6).</summary>
public sealed class MmapLockPinTests
{
    private const ulong P = Kernel.PageSize;

    [Theory]
    [InlineData("2.6.14", false)]
    [InlineData("5.5", false)]
    [InlineData("5.6", true)]
    [InlineData("5.8", true)]
    [InlineData(E7, true)]
    public void The_functions_exist_from_their_release(string version, bool pins)
    {
        var k = Boot(version);
        Assert.Equal(!pins, Record.Exception(() => k.PinUserPagesFast(default, 1, FollFlags.None, null!)) is EraMismatchException);
        Assert.Equal(!pins, Record.Exception(() => k.PinUserPagesRemote(null!, default, 1, FollFlags.None, [])) is EraMismatchException);

        // mmap_read_lock names the rwsem every kernel has (down_read(&mm->mmap_sem) before 5.8), as mmap_write_lock does.
        Assert.False(Record.Exception(() => k.MmapReadLock(null!)) is EraMismatchException);
        Assert.False(Record.Exception(() => k.MmapReadUnlock(null!)) is EraMismatchException);
    }

    /// <summary>A driver whose ioctl runs <paramref name="body"/> with the calling process's mm.</summary>
    private static (Kernel K, Process U, int Fd, TestDevice Dev) Ioctl(string version, Func<Kernel, Process, ulong, long> body)
    {
        var k = Boot(version, strict: true);
        var dev = new TestDevice(k);
        dev.OnIoctl = (_, arg) => body(k, k.Current!, arg);
        var u = k.Spawn("app");
        return (k, u, u.OpenOk("/dev/test"), dev);
    }

    [Fact]
    public void A_locked_remote_pin_takes_the_bias_and_unpins_cleanly()
    {
        var pages = new Page[3];
        var (k, u, fd, _) = Ioctl(E7, (k, p, arg) =>
        {
            k.MmapReadLock(p.Mm);
            var n = k.PinUserPagesRemote(p.Mm, new UserAddr(arg), 3, FollFlags.Write | FollFlags.LongTerm, pages);
            k.MmapReadUnlock(p.Mm);
            return n;
        });
        var buf = u.Map(3 * P, flags: MapFlags.Private);
        Assert.Equal(3, u.Ioctl(fd, 1, buf.Value).Value);
        var pinned = k.Refcounts(pages);
        k.UnpinUserPagesDirtyLock(pages, 3, true);
        Assert.Equal(pinned.Select(c => c - 1024), k.Refcounts(pages)); // each pin was GUP_PIN_COUNTING_BIAS
        Assert.All(pages, page => Assert.True(page.Flags.HasFlag(PageFlags.Dirty)));
        Assert.True(u.Munmap(buf, 3 * P).IsOk);
        Assert.True(k.Reports.Count == 0, string.Join("\n", k.Reports.Select(r => r.Text)));
        Assert.True(u.Mmap(default, P, Prot.Read, MapFlags.Private | MapFlags.Anonymous, -1).IsOk); // the lock is free again
    }

    [Theory]
    [InlineData("5.6", 1)]
    [InlineData(E7, 1024)]
    public void Pin_user_pages_fast_pins_present_pages_without_a_fault_and_faults_in_the_rest(string version, int bias)
    {
        var pages = new Page[2];
        var (k, u, fd, _) = Ioctl(version, (k, _, arg) => k.PinUserPagesFast(new UserAddr(arg), 2, FollFlags.Write, pages));
        var buf = u.Map(2 * P, flags: MapFlags.Private);
        Assert.True(u.WriteByte(buf, 7).IsOk); // page 0 present and writable, page 1 not yet
        Assert.Equal(2, u.Ioctl(fd, 1, buf.Value).Value);
        var pinned = k.Refcounts(pages);
        k.UnpinUserPages(pages, 2);
        Assert.Equal(pinned.Select(c => c - bias), k.Refcounts(pages));
        Assert.Equal(-Errno.EINVAL, k.PinUserPagesFast(buf, 0, FollFlags.None, pages));
        Assert.Throws<InvalidOperationException>(() => k.PinUserPagesFast(buf, 1, FollFlags.None, pages)); // no current task
        Assert.Empty(k.Reports);
    }

    [Fact]
    public void Pinning_a_VM_IO_range_is_EFAULT_and_pins_nothing()
    {
        var pages = new Page[1];
        long fast = 0, remote = 0;
        var (k, u, fd, dev) = Ioctl(E7, (k, p, arg) =>
        {
            fast = k.PinUserPagesFast(new UserAddr(arg), 1, FollFlags.None, pages);
            remote = k.PinUserPagesRemote(p.Mm, new UserAddr(arg), 1, FollFlags.None, pages);
            return 0;
        });
        dev.OnMmap = vma => k.RemapPfnRange(vma, vma.Start, k.PageToPfn(dev.Pages[0]), P, vma.PageProt);
        var map = u.Map(P, fd: fd);
        Assert.True(u.Touch(map).IsOk);
        Assert.Equal(0, u.Ioctl(fd, 1, map.Value).Value);
        Assert.Equal(-Errno.EFAULT, fast);
        Assert.Equal(-Errno.EFAULT, remote);
        Assert.True(pages[0].IsNull);
    }

    [Fact]
    public void Taking_the_read_lock_twice_is_lockdeps_recursion_warning_and_the_task_goes_on()
    {
        var (k, u, fd, _) = Ioctl(E7, (k, p, _) =>
        {
            k.MmapReadLock(p.Mm);
            k.MmapReadLock(p.Mm);
            k.MmapReadUnlock(p.Mm);
            k.MmapReadUnlock(p.Mm);
            return 0;
        });
        Assert.Equal(0, u.Ioctl(fd, 1, 0).Value);
        var warning = Assert.Single(k.Reports);
        Assert.Contains("WARNING: possible recursive locking detected", warning.Text, StringComparison.Ordinal);
        Assert.Contains("app/", warning.Text, StringComparison.Ordinal);
        Assert.Equal(ProcessState.Running, u.State);
        Assert.True(u.Mmap(default, P, Prot.Read, MapFlags.Private | MapFlags.Anonymous, -1).IsOk);
    }

    [Fact]
    public void An_unlock_without_a_lock_is_a_bad_unlock_balance_and_changes_nothing()
    {
        var (k, u, fd, _) = Ioctl(E7, (k, p, _) =>
        {
            k.MmapReadUnlock(p.Mm);
            return 0;
        });
        Assert.Equal(0, u.Ioctl(fd, 1, 0).Value);
        var warning = Assert.Single(k.Reports);
        Assert.Contains("WARNING: bad unlock balance detected!", warning.Text, StringComparison.Ordinal);
        Assert.Contains("but there are no more locks to release!", warning.Text, StringComparison.Ordinal);
        Assert.True(u.Mmap(default, P, Prot.Read, MapFlags.Private | MapFlags.Anonymous, -1).IsOk);
    }

    [Fact]
    public void The_read_lock_in_mmap_under_the_write_lock_deadlocks_the_task()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            k.MmapReadLock(vma.Mm);
            return 0;
        };
        var u = k.Spawn("app");
        var r = u.Mmap(default, P, Prot.Read, MapFlags.Shared, u.OpenOk("/dev/test"));
        Assert.False(r.IsOk);
        var oops = Assert.Single(k.Reports);
        Assert.Contains("is trying to acquire lock: &mm->mmap_lock at: mmap_read_lock", oops.Text, StringComparison.Ordinal);
        Assert.Contains("but task is already holding lock: &mm->mmap_lock at: sys_mmap", oops.Text, StringComparison.Ordinal);
        Assert.Equal(ProcessState.Exited, u.State);
    }

    [Fact]
    public void An_ioctl_that_returns_with_the_lock_held_is_named_and_the_next_mmap_deadlocks()
    {
        var (k, u, fd, _) = Ioctl(E7, (k, p, _) =>
        {
            k.MmapReadLock(p.Mm);
            return 0;
        });
        Assert.Equal(0, u.Ioctl(fd, 1, 0).Value);
        var leak = Assert.Single(k.Reports);
        Assert.Contains("WARNING: lock held when returning to user space!", leak.Text, StringComparison.Ordinal);
        Assert.Contains("app/" + u.Pid + " is leaving the kernel with locks still held!", leak.Text, StringComparison.Ordinal);

        // mmap needs the lock for write and waits for ever: lockdep names both holders and the task is lost.
        var deadlock = Assert.Throws<KernelBugException>(() => u.Mmap(default, P, Prot.Read, MapFlags.Private | MapFlags.Anonymous, -1));
        Assert.Contains("is trying to acquire lock: &mm->mmap_lock at: sys_mmap", deadlock.Message, StringComparison.Ordinal);
        Assert.Contains("but task is already holding lock: &mm->mmap_lock at: mmap_read_lock", deadlock.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fault_handler_that_takes_the_read_lock_again_is_warned_about()
    {
        var k = Boot(E7, strict: true);
        var dev = new TestDevice(k);
        dev.OnMmap = vma =>
        {
            vma.Ops = new VmOperations
            {
                Fault = vmf =>
                {
                    k.MmapReadLock(vmf.Vma.Mm);
                    k.MmapReadUnlock(vmf.Vma.Mm);
                    return VmFaultResult.Sigbus;
                },
            };
            return 0;
        };
        var u = k.Spawn("app");
        var map = u.Map(P, Prot.Read, fd: u.OpenOk("/dev/test"));
        Assert.Equal(Signal.SIGBUS, u.Touch(map).Signal);
        Assert.Contains(k.Reports, r => r.Text.Contains("WARNING: possible recursive locking detected", StringComparison.Ordinal));
        Assert.Equal(ProcessState.Running, u.State);
    }

    [Fact]
    public void Another_machines_mm_and_null_are_refused()
    {
        var k = Boot(E7);
        var other = Boot(E7).Spawn();
        Assert.Throws<ArgumentException>(() => k.MmapReadLock(other.Mm));
        Assert.Throws<ArgumentException>(() => k.MmapReadUnlock(other.Mm));
        Assert.Throws<ArgumentNullException>(() => k.MmapReadLock(null!));
        Assert.Throws<ArgumentException>(() => k.PinUserPagesRemote(other.Mm, default, 1, FollFlags.None, new Page[1]));
        Assert.Throws<ArgumentNullException>(() => k.PinUserPagesRemote(k.Spawn().Mm, default, 1, FollFlags.None, null!));
        Assert.Empty(k.Reports);
    }
}
