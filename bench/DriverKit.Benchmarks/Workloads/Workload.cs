namespace DriverKit.Benchmarks.Workloads;

/// <summary>
/// One measured operation, shaped like a BenchmarkDotNet benchmark with iteration setup: <see cref="Run"/> is the
/// timed part and performs <see cref="Operations"/> operations (pages, reads, boots); everything it consumes is
/// prepared by <see cref="IterationSetup"/> and torn down by <see cref="IterationCleanup"/>, untimed. The
/// BenchmarkDotNet classes and the in-process quick mode drive the same objects.
/// </summary>
public abstract class Workload
{
    /// <summary>Stable key, shared with bench/native's output and the table.</summary>
    public abstract string Key { get; }

    /// <summary>What the table calls it.</summary>
    public abstract string Title { get; }

    /// <summary>Operations one <see cref="Run"/> performs (the divisor of its time).</summary>
    public virtual int Operations => Machine.Pages;

    /// <summary>Unit of one operation in the table ("page", "read", "boot").</summary>
    public virtual string Unit => "page";

    /// <summary>Once, before any iteration.</summary>
    public virtual void GlobalSetup()
    {
    }

    /// <summary>Before each timed run.</summary>
    public virtual void IterationSetup()
    {
    }

    /// <summary>The timed part.</summary>
    public abstract void Run();

    /// <summary>After each timed run.</summary>
    public virtual void IterationCleanup()
    {
    }

    /// <summary>Once, after the last iteration.</summary>
    public virtual void GlobalCleanup()
    {
    }
}
