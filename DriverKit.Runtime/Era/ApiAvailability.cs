namespace DriverKit.Runtime;

/// <summary>What kind of kernel symbol a row of <see cref="KernelAvailability"/> describes.</summary>
/// <remarks>This file is compiled into DriverKit.Runtime and, linked, into DriverKit.Analyzers.</remarks>
public enum ApiKind
{
    /// <summary>A <see cref="VmFlags"/> member: a <c>VM_*</c> constant of include/linux/mm.h.</summary>
    VmFlag,

    /// <summary>A <see cref="PageFlags"/> member: a <c>PG_*</c> bit of include/linux/page-flags.h.</summary>
    PageFlag,

    /// <summary>A hook of <c>VmOperations</c>: a member of <c>struct vm_operations_struct</c>.</summary>
    VmOperationsHook,

    /// <summary>A hook of <c>FileOperations</c>: a member of <c>struct file_operations</c>.</summary>
    FileOperationsHook,

    /// <summary>A constant a hook returns (<c>NOPFN_REFAULT</c>).</summary>
    Constant,

    /// <summary>A kernel function a driver calls (a method of <c>Kernel</c>).</summary>
    Function,

    /// <summary>A system call or /proc file a test program uses (a member of <c>Process</c>).</summary>
    UserInterface,
}

/// <summary>
/// One row of <see cref="KernelAvailability"/>: a DriverKit member, the kernel symbol it models, the kernels that have that
/// symbol and what to use where it is missing.
/// </summary>
public sealed class ApiAvailability
{
    internal ApiAvailability(ApiKind kind, string member, string kernelName, string? since, string? removedIn, string? replacement, string? history)
    {
        Kind = kind;
        Member = member;
        KernelName = kernelName;
        Since = since is null ? null : KernelVersion.Parse(since);
        RemovedIn = removedIn is null ? null : KernelVersion.Parse(removedIn);
        Replacement = replacement;
        History = history ?? Describe(Since, RemovedIn);
    }

    /// <summary>What kind of symbol this is.</summary>
    public ApiKind Kind { get; }

    /// <summary>The DriverKit member, as <c>Type.Member</c>: <c>VmFlags.DontDump</c>, <c>VmOperations.NoPage</c>, <c>Kernel.VmMapPages</c>.</summary>
    public string Member { get; }

    /// <summary>The member's name without its type: the word the analyzers search the source for.</summary>
    public string Name => Member.Substring(Member.IndexOf('.') + 1);

    /// <summary>The kernel's name for it: <c>VM_DONTDUMP</c>, <c>-&gt;nopage</c>, <c>vm_map_pages</c>.</summary>
    public string KernelName { get; }

    /// <summary>The first kernel that has it; null when every supported kernel (2.6.10 on) does.</summary>
    public KernelVersion? Since { get; }

    /// <summary>The first kernel that no longer has it; null when today's kernels still do.</summary>
    public KernelVersion? RemovedIn { get; }

    /// <summary>What a driver uses in the kernels that lack it, in words; null when nothing replaces it.</summary>
    public string? Replacement { get; }

    /// <summary>The kernels that have it, in words: "from 3.4", "until its removal in 3.7", "from 2.6.15-rc4 until its removal in 3.7".</summary>
    public string History { get; }

    /// <summary>True when every supported kernel has it.</summary>
    public bool Always => Since is null && RemovedIn is null;

    /// <summary>The analyzer rule that reports a use in a kernel without it: DK0005 for VM_RESERVED, DK1001 for everything else.</summary>
    public string RuleId => Member == "VmFlags.Reserved" ? "DK0005" : "DK1001";

    /// <summary>True when <paramref name="version"/> has it.</summary>
    /// <param name="version">A kernel version.</param>
    public bool ExistsIn(KernelVersion version) => (Since is not { } since || version >= since) && (RemovedIn is not { } removed || version < removed);

    /// <summary>
    /// The sentence a use in <paramref name="version"/> gets when it does not exist there:
    /// "VM_DONTDUMP does not exist in Linux 2.6.20; it exists from 3.4; use VM_IO instead".
    /// </summary>
    /// <param name="version">The kernel version (or its description, "2.6.20 (era E3)").</param>
    public string Explain(string version) =>
        $"{KernelName} does not exist in Linux {version}; it exists {History}" + (Replacement is null ? string.Empty : $"; {Replacement}");

    /// <inheritdoc/>
    public override string ToString() => $"{Member} ({KernelName}, {History})";

    private static string Describe(KernelVersion? since, KernelVersion? removed) => (since, removed) switch
    {
        (null, null) => "in every supported kernel",
        ({ } from, null) => $"from {from}",
        (null, { } to) => $"until its removal in {to}",
        ({ } from, { } to) => $"from {from} until its removal in {to}",
    };
}
