using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.Analyzers.Engine;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0006: pins with a reference instead of PG_locked. The reported <c>LockPage</c>/<c>SetPageLocked</c> becomes <c>GetPage</c>
/// and every <c>UnlockPage</c> that may unlock that page — in any method, a teardown helper taking the page as a parameter
/// included — becomes <c>PutPage</c>; so does every other lock those unlocks pair with, so that each reference taken is dropped
/// exactly where a lock was released. Not offered when that set of calls is not all pins DK0006 reports (a real
/// lock/unlock pair shares the unlock), holds a <c>TrylockPage</c>, reaches into another document, or has no unlock at all
/// (a reference nobody drops would leak the page).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(LockToReferenceCodeFix)), Shared]
public sealed class LockToReferenceCodeFix : DriverKitCodeFix
{
    /// <summary>The equivalence key of the fix.</summary>
    public const string EquivalenceKey = "DK0006.UseReference";

    private static readonly string[] LockNames = { "LockPage", "SetPageLocked", "TrylockPage", "UnlockPage" };

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.PageLockAsPin);

    /// <inheritdoc/>
    private protected override async Task RegisterAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (await RenamesAsync(context.Document, ImmutableArray.Create(diagnostic), context.CancellationToken).ConfigureAwait(false) is { Count: > 0 })
            {
                context.RegisterCodeFix(
                    CodeAction.Create(
                        "Pin with GetPage/PutPage instead of the page lock",
                        ct => FixOrSelfAsync(context.Document, diagnostic, EquivalenceKey, ct),
                        EquivalenceKey),
                    diagnostic);
            }
        }
    }

    private protected override async Task<Document?> FixAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string? equivalenceKey, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || await RenamesAsync(document, diagnostics, cancellationToken).ConfigureAwait(false) is not { Count: > 0 } renames)
        {
            return null;
        }

        return document.WithSyntaxRoot(root.ReplaceNodes(renames.Keys, (original, current) => Invocations.Rename(current, renames[original])));
    }

    /// <summary>The calls to rename for the diagnostics' locks, or null when the fix cannot be complete.</summary>
    private static async Task<Dictionary<InvocationExpressionSyntax, string>?> RenamesAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || DriverKitEngine.Get(model.Compilation) is not { } engine)
        {
            return null;
        }

        var renames = new Dictionary<InvocationExpressionSyntax, string>();
        List<PairedCall>? calls = null;
        foreach (var diagnostic in diagnostics)
        {
            if (Invocations.At(root, model, engine.Symbols, diagnostic.Location, cancellationToken, KernelApi.LockPage, KernelApi.SetPageLocked) is not { } call
                || renames.ContainsKey(call.Syntax))
            {
                continue;
            }

            calls ??= PairedCalls.Find(
                engine,
                LockNames,
                invocation => invocation.Syntax is InvocationExpressionSyntax
                    && engine.Symbols.Classify(invocation.TargetMethod) is KernelApi.LockPage or KernelApi.SetPageLocked or KernelApi.TrylockPage or KernelApi.UnlockPage,
                cancellationToken);

            // A reference nobody drops would leak the page: no fix without an unlock.
            if (PairedCalls.Closure(engine, calls, call.Syntax, api => api == KernelApi.UnlockPage, cancellationToken) is not { } closure
                || !closure.Any(member => member.Api == KernelApi.UnlockPage)
                || !closure.All(member => member.Syntax.SyntaxTree == root.SyntaxTree && IsRenamable(engine, member, cancellationToken)))
            {
                continue;
            }

            foreach (var member in closure)
            {
                renames[(InvocationExpressionSyntax)root.FindNode(member.Syntax.Span, getInnermostNodeForTie: true)] =
                    member.Api == KernelApi.UnlockPage ? "PutPage" : "GetPage";
            }
        }

        return renames;
    }

    /// <summary>An unlock, or a lock DK0006 reports (a real lock/unlock pair or a trylock is not turned into a reference).</summary>
    private static bool IsRenamable(DriverKitEngine engine, PairedCall call, CancellationToken cancellationToken)
    {
        if (call.Syntax is not InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax or IdentifierNameSyntax })
        {
            return false;
        }

        if (call.Api == KernelApi.UnlockPage)
        {
            return true;
        }

        return call.Api != KernelApi.TrylockPage
            && PageLockPins.Find(engine, call.Operation.Root(), cancellationToken).Any(pin => pin.Lock.Operation.Syntax == call.Syntax);
    }
}
