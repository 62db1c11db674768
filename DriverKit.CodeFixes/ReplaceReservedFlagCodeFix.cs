using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.Analyzers.Engine;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0004 and DK0005: replaces <c>VmFlags.Reserved</c> in flags being set with what the 3.7 commit prescribes,
/// <c>DontExpand | DontDump</c> (only <c>DontExpand</c> before 3.4, where VM_DONTDUMP did not exist), or drops it when
/// RemapPfnRange on the same VMA sets those flags itself. Not offered where VM_RESERVED is tested or cleared.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReplaceReservedFlagCodeFix)), Shared]
public sealed class ReplaceReservedFlagCodeFix : DriverKitCodeFix
{
    /// <summary>The equivalence key of "replace with DontExpand | DontDump".</summary>
    public const string ReplaceKey = "DK0005.ReplaceReserved";

    /// <summary>The equivalence key of "remove; remap_pfn_range sets the flags".</summary>
    public const string RemoveKey = "DK0005.RemoveReserved";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticIds.ReservedVmaFaultInsert, DiagnosticIds.VmReservedObsolete);

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (Find(root, model, diagnostic, context.CancellationToken) is null)
            {
                continue;
            }

            var names = Replacement(diagnostic);
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Replace VM_RESERVED with {string.Join(" | ", names.Select(name => "VM_" + name.ToUpperInvariant()))}",
                    ct => FixOrSelfAsync(context.Document, diagnostic, ReplaceKey, ct),
                    ReplaceKey),
                diagnostic);
            if (diagnostic.Properties.ContainsKey(ReservedReplacement.RemapPropertyName))
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Remove VM_RESERVED (RemapPfnRange sets the flags it stood for)",
                        ct => FixOrSelfAsync(context.Document, diagnostic, RemoveKey, ct),
                        RemoveKey),
                    diagnostic);
            }
        }
    }

    private async Task<Document> FixOrSelfAsync(Document document, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        await FixAsync(document, ImmutableArray.Create(diagnostic), key, cancellationToken).ConfigureAwait(false) ?? document;

    private protected override async Task<Document?> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string? equivalenceKey, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return null;
        }

        var remove = equivalenceKey == RemoveKey;
        var targets = new Dictionary<ExpressionSyntax, string[]>();
        foreach (var diagnostic in diagnostics)
        {
            if ((!remove || diagnostic.Properties.ContainsKey(ReservedReplacement.RemapPropertyName))
                && Find(root, model, diagnostic, cancellationToken) is { } node && !targets.ContainsKey(node))
            {
                targets.Add(node, Replacement(diagnostic));
            }
        }

        if (targets.Count == 0)
        {
            return null;
        }

        var updated = root.TrackNodes(targets.Keys);
        foreach (var pair in targets)
        {
            if (updated.GetCurrentNode(pair.Key) is not { } current)
            {
                continue;
            }

            var present = SyntaxEdits.OrChainLeaves(SyntaxEdits.OrChainRoot(pair.Key))
                .Select(leaf => FlagSymbols.FlagName(model, leaf, cancellationToken))
                .OfType<string>()
                .ToImmutableHashSet();
            var missing = pair.Value.Where(name => !present.Contains(name)).ToList();
            updated = remove || missing.Count == 0
                ? SyntaxEdits.RemoveOperand(updated, current, like => SyntaxEdits.FlagLike(like, "None"))
                : updated.ReplaceNode(current, SyntaxEdits.OrOf(missing.Select(name => SyntaxEdits.FlagLike(current, name)).ToList()).WithTriviaFrom(current));
        }

        return document.WithSyntaxRoot(updated);
    }

    /// <summary>The VmFlags.Reserved reference a diagnostic points at, when its value is being set.</summary>
    private static ExpressionSyntax? Find(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        FlagSymbols.FindFlag(root, model, diagnostic, cancellationToken, "Reserved") is { } flag && SyntaxEdits.IsSetContext(SyntaxEdits.OrChainRoot(flag.Node))
            ? flag.Node
            : null;

    private static string[] Replacement(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(ReservedReplacement.PropertyName, out var names) && !string.IsNullOrEmpty(names)
            ? names!.Split(',')
            : new[] { "DontExpand", "DontDump" };
}
