using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace DriverKit.Tests.Verification;

/// <summary>Collects the code actions a provider offers for one diagnostic, and applies one action.</summary>
internal static class CodeActionApplier
{
    /// <summary>The offered actions, nested actions flattened.</summary>
    public static async Task<ImmutableArray<CodeAction>> GetActionsAsync(
        CodeFixProvider provider,
        Document document,
        Diagnostic diagnostic,
        CancellationToken cancellationToken)
    {
        var actions = ImmutableArray.CreateBuilder<CodeAction>();
        await provider.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellationToken))
            .ConfigureAwait(false);
        return [.. actions.SelectMany(Flatten)];
    }

    /// <summary>The first action, or the first with the requested equivalence key.</summary>
    public static CodeAction? Select(ImmutableArray<CodeAction> actions, string? equivalenceKey) =>
        actions.FirstOrDefault(action => equivalenceKey is null || action.EquivalenceKey == equivalenceKey);

    /// <summary>Applies the action, which must produce exactly one <see cref="ApplyChangesOperation"/>, and validates the new trees.</summary>
    public static async Task<Solution> ApplyAsync(CodeAction action, Solution solution, string context, CancellationToken cancellationToken)
    {
        var operations = await action.GetOperationsAsync(cancellationToken).ConfigureAwait(false);
        if (operations is not [ApplyChangesOperation apply])
        {
            throw new VerificationException(
                context,
                $"Code action '{action.Title}' must produce exactly one ApplyChangesOperation, but produced " +
                $"[{string.Join(", ", operations.Select(operation => operation.GetType().Name))}].");
        }

        await SyntaxTreeValidator.ValidateAsync(solution, apply.ChangedSolution, action.Title, context, cancellationToken).ConfigureAwait(false);
        return apply.ChangedSolution;
    }

    public static string Describe(CodeAction action) => $"'{action.Title}' (equivalence key {action.EquivalenceKey ?? "null"})";

    private static IEnumerable<CodeAction> Flatten(CodeAction action) =>
        action.NestedActions.IsDefaultOrEmpty ? [action] : action.NestedActions.SelectMany(Flatten);
}
