namespace DriverKit.Runtime;

/// <summary>How much the debug-VM checker reports.</summary>
public enum CheckerMode
{
    /// <summary>Only what the real kernel of the configured era would report, with its text.</summary>
    Faithful,

    /// <summary>Also the simulator-only findings (DKSIM reports naming the invariant), checked after every operation.</summary>
    Strict,
}

/// <summary>The configuration of one simulated machine.</summary>
public sealed class KernelOptions
{
    /// <summary>The defaults: the newest kernel, 64 MiB of RAM, 1024 pages of swap, the faithful checker (each property says its default).</summary>
    public KernelOptions()
    {
    }

    /// <summary>The kernel version to simulate ("2.6.14", "2.6.15-rc1", "3.7", "6.6", "7.0", …). Default: the newest era.</summary>
    public string Version { get; set; } = "7.0";

    /// <summary>Physical RAM in bytes (a multiple of 4 KiB, at least 8 MiB). Default 64 MiB.</summary>
    public ulong MemoryBytes { get; set; } = 64UL << 20;

    /// <summary>Whether the architecture has a PTE special bit (x86-64, arm64, ppc64: true). Only matters from 2.6.27, when x86 and powerpc got it.</summary>
    public bool ArchHasPteSpecial { get; set; } = true;

    /// <summary>x86 with PAT: whole-vma remaps are memory-type tracked (VM_PAT), which fork must copy (track_pfn_copy). Default true.</summary>
    public bool X86Pat { get; set; } = true;

    /// <summary>CONFIG_DEBUG_VM: VM_BUG_ON checks become oopses, and 6.4+ page checks run.</summary>
    public bool DebugVm { get; set; }

    /// <summary>6.4+ check_pages (init_on_free, init_on_alloc, debug_pagealloc, page poisoning): free-time page checks run.</summary>
    public bool CheckPages { get; set; }

    /// <summary>debug_pagealloc=on: order-0 and per-cpu-list frees are checked at once (4.7 – 6.3).</summary>
    public bool DebugPagealloc { get; set; }

    /// <summary>Faithful (kernel reports only) or strict (simulator-only findings too). Default faithful.</summary>
    public CheckerMode CheckerMode { get; set; } = CheckerMode.Faithful;

    /// <summary>
    /// Strict mode checks the cheap invariants inline on every operation and runs the full frame/mm scan
    /// (INV-02, INV-13, INV-24) after every <c>FullScanInterval</c>-th system call or fault. Default 1: every one.
    /// </summary>
    public int FullScanInterval { get; set; } = 1;

    /// <summary>Pages of swap space (0: no swap device; at most <see cref="Kernel.MaxSwapPages"/>). Default 1024.</summary>
    public int SwapPages { get; set; } = 1024;

    /// <summary>Bytes reserved at boot for the kernel image, starting at 1 MiB. Default 2 MiB.</summary>
    public ulong KernelImageBytes { get; set; } = 2UL << 20;

    /// <summary>
    /// A kernel that never existed: Benjamin Herrenschmidt's Dec 2006 proposal (scenario S2-b), where vm_normal_page
    /// treats every PTE of a VM_RESERVED vma as special in all callers while -&gt;nopage still takes a reference and
    /// file-rmaps the page. Only meaningful for 2.6.15 – 3.6.
    /// </summary>
    public bool WhatIfVmReservedSpecial { get; set; }

    /// <summary>Default RLIMIT_MEMLOCK of new processes in bytes (Linux default 64 KiB before 5.16, 8 MiB after).</summary>
    public ulong? DefaultMemlockLimit { get; set; }

    /// <summary>A copy: what a machine keeps, so later changes to these options do not reach it.</summary>
    internal KernelOptions Copy() => (KernelOptions)MemberwiseClone();
}
