using DriverKit.Runtime;

namespace DriverKit.Scenarios;

/// <summary>Plays a scenario variant in one kernel version against a fresh machine.</summary>
public static class ScenarioRunner
{
    /// <summary>Boots a machine, plays the variant, shuts down and returns the record.</summary>
    /// <param name="scenario">The scenario.</param>
    /// <param name="variant">One of its variants.</param>
    /// <param name="point">The kernel version and options.</param>
    /// <param name="strict">Strict checker mode: DKSIM findings are reported too.</param>
    public static ScenarioRun Play(Scenario scenario, ScenarioVariant variant, EraPoint point, bool strict)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(point);
        var kernel = new Kernel(point.Options(strict, variant.WhatIfVmReservedSpecial));
        var script = new Script(kernel);
        string? notInEra = null;
        try
        {
            variant.Play(script);
        }
        catch (EraMismatchException e)
        {
            notInEra = e.Message;
        }
        catch (KernelBugException e)
        {
            // A kernel BUG hit by a direct driver call (outside any system call) ends the scenario there.
            script.Step("bug", "driver", "the driver hit a kernel BUG; the scenario stops", Outcome.Of(e));
        }

        var leaked = script.Finish(notInEra);
        var reports = script.Steps.SelectMany(s => s.Reports).ToArray();
        var machine = new MachineConfig(strict, point.CheckPages, point.DebugVm, point.PteSpecial, variant.WhatIfVmReservedSpecial);
        var totals = new RunTotals(
            script.PoolBefore,
            kernel.FreePageCount,
            leaked,
            reports.Count(r => r.Kind == nameof(ReportKind.Kernel)),
            reports.Count(r => r.Kind == nameof(ReportKind.Simulator)),
            script.Signals);
        return new ScenarioRun(
            scenario.Id,
            variant.Sample ?? scenario.Sample,
            variant.Key,
            variant.Description,
            kernel.Version.ToString(),
            kernel.Era.ToString(),
            machine,
            variant.Rules,
            notInEra,
            script.Steps,
            totals,
            script.Notes,
            script.Snapshots);
    }
}
