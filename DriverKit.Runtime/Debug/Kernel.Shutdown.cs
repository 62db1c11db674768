namespace DriverKit.Runtime;

public sealed partial class Kernel
{
    /// <summary>
    /// Shuts the machine down: every running process exits, then leak accounting names every page still allocated
    /// (INV-20). Returns the leak reports.
    /// </summary>
    public IReadOnlyList<Report> Shutdown()
    {
        foreach (var p in processes.Where(p => p.State == ProcessState.Running).ToArray())
        {
            p.Exit();
        }

        Dma.RunUntilIdle();
        Lru.Drain();
        return [.. CheckCoherentLeaks(-1, "shutdown"), .. Checker.CheckShutdown()];
    }
}
