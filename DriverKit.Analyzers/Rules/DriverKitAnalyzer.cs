using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

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

    /// <summary>
    /// Registers <paramref name="analyze"/> for the operation blocks of the types whose text may hold one of the rule's
    /// findings (<paramref name="mayReportIn"/>, asked for each declaration of the type: a partial type has several), so
    /// the blocks of every other type cost the rule nothing: one text check per type instead of a callback per method.
    /// <para>
    /// The driver gives no symbol-start actions to implicitly declared symbols, and the members of a script live in its
    /// implicitly declared script class; in a script compilation a plain block action analyzes those blocks. (The type of
    /// top-level statements is not implicitly declared: it gets the symbol-start action.)
    /// </para>
    /// </summary>
    private protected static void RegisterBlockAction(
        CompilationStartAnalysisContext context, Func<SyntaxTree, TextSpan, CancellationToken, bool> mayReportIn, Action<OperationBlockAnalysisContext> analyze)
    {
        context.RegisterSymbolStartAction(
            start =>
            {
                foreach (var declaration in start.Symbol.DeclaringSyntaxReferences)
                {
                    if (mayReportIn(declaration.SyntaxTree, declaration.Span, start.CancellationToken))
                    {
                        start.RegisterOperationBlockAction(analyze);
                        return;
                    }
                }
            },
            SymbolKind.NamedType);

        if (context.Compilation.ScriptClass is not null)
        {
            context.RegisterOperationBlockAction(block =>
            {
                if (InImplicitlyDeclaredMember(block.OwningSymbol))
                {
                    analyze(block);
                }
            });
        }
    }

    /// <summary>
    /// Whether the driver gives the block of <paramref name="member"/> no symbol-start action: the member or the type that
    /// declares it is implicitly declared. (A type declared inside a script class has its own symbol-start action.)
    /// </summary>
    private static bool InImplicitlyDeclaredMember(ISymbol member) =>
        member.IsImplicitlyDeclared || member.ContainingType is { IsImplicitlyDeclared: true };
}
