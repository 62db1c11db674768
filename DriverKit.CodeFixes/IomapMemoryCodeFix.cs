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
/// first (an expression-bodied handler becomes a block for it). Offered only where the rewrite maps the same pages: a remap of
/// the whole vma (<c>vma.Length</c> or <c>vma.End - vma.Start</c> from <c>vma.Start</c>) at the window's first pfn plus the vma's
/// offset, and from 3.9, where vm_iomap_memory exists.
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
            || !IsWholeVma(call.Size, vma)
            || WindowAtVmaOffset(call.Memory, vma) is not { } window
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

    /// <summary>Whether a size is the vma's whole length: <c>vma.Length</c> or <c>vma.End - vma.Start</c>.</summary>
    private static bool IsWholeVma(IOperation? size, ExpressionSyntax vma) => size.WithoutConversions() switch
    {
        IPropertyReferenceOperation { Property.Name: "Length" } length => IsVma(length.Instance, vma),
        IBinaryOperation { OperatorKind: BinaryOperatorKind.Subtract } difference =>
            difference.LeftOperand.WithoutConversions() is IPropertyReferenceOperation { Property.Name: "End" } end && IsVma(end.Instance, vma)
            && difference.RightOperand.WithoutConversions() is IPropertyReferenceOperation { Property.Name: "Start" } start && IsVma(start.Instance, vma),
        _ => false,
    };

    /// <summary>
    /// The MMIO window of a pfn that is the window's first pfn plus the vma's offset (<c>regs.StartPfn + vma.Pgoff</c>, in either
    /// order): the pages VmIomapMemory maps. Any other pfn (a fixed page of the window, the offset ignored) gets null.
    /// </summary>
    private static string? WindowAtVmaOffset(IOperation? pfn, ExpressionSyntax vma)
    {
        if (pfn.WithoutConversions() is not IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum)
        {
            return null;
        }

        var (left, right) = (sum.LeftOperand.WithoutConversions(), sum.RightOperand.WithoutConversions());
        var window = IsVmaOffset(right, vma) ? WindowStart(left) : IsVmaOffset(left, vma) ? WindowStart(right) : null;
        return window?.Syntax.WithoutTrivia().ToString();
    }

    private static bool IsVmaOffset(IOperation? operation, ExpressionSyntax vma) =>
        operation is IPropertyReferenceOperation { Property.Name: "Pgoff" } offset && IsVma(offset.Instance, vma);

    /// <summary>
    /// The window whose first pfn <paramref name="operation"/> is (<c>regs.StartPfn</c>), or null. The fix writes the window twice
    /// (its Start and its Size), so it must be read without side effects: a field, property, local or parameter, not a call
    /// (<c>Region(file)</c>) or an element with an increment (<c>regions[n++]</c>).
    /// </summary>
    private static IOperation? WindowStart(IOperation? operation) =>
        operation is IPropertyReferenceOperation { Property: { Name: "StartPfn", ContainingType.Name: "MmioRegion" }, Instance: { } window } && window.IsPlainRead()
            ? window
            : null;

    private static bool IsVma(IOperation? instance, ExpressionSyntax vma) => instance?.Syntax.ToString() == vma.ToString();
}
