using DriverKit.Runtime;

namespace DriverKit.Scenarios;

/// <summary>A picture of the machine at one moment: the frames of interest and every live process's vmas.</summary>
/// <param name="Label">When it was taken ("mapped", "end").</param>
/// <param name="Frames">Frames in use plus the driver's frames, in pfn order.</param>
/// <param name="Processes">Live processes and their vmas.</param>
/// <param name="TotalFrames">RAM frames of the machine.</param>
/// <param name="FreeFrames">Free frames (not drawn one by one).</param>
public sealed record MachineSnapshot(string Label, IReadOnlyList<FrameCell> Frames, IReadOnlyList<ProcessView> Processes, int TotalFrames, long FreeFrames);

/// <summary>One frame in a snapshot.</summary>
/// <param name="Pfn">The frame number.</param>
/// <param name="State">What it is used for (Kernel.PageTypes()).</param>
/// <param name="Driver">One of the driver's frames.</param>
/// <param name="Leaked">Leaked: the run ended and nobody can free it any more.</param>
/// <param name="FreedWhileMapped">A PTE installed before the frame was freed still maps it (the frame may since have been reused).</param>
public readonly record struct FrameCell(ulong Pfn, FrameState State, bool Driver, bool Leaked, bool FreedWhileMapped);

/// <summary>A live process and its vmas.</summary>
/// <param name="Comm">Command name.</param>
/// <param name="Pid">Process id.</param>
/// <param name="Role">Its role in the scenario ("U", "C", "V").</param>
/// <param name="Vmas">Its vmas in address order.</param>
public sealed record ProcessView(string Comm, int Pid, string Role, IReadOnlyList<VmaView> Vmas);

/// <summary>One vma as /proc/pid/maps and smaps show it.</summary>
/// <param name="Start">vm_start.</param>
/// <param name="End">vm_end.</param>
/// <param name="Perms">"rw-s".</param>
/// <param name="Flags">smaps VmFlags mnemonics ("rd wr sh mr mw me ms io pf").</param>
/// <param name="Path">The mapped device, or null for anonymous memory.</param>
/// <param name="Mapped">Its pages whose PTE maps one of the snapshot's frames, in address order.</param>
public sealed record VmaView(ulong Start, ulong End, string Perms, string Flags, string? Path, IReadOnlyList<MappedPage> Mapped)
{
    /// <summary>Length in pages.</summary>
    public ulong Pages => (End - Start) / Kernel.PageSize;
}

/// <summary>A page of a vma whose PTE maps a frame of the snapshot.</summary>
/// <param name="Index">The page's index in its vma (0 for vm_start).</param>
/// <param name="Pfn">The frame the PTE maps.</param>
/// <param name="Special">A special PTE (remap_pfn_range, vmf_insert_pfn): no refcount, no mapcount.</param>
/// <param name="FreedWhileMapped">The frame was freed after the PTE was installed: it is free now, or reused by its next owner.</param>
public readonly record struct MappedPage(ulong Index, ulong Pfn, bool Special, bool FreedWhileMapped);
