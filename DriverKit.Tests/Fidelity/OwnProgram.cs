using DriverKit.Runtime;

namespace DriverKit.Tests.Fidelity;

/// <summary>
/// The recording programs as processes of their own: exec'd binaries (fs/binfmt_elf.c: load_elf_binary gives them
/// [stack] and text; dkfid-host's shared libraries are not modelled, they lie outside every observed range), whose
/// glibc start-up grows the break for the static TLS block and writes it (a [heap] with a resident page), and obs.h's
/// obs_own_mapping.
/// </summary>
internal static class OwnProgram
{
    /// <summary>exec of /<paramref name="comm"/>, then glibc's __libc_setup_tls: __sbrk of one page, written.</summary>
    public static Process Exec(Kernel kernel, string comm)
    {
        var p = kernel.Spawn(comm, new ProgramImage("/" + comm));
        var tls = p.Mm.Brk;
        var moved = p.Brk(tls + Kernel.PageSize);
        if (!moved.IsOk || moved.Value != tls + Kernel.PageSize || !p.WriteByte(tls, 1).IsOk)
        {
            throw new InvalidOperationException($"{comm}: the start-up brk failed");
        }

        return p;
    }

    /// <summary>obs.h obs_own_mapping: whether smaps has an entry containing <paramref name="addr"/>, its perms, VmFlags and Rss &gt; 0.</summary>
    public static void Obs(ObsLog log, Process p, string step, string prefix, ulong addr)
    {
        var e = ProcView.SmapsLookup(p, addr, addr, addr + 1);
        log.Bool(step, prefix + "found", e.Found);
        if (e.Found)
        {
            log.Str(step, prefix + "perms", e.Perms);
            log.Str(step, prefix + "vmflags", e.VmFlags);
            log.Bool(step, prefix + "has_rss", e.RssKb > 0);
        }
    }
}
