using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0018, a mapping's lifetime broken: vm_ops whose Close undoes what no Open did (<see cref="CloseWithoutOpen"/>), and memory
/// that PTEs without references map freed while VMAs may still map it (<see cref="FreedWhileMapped"/>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class MappingLifetimeAnalyzer : DriverKitAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.CloseWithoutOpen, DiagnosticDescriptors.FreedWhileMapped);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine)
    {
        var freed = new FreedWhileMapped(engine);
        context.RegisterSemanticModelAction(model =>
        {
            CloseWithoutOpen.Analyze(model, engine);
            freed.Analyze(model);
        });
    }
}
