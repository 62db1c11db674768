using DriverKit.Analyzers.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.CodeFixes.Syntax;

/// <summary>
/// Removes statements and then what they leave behind in the methods they were in, so a fix leaves no debris: a loop
/// that now only moves a cursor (<c>for (i = 0; i &lt; n; i++) { page += 1; }</c>), assignments to a local nothing reads any
/// more (<c>page = kernel.VirtToPage(buf);</c>), the declarations of those locals (<c>Page page; int i;</c>), and a private
/// helper whose body became empty, with its calls. Only locals the removed code used are considered, and only code without
/// effects goes: literals, names, member reads, arithmetic, comparisons and the runtime's address conversions.
/// </summary>
internal static class DeadCode
{
    private const string MemberKind = "DriverKit.EditedMember";

    /// <summary>
    /// The statement to remove for a call statement: the loop around it when the loop does nothing else and no local its
    /// header assigns is read after it (<c>for (i = 0; …) Set(…); use(i);</c> keeps the loop, which gives i its value).
    /// </summary>
    public static StatementSyntax Widen(StatementSyntax statement, SemanticModel model, CancellationToken cancellationToken)
    {
        var widened = SyntaxEdits.WidenToLoop(statement);
        if (widened == statement || widened.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member)
        {
            return widened;
        }

        var assigned = widened.DescendantNodesAndSelf().OfType<ForStatementSyntax>()
            .SelectMany(loop => loop.Initializers.Concat(loop.Incrementors))
            .Select(Target)
            .OfType<ExpressionSyntax>()
            .Select(target => model.GetSymbolInfo(target, cancellationToken).Symbol)
            .OfType<ILocalSymbol>()
            .ToList();
        var readAfter = member.DescendantNodes().OfType<IdentifierNameSyntax>()
            .Any(name => !widened.Span.Contains(name.Span) && model.GetSymbolInfo(name, cancellationToken).Symbol is ILocalSymbol local && assigned.Contains(local, SymbolEqualityComparer.Default));
        return readAfter ? statement : widened;
    }

    /// <summary>Removes <paramref name="statements"/> from the document, then the code that only served them.</summary>
    public static async Task<Document> RemoveAsync(Document document, IReadOnlyCollection<StatementSyntax> statements, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || statements.Count == 0)
        {
            return document;
        }

        // The locals the removed code used, and those of the headers of the loops it was in (a counter left with an empty body).
        var candidates = new HashSet<string>(StringComparer.Ordinal);
        foreach (var statement in statements)
        {
            var used = statement.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()
                .Concat(statement.Ancestors().OfType<StatementSyntax>().SelectMany(LoopHeader));
            foreach (var identifier in used)
            {
                if (model.GetSymbolInfo(identifier, cancellationToken).Symbol is ILocalSymbol local)
                {
                    candidates.Add(local.Name);
                }
            }
        }

        // The members the removal edits are marked, so that the clean-up looks at them alone.
        var members = statements.Select(statement => statement.FirstAncestorOrSelf<MemberDeclarationSyntax>()).OfType<MemberDeclarationSyntax>().Distinct().ToList();
        var tracked = root.TrackNodes(statements.Concat<SyntaxNode>(members));
        tracked = tracked.ReplaceNodes(
            members.Select(member => tracked.GetCurrentNode(member)).OfType<MemberDeclarationSyntax>(),
            (_, current) => current.WithAdditionalAnnotations(new SyntaxAnnotation(MemberKind)));
        document = document.WithSyntaxRoot(SyntaxEdits.RemoveStatements(tracked, statements.Select(statement => tracked.GetCurrentNode(statement)).OfType<StatementSyntax>()));
        for (var round = 0; round < 6; round++)
        {
            var next = await CleanAsync(document, candidates, cancellationToken).ConfigureAwait(false);
            if (next is null)
            {
                break;
            }

            document = next;
        }

        var finalRoot = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return finalRoot is null ? document : document.WithSyntaxRoot(finalRoot.ReplaceNodes(
            finalRoot.GetAnnotatedNodes(MemberKind),
            (_, node) => WithoutBlankLinesAtBlockStarts(node).WithoutAnnotations(MemberKind)));
    }

    /// <summary>Removed declarations at the top of a block leave the blank line that followed them: it goes.</summary>
    private static SyntaxNode WithoutBlankLinesAtBlockStarts(SyntaxNode member) => member.ReplaceNodes(
        member.DescendantNodes().OfType<BlockSyntax>().Where(block => block.Statements.Count > 0 && StartsWithBlankLine(block.Statements[0])),
        (_, block) => block.WithStatements(block.Statements.Replace(block.Statements[0], block.Statements[0].WithLeadingTrivia(
            block.Statements[0].GetLeadingTrivia().SkipWhile(trivia => trivia.IsKind(SyntaxKind.EndOfLineTrivia) || trivia.IsKind(SyntaxKind.WhitespaceTrivia) && IsFollowedByEndOfLine(block.Statements[0].GetLeadingTrivia(), trivia))))));

    private static bool StartsWithBlankLine(StatementSyntax statement) =>
        statement.GetLeadingTrivia().SkipWhile(trivia => trivia.IsKind(SyntaxKind.WhitespaceTrivia)).FirstOrDefault().IsKind(SyntaxKind.EndOfLineTrivia);

    private static bool IsFollowedByEndOfLine(SyntaxTriviaList list, SyntaxTrivia trivia)
    {
        var index = list.IndexOf(trivia);
        return index + 1 < list.Count && list[index + 1].IsKind(SyntaxKind.EndOfLineTrivia);
    }

    private static IEnumerable<IdentifierNameSyntax> LoopHeader(StatementSyntax statement) => statement switch
    {
        ForStatementSyntax loop => loop.Initializers.Concat(loop.Incrementors).Append(loop.Condition).OfType<ExpressionSyntax>()
            .SelectMany(part => part.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>()),
        WhileStatementSyntax loop => loop.Condition.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>(),
        _ => Enumerable.Empty<IdentifierNameSyntax>(),
    };

    /// <summary>One round of clean-up in the marked members; null when there is nothing more to remove.</summary>
    private static async Task<Document?> CleanAsync(Document document, HashSet<string> candidates, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || DriverKitSymbols.TryCreate(model.Compilation) is not { } symbols)
        {
            return null;
        }

        var doomed = new List<StatementSyntax>();
        var emptiedHelpers = new List<MethodDeclarationSyntax>();
        foreach (var member in root.GetAnnotatedNodes(MemberKind).OfType<MemberDeclarationSyntax>())
        {
            doomed.AddRange(DeadStatements(member, model, symbols, candidates, cancellationToken));
            if (member is MethodDeclarationSyntax { Body.Statements.Count: 0 } method && IsRemovableHelper(method, model, cancellationToken))
            {
                emptiedHelpers.Add(method);
            }
        }

        foreach (var helper in emptiedHelpers)
        {
            var symbol = model.GetDeclaredSymbol(helper, cancellationToken);
            foreach (var call in root.DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(call, cancellationToken).Symbol?.OriginalDefinition, symbol)
                    && call.Parent is ExpressionStatementSyntax statement
                    && call.ArgumentList.Arguments.All(argument => IsPure(argument.Expression, model, symbols, cancellationToken)))
                {
                    doomed.Add(statement);
                    foreach (var identifier in call.DescendantNodes().OfType<IdentifierNameSyntax>())
                    {
                        if (model.GetSymbolInfo(identifier, cancellationToken).Symbol is ILocalSymbol local)
                        {
                            candidates.Add(local.Name);
                        }
                    }
                }
            }
        }

        // A helper is removed only when every mention of its name went too (a call with effects in an argument keeps it, and
        // so does a call that does not bind, or one in another document of the project).
        var others = new List<SyntaxNode>();
        foreach (var other in document.Project.Documents.Where(other => other.Id != document.Id))
        {
            if (await other.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is { } otherRoot)
            {
                others.Add(otherRoot);
            }
        }

        var helpersToRemove = emptiedHelpers.Where(helper =>
            root.DescendantNodes().OfType<IdentifierNameSyntax>()
                .Where(name => name.Identifier.ValueText == helper.Identifier.ValueText)
                .All(name => doomed.Any(statement => statement.Span.Contains(name.Span)))
            && !others.Any(other => other.DescendantTokens().Any(token => token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText == helper.Identifier.ValueText)))
            .ToList();
        if (doomed.Count == 0 && helpersToRemove.Count == 0)
        {
            return null;
        }

        // A member that loses a call to a removed helper is cleaned up too (the call's arguments may leave dead locals).
        var touched = doomed.Select(statement => statement.FirstAncestorOrSelf<MemberDeclarationSyntax>())
            .OfType<MemberDeclarationSyntax>()
            .Where(member => !member.HasAnnotations(MemberKind))
            .Distinct()
            .ToList();
        var tracked = root.TrackNodes(doomed.Concat<SyntaxNode>(helpersToRemove).Concat(touched));
        tracked = tracked.ReplaceNodes(
            touched.Select(member => tracked.GetCurrentNode(member)).OfType<MemberDeclarationSyntax>(),
            (_, current) => current.WithAdditionalAnnotations(new SyntaxAnnotation(MemberKind)));
        var updated = SyntaxEdits.RemoveStatements(tracked, doomed.Select(statement => tracked.GetCurrentNode(statement)).OfType<StatementSyntax>());
        foreach (var helper in helpersToRemove)
        {
            if (updated.GetCurrentNode(helper) is { } current)
            {
                updated = updated.RemoveNode(current, SyntaxRemoveOptions.KeepUnbalancedDirectives)!;
            }
        }

        return document.WithSyntaxRoot(updated);
    }

    /// <summary>
    /// The statements of a member that only compute locals nothing else reads: the greatest set of candidate locals all of
    /// whose uses lie in statements that only assign such locals without effects, and those statements.
    /// </summary>
    private static IEnumerable<StatementSyntax> DeadStatements(MemberDeclarationSyntax member, SemanticModel model, DriverKitSymbols symbols, HashSet<string> candidates, CancellationToken cancellationToken)
    {
        var uses = new Dictionary<ILocalSymbol, List<IdentifierNameSyntax>>(SymbolEqualityComparer.Default);
        var declarations = new Dictionary<ILocalSymbol, LocalDeclarationStatementSyntax>(SymbolEqualityComparer.Default);
        foreach (var node in member.DescendantNodes())
        {
            if (node is VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax statement } } declarator
                && candidates.Contains(declarator.Identifier.ValueText)
                && model.GetDeclaredSymbol(declarator, cancellationToken) is ILocalSymbol declared)
            {
                declarations[declared] = statement;
                if (!uses.ContainsKey(declared))
                {
                    uses[declared] = new List<IdentifierNameSyntax>();
                }
            }
            else if (node is IdentifierNameSyntax identifier && candidates.Contains(identifier.Identifier.ValueText)
                && model.GetSymbolInfo(identifier, cancellationToken).Symbol is ILocalSymbol local)
            {
                if (!uses.TryGetValue(local, out var list))
                {
                    uses[local] = list = new List<IdentifierNameSyntax>();
                }

                list.Add(identifier);
            }
        }

        var dead = new HashSet<ILocalSymbol>(declarations.Keys.Where(local => uses.ContainsKey(local)), SymbolEqualityComparer.Default);
        bool changed;
        do
        {
            changed = false;
            foreach (var local in dead.ToList())
            {
                if (!SyntaxEdits.CanRemove(declarations[local])
                    || uses[local].Any(use => Host(use) is not { } host || !SyntaxEdits.CanRemove(host) || !Removable(host, dead, model, symbols, cancellationToken)))
                {
                    dead.Remove(local);
                    changed = true;
                }
            }
        }
        while (changed);

        var result = new HashSet<StatementSyntax>();
        foreach (var local in dead)
        {
            if (declarations[local].Declaration.Variables[0].Initializer is { } initializer && !IsPure(initializer.Value, model, symbols, cancellationToken))
            {
                continue;
            }

            result.Add(declarations[local]);
            foreach (var use in uses[local])
            {
                result.Add(Host(use)!);
            }
        }

        return result;
    }

    /// <summary>The statement a use of a local belongs to: its expression statement, or the loop whose header holds it.</summary>
    private static StatementSyntax? Host(IdentifierNameSyntax use)
    {
        for (SyntaxNode? node = use.Parent; node is not null; node = node.Parent)
        {
            switch (node)
            {
                case ExpressionStatementSyntax statement:
                    return statement;
                case ForStatementSyntax loop when !loop.Statement.Span.Contains(use.Span):
                    return loop;
                case WhileStatementSyntax loop when loop.Condition.Span.Contains(use.Span):
                    return loop;
                case StatementSyntax other:
                    return other is LocalDeclarationStatementSyntax ? other : null;
            }
        }

        return null;
    }

    /// <summary>Whether a statement only assigns dead locals without effects (a loop: its header and whole body too).</summary>
    private static bool Removable(StatementSyntax statement, HashSet<ILocalSymbol> dead, SemanticModel model, DriverKitSymbols symbols, CancellationToken cancellationToken)
    {
        switch (statement)
        {
            case LocalDeclarationStatementSyntax declaration:
                return declaration.Declaration.Variables.All(variable =>
                    model.GetDeclaredSymbol(variable, cancellationToken) is ILocalSymbol local && dead.Contains(local)
                    && (variable.Initializer is null || IsPure(variable.Initializer.Value, model, symbols, cancellationToken)));
            case ExpressionStatementSyntax { Expression: var expression }:
                return AssignsDead(expression, dead, model, symbols, cancellationToken);
            case ForStatementSyntax loop:
                return (loop.Declaration is null || loop.Declaration.Variables.All(variable => variable.Initializer is null || IsPure(variable.Initializer.Value, model, symbols, cancellationToken)))
                    && loop.Initializers.All(initializer => AssignsDead(initializer, dead, model, symbols, cancellationToken) || IsLoopCounter(initializer, loop, model, cancellationToken))
                    && (loop.Condition is null ? false : IsPure(loop.Condition, model, symbols, cancellationToken))
                    && loop.Incrementors.All(incrementor => AssignsDead(incrementor, dead, model, symbols, cancellationToken) || IsLoopCounter(incrementor, loop, model, cancellationToken))
                    && BodyRemovable(loop.Statement, dead, model, symbols, cancellationToken);
            case WhileStatementSyntax loop:
                return IsPure(loop.Condition, model, symbols, cancellationToken) && BodyRemovable(loop.Statement, dead, model, symbols, cancellationToken);
            default:
                return false;
        }
    }

    private static bool BodyRemovable(StatementSyntax body, HashSet<ILocalSymbol> dead, SemanticModel model, DriverKitSymbols symbols, CancellationToken cancellationToken) => body switch
    {
        BlockSyntax block => block.Statements.All(inner => Removable(inner, dead, model, symbols, cancellationToken)),
        EmptyStatementSyntax => true,
        _ => Removable(body, dead, model, symbols, cancellationToken),
    };

    /// <summary>A loop's own counter, declared by the loop (<c>for (var n = 0; …; n++)</c>): it lives and dies with the loop.</summary>
    private static bool IsLoopCounter(ExpressionSyntax expression, ForStatementSyntax loop, SemanticModel model, CancellationToken cancellationToken) =>
        loop.Declaration is not null
        && Target(expression) is { } target
        && model.GetSymbolInfo(target, cancellationToken).Symbol is ILocalSymbol local
        && loop.Declaration.Variables.Any(variable => SymbolEqualityComparer.Default.Equals(model.GetDeclaredSymbol(variable, cancellationToken), local));

    /// <summary><c>x = v</c>, <c>x += v</c>, <c>x++</c> where x is a dead local and v has no effects.</summary>
    private static bool AssignsDead(ExpressionSyntax expression, HashSet<ILocalSymbol> dead, SemanticModel model, DriverKitSymbols symbols, CancellationToken cancellationToken)
    {
        var value = expression switch
        {
            AssignmentExpressionSyntax assignment => assignment.Right,
            PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax => null,
            _ => (ExpressionSyntax?)expression,
        };
        return Target(expression) is { } target
            && model.GetSymbolInfo(target, cancellationToken).Symbol is ILocalSymbol local && dead.Contains(local)
            && (value is null || IsPure(value, model, symbols, cancellationToken));
    }

    private static ExpressionSyntax? Target(ExpressionSyntax expression) => expression switch
    {
        AssignmentExpressionSyntax assignment => assignment.Left,
        PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix => postfix.Operand,
        PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand,
        _ => null,
    };

    /// <summary>An expression without effects: names, literals, member reads, operators, and the runtime's address conversions.</summary>
    public static bool IsPure(ExpressionSyntax expression, SemanticModel model, DriverKitSymbols symbols, CancellationToken cancellationToken) => expression switch
    {
        IdentifierNameSyntax or LiteralExpressionSyntax or ThisExpressionSyntax or PredefinedTypeSyntax or DefaultExpressionSyntax => true,
        MemberAccessExpressionSyntax access => IsPure(access.Expression, model, symbols, cancellationToken),
        ParenthesizedExpressionSyntax parenthesized => IsPure(parenthesized.Expression, model, symbols, cancellationToken),
        CastExpressionSyntax cast => IsPure(cast.Expression, model, symbols, cancellationToken),
        BinaryExpressionSyntax binary => IsPure(binary.Left, model, symbols, cancellationToken) && IsPure(binary.Right, model, symbols, cancellationToken),
        PrefixUnaryExpressionSyntax unary when !unary.IsKind(SyntaxKind.PreIncrementExpression) && !unary.IsKind(SyntaxKind.PreDecrementExpression) =>
            IsPure(unary.Operand, model, symbols, cancellationToken),
        ElementAccessExpressionSyntax element => IsPure(element.Expression, model, symbols, cancellationToken)
            && element.ArgumentList.Arguments.All(argument => IsPure(argument.Expression, model, symbols, cancellationToken)),
        InvocationExpressionSyntax invocation => model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol method
            && (symbols.RoleOf(method) is ValueRole.Conversion or ValueRole.DeviceConversion || symbols.IsAddressType(method.ContainingType))
            && (invocation.Expression is not MemberAccessExpressionSyntax receiver || IsPure(receiver.Expression, model, symbols, cancellationToken))
            && invocation.ArgumentList.Arguments.All(argument => IsPure(argument.Expression, model, symbols, cancellationToken)),
        _ => false,
    };

    /// <summary>A helper that can go with its calls: private, void, not virtual, without out or ref parameters.</summary>
    private static bool IsRemovableHelper(MethodDeclarationSyntax method, SemanticModel model, CancellationToken cancellationToken) =>
        model.GetDeclaredSymbol(method, cancellationToken) is IMethodSymbol { DeclaredAccessibility: Accessibility.Private, ReturnsVoid: true, IsVirtual: false, IsOverride: false, IsAbstract: false } symbol
        && symbol.Parameters.All(parameter => parameter.RefKind == RefKind.None)
        && symbol.ExplicitInterfaceImplementations.IsEmpty;
}
