namespace DriverKit.Fuzz;

/// <summary>One source file of a fuzz input.</summary>
/// <param name="Name">The file name ("Driver.cs").</param>
/// <param name="Text">Its text.</param>
public sealed record FuzzFile(string Name, string Text);

/// <summary>
/// One input the fuzzer runs: the files of a project, the kernel version the analyzers are configured for, and how the input
/// was made (the seed source and the mutations applied), so a failure can be reproduced from its description alone.
/// </summary>
/// <param name="Index">The input's number in its run.</param>
/// <param name="Seed">The seed source it was derived from.</param>
/// <param name="Mutations">The mutations applied, in order.</param>
/// <param name="KernelVersion">driverkit.kernel_version for the analyzers.</param>
/// <param name="Files">The project's files.</param>
public sealed record FuzzInput(int Index, string Seed, IReadOnlyList<string> Mutations, string KernelVersion, IReadOnlyList<FuzzFile> Files)
{
    /// <summary>"#12 Scullp/ScullpDriver.cs + delete-token, unicode-escape @ 2.6.15".</summary>
    public string Describe() => $"#{Index} {Seed}{(Mutations.Count == 0 ? "" : " + " + string.Join(", ", Mutations))} @ {KernelVersion}";
}
