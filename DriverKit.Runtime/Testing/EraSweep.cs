using System.Text;

namespace DriverKit.Runtime;

/// <summary>
/// Plays one user-space script against a fresh machine per kernel version and collects what each machine reported, so a
/// test can assert that a driver behaves in every era it ships for:
/// <code>
/// var sweep = EraSweep.Run(["2.6.14", "2.6.20", "3.7", "6.6", "7.0"], kernel =&gt; { /* load the driver, map, unmap */ });
/// Assert.True(sweep.LeakFree, sweep.Describe());
/// </code>
/// </summary>
public static class EraSweep
{
    /// <summary>
    /// Boots one <see cref="Kernel"/> per version, in the order given, runs <paramref name="script"/> on it, shuts it down
    /// (<see cref="Kernel.Shutdown"/>: running processes exit, pages still allocated are reported as leaks) and keeps every
    /// report the machine recorded.
    /// </summary>
    /// <param name="versions">The kernel versions to run, in any form <see cref="KernelOptions.Version"/> accepts; at least one.</param>
    /// <param name="script">Loads the driver and plays user space against it; called once per version with that version's machine.</param>
    /// <param name="configure">
    /// Adjusts each machine's options before it boots. They start as <see cref="KernelOptions"/>'s defaults with
    /// <see cref="CheckerMode.Strict"/> (leaks are simulator-only reports, which faithful mode keeps quiet);
    /// <see cref="KernelOptions.Version"/> is set to the run's version after this callback.
    /// </param>
    /// <returns>One <see cref="EraRun"/> per version.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="versions"/> or <paramref name="script"/> is null.</exception>
    /// <exception cref="ArgumentException">The list is empty, or an entry is null or not a version the simulator models.</exception>
    /// <remarks>
    /// An exception thrown by the script (an <see cref="EraMismatchException"/> for a flag the era does not have, say) does
    /// not stop the sweep: it is kept in <see cref="EraRun.Exception"/>, and that machine is not shut down.
    /// </remarks>
    public static EraSweepResult Run(IEnumerable<string> versions, Action<Kernel> script, Action<KernelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(script);
        var list = versions.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("Give at least one kernel version to run the script on (e.g. \"2.6.14\", \"3.7\", \"7.0\").", nameof(versions));
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentException($"Kernel version #{i} is null.", nameof(versions));
            }

            if (!KernelVersion.TryParse(list[i], out _, out var error))
            {
                throw new ArgumentException($"Kernel version #{i} (\"{list[i]}\") is not one the simulator models: {error}", nameof(versions));
            }
        }

        return new EraSweepResult([.. list.Select(version => RunOne(version, script, configure))]);
    }

    private static EraRun RunOne(string version, Action<Kernel> script, Action<KernelOptions>? configure)
    {
        var options = new KernelOptions { CheckerMode = CheckerMode.Strict };
        configure?.Invoke(options);
        options.Version = version;
        var kernel = new Kernel(options);
        try
        {
            script(kernel);
        }
        catch (Exception e)
        {
            // The driver's own outcome in this era (a flag it does not have, say), kept with the version.
            return new EraRun(kernel, [.. kernel.Reports], e);
        }

        kernel.Shutdown();
        return new EraRun(kernel, [.. kernel.Reports], null);
    }
}

/// <summary>What one machine of an <see cref="EraSweep"/> reported.</summary>
public sealed class EraRun
{
    internal EraRun(Kernel kernel, IReadOnlyList<Report> reports, Exception? exception)
    {
        Kernel = kernel;
        Reports = reports;
        Leaks = [.. reports.Where(report => report.Invariant == "INV-20")];
        Exception = exception;
    }

    /// <summary>The machine the script ran on (shut down unless the script threw).</summary>
    public Kernel Kernel { get; }

    /// <summary>The simulated kernel version.</summary>
    public KernelVersion Version => Kernel.Version;

    /// <summary>The era of <see cref="Version"/>.</summary>
    public Era Era => Kernel.Era;

    /// <summary>Every report the machine recorded, from boot to shutdown.</summary>
    public IReadOnlyList<Report> Reports { get; }

    /// <summary>The reports of pages still allocated at driver unload or shutdown (invariant INV-20).</summary>
    public IReadOnlyList<Report> Leaks { get; }

    /// <summary>The exception the script threw, or null when it ran to the end.</summary>
    public Exception? Exception { get; }

    /// <summary>The script ran to the end and the machine reported nothing.</summary>
    public bool Clean => Exception is null && Reports.Count == 0;

    /// <summary>A heading line ("Linux 2.6.20 (E3): 2 report(s), 1 leak(s)") followed by each report's <see cref="Report.Describe"/>, indented.</summary>
    public string Describe()
    {
        var text = new StringBuilder($"Linux {Version} ({Era}): ");
        text.Append(Clean ? "clean" : $"{Reports.Count} report(s), {Leaks.Count} leak(s)");
        if (Exception is not null)
        {
            text.Append($", the script threw {Exception.GetType().Name}: {Exception.Message}");
        }

        foreach (var report in Reports)
        {
            text.Append("\n    ").Append(report.Describe().Replace("\n", "\n    ", StringComparison.Ordinal));
        }

        return text.ToString();
    }

    /// <summary>The heading line of <see cref="Describe"/>.</summary>
    public override string ToString() => Describe().Split('\n')[0];
}

/// <summary>The runs of an <see cref="EraSweep"/>, in the order of the versions given.</summary>
public sealed class EraSweepResult
{
    internal EraSweepResult(IReadOnlyList<EraRun> runs) => Runs = runs;

    /// <summary>One run per version.</summary>
    public IReadOnlyList<EraRun> Runs { get; }

    /// <summary>Every run finished its script and no machine reported a leak (INV-20).</summary>
    public bool LeakFree => Runs.All(run => run.Exception is null && run.Leaks.Count == 0);

    /// <summary>Every run finished its script and no machine reported anything.</summary>
    public bool Clean => Runs.All(run => run.Clean);

    /// <summary>Each run's <see cref="EraRun.Describe"/>, one after the other: the message for a failed assertion.</summary>
    public string Describe() => string.Join('\n', Runs.Select(run => run.Describe()));
}
