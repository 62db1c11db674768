using System.Globalization;
using System.Text.RegularExpressions;
using DriverKit.Runtime;

namespace DriverKit.Scenarios;

/// <summary>
/// Takes the pictures of a run: the frames of interest (page-types style), every live process's vmas, and which
/// vma page maps which of those frames.
/// </summary>
/// <param name="kernel">The machine.</param>
/// <param name="driverFrames">The driver's frames.</param>
/// <param name="roleOf">A process's role in the scenario.</param>
internal sealed partial class MachineCamera(Kernel kernel, IReadOnlySet<ulong> driverFrames, Func<Process, string> roleOf)
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

        var ptes = shown.SelectMany(p => PtesOf((ulong)p, states[p] == FrameState.Free)).ToArray();
        var freedWhileMapped = ptes.Where(h => h.FreedWhileMapped).Select(h => h.Pfn).ToHashSet();
        var frames = shown.Select(p => new FrameCell((ulong)p, states[p], driverFrames.Contains((ulong)p), leaked.Contains((ulong)p), freedWhileMapped.Contains((ulong)p))).ToArray();
        var processes = kernel.Processes
            .Where(p => p.State == ProcessState.Running)
            .Select(p => new ProcessView(p.Comm, p.Pid, roleOf(p), p.Mm.VmAreas.Select(v => View(v, ptes.Where(h => h.Pid == p.Pid))).ToArray()))
            .ToArray();
        return new MachineSnapshot(label, frames, processes, states.Length, kernel.FreePageCount);
    }

    /// <summary>
    /// The PTEs that map <paramref name="pfn"/>, from the checker's ledger: its shadow reverse map records special
    /// PTEs too (which /proc/pid/pagemap hides), and marks a PTE stale when the frame was reallocated since.
    /// </summary>
    private IEnumerable<PteHolder> PtesOf(ulong pfn, bool free) => PteHolderPattern()
        .Matches(kernel.Checker.Ledger(new Pfn(pfn)))
        .Select(m => new PteHolder(
            pfn,
            int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture),
            ulong.Parse(m.Groups["addr"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            m.Groups["special"].Success,
            free || m.Groups["stale"].Success));

    private VmaView View(VmArea vma, IEnumerable<PteHolder> ptes)
    {
        var f = vma.Flags;
        var perms = string.Create(CultureInfo.InvariantCulture, $"{(f.HasFlag(VmFlags.Read) ? 'r' : '-')}{(f.HasFlag(VmFlags.Write) ? 'w' : '-')}{(f.HasFlag(VmFlags.Exec) ? 'x' : '-')}{(f.HasFlag(VmFlags.MayShare) ? 's' : 'p')}");
        var mapped = ptes
            .Where(h => h.Addr >= vma.Start.Value && h.Addr < vma.End.Value)
            .Select(h => new MappedPage((h.Addr - vma.Start.Value) / Kernel.PageSize, h.Pfn, h.Special, h.FreedWhileMapped))
            .OrderBy(m => m.Index)
            .ToArray();
        return new VmaView(vma.Start.Value, vma.End.Value, perms, Proc.VmFlagsText(kernel.Policy, f), vma.File?.Inode.Path, mapped);
    }

    /// <summary>One "Pte(pid 100 @7effffffc000 Fault)" or "SpecialPte(pid 100 @7effffffc000 RemapPfnRange stale)" of a ledger.</summary>
    [GeneratedRegex(@"(?<![A-Za-z])(?<special>Special)?Pte\(pid (?<pid>\d+) @(?<addr>[0-9a-f]+) \w+(?<stale> stale)?\)", RegexOptions.CultureInvariant)]
    private static partial Regex PteHolderPattern();

    /// <summary>A PTE that maps a frame: whose, where, and whether the frame was freed since it was installed.</summary>
    private readonly record struct PteHolder(ulong Pfn, int Pid, ulong Addr, bool Special, bool FreedWhileMapped);
}
