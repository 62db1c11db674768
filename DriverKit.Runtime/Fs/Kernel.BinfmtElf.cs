namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>Where ld links a non-PIE x86-64 executable (the first PT_LOAD's p_vaddr).</summary>
    internal const ulong ElfExecBase = 0x400000UL;

    /// <summary>fs/exec.c: setup_arg_pages — stack_expand, the room added below the argument pages.</summary>
    private const ulong StackExpand = 128 * 1024;

    /// <summary>
    /// Starts a user process as exec of a static, non-PIE ELF program leaves it (fs/binfmt_elf.c: load_elf_binary):
    /// a [stack] with the argument pages written, the program text mapped privately from its file with the entry
    /// page faulted by the first instruction fetch, and the program break at the end of the image (no [heap] vma until
    /// <see cref="Process.Brk"/> grows it, as glibc's start-up does).
    /// </summary>
    /// <param name="comm">Its command name, printed in kernel messages.</param>
    /// <param name="image">The executable.</param>
    public Process Spawn(string comm, ProgramImage image)
    {
        ArgumentException.ThrowIfNullOrEmpty(comm);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(image.Path);
        ArgumentOutOfRangeException.ThrowIfLessThan(image.TextPages, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(image.ArgPages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(image.ArgPages, 32);

        var p = NewProcess(comm.Length > 15 ? comm[..15] : comm, null);
        using (EnterProcess(p, MmapLockMode.Write, "load_elf_binary"))
        {
            SetupArgPages(p.Mm, image.ArgPages);
            MapText(p.Mm, image);
        }

        // start_thread → the first user instruction fetch: a read fault on the entry page (do_read_fault).
        PageFault(p, p.Mm.StartCode.Value, write: false);
        return p;
    }

    /// <summary>
    /// fs/exec.c: __bprm_mm_init + copy_strings + setup_arg_pages — the stack vma (VM_STACK_FLAGS: VM_GROWSDOWN,
    /// VM_ACCOUNT and the data defaults) below STACK_TOP, its top pages written with the arguments through
    /// get_user_pages_remote(FOLL_WRITE|FOLL_FORCE), then expanded by stack_expand.
    /// </summary>
    private void SetupArgPages(MmStruct mm, int argPages)
    {
        var top = MmStruct.TaskSize;
        var argBase = top - ((ulong)argPages << PageShift);
        var start = argBase - StackExpand;
        var flags = VmFlags.Read | VmFlags.Write | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec | VmFlags.GrowsDown | VmFlags.Account;
        var vma = new VmArea(mm, new UserAddr(start), new UserAddr(top), flags, start >> PageShift, null);
        InsertVma(vma);
        mm.TotalVm += (long)vma.Pages;
        for (var addr = argBase; addr < top; addr += PageSize)
        {
            HandleMmFault(mm, addr, write: true, force: true);
        }

        // bprm->p after create_elf_tables: the lowest byte of the argument area, where the initial stack pointer is.
        mm.StartStack = new UserAddr(argBase + 16);
    }

    /// <summary>
    /// fs/binfmt_elf.c: elf_map of the executable PT_LOAD (vm_mmap(PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED_NOREPLACE):
    /// VM_MAYWRITE stays for a private file mapping, no VM_ACCOUNT without VM_WRITE), then set_brk: start_brk = brk =
    /// the page-aligned end of the image.
    /// </summary>
    private void MapText(MmStruct mm, ProgramImage image)
    {
        var len = (ulong)image.TextPages << PageShift;
        var file = CreateRootfsFile(image.Path, len);
        var flags = VmFlags.Read | VmFlags.Exec | VmFlags.MayRead | VmFlags.MayWrite | VmFlags.MayExec;
        var vma = new VmArea(mm, new UserAddr(ElfExecBase), new UserAddr(ElfExecBase + len), flags, 0, file);
        InsertVma(vma);
        mm.TotalVm += (long)vma.Pages;
        mm.StartCode = vma.Start;
        mm.EndCode = vma.End;
        mm.StartBrk = vma.End;
        mm.Brk = vma.End;
    }
}
