using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Analyzers;

/// <summary>
/// The base of DriverKit's analyzers: concurrent, silent in generated code, and registering nothing in compilations that
/// do not reference DriverKit.Runtime. The runtime's symbols and the shared engine are resolved once per compilation.
/// </summary>
public abstract class DriverKitAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public sealed override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
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
