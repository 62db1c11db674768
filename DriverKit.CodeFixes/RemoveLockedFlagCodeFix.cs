using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0001: removes <c>VmFlags.Locked</c> (or <c>LockOnFault</c>) from the flags a driver sets, with what only served it
/// (<see cref="FlagRemoval"/>: a statement left setting nothing, an if/else whose other branch only clears the bit, a local
/// that only carried it). Offered where the diagnostic points at the flag itself and the removal leaves no debris.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveLockedFlagCodeFix)), Shared]
public sealed class RemoveLockedFlagCodeFix : DriverKitCodeFix
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "DK0001.RemoveLocked";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.LockedIoMapping);

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
            if (FlagSymbols.FindFlag(root, model, diagnostic, context.CancellationToken, FlagNames) is not { } flag
                || !new FlagRemoval(model, FlagNames, context.CancellationToken).Plan(flag.Node))
            {
                continue;
            }

            var name = flag.Name == "Locked" ? "VM_LOCKED" : "VM_LOCKONFAULT";
            context.RegisterCodeFix(
                CodeAction.Create($"Remove {name}", ct => FixOrSelfAsync(context.Document, diagnostic, EquivalenceKey, ct), EquivalenceKey),
                diagnostic);
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

        var removal = new FlagRemoval(model, FlagNames, cancellationToken);
        var planned = false;
        foreach (var flag in diagnostics.Select(diagnostic => FlagSymbols.FindFlag(root, model, diagnostic, cancellationToken, FlagNames)).OfType<FlagReference>())
        {
            planned |= removal.Plan(flag.Node);
        }

        return planned ? document.WithSyntaxRoot(removal.Apply(root)) : null;
    }

    private static readonly string[] FlagNames = { "Locked", "LockOnFault" };
}
