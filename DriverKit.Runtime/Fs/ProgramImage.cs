namespace DriverKit.Runtime;

/// <summary>
/// The executable a spawned program is loaded from (<see cref="Kernel.Spawn(string, ProgramImage)"/>): its path, the
/// size of its executable PT_LOAD segment and how many stack pages exec fills with arguments, environment and the
/// auxiliary vector. The file lives in the initramfs's rootfs (tmpfs), so its page cache is shmem.
/// </summary>
/// <param name="Path">The executable's path, shown as the name of the text mapping in /proc/pid/maps.</param>
public sealed record ProgramImage(string Path)
{
    /// <summary>Pages of the executable segment (the r-xp text mapping).</summary>
    public int TextPages { get; init; } = 128;

    /// <summary>Pages at the top of the stack that copy_strings and create_elf_tables write (resident after exec).</summary>
    public int ArgPages { get; init; } = 1;
}
