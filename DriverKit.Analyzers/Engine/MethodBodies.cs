using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The bodies (operation trees) of source methods of the compilation, for the interprocedural
/// parts of the rules: helper summaries, fault handlers, vm_ops fields. Cached per compilation.
/// </summary>
internal sealed class MethodBodies
{
    private readonly Compilation compilation;
    private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> models = new();
    private readonly ConcurrentDictionary<ISymbol, Body?> bodies = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, IOperation?> initializers = new(SymbolEqualityComparer.Default);

    public MethodBodies(Compilation compilation) => this.compilation = compilation;

    /// <summary>A function's code: its operation tree and the model that bound it.</summary>
    public sealed class Body
    {
        public Body(IOperation operation, SemanticModel model)
        {
            Operation = operation;
            Model = model;
        }

        /// <summary>The method or constructor body, or the local function's declaration.</summary>
        public IOperation Operation { get; }

        public SemanticModel Model { get; }

        /// <summary>What the flow analyses run over: the body, or the local function's block.</summary>
        public IOperation Code => Operation is ILocalFunctionOperation { Body: { } block } ? block : Operation;
    }

    /// <summary>The body of a source method, local function or accessor of this compilation; null for metadata, abstract or extern methods.</summary>
    public Body? Get(IMethodSymbol method, CancellationToken cancellationToken)
    {
        method = method.PartialImplementationPart ?? method;
        return bodies.GetOrAdd(method.OriginalDefinition, symbol => Load((IMethodSymbol)symbol, cancellationToken));
    }

    /// <summary>The initializer of a source field or property (<c>= …</c> in its declaration), or null.</summary>
    public IOperation? GetInitializer(ISymbol member, CancellationToken cancellationToken) =>
        initializers.GetOrAdd(member.OriginalDefinition, symbol => LoadInitializer(symbol, cancellationToken));

    /// <summary>The semantic model of a tree of this compilation.</summary>
    public SemanticModel? GetModel(SyntaxTree tree) =>
        compilation.ContainsSyntaxTree(tree)
            ? models.GetOrAdd(tree, CreateModel)
            : null;

    /// <summary>Bodies are needed for symbols declared in other trees than the one being analyzed; an analyzer context only offers its own.</summary>
#pragma warning disable RS1030 // Interprocedural analysis reads helper methods declared in other trees (as roslyn-analyzers' interprocedural dataflow does); the models are cached per compilation.
    private SemanticModel CreateModel(SyntaxTree tree) => compilation.GetSemanticModel(tree);
#pragma warning restore RS1030

    private Body? Load(IMethodSymbol method, CancellationToken cancellationToken)
    {
        if (method.IsAbstract || method.IsExtern || !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, compilation.Assembly))
        {
            return null;
        }

        if (method.MethodKind == MethodKind.LocalFunction)
        {
            return LoadLocalFunction(method, cancellationToken);
        }

        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax(cancellationToken);
            if (GetModel(syntax.SyntaxTree) is not { } model)
            {
                continue;
            }

            if (model.GetOperation(syntax, cancellationToken) is { } operation and (IMethodBodyOperation or IConstructorBodyOperation))
            {
                return new Body(operation, model);
            }
        }

        return null;
    }

    /// <summary>A local function is declared in the operation tree of the method around it (perhaps inside other local functions or lambdas).</summary>
    private Body? LoadLocalFunction(IMethodSymbol localFunction, CancellationToken cancellationToken)
    {
        var outer = localFunction.ContainingSymbol;
        while (outer is IMethodSymbol { MethodKind: MethodKind.LocalFunction or MethodKind.AnonymousFunction } nested)
        {
            outer = nested.ContainingSymbol;
        }

        if (outer is not IMethodSymbol outerMethod || Get(outerMethod, cancellationToken) is not { } container)
        {
            return null;
        }

        foreach (var operation in container.Operation.DescendantsAndSelf())
        {
            if (operation is ILocalFunctionOperation declaration && SymbolEqualityComparer.Default.Equals(declaration.Symbol, localFunction))
            {
                return new Body(declaration, container.Model);
            }
        }

        return null;
    }

    private IOperation? LoadInitializer(ISymbol member, CancellationToken cancellationToken)
    {
        if (!SymbolEqualityComparer.Default.Equals(member.ContainingAssembly, compilation.Assembly))
        {
            return null;
        }

        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax(cancellationToken);
            if (GetModel(syntax.SyntaxTree) is not { } model)
            {
                continue;
            }

            foreach (var node in syntax.DescendantNodesAndSelf().OfType<EqualsValueClauseSyntax>())
            {
                switch (model.GetOperation(node, cancellationToken))
                {
                    case IFieldInitializerOperation field:
                        return field.Value;
                    case IPropertyInitializerOperation property:
                        return property.Value;
                }
            }
        }

        return null;
    }
}
