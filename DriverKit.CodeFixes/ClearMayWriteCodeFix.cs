using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0014's VM_MAYWRITE form: after the <c>if</c> that refuses VM_WRITE, clears VM_MAYWRITE with the statement the analyzer
/// spelt for the configured kernel (<c>kernel.VmFlagsClear(vma, VmFlags.MayWrite)</c> on 6.x, <c>vma.Flags &amp;= ~VmFlags.MayWrite</c>
/// before), so a later mprotect(PROT_WRITE) fails with EACCES. Not offered where the statement would not compile after the test.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ClearMayWriteCodeFix)), Shared]
public sealed class ClearMayWriteCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UncheckedMmapRange);

    private protected override string Form => FixForms.ClearMayWrite;

    private protected override string Title => "Clear VM_MAYWRITE after refusing writable mappings";

    private protected override string EquivalenceKey => "DK0014.ClearMayWrite";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(FixForms.Statement, out var text) || text is null
            || NodeAt<ExpressionSyntax>(editor, diagnostic.Location)?.FirstAncestorOrSelf<IfStatementSyntax>() is not { Parent: BlockSyntax or SwitchSectionSyntax } test
            || SyntaxEdits.ParseStatement(text) is not ExpressionStatementSyntax clear
            || clear.ContainsDiagnostics
            || !CompileChecks.BindsAt(editor.SemanticModel, test.Span.End, SyntaxFactory.Block(clear), cancellationToken)
            || !planned.Add(test))
        {
            return false;
        }

        editor.InsertAfter(test, clear);
        return true;
    }
}
