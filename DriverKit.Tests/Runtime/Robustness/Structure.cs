using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime.Robustness;

/// <summary>
/// Structural invariants no driver can legitimately break, checked after every case and chaos step: they hold
/// whatever a driver does through the API, so a violation is the simulator's inconsistency, not a driver bug.
/// (locked_vm is not among them: a driver can set VM_LOCKED on a live vma, which INV-13 reports as its bug.)
/// </summary>
internal static class Structure
{
    /// <summary>Every violation, readable; empty when the machine is sound.</summary>
    public static List<string> Check(Kernel k)
    {
        var found = new List<string>();
        var mem = k.Mem;
        for (var p = 0; p < mem.Count; p++)
        {
            if (mem.RefCount[p] < 0 || mem.MapCount[p] < 0)
            {
                found.Add($"pfn {p:x5} has refcount {mem.RefCount[p]}, mapcount {mem.MapCount[p]}");
            }
            else if (k.IsFreeFrame(p) && (mem.RefCount[p] != 0 || mem.MapCount[p] != 0))
            {
                found.Add($"free pfn {p:x5} has refcount {mem.RefCount[p]}, mapcount {mem.MapCount[p]}");
            }
        }

        foreach (var proc in k.Processes)
        {
            var mm = proc.Mm;
            if (proc.State != ProcessState.Running)
            {
                if (mm.Vmas.All.Count > 0 || proc.Files.Count > 0 || MachineState.Ptes(mm).Any(t => Pte.IsPresent(t.Pte)))
                {
                    found.Add($"exited {proc} still has {mm.Vmas.All.Count} vma(s), {proc.Files.Count} file(s) or present PTEs");
                }

                if (k.MmById(mm.Id) is not null)
                {
                    found.Add($"the mm of exited {proc} is still live");
                }

                continue;
            }

            CheckMm(mm, proc.ToString(), found);
        }

        return found;
    }

    private static void CheckMm(MmStruct mm, string who, List<string> found)
    {
        var vmas = mm.Vmas.All;
        long total = 0;
        for (var i = 0; i < vmas.Count; i++)
        {
            var v = vmas[i];
            if (v.Start >= v.End || !v.Start.IsPageAligned || !v.End.IsPageAligned || v.End.Value > MmStruct.TaskSize + Kernel.PageSize)
            {
                found.Add($"{who}: malformed vma {v.Start}-{v.End}");
            }

            if (i > 0 && vmas[i - 1].End > v.Start)
            {
                found.Add($"{who}: vmas {vmas[i - 1].Start}-{vmas[i - 1].End} and {v.Start}-{v.End} overlap or are out of order");
            }

            if (v.Closed)
            {
                found.Add($"{who}: vma {v.Start}-{v.End} was closed but is still mapped");
            }

            if (!ReferenceEquals(v.Mm, mm))
            {
                found.Add($"{who}: vma {v.Start}-{v.End} belongs to another mm");
            }

            total += (long)v.Pages;
        }

        if (total != mm.TotalVm)
        {
            found.Add($"{who}: total_vm {mm.TotalVm} but its vmas span {total} pages");
        }

        if (mm.RssAnon < 0 || mm.RssFile < 0 || mm.RssShmem < 0 || mm.SwapEntries < 0)
        {
            found.Add($"{who}: negative rss {mm.RssFile}/{mm.RssAnon}/{mm.RssShmem}/{mm.SwapEntries}");
        }

        var orphans = 0;
        var first = 0UL;
        foreach (var (addr, _) in MachineState.Ptes(mm))
        {
            if (mm.Vmas.Containing(addr) is null)
            {
                first = orphans++ == 0 ? addr : first;
            }
        }

        if (orphans > 0)
        {
            found.Add($"{who}: {orphans} PTE(s) outside every vma (first at {first:x})");
        }
    }
}
