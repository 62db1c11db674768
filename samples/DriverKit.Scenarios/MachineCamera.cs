using System.Globalization;
using DriverKit.Runtime;

namespace DriverKit.Scenarios;

/// <summary>Takes the pictures of a run: the frames of interest (page-types style) and every live process's vmas.</summary>
/// <param name="kernel">The machine.</param>
/// <param name="driverFrames">The driver's frames.</param>
/// <param name="roleOf">A process's role in the scenario.</param>
internal sealed class MachineCamera(Kernel kernel, IReadOnlySet<ulong> driverFrames, Func<Process, string> roleOf)
{
    /// <summary>Neighbours drawn on each side of a frame of interest.</summary>
    private const int ContextFrames = 2;

    /// <summary>Frames nobody can free any more: kept out by bad_page, or the driver's and still allocated once everything ended.</summary>
    public ulong[] Leaked()
    {
        var states = kernel.PageTypes();
        return Enumerable.Range(0, states.Length)
            .Where(p => states[p] == FrameState.Leaked || (driverFrames.Contains((ulong)p) && states[p] is FrameState.DriverOwned or FrameState.Reserved or FrameState.UserMapped))
            .Select(p => (ulong)p)
            .ToArray();
    }

    /// <summary>The driver's frames and the frames in use, each with a little of its neighbourhood, and the live processes' vmas.</summary>
    /// <param name="label">When it was taken.</param>
    /// <param name="leaked">Frames to mark as leaked.</param>
    public MachineSnapshot Take(string label, IReadOnlyCollection<ulong> leaked)
    {
        var states = kernel.PageTypes();
        var shown = new SortedSet<int>();
        for (var p = 0; p < states.Length; p++)
        {
            if (driverFrames.Contains((ulong)p) || states[p] is not (FrameState.Free or FrameState.BootReserved))
            {
                for (var q = Math.Max(0, p - ContextFrames); q <= Math.Min(states.Length - 1, p + ContextFrames); q++)
                {
                    shown.Add(q);
                }
            }
        }

        var frames = shown.Select(p => new FrameCell((ulong)p, states[p], driverFrames.Contains((ulong)p), leaked.Contains((ulong)p))).ToArray();
        var processes = kernel.Processes
            .Where(p => p.State == ProcessState.Running)
            .Select(p => new ProcessView(p.Comm, p.Pid, roleOf(p), p.Mm.VmAreas.Select(View).ToArray()))
            .ToArray();
        return new MachineSnapshot(label, frames, processes, states.Length, kernel.FreePageCount);
    }

    private VmaView View(VmArea vma)
    {
        var f = vma.Flags;
        var perms = string.Create(CultureInfo.InvariantCulture, $"{(f.HasFlag(VmFlags.Read) ? 'r' : '-')}{(f.HasFlag(VmFlags.Write) ? 'w' : '-')}{(f.HasFlag(VmFlags.Exec) ? 'x' : '-')}{(f.HasFlag(VmFlags.MayShare) ? 's' : 'p')}");
        return new VmaView(vma.Start.Value, vma.End.Value, perms, Proc.VmFlagsText(kernel.Policy, f), vma.File?.Inode.Path);
    }
}
