using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.CodeFixes.Syntax;
using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0016: maps device memory uncached. An explicit protection argument is wrapped in <c>Kernel.PgprotNoncached</c>; for
/// <c>VmIomapMemory</c>, which maps with <c>vma.PageProt</c>, <c>vma.PageProt = Kernel.PgprotNoncached(vma.PageProt);</c> goes
/// before the statement of the call. Not offered for vmf_insert_pfn (the protection belongs in ->mmap, not the fault handler)
/// or where the vma is not a plain local or parameter.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NoncachedProtectionCodeFix)), Shared]
public sealed class NoncachedProtectionCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.CacheableMmio);

    private protected override string Form => FixForms.Noncached;

    private protected override string Title => "Map the device memory uncached (PgprotNoncached)";

    private protected override string EquivalenceKey => "DK0016.PgprotNoncached";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        if (NodeAt<InvocationExpressionSyntax>(editor, diagnostic.Location) is not { } invocation
            || DriverKitEngine.Get(editor.SemanticModel.Compilation) is not { } engine
            || editor.SemanticModel.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation
            || MappingCall.From(engine.Symbols, operation) is not { } call
            || !planned.Add(invocation))
        {
            return false;
        }

        if (call.Protection?.Syntax is ExpressionSyntax protection)
        {
            // A protection that is uncached or write-combining on some path (a frame buffer's) is not overridden wholesale.
            if ((ProtectionCaching.Of(engine, engine.Values.FlowOf(operation, cancellationToken), call.Protection, followVmaStores: false, cancellationToken) & CacheModes.Uncached) != 0)
            {
                return false;
            }

            editor.ReplaceNode(protection, (node, _) => Noncached((ExpressionSyntax)node));
            return true;
        }

        // The statement the store goes before must be in the same function as the call (not the statement around a lambda or
        // local function that contains it), in a block or switch section.
        if (call.Api != KernelApi.VmIomapMemory
            || call.Vma.WithoutConversions() is not (IParameterReferenceOperation or ILocalReferenceOperation)
            || call.Vma!.Syntax is not IdentifierNameSyntax vma
            || SyntaxEdits.StatementAround(invocation) is not { } statement
            || !planned.Add(statement))
        {
            return false;
        }

        var pageProt = SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, SyntaxFactory.IdentifierName(vma.Identifier.ValueText), SyntaxFactory.IdentifierName("PageProt"));
        var store = SyntaxFactory.ExpressionStatement(
                SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, pageProt, Noncached(pageProt)))
            .WithAdditionalAnnotations(Formatter.Annotation);
        editor.InsertBefore(statement, store);
        return true;
    }

    private static ExpressionSyntax Noncached(ExpressionSyntax protection) =>
        SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, RuntimeType("Kernel"), SyntaxFactory.IdentifierName("PgprotNoncached")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(protection.WithoutTrivia()))))
            .WithTriviaFrom(protection);
}
