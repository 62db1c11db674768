using System.Diagnostics;

namespace DriverKit.Benchmarks.Report;

/// <summary>Runs bench/native's mmbench once and returns its output lines.</summary>
public static class NativeRunner
{
    /// <summary>Runs <paramref name="program"/> with <c>--reps</c> <paramref name="reps"/> and returns what it printed.</summary>
    /// <param name="program">The mmbench binary.</param>
    /// <param name="reps">Repetitions of each measurement inside the run (it prints their median).</param>
    public static List<string> Run(string program, int reps)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("--reps");
        start.ArgumentList.Add(reps.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited with status {process.ExitCode}");
        }

        return lines;
    }
}
