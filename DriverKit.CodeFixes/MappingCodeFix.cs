using System.Collections.Immutable;
using DriverKit.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace DriverKit.CodeFixes;

/// <summary>
/// The base of the fixes of the mapping rules (DK0007, DK0008, DK0010, DK0016, DK0018, DK0019): each fixes the diagnostics whose
/// properties name its form (<see cref="FixForms"/>) with edits planned on a <see cref="DocumentEditor"/>, so one diagnostic
/// and Fix All share the code; names the fix introduces are simplified and new statements formatted afterwards. A fix is
/// offered only when its plan succeeds for the diagnostic.
/// </summary>
public abstract class MappingCodeFix : DriverKitCodeFix
{
    /// <summary>The form of the diagnostics this fix handles.</summary>
    private protected abstract string Form { get; }

    /// <summary>The code action's title.</summary>
    private protected abstract string Title { get; }

    /// <summary>The equivalence key of the code action.</summary>
    private protected abstract string EquivalenceKey { get; }

    /// <summary>Plans the edits for one diagnostic; false (and nothing planned) when the fix cannot be applied to it.</summary>
    private protected abstract bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken);

    /// <inheritdoc/>
    private protected sealed override async Task RegisterAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (FixForms.Of(diagnostic.Properties) != Form
                || !Plan(await DocumentEditor.CreateAsync(context.Document, context.CancellationToken).ConfigureAwait(false), diagnostic, new PlannedEdits(), context.CancellationToken))
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => FixOrSelfAsync(context.Document, diagnostic, EquivalenceKey, ct), EquivalenceKey),
                diagnostic);
        }
    }

    /// <inheritdoc/>
    private protected sealed override async Task<Document?> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string? equivalenceKey, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var planned = new PlannedEdits();
        var any = false;
        foreach (var diagnostic in diagnostics.Where(diagnostic => FixForms.Of(diagnostic.Properties) == Form))
        {
            any |= Plan(editor, diagnostic, planned, cancellationToken);
        }

        if (!any)
        {
            return null;
        }

        var changed = editor.GetChangedDocument();
        changed = await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        return await Formatter.FormatAsync(changed, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The node a diagnostic's location (or additional location) covers in the editor's tree, or null.</summary>
    private protected static T? NodeAt<T>(DocumentEditor editor, Location location)
        where T : SyntaxNode
    {
        var root = editor.OriginalRoot;
        return location.SourceTree == root.SyntaxTree && root.FullSpan.Contains(location.SourceSpan)
            ? root.FindNode(location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<T>()
            : null;
    }

    /// <summary><c>global::DriverKit.Runtime.Kernel</c>, simplified to what the file's usings allow.</summary>
    private protected static Microsoft.CodeAnalysis.CSharp.Syntax.ExpressionSyntax RuntimeType(string name) =>
        Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseExpression("global::DriverKit.Runtime." + name).WithAdditionalAnnotations(Simplifier.Annotation);
}
