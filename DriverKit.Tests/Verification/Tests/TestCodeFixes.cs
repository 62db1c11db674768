using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.Tests.Verification.Tests;

/// <summary>
/// Fixes TST0001 on locals (not parameters, so some diagnostics have no fix) by renaming the declaration only — references keep
/// the old name, which lets tests produce non-compiling fixes. Offers "good" (key RenameToGood) then "better" (key RenameToBetter).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RenameToGoodFix)), Shared]
public class RenameToGoodFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => [BadNameAnalyzer.Id];

    public override FixAllProvider? GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var token = root!.FindToken(context.Span.Start);
        if (token.Parent is not VariableDeclaratorSyntax)
        {
            return;
        }

        foreach (var name in new[] { "good", "better" })
        {
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Rename to '{name}'",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceToken(token, Rename(token, name)))),
                    equivalenceKey: name == "good" ? "RenameToGood" : "RenameToBetter"),
                context.Diagnostics);
        }
    }

    protected virtual SyntaxToken Rename(SyntaxToken token, string name) => SyntaxFactory.Identifier(token.LeadingTrivia, name, token.TrailingTrivia);
}

/// <summary>Fixes one diagnostic like <see cref="RenameToGoodFix"/>, but its Fix All renames to <c>allGood</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InconsistentFixAllFix)), Shared]
public sealed class InconsistentFixAllFix : RenameToGoodFix
{
    public override FixAllProvider? GetFixAllProvider() => FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var tokens = diagnostics.Select(diagnostic => root!.FindToken(diagnostic.Location.SourceSpan.Start));
        return document.WithSyntaxRoot(root!.ReplaceTokens(tokens, (token, _) => Rename(token, "allGood")));
    });
}

/// <summary>Renames to an identifier token spelled <c>int</c>, a tree that does not survive re-parsing.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NonRoundTrippingFix)), Shared]
public sealed class NonRoundTrippingFix : RenameToGoodFix
{
    protected override SyntaxToken Rename(SyntaxToken token, string name) => base.Rename(token, "int");
}

/// <summary>Offers an action that opens the document after changing it: two operations instead of one.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TwoOperationsFix)), Shared]
public sealed class TwoOperationsFix : CodeFixProvider
{
    public override ImmutableArray<string> FixableDiagnosticIds => [BadNameAnalyzer.Id];

    public override FixAllProvider? GetFixAllProvider() => null;

    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        context.RegisterCodeFix(new RenameAndOpenAction(context.Document, context.Span), context.Diagnostics);
        return Task.CompletedTask;
    }

    private sealed class RenameAndOpenAction(Document document, Microsoft.CodeAnalysis.Text.TextSpan span) : CodeAction
    {
        public override string Title => "Rename and open";

        public override string? EquivalenceKey => Title;

        protected override async Task<IEnumerable<CodeActionOperation>> ComputeOperationsAsync(CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var token = root!.FindToken(span.Start);
            var renamed = document.WithSyntaxRoot(root.ReplaceToken(token, SyntaxFactory.Identifier(token.LeadingTrivia, "good", token.TrailingTrivia)));
            return [new ApplyChangesOperation(renamed.Project.Solution), new OpenDocumentOperation(document.Id)];
        }
    }
}
