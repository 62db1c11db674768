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
    private protected override async Task RegisterAsync(CodeFixContext context)
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
                var named = context.Document.WithSyntaxRoot(root.ReplaceNode(cast.Cast, cast.Replacement.WithTriviaFrom(cast.Cast)));
                if (await AddsErrorsAsync(context.Document, named, context.CancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create($"Use {cast.Names}", ct => FixOrSelfAsync(context.Document, diagnostic, NameKey, ct), NameKey),
                    diagnostic);
                continue;
            }

            if (EraTest(root, model, diagnostic, context.CancellationToken) is not null)
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Keep only the branch for kernels without VM_RESERVED",
                        ct => FixOrSelfAsync(context.Document, diagnostic, ReplaceKey, ct),
                        ReplaceKey),
                    diagnostic);
                continue;
            }

            if (Find(root, model, diagnostic, context.CancellationToken) is not { } reference)
            {
                continue;
            }

            var names = Replacement(diagnostic);
            var present = SyntaxEdits.OrChainLeaves(SyntaxEdits.OrChainRoot(reference))
                .Select(leaf => FlagSymbols.FlagName(model, leaf, context.CancellationToken))
                .OfType<string>()
                .ToImmutableHashSet();
            var removes = names.All(present.Contains);
            var removable = new FlagRemoval(model, ReservedName, context.CancellationToken).Plan(reference);
            if (removes && !removable)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Replace VM_RESERVED with {string.Join(" | ", names.Select(name => "VM_" + name.ToUpperInvariant()))}",
                    ct => FixOrSelfAsync(context.Document, diagnostic, ReplaceKey, ct),
                    ReplaceKey),
                diagnostic);
            if (diagnostic.Properties.ContainsKey(ReservedReplacement.RemapPropertyName) && removable)
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
            if (casts.Count == 0)
            {
                return null;
            }

            var named = document.WithSyntaxRoot(root.ReplaceNodes(casts.Select(cast => cast.Cast), (original, _) =>
                casts.First(cast => cast.Cast == original).Replacement.WithTriviaFrom(original)));
            return await AddsErrorsAsync(document, named, cancellationToken).ConfigureAwait(false) ? null : named;
        }

        var remove = equivalenceKey == RemoveKey;
        var removal = new FlagRemoval(model, ReservedName, cancellationToken);
        var replacements = new Dictionary<ExpressionSyntax, string[]>();
        var collapses = new Dictionary<SyntaxNode, bool>();
        foreach (var diagnostic in diagnostics)
        {
            if (!remove && EraTest(root, model, diagnostic, cancellationToken) is { } test)
            {
                collapses[test] = Negated(test, model, cancellationToken);
                continue;
            }

            if ((!remove || diagnostic.Properties.ContainsKey(ReservedReplacement.RemapPropertyName))
                && Find(root, model, diagnostic, cancellationToken) is { } node && !replacements.ContainsKey(node))
            {
                var wanted = Replacement(diagnostic);
                var present = SyntaxEdits.OrChainLeaves(SyntaxEdits.OrChainRoot(node))
                    .Select(leaf => FlagSymbols.FlagName(model, leaf, cancellationToken))
                    .OfType<string>()
                    .ToImmutableHashSet();
                var missing = wanted.Where(name => !present.Contains(name)).ToArray();
                if (remove || missing.Length == 0)
                {
                    removal.Plan(node);
                }
                else
                {
                    replacements.Add(node, missing);
                }
            }
        }

        foreach (var nested in collapses.Keys.Where(test => collapses.Keys.Any(other => other != test && other.Span.Contains(test.Span))).ToList())
        {
            collapses.Remove(nested);
        }

        var updated = removal.Apply(root, replacements.Keys.Concat(collapses.Keys));
        if (updated == root && replacements.Count == 0 && collapses.Count == 0)
        {
            return null;
        }

        foreach (var pair in collapses)
        {
            if (updated.GetCurrentNode(pair.Key) is { } current)
            {
                updated = CollapseEraTest(updated, current, pair.Value);
            }
        }

        foreach (var pair in replacements)
        {
            if (updated.GetCurrentNode(pair.Key) is not { } current)
            {
                continue;
            }

            var names = pair.Value.Select(name => SyntaxEdits.FlagLike(current, name)).ToList();
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

    private static readonly string[] ReservedName = { "Reserved" };

    /// <summary>
    /// The VmFlags.Reserved reference a diagnostic points at, when its value is being set: not where it is tested, cleared or
    /// passed to something that only reads it (<c>Policy.FlagExists(VmFlags.Reserved)</c>).
    /// </summary>
    private static ExpressionSyntax? Find(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (FlagSymbols.FindFlag(root, model, diagnostic, cancellationToken, "Reserved") is not { } flag)
        {
            return null;
        }

        var chain = SyntaxEdits.OrChainRoot(flag.Node);
        if (!SyntaxEdits.IsSetContext(chain)
            || chain.Parent is ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax invocation }
                && model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol method
                && method.Name != "VmFlagsSet" && !method.Locations.Any(location => location.IsInSource))
        {
            return null;
        }

        return flag.Node;
    }

    /// <summary>
    /// The <c>?:</c> or <c>if</c> that chooses VM_RESERVED by testing whether the kernel has it
    /// (<c>Policy.FlagExists(VmFlags.Reserved)</c>, perhaps negated), when the diagnostic's reference is in its test or in
    /// the branch for kernels that have it: the fix keeps only the other branch, which every kernel since 3.7 takes.
    /// </summary>
    private static SyntaxNode? EraTest(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        if (FlagSymbols.FindFlag(root, model, diagnostic, cancellationToken, "Reserved") is not { } flag)
        {
            return null;
        }

        for (var node = flag.Node.Parent; node is not null and not MemberDeclarationSyntax; node = node.Parent)
        {
            var (condition, whenExists) = node switch
            {
                ConditionalExpressionSyntax conditional => (conditional.Condition, (SyntaxNode?)conditional.WhenTrue),
                IfStatementSyntax statement => (statement.Condition, statement.Statement),
                _ => (null, null),
            };
            if (condition is null || !TestsReserved(condition, model, cancellationToken, out var negated))
            {
                continue;
            }

            if (negated)
            {
                whenExists = node switch
                {
                    ConditionalExpressionSyntax conditional => conditional.WhenFalse,
                    IfStatementSyntax statement => statement.Else?.Statement,
                    _ => null,
                };
            }

            if (condition.Span.Contains(flag.Node.Span) || whenExists?.Span.Contains(flag.Node.Span) == true)
            {
                return node;
            }
        }

        return null;
    }

    /// <summary>Whether a condition is <c>….FlagExists(VmFlags.Reserved)</c> or its negation.</summary>
    private static bool TestsReserved(ExpressionSyntax condition, SemanticModel model, CancellationToken cancellationToken, out bool negated)
    {
        negated = false;
        while (true)
        {
            switch (condition)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    condition = parenthesized.Expression;
                    continue;
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not:
                    negated = !negated;
                    condition = not.Operand;
                    continue;
            }

            break;
        }

        return condition is InvocationExpressionSyntax { ArgumentList.Arguments.Count: 1 } invocation
            && model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol { Name: "FlagExists", ContainingType.Name: "EraPolicy" }
            && FlagSymbols.FlagName(model, invocation.ArgumentList.Arguments[0].Expression, cancellationToken) == "Reserved";
    }

    private static bool Negated(SyntaxNode test, SemanticModel model, CancellationToken cancellationToken)
    {
        var condition = test switch
        {
            ConditionalExpressionSyntax conditional => conditional.Condition,
            IfStatementSyntax statement => statement.Condition,
            _ => null,
        };
        return condition is not null && TestsReserved(condition, model, cancellationToken, out var negated) && negated;
    }

    /// <summary>Replaces an era test with its branch for kernels without VM_RESERVED (an if without one goes).</summary>
    private static SyntaxNode CollapseEraTest(SyntaxNode root, SyntaxNode test, bool negated)
    {
        switch (test)
        {
            case ConditionalExpressionSyntax conditional:
                var kept = negated ? conditional.WhenTrue : conditional.WhenFalse;
                var replacement = kept is BinaryExpressionSyntax or ConditionalExpressionSyntax && conditional.Parent is BinaryExpressionSyntax or PrefixUnaryExpressionSyntax
                    ? SyntaxFactory.ParenthesizedExpression(kept.WithoutTrivia())
                    : kept.WithoutTrivia();
                return root.ReplaceNode(conditional, replacement.WithTriviaFrom(conditional));
            case IfStatementSyntax statement:
                var branch = negated ? statement.Statement : statement.Else?.Statement;
                if (branch is null)
                {
                    return SyntaxEdits.RemoveStatements(root, new[] { statement });
                }

                if (branch is BlockSyntax block && statement.Parent is BlockSyntax or SwitchSectionSyntax)
                {
                    var statements = block.Statements.Select((inner, index) => index == 0 ? inner.WithLeadingTrivia(statement.GetLeadingTrivia()) : inner);
                    return root.ReplaceNode(statement, statements);
                }

                return root.ReplaceNode(statement, branch.WithTriviaFrom(statement));
            default:
                return root;
        }
    }

    /// <summary>
    /// Whether <paramref name="changed"/> has a compile error <paramref name="original"/> did not: naming the flags can bind
    /// differently where a member is itself called VmFlags (<c>const VmFlags VmFlags = (VmFlags)0x2000</c> would refer to
    /// itself), which no look-up at the cast foresees.
    /// </summary>
    private static async Task<bool> AddsErrorsAsync(Document original, Document changed, CancellationToken cancellationToken)
    {
        static async Task<int> ErrorsAsync(Document document, CancellationToken cancellationToken) =>
            await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is { } model
                ? model.GetDiagnostics(cancellationToken: cancellationToken).Count(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error)
                : 0;

        return await ErrorsAsync(changed, cancellationToken).ConfigureAwait(false) > await ErrorsAsync(original, cancellationToken).ConfigureAwait(false);
    }

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

        // The cast's type read as an expression must still be the enum where the cast is (a local named VmFlags would win).
        if (operands.Any(operand => model.GetSpeculativeSymbolInfo(cast.SpanStart, operand, SpeculativeBindingOption.BindAsExpression).Symbol is not IFieldSymbol field
            || !SymbolEqualityComparer.Default.Equals(field.ContainingType, type)))
        {
            return null;
        }
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
