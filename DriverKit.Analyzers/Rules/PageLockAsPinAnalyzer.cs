using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0006: PG_locked used as a pin (<see cref="PageLockPins"/>): SetPageLocked always; LockPage when the locked page is
/// handed to DMA, or when no UnlockPage of it can follow in the function — the lock is left held across methods.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PageLockAsPinAnalyzer : DriverKitAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.PageLockAsPin);

    private protected override void Register(CompilationStartAnalysisContext context, DriverKitEngine engine) =>
        context.RegisterSemanticModelAction(tree => Analyze(tree, engine));

    private static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        var cancellationToken = context.CancellationToken;
        foreach (var root in engine.RootsAt(context, engine.Sources.PageLockNamesFound(cancellationToken)))
        {
            if (root is not (IMethodBodyOperation or IConstructorBodyOperation) || !engine.Sources.LocksPages(root))
            {
                continue;
            }

            var policy = engine.GetPolicy(context.Options, root.Syntax.SyntaxTree);
            foreach (var pin in PageLockPins.Find(engine, root, cancellationToken))
            {
                var operation = pin.Lock.Operation;
                context.ReportVisible(Diagnostic.Create(
                    DiagnosticDescriptors.PageLockAsPin,
                    operation.Syntax.GetLocation(),
                    operation.TargetMethod.Name,
                    operation.Argument(0)?.Syntax.ToString() ?? "",
                    pin.Why,
                    policy.HasPinUserPages
                        ? "GetPage/PutPage, or PinUserPages/UnpinUserPages for user memory"
                        : $"GetPage/PutPage, or GetUserPages references for user memory; PinUserPages arrives in 5.6, after Linux {policy.Describe()}"));
            }
        }
    }
}
