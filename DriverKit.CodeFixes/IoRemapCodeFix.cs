using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace DriverKit.CodeFixes;

/// <summary>DK0019: <c>RemapPfnRange</c> of device memory becomes <c>IoRemapPfnRange</c> (same arguments, pgprot_decrypted applied).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(IoRemapCodeFix)), Shared]
public sealed class IoRemapCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.RemapPfnForIo);

    private protected override string Form => FixForms.IoRemap;

    private protected override string Title => "Use IoRemapPfnRange";

    private protected override string EquivalenceKey => "DK0019.IoRemapPfnRange";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        if (NodeAt<InvocationExpressionSyntax>(editor, diagnostic.Location) is not { } invocation
            || Invocations.Name(invocation) != "RemapPfnRange"
            || !planned.Add(invocation))
        {
            return false;
        }

        editor.ReplaceNode(invocation, (node, _) => Invocations.Rename((InvocationExpressionSyntax)node, "IoRemapPfnRange"));
        return true;
    }
}
