using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Analyzers;

/// <summary>
/// The base of DriverKit's analyzers: concurrent, silent in generated code, and registering nothing in compilations that
/// do not reference DriverKit.Runtime. The runtime's symbols and the shared engine are resolved once per compilation.
/// <para>
/// Generated code is not analyzed (no <see cref="GeneratedCodeAnalysisFlags.Analyze"/>: the driver skips generated files and
/// [GeneratedCode] members), and every diagnostic lies in the analyzed block, so reporting is allowed in generated code
/// (<see cref="GeneratedCodeAnalysisFlags.ReportDiagnostics"/>). Without that flag the driver checks each reported
/// diagnostic for generated code again, walking every token of its file for GeneratedCode attributes: a quarter of
/// DriverKit's time on a corpus with legacy idioms. Findings on <c>#line hidden</c> lines are still not reported.
/// </para>
/// </summary>
public abstract class DriverKitAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.RegisterCompilationStartAction(start =>
        {
            if (DriverKitEngine.Get(start.Compilation) is { } engine)
            {
                Register(start, engine);
            }
        });
    }

    /// <summary>Registers the rule's actions for a compilation that references DriverKit.Runtime.</summary>
    private protected abstract void Register(CompilationStartAnalysisContext context, DriverKitEngine engine);
}
