using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.Analyzers.Engine;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK0007: <c>RemapPfnRange(vma, vma.Start, VmallocToPfn(buf), …, vma.PageProt)</c> becomes
/// <c>RemapVmallocRange(vma, buf, 0)</c>, and every vmalloc allocation the buffer comes from becomes <c>VmallocUser</c> (which
/// remap_vmalloc_range requires). Complete or not offered: the remap must map the whole vma from its start with the vma's own
/// protection, the pfn must be <c>VmallocToPfn</c> of the buffer, and every allocation must be in the same document.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemapVmallocRangeCodeFix)), Shared]
public sealed class RemapVmallocRangeCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.RemapVmallocAsContiguous);

    private protected override string Form => FixForms.RemapVmallocRange;

    private protected override string Title => "Allocate with VmallocUser and map with RemapVmallocRange";

    private protected override string EquivalenceKey => "DK0007.RemapVmallocRange";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        var model = editor.SemanticModel;
        if (NodeAt<InvocationExpressionSyntax>(editor, diagnostic.Location) is not { } invocation
            || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation
            || invocation.ArgumentList.Arguments.Count != 5 || invocation.ArgumentList.Arguments.Any(argument => argument.NameColon is not null)
            || operation.Argument(0).WithoutConversions() is not (IParameterReferenceOperation or ILocalReferenceOperation) || operation.Argument(0)!.Syntax is not IdentifierNameSyntax vma
            || !IsVmaMember(operation.Argument(1), vma, "Start")
            || !IsVmaLength(operation.Argument(3), vma)
            || !IsVmaMember(operation.Argument(4), vma, "PageProt")
            || operation.Argument(2).WithoutConversions() is not IInvocationOperation { TargetMethod.Name: "VmallocToPfn" } toPfn
            || toPfn.Argument(0)?.Syntax is not ExpressionSyntax buffer
            || diagnostic.AdditionalLocations.Count == 0)
        {
            return false;
        }

        var allocations = diagnostic.AdditionalLocations.Select(location => NodeAt<InvocationExpressionSyntax>(editor, location)).ToList();
        if (allocations.Any(allocation => allocation is null || Invocations.Name(allocation) is not ("Vmalloc" or "Vzalloc" or "VmallocUser")) || !planned.Add(invocation))
        {
            return false;
        }

        foreach (var allocation in allocations)
        {
            if (Invocations.Name(allocation!) != "VmallocUser" && planned.Add(allocation!))
            {
                editor.ReplaceNode(allocation!, (node, _) => Invocations.Rename((InvocationExpressionSyntax)node, "VmallocUser"));
            }
        }

        editor.ReplaceNode(invocation, (node, _) =>
        {
            var call = Invocations.Rename((InvocationExpressionSyntax)node, "RemapVmallocRange");
            var arguments = call.ArgumentList.Arguments;
            return call.WithArgumentList(call.ArgumentList.WithArguments(SyntaxFactory.SeparatedList(
                new[]
                {
                    arguments[0],
                    SyntaxFactory.Argument(buffer.WithoutTrivia()).WithTriviaFrom(arguments[1]),
                    SyntaxFactory.Argument(SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(0))).WithTriviaFrom(arguments[2]),
                },
                arguments.GetSeparators().Take(2))));
        });
        return true;
    }

    /// <summary><c>vma.Length</c> or <c>vma.End - vma.Start</c>: RemapVmallocRange maps the whole vma, so the remap must have.</summary>
    private static bool IsVmaLength(IOperation? argument, IdentifierNameSyntax vma) =>
        IsVmaMember(argument, vma, "Length")
        || (argument.WithoutConversions() is IBinaryOperation { OperatorKind: BinaryOperatorKind.Subtract } difference
            && IsVmaMember(difference.LeftOperand, vma, "End") && IsVmaMember(difference.RightOperand, vma, "Start"));

    private static bool IsVmaMember(IOperation? argument, IdentifierNameSyntax vma, string member) =>
        argument.WithoutConversions() is IPropertyReferenceOperation property
        && property.Property.Name == member
        && property.Instance?.Syntax is IdentifierNameSyntax instance
        && instance.Identifier.ValueText == vma.Identifier.ValueText;
}
