using DriverKit.Runtime;

namespace DriverKit.Tests.FixProof;

/// <summary>One report of a run, reduced to what two runs of a driver are compared by.</summary>
internal readonly record struct ProofReport(ReportKind Kind, string Invariant, string? RuleId, string Text)
{
    /// <summary>Same kind, invariant and rule: the same finding, whatever addresses and pfns it names.</summary>
    public (ReportKind, string, string?) Identity => (Kind, Invariant, RuleId);

    public override string ToString() => $"[{RuleId ?? "-"}] {Text}";
}

/// <summary>
/// The standard user-space script of the fix-proof harness, played against a driver on a fresh strict-mode machine: module
/// init; open the device, mmap it shared read-write, touch every page (read, then write); fork, the child writes every page
/// and exits; munmap, close, exit; module unload (module exit, then the device is unregistered); shutdown. Every report the kernel
/// and the checker made along the way is kept, with the steps that failed.
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

    public static ProofRun Play(DriverModule module, string version)
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
            // module_exit frees what the driver owns; the device goes with the module (the unload leak check runs then).
            module.Exit(kernel);
            if (device is { Registered: true })
            {
                reports.AddRange(kernel.UnregisterChrdev(device).Select(Reduce));
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
                    var fork = process.Fork();
                    Step("fork", fork);
                    if (fork.IsOk && fork.Value is { } child)
                    {
                        Touch(child, start, "child", readFirst: false);
                        Step("child exit", child.Exit());
                    }

                    Step("munmap", process.Munmap(start, length));
                }

                Step("close", process.Close(fd));
            }

            Step("exit", process.Exit());
        }

        void Touch(Process p, UserAddr start, string who, bool readFirst)
        {
            for (var i = 0; i < module.MapPages; i++)
            {
                var address = start + (ulong)i * Kernel.PageSize;
                if (readFirst)
                {
                    Step($"{who} read page {i}", p.ReadByte(address, out _));
                }

                Step($"{who} write page {i}", p.WriteByte(address, (byte)(i + 1)));
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
