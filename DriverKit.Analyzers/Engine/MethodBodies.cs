using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The bodies (operation trees and control-flow graphs) of source methods of the compilation, for the interprocedural
/// parts of the rules: helper summaries, fault handlers, vm_ops fields. Cached per compilation.
/// </summary>
internal sealed class MethodBodies
{
    private readonly Compilation compilation;
    private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> models = new();
    private readonly ConcurrentDictionary<ISymbol, Body?> bodies = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<ISymbol, IOperation?> initializers = new(SymbolEqualityComparer.Default);

    public MethodBodies(Compilation compilation) => this.compilation = compilation;

    /// <summary>
    /// A method body: its operation tree, the model that bound it, and its control-flow graph — built on first use, because
    /// most bodies are only read as operation trees (vm_ops assignments, handler discovery, the flag-source filter).
    /// </summary>
    public sealed class Body
    {
        private ControlFlowGraph? graph;

        public Body(IOperation operation, SemanticModel model, ControlFlowGraph? graph = null)
        {
            Operation = operation;
            Model = model;
            this.graph = graph;
        }

        public IOperation Operation { get; }

        public SemanticModel Model { get; }

        /// <summary>The control-flow graph, built once (a cancelled build is not kept).</summary>
        public ControlFlowGraph GetGraph(CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref graph) is { } built)
            {
                return built;
            }

            var created = CodeRoots.GraphOf(Operation, cancellationToken) ?? throw new InvalidOperationException("A body is a method or constructor body.");
            return Interlocked.CompareExchange(ref graph, created, null) ?? created;
        }
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

    /// <summary>
    /// A local function's graph lives inside the graph of the function that declares it: the method, another local function
    /// or a lambda. The graphs are opened from the method down the chain of declaring functions, since a graph only finds
    /// the local functions of its own scope and its parents'.
    /// </summary>
    private Body? LoadLocalFunction(IMethodSymbol localFunction, CancellationToken cancellationToken)
    {
        var chain = new Stack<IMethodSymbol>();
        var outer = localFunction.ContainingSymbol;
        while (outer is IMethodSymbol { MethodKind: MethodKind.LocalFunction or MethodKind.AnonymousFunction } nested)
        {
            chain.Push(nested);
            outer = nested.ContainingSymbol;
        }

        if (outer is not IMethodSymbol outerMethod || Get(outerMethod, cancellationToken) is not { } container)
        {
            return null;
        }

        var graph = container.GetGraph(cancellationToken);
        foreach (var function in chain.Append(localFunction))
        {
            if (EnclosedGraph(graph, function, cancellationToken) is not { } inner)
            {
                return null;
            }

            graph = inner;
        }

        return new Body(graph.OriginalOperation, container.Model, graph);
    }

    /// <summary>The graph of a local function or lambda declared in <paramref name="graph"/> (or, for a local function, in a parent graph).</summary>
    private static ControlFlowGraph? EnclosedGraph(ControlFlowGraph graph, IMethodSymbol function, CancellationToken cancellationToken)
    {
        if (function.MethodKind == MethodKind.LocalFunction)
        {
            for (var scope = graph; scope is not null; scope = scope.Parent)
            {
                if (scope.LocalFunctions.Contains(function, SymbolEqualityComparer.Default))
                {
                    return graph.GetLocalFunctionControlFlowGraphInScope(function, cancellationToken);
                }
            }

            return null;
        }

        foreach (var block in graph.Blocks)
        {
            foreach (var operation in block.BranchValue is null ? block.Operations : block.Operations.Add(block.BranchValue))
            {
                foreach (var lambda in operation.DescendantsAndSelf().OfType<IFlowAnonymousFunctionOperation>())
                {
                    if (SymbolEqualityComparer.Default.Equals(lambda.Symbol, function))
                    {
                        return graph.GetAnonymousFunctionControlFlowGraphInScope(lambda, cancellationToken);
                    }
                }
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
