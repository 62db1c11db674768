using System.Collections.Immutable;
using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers;

/// <summary>
/// DK0018, its first form (<see cref="MappingLifetimeAnalyzer"/>): a <c>VmOperations</c> initializer that sets <c>Close</c> and not <c>Open</c>. The kernel calls
/// ->open for every VMA it makes from a mapping (fork's dup_mmap, __split_vma, copy_vma for mremap) and ->close for each, so
/// a Close without Open undoes more than was done. Not reported for a driver that forbids copies (its code sets
/// <c>VmFlags.DontCopy</c>) and accounts pieces by size (the initializer sets MaySplit, or Close reads the VMA's size), a
/// correct shape real drivers use.
/// </summary>
internal static class CloseWithoutOpen
{
    private static readonly string[] Words = { "Close" };

    private static readonly string[] SizeMembers = { "Length", "Pages", "End" };

    /// <summary>
    /// Finds the candidates by syntax — a <c>Close = …</c> in an object initializer with no <c>Open = …</c> — and binds only them:
    /// most files that spell Close have either no vm_ops or both handlers.
    /// </summary>
    public static void Analyze(SemanticModelAnalysisContext context, DriverKitEngine engine)
    {
        var cancellationToken = context.CancellationToken;
        var tree = context.SemanticModel.SyntaxTree;
        var words = engine.Words.Cached(Words, cancellationToken);
        if (!words.AnyIn(tree))
        {
            return;
        }

        var syntaxRoot = tree.GetRoot(cancellationToken);
        foreach (var position in words.Within(tree, context.FilterSpan ?? syntaxRoot.FullSpan))
        {
            if (syntaxRoot.FindToken(position).Parent is not IdentifierNameSyntax { Identifier.ValueText: "Close" } name
                || name.Parent is not AssignmentExpressionSyntax { Parent: InitializerExpressionSyntax { Parent: BaseObjectCreationExpressionSyntax creationSyntax } initializerSyntax } assignment
                || assignment.Left != name
                || initializerSyntax.Expressions.Any(expression => expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "Open" } })
                || context.SemanticModel.GetOperation(creationSyntax, cancellationToken) is not IObjectCreationOperation creation
                || !engine.Symbols.IsVmOperations(creation.Type)
                || creation.Initializer is not { } initializer
                || engine.IsGenerated(creation.Root(), cancellationToken))
            {
                continue;
            }

            // Half-typed code may assign one handler twice (CS1912): the last assignment counts, and nothing throws.
            var handlers = new Dictionary<string, ISimpleAssignmentOperation>(StringComparer.Ordinal);
            foreach (var handler in initializer.Initializers.OfType<ISimpleAssignmentOperation>())
            {
                if (handler.Target is IPropertyReferenceOperation property)
                {
                    handlers[property.Property.Name] = handler;
                }
            }

            if (!handlers.TryGetValue("Close", out var close) || handlers.ContainsKey("Open") || IsDontCopyBySize(engine, creation, handlers, close, cancellationToken))
            {
                continue;
            }

            context.ReportVisible(Diagnostic.Create(
                DiagnosticDescriptors.CloseWithoutOpen,
                close.Syntax.GetLocation(),
                FixForms.Properties(FixForms.AddOpen),
                creationSyntax.Ancestors().OfType<TypeDeclarationSyntax>().FirstOrDefault()?.Identifier.ValueText ?? "",
                close.Value.Syntax.ToString()));
        }
    }

    /// <summary>§7's accepted shape: the type sets VmFlags.DontCopy, and pieces are accounted by size (MaySplit, or Close reads the size).</summary>
    private static bool IsDontCopyBySize(
        DriverKitEngine engine, IObjectCreationOperation creation, Dictionary<string, ISimpleAssignmentOperation> handlers, ISimpleAssignmentOperation close, CancellationToken cancellationToken)
    {
        // Every part of the outermost type around the initializer (a partial driver may set the flag in another file).
        var declaration = creation.Syntax.Ancestors().OfType<TypeDeclarationSyntax>().LastOrDefault();
        var parts = declaration is not null && creation.SemanticModel?.GetDeclaredSymbol(declaration, cancellationToken) is { } type
            ? type.DeclaringSyntaxReferences.Select(reference => reference.GetSyntax(cancellationToken))
            : Enumerable.Empty<SyntaxNode>();
        if (!parts.Any(part => part.DescendantTokens().Any(token => token.ValueText == "DontCopy")))
        {
            return false;
        }

        if (handlers.ContainsKey("MaySplit"))
        {
            return true;
        }

        var body = close.Value.WithoutConversions() switch
        {
            IDelegateCreationOperation { Target: IMethodReferenceOperation reference } => engine.Bodies.Get(reference.Method, cancellationToken)?.Operation,
            IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } => lambda,
            _ => null,
        };
        return body is not null && body.Descendants().OfType<IPropertyReferenceOperation>()
            .Any(property => engine.Symbols.IsVmArea(property.Property.ContainingType) && SizeMembers.Contains(property.Property.Name));
    }
}
