extern alias DriverKitAnalyzers;

using System.Collections.Immutable;
using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Benchmarks.Shapes;

/// <summary>A shape's compilation and the analyzers run on it: every DriverKit analyzer, after an operation-tree binder.</summary>
public static class ShapeCompilations
{
    /// <summary>Every DriverKit analyzer.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> DriverKitAnalyzers { get; } = typeof(DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors).Assembly
        .GetTypes()
        .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type))
        .OrderBy(type => type.FullName, StringComparer.Ordinal)
        .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)
        .ToImmutableArray();

    /// <summary>The shape as a one-file compilation against the framework and DriverKit.Runtime.</summary>
    /// <param name="shape">The shape (<see cref="ShapeSources.All"/>).</param>
    /// <param name="size">Its size.</param>
    public static CSharpCompilation Create(string shape, int size) => CSharpCompilation.Create(
        $"{shape}-{size}",
        [CSharpSyntaxTree.ParseText(ShapeSources.Generate(shape, size), path: $"{shape}.cs")],
        ReferenceAssemblies.Get(includeDriverKitRuntime: true),
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>
    /// Runs <paramref name="analyzers"/> on a fresh copy of the compilation (DriverKit's per-compilation caches start empty),
    /// after <see cref="OperationBinder"/>, so that the operation trees every IOperation analyzer needs are built before the
    /// analyzers measured run. Returns the DK diagnostics.
    /// </summary>
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(CSharpCompilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        var all = ImmutableArray.Create<DiagnosticAnalyzer>(new OperationBinder()).AddRange(analyzers);
        // A new compilation of the same trees and references, as an edit in an IDE makes: fresh source symbols, semantic
        // models and operation trees; the referenced assemblies' symbols are shared, as they are between real compilations.
        var clone = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(compilation.SyntaxTrees);

        // The compiler has built the source assembly before any analyzer runs.
        _ = clone.Assembly;
        var diagnostics = await clone.WithAnalyzers(all, options).GetAnalyzerDiagnosticsAsync().ConfigureAwait(false);
        return [.. diagnostics.Where(diagnostic => diagnostic.Id.StartsWith("DK", StringComparison.Ordinal))];
    }

    /// <summary>Builds every member's operation tree, as the first IOperation analyzer of a build does; reports nothing.</summary>
    public sealed class OperationBinder : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Unused = new("BENCH0", "unused", "unused", "bench", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [Unused];

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context) => context.RegisterSemanticModelAction(model =>
        {
            foreach (var node in model.SemanticModel.SyntaxTree.GetRoot().DescendantNodes())
            {
                if (node is Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax && model.SemanticModel.GetOperation(node) is { } operation)
                {
                    foreach (var descendant in operation.DescendantsAndSelf())
                    {
                        _ = descendant.ConstantValue;
                    }
                }
            }
        });
    }
}
