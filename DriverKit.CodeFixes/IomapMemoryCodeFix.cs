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
/// DK0014 on a device window: <c>RemapPfnRange(vma, vma.Start, regs.StartPfn + vma.Pgoff, vma.Length, prot)</c> becomes
/// <c>VmIomapMemory(vma, regs.Start, regs.Size)</c>, which maps the window at the vma's offset and refuses an offset or size
/// past its end (mm/memory.c: vm_iomap_memory). VmIomapMemory maps with vma.PageProt, so an explicit protection is stored there
/// first (an expression-bodied handler becomes a block for it). Offered only for a remap of the whole vma whose pfn names the
/// window, and from 3.9, where vm_iomap_memory exists.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(IomapMemoryCodeFix)), Shared]
public sealed class IomapMemoryCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UncheckedMmapRange);

    private protected override string Form => FixForms.IomapMemory;

    private protected override string Title => "Map the device window with VmIomapMemory (it checks the offset and size)";

    private protected override string EquivalenceKey => "DK0014.VmIomapMemory";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        var model = editor.SemanticModel;
        if (NodeAt<InvocationExpressionSyntax>(editor, diagnostic.Location) is not { Expression: MemberAccessExpressionSyntax callee } invocation
            || DriverKitEngine.Get(model.Compilation) is not { } engine
            || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation
            || MappingCall.From(engine.Symbols, operation) is not { Api: KernelApi.RemapPfnRange or KernelApi.IoRemapPfnRange } call
            || call.Vma?.Syntax is not ExpressionSyntax vma
            || operation.Argument(1) is not IPropertyReferenceOperation { Property.Name: "Start", Instance: { } startOf }
            || startOf.Syntax.ToString() != vma.ToString()
            || call.Memory?.Syntax is not ExpressionSyntax pfn
            || Window(model, pfn, cancellationToken) is not { } window
            || call.Protection?.Syntax is not ExpressionSyntax protection)
        {
            return false;
        }

        var usesVmaProtection = protection is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "PageProt" } read && read.Expression.ToString() == vma.ToString();
        var replacement = SyntaxFactory.ParseExpression($"{callee.Expression.WithoutTrivia()}.VmIomapMemory({vma.WithoutTrivia()}, {window}.Start, {window}.Size)");
        var store = $"{vma}.PageProt = {protection.WithoutTrivia()};";

        // An expression-bodied handler (int Mmap(OpenFile f, VmArea vma) => kernel.IoRemapPfnRange(…)) becomes a block: the store, then the return.
        if (!usesVmaProtection && invocation.Parent is ArrowExpressionClauseSyntax { Parent: MethodDeclarationSyntax method })
        {
            if (!planned.Add(method))
            {
                return false;
            }

            var body = SyntaxFactory.Block(SyntaxFactory.ParseStatement(store), SyntaxFactory.ReturnStatement(replacement));
            editor.ReplaceNode(method, method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body)
                .WithAdditionalAnnotations(Formatter.Annotation));
            return true;
        }

        var statement = SyntaxEdits.StatementAround(invocation);
        if (!usesVmaProtection && statement is null)
        {
            return false;
        }

        if (!planned.Add(invocation) || (!usesVmaProtection && !planned.Add(statement!)))
        {
            return false;
        }

        if (!usesVmaProtection)
        {
            editor.InsertBefore(statement!, SyntaxEdits.ParseStatement(store));
        }

        editor.ReplaceNode(invocation, replacement.WithTriviaFrom(invocation));
        return true;
    }

    /// <summary>The MMIO window a pfn expression names (<c>regs</c> in <c>regs.StartPfn + vma.Pgoff</c>), or null.</summary>
    private static string? Window(SemanticModel model, ExpressionSyntax pfn, CancellationToken cancellationToken) =>
        pfn.DescendantNodesAndSelf().OfType<MemberAccessExpressionSyntax>()
            .Where(access => access.Name.Identifier.ValueText is "StartPfn" or "Start")
            .Select(access => access.Expression)
            .FirstOrDefault(expression => model.GetTypeInfo(expression, cancellationToken).Type is { Name: "MmioRegion" })
            ?.WithoutTrivia().ToString();
}
