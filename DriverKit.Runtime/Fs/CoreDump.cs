namespace DriverKit.Runtime;

/// <summary>
/// An ELF core file as fs/binfmt_elf.c: elf_core_dump writes it: one PT_LOAD segment per vma (p_memsz the vma's
/// size, p_filesz what the era's vma selection dumps) and the page contents, with holes where the dumper's page
/// lookup found nothing it may read.
/// </summary>
public sealed class CoreDump
{
    internal CoreDump(string process, IReadOnlyList<CoreSegment> segments)
    {
        Process = process;
        Segments = segments;
    }

    /// <summary>The dumped process, "comm (pid N)".</summary>
    public string Process { get; }

    /// <summary>The PT_LOAD segments in address order.</summary>
    public IReadOnlyList<CoreSegment> Segments { get; }

    /// <summary>The segment of the vma that contains <paramref name="addr"/>, or null.</summary>
    /// <param name="addr">A user address.</param>
    public CoreSegment? SegmentAt(UserAddr addr) => Segments.FirstOrDefault(s => addr >= s.Start && addr < s.End);
}

/// <summary>One vma's PT_LOAD segment in a <see cref="CoreDump"/>.</summary>
public sealed class CoreSegment
{
    internal CoreSegment(UserAddr start, UserAddr end, ulong fileSize, string why, IReadOnlyList<byte[]?> pages)
    {
        Start = start;
        End = end;
        FileSize = fileSize;
        Why = why;
        Pages = pages;
    }

    /// <summary>vm_start.</summary>
    public UserAddr Start { get; }

    /// <summary>vm_end.</summary>
    public UserAddr End { get; }

    /// <summary>p_memsz: the vma's size.</summary>
    public ulong MemSize => End - Start;

    /// <summary>p_filesz: the bytes of the vma written to the file (0, one page for an ELF header, or the whole vma).</summary>
    public ulong FileSize { get; }

    /// <summary>Why the selection dumped this much ("VM_IO", "anonymous private", "ELF header probe", …).</summary>
    public string Why { get; }

    /// <summary>The written pages in order; null where the dumper left a hole (special PTE, zero page, refused vma).</summary>
    public IReadOnlyList<byte[]?> Pages { get; }
}
