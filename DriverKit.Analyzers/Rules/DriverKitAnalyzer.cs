using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Analyzers;

/// <summary>
/// The base of DriverKit's analyzers: concurrent, silent in generated code, and registering nothing in compilations that
/// do not reference DriverKit.Runtime. The runtime's symbols and the shared engine are resolved once per compilation.
/// <para>
/// The code rules register one semantic-model action each and find the code to analyze themselves (<see cref="CodeRoots"/>,
/// from the text search): on the 2,000-file benchmark corpus a callback per operation block per rule was about 40 % of
/// DriverKit's time, and symbol-start actions made the whole compile a third slower (bench/README.md).
/// </para>
/// <para>
/// Generated files are not analyzed (no <see cref="GeneratedCodeAnalysisFlags.Analyze"/>: the driver skips them); the rules
/// skip code of [GeneratedCode] members themselves and drop findings on <c>#line hidden</c> lines
/// (<see cref="VisibleReports"/>). Every diagnostic lies in analyzed code, so reporting is allowed in generated code
/// (<see cref="GeneratedCodeAnalysisFlags.ReportDiagnostics"/>): without that flag the driver checks each reported
/// diagnostic for generated code again, walking every token of its file for GeneratedCode attributes — a quarter of
/// DriverKit's time on a corpus with legacy idioms.
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
