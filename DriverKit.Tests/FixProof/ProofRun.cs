using DriverKit.Runtime;

namespace DriverKit.Tests.FixProof;

/// <summary>One report of a run, reduced to what two runs of a driver are compared by.</summary>
internal readonly record struct ProofReport(ReportKind Kind, string Invariant, string? RuleId, string Text)
{
    /// <summary>Same kind, invariant and rule: the same finding, whatever addresses and pfns it names.</summary>
    public (ReportKind, string, string?) Identity => (Kind, Invariant, RuleId);

    public override string ToString() => $"[{RuleId ?? "-"}] {Text}";
}

/// <summary>What user space does beyond the standard script.</summary>
internal enum ProofProbe
{
    /// <summary>The standard script only.</summary>
    None,

    /// <summary>
    /// After the standard mapping (DK0014): when the driver refused the read-write mapping, a read-only one made writable with
    /// mprotect and written; then a mapping at the offset just past the device's pages, and one a page longer than the device,
    /// each read through.
    /// </summary>
    Bounds,

    /// <summary>
    /// While the parent maps the device (DK0018): the ioctl <see cref="FixProofExample.IoctlCommand"/>, then the parent reads
    /// every page again.
    /// </summary>
    IoctlWhileMapped,

    /// <summary>
    /// After the standard mapping (DK0015): a mapping of the device's pages grown by one page with mremap(MREMAP_MAYMOVE), every
    /// page of it read.
    /// </summary>
    Grow,

    /// <summary>After the standard mapping (DK0020): a private (copy-on-write) read-write mapping of the device, every page read.</summary>
    Private,

    /// <summary>
    /// After the standard mapping (DK0017): a private read-only mapping of the device's first page, read, then the process dumps
    /// core with ELF headers in its coredump_filter (the dumper probes a private mapping at offset 0 for an ELF header).
    /// </summary>
    CoreDump,
}

/// <summary>
/// The standard user-space script of the fix-proof harness, played against a driver on a fresh strict-mode machine: module
/// init; open the device, mmap it shared read-write, touch every page (read, then write); fork, the child writes every page
/// and exits; munmap, close, exit; module unload (module exit, then the device is unregistered); shutdown — with the example's
/// <see cref="ProofProbe"/> on top. Every report the kernel and the checker made along the way is kept, with the steps that failed.
/// </summary>
internal sealed class ProofRun
{
    private ProofRun(string version, IReadOnlyList<ProofReport> reports, IReadOnlyList<string> steps)
    {
        Version = version;
        Reports = reports;
        Steps = steps;
    }

    public string Version { get; }

    public IReadOnlyList<ProofReport> Reports { get; }

    /// <summary>What each step returned, for failure messages.</summary>
    public IReadOnlyList<string> Steps { get; }

    public static ProofRun Play(DriverModule module, string version, FixProofExample example)
    {
        var kernel = new Kernel(new KernelOptions { Version = version, CheckerMode = CheckerMode.Strict });
        var steps = new List<string>();
        var reports = new List<ProofReport>();
        void Step(string what, object? result) => steps.Add($"{what}: {result}");

        CharDevice? device = null;
        Guarded("module init", () =>
        {
            module.Init(kernel);
            device = kernel.Devices.Values.FirstOrDefault();
            if (device is null)
            {
                steps.Add("module init registered no device");
                return;
            }

            UserSpace(device);
        });
        Guarded("module unload", () =>
        {
            // module_exit frees what the driver owns and unregisters its node; rmmod then accounts what is left.
            module.Exit(kernel);
            if (device is not null)
            {
                if (device.Registered)
                {
                    kernel.UnregisterChrdev(device);
                }

                Step("rmmod", kernel.UnloadModule(device.Fops.Owner));
            }
        });
        Guarded("shutdown", () => reports.AddRange(kernel.Shutdown().Select(Reduce)));
        var all = kernel.Reports.Select(Reduce).Concat(reports).Distinct().ToList();
        return new ProofRun(version, all, steps);

        void UserSpace(CharDevice node)
        {
            var process = kernel.Spawn("proof");
            var open = process.Open(node.Path);
            Step("open", open);
            if (open.IsOk)
            {
                var fd = (int)open.Value;
                var length = (ulong)module.MapPages * Kernel.PageSize;
                var map = process.Mmap(default, length, Prot.Read | Prot.Write, MapFlags.Shared, fd);
                Step("mmap", map);
                if (map.IsOk)
                {
                    var start = map.Value;
                    Touch(process, start, "parent", readFirst: true);
                    if (example.Probe == ProofProbe.IoctlWhileMapped)
                    {
                        Step("ioctl while mapped", process.Ioctl(fd, example.IoctlCommand));
                        Read(process, start, module.MapPages, "parent after the ioctl");
                    }

                    var fork = process.Fork();
                    Step("fork", fork);
                    if (fork.IsOk && fork.Value is { } child)
                    {
                        Touch(child, start, "child", readFirst: false);
                        Step("child exit", child.Exit());
                    }

                    Step("munmap", process.Munmap(start, length));
                }

                if (example.Probe == ProofProbe.Bounds)
                {
                    ProbeBounds(process, fd, refused: map.Errno is Errno.EPERM or Errno.EACCES);
                }

                if (example.Probe == ProofProbe.Grow)
                {
                    ProbeGrowth(process, fd);
                }

                if (example.Probe == ProofProbe.CoreDump)
                {
                    if (kernel.Policy.HasCoredumpFilter)
                    {
                        // ELF headers are dumped by default only from 2.6.37: the user asks for them (coredump_filter bit 4).
                        process.CoredumpFilter |= 1u << 4;
                    }

                    var image = process.Mmap(default, Kernel.PageSize, Prot.Read, MapFlags.Private, fd);
                    Step("mmap private read-only", image);
                    if (image.IsOk)
                    {
                        Read(process, image.Value, 1, "private");
                        Step("core dump", process.DumpCore());
                        Step("munmap private", process.Munmap(image.Value, Kernel.PageSize));
                    }
                }

                if (example.Probe == ProofProbe.Private)
                {
                    var cow = process.Mmap(default, length, Prot.Read | Prot.Write, MapFlags.Private, fd);
                    Step("mmap private", cow);
                    if (cow.IsOk)
                    {
                        Read(process, cow.Value, module.MapPages, "private");
                        Step("munmap private", process.Munmap(cow.Value, length));
                    }
                }

                Step("close", process.Close(fd));
            }

            Step("exit", process.Exit());
        }

        // What a process that probes the device's bounds does: the bugs DK0014 is about show only when user space asks for more.
        void ProbeBounds(Process p, int fd, bool refused)
        {
            var pages = (ulong)module.MapPages;
            var prot = refused ? Prot.Read : Prot.Read | Prot.Write;
            if (refused)
            {
                var readOnly = p.Mmap(default, pages * Kernel.PageSize, Prot.Read, MapFlags.Shared, fd);
                Step("read-only mmap", readOnly);
                if (readOnly.IsOk)
                {
                    Read(p, readOnly.Value, module.MapPages, "read-only");
                    var upgrade = p.Mprotect(readOnly.Value, pages * Kernel.PageSize, Prot.Read | Prot.Write);
                    Step("mprotect(PROT_WRITE)", upgrade);
                    if (upgrade.IsOk)
                    {
                        Step("write through the upgraded mapping", p.WriteByte(readOnly.Value, 0x5a));
                    }

                    Step("munmap read-only", p.Munmap(readOnly.Value, pages * Kernel.PageSize));
                }
            }

            foreach (var (what, offset, length) in new[] { ("past the end", pages, pages), ("one page too long", 0UL, pages + 1) })
            {
                var probe = p.Mmap(default, length * Kernel.PageSize, prot, MapFlags.Shared, fd, offset * Kernel.PageSize);
                Step($"mmap {what}", probe);
                if (probe.IsOk)
                {
                    Read(p, probe.Value, (int)length, what);
                    Step($"munmap {what}", p.Munmap(probe.Value, length * Kernel.PageSize));
                }
            }
        }

        // What a process that grows its mapping does: the bug DK0015 is about shows only in the new tail.
        void ProbeGrowth(Process p, int fd)
        {
            var length = (ulong)module.MapPages * Kernel.PageSize;
            var map = p.Mmap(default, length, Prot.Read | Prot.Write, MapFlags.Shared, fd);
            Step("mmap to grow", map);
            if (!map.IsOk)
            {
                return;
            }

            var grown = p.Mremap(map.Value, length, length + Kernel.PageSize, MremapFlags.MayMove);
            Step("mremap one page longer", grown);
            var start = grown.IsOk ? grown.Value : map.Value;
            var size = grown.IsOk ? length + Kernel.PageSize : length;
            if (grown.IsOk)
            {
                Read(p, start, module.MapPages + 1, "grown");
            }

            Step("munmap grown", p.Munmap(start, size));
        }

        // A process the kernel killed (an oops in a fault it took) touches nothing more.
        bool Alive(Process p, string who)
        {
            if (p.State == ProcessState.Running)
            {
                return true;
            }

            Step($"{who}: the process is gone", p.State);
            return false;
        }

        void Read(Process p, UserAddr start, int pages, string who)
        {
            for (var i = 0; i < pages && Alive(p, who); i++)
            {
                Step($"{who} read page {i}", p.ReadByte(start + (ulong)i * Kernel.PageSize, out _));
            }
        }

        void Touch(Process p, UserAddr start, string who, bool readFirst)
        {
            for (var i = 0; i < module.MapPages && Alive(p, who); i++)
            {
                var address = start + (ulong)i * Kernel.PageSize;
                if (readFirst)
                {
                    Step($"{who} read page {i}", p.ReadByte(address, out _));
                }

                if (Alive(p, who))
                {
                    Step($"{who} write page {i}", p.WriteByte(address, (byte)(i + 1)));
                }
            }
        }

        // Driver code that throws outside a system call (module init and exit run in no process) is an oops; a flag or hook
        // the configured kernel does not have is a driver that would not compile there. Both are findings of the run.
        void Guarded(string what, Action action)
        {
            try
            {
                action();
            }
            catch (KernelBugException bug)
            {
                reports.Add(Reduce(bug.Report));
                steps.Add($"{what}: {bug.Report.Text}");
            }
            catch (EraMismatchException mismatch)
            {
                reports.Add(new ProofReport(ReportKind.Kernel, "ERA", mismatch.RuleId, "does not compile: " + mismatch.Message));
                steps.Add($"{what}: {mismatch.Message}");
            }
        }
    }

    private static ProofReport Reduce(Report report) => new(report.Kind, report.Invariant, report.RuleId, report.Text);

    public string Describe() =>
        $"Linux {Version}:\n  steps: {string.Join("; ", Steps)}\n  reports:\n" +
        (Reports.Count == 0 ? "    (none)" : string.Join("\n", Reports.Select(report => "    " + report)));
}
