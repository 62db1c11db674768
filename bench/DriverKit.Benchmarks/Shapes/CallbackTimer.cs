using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Benchmarks.Shapes;

/// <summary>
/// Wraps analyzers and adds up the time spent inside their callbacks, as the compiler's ReportAnalyzer does: what the
/// analyzers cost, without the compiler's own work around them. Used with one analysis at a time (no concurrent execution).
/// Beside the wall time it adds up the calling thread's CPU time inside the callbacks (Linux), which leaves out the time a
/// callback spends stopped while another thread's allocation collects the heap, or waiting for a lock that thread holds.
/// </summary>
public sealed class CallbackTimer
{
    private long ticks;
    private long cpuNanoseconds;

    /// <summary>The time spent in the wrapped analyzers' callbacks since the last <see cref="Reset"/>.</summary>
    public TimeSpan Elapsed => TimeSpan.FromSeconds((double)Interlocked.Read(ref ticks) / Stopwatch.Frequency);

    /// <summary>The CPU time the callbacks' threads used inside them since the last <see cref="Reset"/>; zero where the OS gives no thread CPU clock.</summary>
    public TimeSpan CpuElapsed => TimeSpan.FromTicks(Interlocked.Read(ref cpuNanoseconds) / 100);

    /// <summary>Starts counting from zero.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref ticks, 0);
        Interlocked.Exchange(ref cpuNanoseconds, 0);
    }

    /// <summary>The analyzer <paramref name="analyzer"/> wraps, or itself when it is not a wrapper.</summary>
    /// <param name="analyzer">An analyzer, possibly from <see cref="Wrap"/>.</param>
    public static DiagnosticAnalyzer Unwrap(DiagnosticAnalyzer analyzer) => analyzer is Timed timed ? timed.Inner : analyzer;

    /// <summary>The analyzers, each wrapped so that its callbacks are timed.</summary>
    /// <param name="analyzers">The analyzers to time.</param>
    public ImmutableArray<DiagnosticAnalyzer> Wrap(IEnumerable<DiagnosticAnalyzer> analyzers) =>
        analyzers.Select(analyzer => (DiagnosticAnalyzer)new Timed(analyzer, this)).ToImmutableArray();

    private Action<T> Time<T>(Action<T> action) => argument =>
    {
        var cpuStart = ThreadCpuClock.Nanoseconds();
        var start = Stopwatch.GetTimestamp();
        try
        {
            action(argument);
        }
        finally
        {
            Interlocked.Add(ref ticks, Stopwatch.GetTimestamp() - start);
            Interlocked.Add(ref cpuNanoseconds, ThreadCpuClock.Nanoseconds() - cpuStart);
        }
    };

    private sealed class Timed(DiagnosticAnalyzer inner, CallbackTimer timer) : DiagnosticAnalyzer
    {
        public DiagnosticAnalyzer Inner => inner;

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => inner.SupportedDiagnostics;

        public override void Initialize(AnalysisContext context) => inner.Initialize(new Context(context, timer));
    }

    private sealed class Context(AnalysisContext context, CallbackTimer timer) : AnalysisContext
    {
        public override void EnableConcurrentExecution() => context.EnableConcurrentExecution();

        public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode) => context.ConfigureGeneratedCodeAnalysis(analysisMode);

        public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action) =>
            context.RegisterCompilationStartAction(timer.Time<CompilationStartAnalysisContext>(start => action(new StartContext(start, timer))));

        public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action) => context.RegisterCompilationAction(timer.Time(action));

        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => context.RegisterSemanticModelAction(timer.Time(action));

        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) =>
            context.RegisterSymbolAction(timer.Time(action), symbolKinds);

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) =>
            context.RegisterCodeBlockStartAction(timer.Time(action));

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => context.RegisterCodeBlockAction(timer.Time(action));

        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => context.RegisterSyntaxTreeAction(timer.Time(action));

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) =>
            context.RegisterSyntaxNodeAction(timer.Time(action), syntaxKinds);

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) =>
            context.RegisterOperationAction(timer.Time(action), operationKinds);

        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => context.RegisterOperationBlockAction(timer.Time(action));
    }

    private sealed class StartContext(CompilationStartAnalysisContext context, CallbackTimer timer)
        : CompilationStartAnalysisContext(context.Compilation, context.Options, context.CancellationToken)
    {
        public override void RegisterCompilationEndAction(Action<CompilationAnalysisContext> action) => context.RegisterCompilationEndAction(timer.Time(action));

        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => context.RegisterSemanticModelAction(timer.Time(action));

        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) =>
            context.RegisterSymbolAction(timer.Time(action), symbolKinds);

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) =>
            context.RegisterCodeBlockStartAction(timer.Time(action));

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => context.RegisterCodeBlockAction(timer.Time(action));

        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => context.RegisterSyntaxTreeAction(timer.Time(action));

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) =>
            context.RegisterSyntaxNodeAction(timer.Time(action), syntaxKinds);

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) =>
            context.RegisterOperationAction(timer.Time(action), operationKinds);

        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => context.RegisterOperationBlockAction(timer.Time(action));
    }
}
