using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Analyzers;

/// <summary>
/// DK1000: a <c>driverkit.kernel_version</c> or <c>DriverKitKernelVersion</c> value that names no kernel DriverKit knows.
/// The rules then check against the newest kernel; this says so once per distinct setting, for the whole compilation.
/// Silent, like every rule, in compilations that do not reference DriverKit.Runtime.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class KernelVersionSettingAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.InvalidKernelVersion);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationAction(Analyze);
    }

    private static void Analyze(CompilationAnalysisContext context)
    {
        if (DriverKitEngine.Get(context.Compilation) is null)
        {
            return;
        }

        foreach (var (setting, value, error) in KernelConfiguration.Invalid(context.Options, context.Compilation.SyntaxTrees))
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.InvalidKernelVersion, Location.None, setting, value, error, KernelConfiguration.Fallback.Describe()));
        }
    }
}
