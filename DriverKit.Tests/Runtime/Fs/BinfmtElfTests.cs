using DriverKit.Runtime;
using static DriverKit.Tests.Runtime.Machines;

namespace DriverKit.Tests.Runtime.Fs;

/// <summary>fs/binfmt_elf.c: load_elf_binary's address space for a spawned program, and brk(2) (mm/mmap.c).</summary>
public class BinfmtElfTests
{
    private const ulong P = Kernel.PageSize;

    private static string Line(Process p, UserAddr addr) =>
        Proc.Maps(p).Split('\n').Single(l => l.Length > 0 && Convert.ToUInt64(l[..l.IndexOf('-')], 16) <= addr.Value && addr.Value < Convert.ToUInt64(l[(l.IndexOf('-') + 1)..l.IndexOf(' ')], 16));

    [Theory]
    [InlineData("2.6.30")]
    [InlineData("6.1")]
    [InlineData("7.0")]
    public void Exec_maps_stack_and_text_with_resident_pages_and_puts_the_break_after_the_image(string version)
    {
        var k = Boot(version, strict: true);
        var p = k.Spawn("prog", new ProgramImage("/bin/prog") { TextPages = 20, ArgPages = 2 });
        var mm = p.Mm;

        // setup_arg_pages: the argument pages plus stack_expand (128 KiB), VM_STACK_FLAGS; two written pages.
        var stack = mm.VmaAt(mm.StartStack)!;
        Assert.Equal(2 + 32UL, stack.Pages);
        Assert.Equal(VmFlags.Read | VmFlags.Write | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec | VmFlags.GrowsDown | VmFlags.Account, stack.Flags);
        Assert.Equal((8UL, 8UL, 0UL), Proc.SmapsOf(stack));
        Assert.EndsWith("[stack]", Line(p, mm.StartStack), StringComparison.Ordinal);

        // elf_map: a private read-exec file mapping (VM_MAYWRITE kept, no VM_ACCOUNT); the entry page was fetched.
        var text = mm.VmaAt(mm.StartCode)!;
        Assert.Equal(20UL, text.Pages);
        Assert.Equal(VmFlags.Read | VmFlags.Exec | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec, text.Flags);
        Assert.Equal((4UL, 0UL, 0UL), Proc.SmapsOf(text));
        Assert.Contains("r-xp", Line(p, mm.StartCode), StringComparison.Ordinal);
        Assert.EndsWith("/bin/prog", Line(p, mm.StartCode), StringComparison.Ordinal);

        // set_brk: no heap vma until brk grows.
        Assert.Equal(mm.EndCode, mm.StartBrk);
        Assert.Equal(mm.StartBrk, mm.Brk);
        Assert.Null(mm.VmaAt(mm.Brk));
        Assert.Equal(20 + 34L, mm.TotalVm);
        Assert.Equal(12, ProcStatusKb(p, "VmRSS"));

        Assert.Equal(0, p.Exit().Errno);
        Assert.Empty(k.Shutdown());
    }

    [Fact]
    public void Brk_grows_a_merged_heap_shrinks_it_and_refuses_a_break_below_start_brk()
    {
        var k = Boot("6.1", strict: true);
        var p = k.Spawn("prog", new ProgramImage("/bin/prog"));
        var start = p.Mm.StartBrk;

        Assert.Equal(start + 2 * P, p.Brk(start + 2 * P).Value);
        Assert.Equal(start + 5 * P - 1, p.Brk(start + 5 * P - 1).Value);
        var heap = p.Mm.VmaAt(start)!;
        Assert.Equal((start, start + 5 * P), (heap.Start, heap.End));
        Assert.Equal(VmFlags.Read | VmFlags.Write | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec | VmFlags.Account, heap.Flags);
        Assert.EndsWith("[heap]", Line(p, start), StringComparison.Ordinal);
        Assert.True(p.WriteByte(start + 4 * P, 7).IsOk);

        // Shrinking unmaps [PAGE_ALIGN(brk), old PAGE_ALIGN(brk)); the rest stays.
        Assert.Equal(start + P + 1, p.Brk(start + P + 1).Value);
        Assert.Equal(start + 2 * P, p.Mm.VmaAt(start)!.End);
        Assert.Equal(0UL, Proc.SmapsOf(p.Mm.VmaAt(start)!).RssKb);

        Assert.Equal(start + P + 1, p.Brk(start - P).Value);
        Assert.Equal(0, p.Exit().Errno);
        Assert.Empty(k.Shutdown());
    }

    [Fact]
    public void Brk_of_a_process_without_a_program_image_is_refused_below_mmap_min_addr()
    {
        var k = Boot("6.1");
        var p = k.Spawn();
        Assert.Equal(default, p.Brk(new UserAddr(0x20000)).Value);
        Assert.Empty(p.Mm.VmAreas);
    }

    [Theory]
    [InlineData("4.11", true)]
    [InlineData("4.12", false)]
    public void Brk_stops_at_the_stack_guard_gap_from_4_12(string version, bool allowed)
    {
        var k = Boot(version);
        var p = k.Spawn("prog", new ProgramImage("/bin/prog"));

        // A VM_GROWSDOWN vma 8 pages above the break: the brk up to one page below it needs the 4.12 guard gap free.
        var below = p.Mm.Brk + 8 * P;
        Assert.True(p.Mmap(below, P, Prot.Read | Prot.Write, MapFlags.Private | MapFlags.Anonymous | MapFlags.Fixed | MapFlags.GrowsDown).IsOk);
        var want = p.Mm.Brk + 7 * P;
        Assert.Equal(allowed ? want : p.Mm.StartBrk, p.Brk(want).Value);
    }

    [Fact]
    public void Brk_under_mlockall_future_locks_and_populates_and_is_refused_over_the_limit()
    {
        var k = Boot("6.1");
        var p = k.Spawn("prog", new ProgramImage("/bin/prog"));
        p.CapIpcLock = false;
        p.SetMemlockLimit(4 * P);
        Assert.True(p.MlockAll(MlockAllFlags.Future).IsOk);
        var start = p.Mm.StartBrk;

        // do_brk_flags with def_flags VM_LOCKED, then brk's mm_populate.
        Assert.Equal(start + 3 * P, p.Brk(start + 3 * P).Value);
        Assert.Equal(3L, p.Mm.LockedVm);
        Assert.Equal(12UL, Proc.SmapsOf(p.Mm.VmaAt(start)!).RssKb);

        // check_brk_limits → mlock_future_check: 5 locked pages exceed RLIMIT_MEMLOCK, the break stays.
        Assert.Equal(start + 3 * P, p.Brk(start + 5 * P).Value);
    }

    [Fact]
    public void Exec_layout_is_inherited_by_fork_and_mlockall_current_counts_it()
    {
        var k = Boot("6.1");
        var p = k.Spawn("prog", new ProgramImage("/bin/prog") { TextPages = 8 });
        p.CapIpcLock = false;
        p.SetMemlockLimit(16 * P);

        // mm/mlock.c: mlockall(MCL_CURRENT) compares total_vm (8 text + 33 stack pages) with RLIMIT_MEMLOCK.
        Assert.Equal(Errno.ENOMEM, p.MlockAll(MlockAllFlags.Current).Errno);

        var child = p.Fork().Unwrap();
        Assert.Equal(p.Mm.StartStack, child.Mm.StartStack);
        Assert.Equal(p.Mm.Brk, child.Mm.Brk);
        Assert.EndsWith("[stack]", Line(child, child.Mm.StartStack), StringComparison.Ordinal);
        Assert.Equal(child.Mm.StartBrk + P, child.Brk(child.Mm.StartBrk + P).Value);
    }

    private static long ProcStatusKb(Process p, string field) =>
        long.Parse(Proc.Status(p).Split('\n').Single(l => l.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
}
