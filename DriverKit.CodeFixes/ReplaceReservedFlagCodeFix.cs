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
/// RemapPfnRange on the same VMA sets those flags itself. Not offered where VM_RESERVED is tested or cleared. For the numeric
/// form of DK0005, names the flags a numeric VmFlags value stands for in DriverKit's enum.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ReplaceReservedFlagCodeFix)), Shared]
public sealed class ReplaceReservedFlagCodeFix : DriverKitCodeFix
{
    /// <summary>The equivalence key of "replace with DontExpand | DontDump".</summary>
    public const string ReplaceKey = "DK0005.ReplaceReserved";

    /// <summary>The equivalence key of "remove; remap_pfn_range sets the flags".</summary>
    public const string RemoveKey = "DK0005.RemoveReserved";

    /// <summary>The equivalence key of "name the flags" for a numeric VmFlags value.</summary>
    public const string NameKey = "DK0005.NameFlags";

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
            if (NumericCast(root, model, diagnostic, context.CancellationToken) is { } cast)
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Use {cast.Names}", ct => FixOrSelfAsync(context.Document, diagnostic, NameKey, ct), NameKey),
                    diagnostic);
                continue;
            }

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

    private protected override async Task<Document?> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string? equivalenceKey, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return null;
        }

        if (equivalenceKey == NameKey)
        {
            var casts = diagnostics.Select(diagnostic => NumericCast(root, model, diagnostic, cancellationToken)).OfType<NamedFlags>().ToList();
            return casts.Count == 0
                ? null
                : document.WithSyntaxRoot(root.ReplaceNodes(casts.Select(cast => cast.Cast), (original, _) =>
                    casts.First(cast => cast.Cast == original).Replacement.WithTriviaFrom(original)));
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
            if (remove || missing.Count == 0)
            {
                updated = SyntaxEdits.RemoveOperand(updated, current, like => SyntaxEdits.FlagLike(like, "None"));
                continue;
            }

            var names = missing.Select(name => SyntaxEdits.FlagLike(current, name)).ToList();
            if (current.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseOrExpression } parent && parent.Right == current && names.Count > 1)
            {
                // a | Reserved → a | DontExpand | DontDump, nested to the left as the parser would build it.
                ExpressionSyntax chain = parent.WithRight(names[0].WithTriviaFrom(current));
                for (var i = 1; i < names.Count; i++)
                {
                    chain = SyntaxFactory.BinaryExpression(SyntaxKind.BitwiseOrExpression, chain.WithoutTrailingTrivia(), names[i]);
                }

                updated = updated.ReplaceNode(parent, chain.WithTrailingTrivia(current.GetTrailingTrivia()));
            }
            else
            {
                updated = updated.ReplaceNode(current, SyntaxEdits.OrOf(names).WithTriviaFrom(current));
            }
        }

        return document.WithSyntaxRoot(updated);
    }

    /// <summary>The VmFlags.Reserved reference a diagnostic points at, when its value is being set.</summary>
    private static ExpressionSyntax? Find(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken) =>
        FlagSymbols.FindFlag(root, model, diagnostic, cancellationToken, "Reserved") is { } flag && SyntaxEdits.IsSetContext(SyntaxEdits.OrChainRoot(flag.Node))
            ? flag.Node
            : null;

    private sealed class NamedFlags
    {
        public NamedFlags(CastExpressionSyntax cast, ExpressionSyntax replacement, string names)
        {
            Cast = cast;
            Replacement = replacement;
            Names = names;
        }

        public CastExpressionSyntax Cast { get; }

        public ExpressionSyntax Replacement { get; }

        public string Names { get; }
    }

    /// <summary>A numeric cast to VmFlags whose bits all have names, with the named replacement.</summary>
    private static NamedFlags? NumericCast(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (diagnostic.Location.SourceTree != root.SyntaxTree || !root.FullSpan.Contains(diagnostic.Location.SourceSpan)
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not CastExpressionSyntax cast
            || model.GetTypeInfo(cast, cancellationToken).Type is not INamedTypeSymbol { TypeKind: TypeKind.Enum } type
            || type.ToDisplayString() != FlagSymbols.VmFlagsMetadataName
            || model.GetConstantValue(cast, cancellationToken) is not { HasValue: true, Value: ulong bits })
        {
            return null;
        }

        var names = new List<string>();
        var remaining = bits;
        foreach (var member in type.GetMembers().OfType<IFieldSymbol>().Where(field => field.HasConstantValue))
        {
            var value = Convert.ToUInt64(member.ConstantValue, System.Globalization.CultureInfo.InvariantCulture);
            if (value != 0 && (value & (value - 1)) == 0 && (bits & value) != 0)
            {
                names.Add(member.Name);
                remaining &= ~value;
            }
        }

        if (remaining != 0 || names.Count == 0)
        {
            return null;
        }

        var operands = names.Select(name => (ExpressionSyntax)SyntaxFactory.MemberAccessExpression(
            SyntaxKind.SimpleMemberAccessExpression, cast.Type.WithoutTrivia(), SyntaxFactory.IdentifierName(name))).ToList();
        var replacement = SyntaxEdits.OrOf(operands);
        if (operands.Count > 1 && cast.Parent is not (BinaryExpressionSyntax { RawKind: (int)SyntaxKind.BitwiseOrExpression } or AssignmentExpressionSyntax
                or ArgumentSyntax or EqualsValueClauseSyntax or ReturnStatementSyntax or ArrowExpressionClauseSyntax or ParenthesizedExpressionSyntax))
        {
            replacement = SyntaxFactory.ParenthesizedExpression(replacement);
        }

        return new NamedFlags(cast, replacement, string.Join(" | ", names.Select(name => cast.Type.WithoutTrivia() + "." + name)));
    }

    private static string[] Replacement(Diagnostic diagnostic) =>
        diagnostic.Properties.TryGetValue(ReservedReplacement.PropertyName, out var names) && !string.IsNullOrEmpty(names)
            ? names!.Split(',')
            : new[] { "DontExpand", "DontDump" };
}
