using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.CodeFixes.Syntax;

/// <summary>
/// Whether a fix builds on code that compiles: the code it copies or repeats has no error, and the statements it inserts would
/// bind at their place (checked there before anything is edited).
/// </summary>
internal static class CompileChecks
{
    /// <summary>Whether the document's code in <paramref name="span"/> has a compile error, which a fix copying it would write again.</summary>
    public static bool HasErrors(SemanticModel model, TextSpan span, CancellationToken cancellationToken) =>
        model.GetDiagnostics(span, cancellationToken).Any(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error);

    /// <summary>
    /// Whether the statements bind where they go, as if written at <paramref name="position"/>: every name resolves to what the
    /// analyzer meant only if nothing at that place hides it, and an error there would make the program worse, so a fix that
    /// would insert them is not offered.
    /// </summary>
    public static bool BindsAt(SemanticModel model, int position, BlockSyntax statements, CancellationToken cancellationToken) =>
        model.TryGetSpeculativeSemanticModel(position, statements, out var speculative)
        && speculative.GetOperation(statements, cancellationToken) is { } block
        && !block.DescendantsAndSelf().Any(operation => operation is IInvalidOperation || operation is IConversionOperation { Conversion.Exists: false }
            || (operation is ILocalReferenceOperation { Local: var local } && DeclaredFrom(local, model.SyntaxTree, position)));

    /// <summary>
    /// A local of the document declared at or after <paramref name="position"/>: used there, it is used before its declaration
    /// (CS0841), which speculative binding does not report.
    /// </summary>
    private static bool DeclaredFrom(ILocalSymbol local, SyntaxTree tree, int position) =>
        local.DeclaringSyntaxReferences.Any(reference => reference.SyntaxTree == tree && reference.Span.Start >= position);
}
