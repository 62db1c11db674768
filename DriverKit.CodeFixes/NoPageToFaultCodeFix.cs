using System.Collections.Immutable;
using System.Composition;
using DriverKit.Analyzers;
using DriverKit.CodeFixes.Syntax;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace DriverKit.CodeFixes;

/// <summary>
/// DK1001 for <c>NoPage</c> in a kernel without -&gt;nopage (2.6.26 and later): the handler becomes a -&gt;fault handler, as
/// the kernel's own drivers were converted in 2.6.23 – 2.6.26. <c>Page H(VmArea vma, UserAddr address)</c> becomes
/// <c>VmFaultResult H(VmFault vmf)</c> with <c>vma</c> and <c>address</c> read from the VmFault; a returned page goes to
/// <c>vmf.Page</c> (the reference the handler took is the one -&gt;fault hands over), NOPAGE_SIGBUS (<c>default</c>) becomes
/// VM_FAULT_SIGBUS and NOPAGE_OOM VM_FAULT_OOM; a page whose value is known only at run time gets both tests. Offered for a
/// lambda, or a method of this document that nothing else references, in an initializer that sets no Fault yet.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(NoPageToFaultCodeFix)), Shared]
public sealed class NoPageToFaultCodeFix : MappingCodeFix
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.MissingInKernel);

    private protected override string Form => FixForms.NoPageToFault;

    private protected override string Title => "Rewrite the ->nopage handler as ->fault";

    private protected override string EquivalenceKey => "DK1001.NoPageToFault";

    private protected override bool Plan(DocumentEditor editor, Diagnostic diagnostic, PlannedEdits planned, CancellationToken cancellationToken)
    {
        if (NodeAt<AssignmentExpressionSyntax>(editor, diagnostic.Location) is not { Parent: InitializerExpressionSyntax initializer, Left: IdentifierNameSyntax { Identifier.ValueText: "NoPage" } } noPage
            || initializer.Expressions.OfType<AssignmentExpressionSyntax>().Any(other => other.Left is IdentifierNameSyntax { Identifier.ValueText: "Fault" }))
        {
            return false;
        }

        switch (noPage.Right)
        {
            case ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: 2 } lambda when planned.Add(initializer):
            {
                var (vma, address) = Names(lambda.ParameterList);
                var vmf = FreeName(lambda.Body, vma, address);
                var parameter = SyntaxFactory.Parameter(SyntaxFactory.Identifier(vmf));
                // An expression body that needs no parameter stays an expression: vmf => VmFaultResult.Sigbus.
                var fault = lambda.ExpressionBody is { } expression && !Uses(expression, vma, address)
                    ? SyntaxFactory.SimpleLambdaExpression(parameter).WithExpressionBody(FaultExpression(expression, vmf, editor.SemanticModel, cancellationToken))
                    : SyntaxFactory.SimpleLambdaExpression(parameter).WithBlock(FaultBody(lambda.Body, vma, address, vmf, editor.SemanticModel, cancellationToken));
                fault = fault.WithAsyncKeyword(lambda.AsyncKeyword).WithAdditionalAnnotations(Formatter.Annotation);
                editor.ReplaceNode(noPage, noPage.WithLeft(SyntaxFactory.IdentifierName("Fault").WithTriviaFrom(noPage.Left)).WithRight(fault.WithTriviaFrom(lambda)));
                return true;
            }

            case ExpressionSyntax handler when Handler(editor, handler, cancellationToken) is { } method && planned.Add(initializer) && planned.Add(method):
            {
                var (vma, address) = Names(method.ParameterList);
                var vmf = FreeName((SyntaxNode?)method.Body ?? method.ExpressionBody!, vma, address);
                var body = FaultBody((SyntaxNode?)method.Body ?? method.ExpressionBody!.Expression, vma, address, vmf, editor.SemanticModel, cancellationToken);
                var name = FaultName(method, editor.SemanticModel, cancellationToken);
                var rewritten = method
                    .WithIdentifier(SyntaxFactory.Identifier(name).WithTriviaFrom(method.Identifier))
                    .WithReturnType(SyntaxFactory.ParseTypeName(ResultTypeName(editor.SemanticModel, method.SpanStart)).WithTriviaFrom(method.ReturnType))
                    .WithParameterList(SyntaxFactory.ParseParameterList($"({ResultTypeName(editor.SemanticModel, method.SpanStart).Replace("VmFaultResult", "VmFault")} {vmf})").WithTriviaFrom(method.ParameterList))
                    .WithExpressionBody(null)
                    .WithSemicolonToken(default)
                    .WithBody(body)
                    .WithLeadingTrivia(Documentation(method.GetLeadingTrivia(), vma, address, vmf))
                    .WithAdditionalAnnotations(Formatter.Annotation);
                editor.ReplaceNode(method, rewritten);
                var reference = handler is MemberAccessExpressionSyntax access
                    ? (ExpressionSyntax)access.WithName(SyntaxFactory.IdentifierName(name))
                    : SyntaxFactory.IdentifierName(name);
                editor.ReplaceNode(noPage, noPage.WithLeft(SyntaxFactory.IdentifierName("Fault").WithTriviaFrom(noPage.Left)).WithRight(reference.WithTriviaFrom(handler)));
                return true;
            }

            default:
                return false;
        }
    }

    /// <summary>The handler method a method group names, when it is declared in this document and referenced nowhere else.</summary>
    private static MethodDeclarationSyntax? Handler(DocumentEditor editor, ExpressionSyntax handler, CancellationToken cancellationToken)
    {
        if (handler is not (IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax })
            || editor.SemanticModel.GetSymbolInfo(handler, cancellationToken).Symbol is not IMethodSymbol { Parameters.Length: 2, MethodKind: MethodKind.Ordinary } method
            || method.DeclaringSyntaxReferences.Length != 1
            || method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not MethodDeclarationSyntax { Body: not null } and not MethodDeclarationSyntax { ExpressionBody: not null }
            || method.DeclaringSyntaxReferences[0].SyntaxTree != editor.OriginalRoot.SyntaxTree
            || method.DeclaredAccessibility != Accessibility.Private
            || method.ContainingType.DeclaringSyntaxReferences.Length != 1)
        {
            return null;
        }

        var references = editor.OriginalRoot.DescendantNodes()
            .OfType<IdentifierNameSyntax>()
            .Count(name => name.Identifier.ValueText == method.Name
                && SymbolEqualityComparer.Default.Equals(editor.SemanticModel.GetSymbolInfo(name, cancellationToken).Symbol, method));
        return references == 1 ? (MethodDeclarationSyntax)method.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) : null;
    }

    private static (string? Vma, string? Address) Names(BaseParameterListSyntax parameters) =>
        (Used(parameters.Parameters[0]), Used(parameters.Parameters[1]));

    private static string? Used(ParameterSyntax parameter) => parameter.Identifier.ValueText is "_" or "" ? null : parameter.Identifier.ValueText;

    /// <summary>"vmf", or "vmf2" … when the handler already uses that name.</summary>
    private static string FreeName(SyntaxNode body, string? vma, string? address)
    {
        var taken = new HashSet<string>(body.DescendantTokens().Where(token => token.IsKind(SyntaxKind.IdentifierToken)).Select(token => token.ValueText), StringComparer.Ordinal);
        for (var i = 1; ; i++)
        {
            var name = i == 1 ? "vmf" : "vmf" + i;
            if (!taken.Contains(name) && name != vma && name != address)
            {
                return name;
            }
        }
    }

    private static bool Uses(SyntaxNode node, string? vma, string? address) =>
        node.DescendantTokens().Any(token => token.IsKind(SyntaxKind.IdentifierToken) && (token.ValueText == vma || token.ValueText == address));

    /// <summary>
    /// <c>page</c> as a -&gt;fault expression: a constant result, or the page stored in the VmFault and judged in one expression
    /// (<c>(vmf.Page = page).IsNull ? … : VmFaultResult.None</c>).
    /// </summary>
    private static ExpressionSyntax FaultExpression(ExpressionSyntax page, string vmf, SemanticModel model, CancellationToken cancellationToken)
    {
        var result = ResultTypeName(model, page.SpanStart);
        var converted = new ReturnRewriter(vmf, result, model, cancellationToken).Convert(page, SyntaxFactory.ReturnStatement(page)).ToList();
        return converted.Count == 1 && converted[0] is ReturnStatementSyntax { Expression: { } constant }
            ? constant.WithTriviaFrom(page)
            : SyntaxFactory.ParseExpression(
                $"({vmf}.Page = {page.WithoutTrivia().ToFullString()}).IsNull ? ({vmf}.Page.IsNoPageOom ? {result}.Oom : {result}.Sigbus) : {result}.None").WithTriviaFrom(page);
    }

    /// <summary>The -&gt;fault body: the parameters read from the VmFault, then the handler's code with its returns converted.</summary>
    private static BlockSyntax FaultBody(SyntaxNode body, string? vma, string? address, string vmf, SemanticModel model, CancellationToken cancellationToken)
    {
        var prologue = new List<StatementSyntax>();
        var identifiers = new HashSet<string>(body.DescendantTokens().Where(token => token.IsKind(SyntaxKind.IdentifierToken)).Select(token => token.ValueText), StringComparer.Ordinal);
        if (vma is not null && identifiers.Contains(vma))
        {
            prologue.Add(SyntaxFactory.ParseStatement($"var {vma} = {vmf}.Vma;"));
        }

        if (address is not null && identifiers.Contains(address))
        {
            prologue.Add(SyntaxFactory.ParseStatement($"var {address} = {vmf}.Address;"));
        }

        var result = ResultTypeName(model, body.SpanStart);
        var returns = new ReturnRewriter(vmf, result, model, cancellationToken);
        var newLine = SyntaxEdits.NewLine(body.SyntaxTree.GetRoot(cancellationToken));
        prologue = prologue.Select(statement => statement.WithTrailingTrivia(newLine).WithAdditionalAnnotations(Formatter.Annotation)).ToList();
        if (body is BlockSyntax block)
        {
            var visited = (BlockSyntax)returns.Visit(block)!;
            return visited.WithStatements(SyntaxFactory.List(prologue.Concat(visited.Statements)));
        }

        return SyntaxFactory.Block(prologue.Concat(returns.Convert((ExpressionSyntax)body, SyntaxFactory.ReturnStatement((ExpressionSyntax)body))))
            .WithAdditionalAnnotations(Formatter.Annotation);
    }

    /// <summary>How VmFaultResult is spelt where the handler is: its simple name when the file's usings reach it.</summary>
    private static string ResultTypeName(SemanticModel model, int position) =>
        model.LookupNamespacesAndTypes(position, name: "VmFaultResult").OfType<INamedTypeSymbol>()
            .Any(type => type.ContainingNamespace?.ToDisplayString() == "DriverKit.Runtime")
            ? "VmFaultResult"
            : "global::DriverKit.Runtime.VmFaultResult";

    /// <summary>A method named *NoPage* becomes *Fault* unless that name is taken in its type.</summary>
    private static string FaultName(MethodDeclarationSyntax method, SemanticModel model, CancellationToken cancellationToken)
    {
        var name = method.Identifier.ValueText;
        foreach (var (from, to) in new[] { ("NoPage", "Fault"), ("Nopage", "Fault"), ("nopage", "fault") })
        {
            if (name.Contains(from))
            {
                var renamed = name.Replace(from, to);
                var type = model.GetDeclaredSymbol(method, cancellationToken)?.ContainingType;
                return type is not null && type.GetMembers(renamed).IsEmpty ? renamed : name;
            }
        }

        return name;
    }

    /// <summary>The doc comment with the old parameters' tags replaced by one for the VmFault.</summary>
    private static SyntaxTriviaList Documentation(SyntaxTriviaList leading, string? vma, string? address, string vmf)
    {
        if (!leading.Any(trivia => trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia)))
        {
            return leading;
        }

        var text = leading.ToFullString();
        var lines = text.Split('\n').ToList();
        var firstParam = lines.FindIndex(line => line.Contains("<param name=\""));
        var indent = firstParam >= 0 ? lines[firstParam].Substring(0, lines[firstParam].IndexOf("///", StringComparison.Ordinal)) : null;
        lines.RemoveAll(line => line.Contains($"<param name=\"{vma}\"") || line.Contains($"<param name=\"{address}\""));
        if (indent is not null)
        {
            lines.Insert(Math.Min(firstParam, lines.Count - 1), $"{indent}/// <param name=\"{vmf}\">The fault: its vma, address and page offset; the page goes to its Page.</param>");
        }

        return SyntaxFactory.ParseLeadingTrivia(string.Join("\n", lines));
    }

    /// <summary>Converts the returns of the handler (not of lambdas and local functions inside it).</summary>
    private sealed class ReturnRewriter : CSharpSyntaxRewriter
    {
        private readonly string vmf;
        private readonly string result;
        private readonly SemanticModel model;
        private readonly CancellationToken cancellationToken;

        public ReturnRewriter(string vmf, string result, SemanticModel model, CancellationToken cancellationToken)
        {
            this.vmf = vmf;
            this.result = result;
            this.model = model;
            this.cancellationToken = cancellationToken;
        }

        public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node) => node;

        public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node) => node;

        public override SyntaxNode? VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node) => node;

        public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node) => node;

        /// <summary>A return in a block becomes its statements in place.</summary>
        public override SyntaxNode? VisitBlock(BlockSyntax node) => node.WithStatements(SyntaxFactory.List(Expand(node.Statements)));

        /// <summary>A return in a switch section likewise.</summary>
        public override SyntaxNode? VisitSwitchSection(SwitchSectionSyntax node) =>
            node.WithLabels(node.Labels).WithStatements(SyntaxFactory.List(Expand(node.Statements)));

        /// <summary>A return elsewhere (the statement of an <c>if</c> without braces) becomes a block when it needs two statements.</summary>
        public override SyntaxNode? VisitReturnStatement(ReturnStatementSyntax node)
        {
            if (node.Expression is null)
            {
                return node;
            }

            var converted = Convert(node.Expression, node).ToList();
            return converted.Count == 1 ? converted[0] : SyntaxFactory.Block(converted).WithAdditionalAnnotations(Formatter.Annotation);
        }

        private IEnumerable<StatementSyntax> Expand(SyntaxList<StatementSyntax> statements) =>
            statements.SelectMany(statement => statement is ReturnStatementSyntax { Expression: { } page }
                ? Convert(page, statement)
                : new[] { (StatementSyntax)Visit(statement)! });

        /// <summary>The statements that replace <c>return page;</c>.</summary>
        public IEnumerable<StatementSyntax> Convert(ExpressionSyntax page, StatementSyntax original)
        {
            var bare = page.WithoutTrivia();
            string? constant = bare switch
            {
                LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.DefaultLiteralExpression) => "Sigbus",
                DefaultExpressionSyntax => "Sigbus",
                _ when IsNoPageOom(page) => "Oom",
                _ => null,
            };
            if (constant is not null)
            {
                yield return SyntaxFactory.ParseStatement($"return {result}.{constant};").WithTriviaFrom(original).WithAdditionalAnnotations(Formatter.Annotation);
                yield break;
            }

            var newLine = SyntaxEdits.NewLine(original.SyntaxTree.GetRoot(cancellationToken));
            yield return SyntaxFactory.ParseStatement($"{vmf}.Page = {bare.ToFullString()};")
                .WithLeadingTrivia(original.GetLeadingTrivia()).WithTrailingTrivia(newLine).WithAdditionalAnnotations(Formatter.Annotation);
            yield return SyntaxFactory.ParseStatement(
                $"return {vmf}.Page.IsNull ? ({vmf}.Page.IsNoPageOom ? {result}.Oom : {result}.Sigbus) : {result}.None;")
                .WithLeadingTrivia(original.GetLeadingTrivia().Where(trivia => trivia.IsKind(SyntaxKind.WhitespaceTrivia)))
                .WithTrailingTrivia(original.GetTrailingTrivia())
                .WithAdditionalAnnotations(Formatter.Annotation);
        }

        private bool IsNoPageOom(ExpressionSyntax expression) =>
            expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "NoPageOom" } or IdentifierNameSyntax { Identifier.ValueText: "NoPageOom" }
            && model.GetSymbolInfo(expression, cancellationToken).Symbol is IFieldSymbol { ContainingType.Name: "Page" };
    }
}
