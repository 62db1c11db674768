using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DriverKit.Analyzers.Engine;

/// <summary>One function of a code root: the root's own code, a local function's body or a lambda's body.</summary>
internal sealed class FunctionCode
{
    public FunctionCode(IOperation body, IMethodSymbol? symbol, SyntaxNode? lambda)
    {
        Body = body;
        Symbol = symbol;
        Lambda = lambda;
    }

    public IOperation Body { get; }

    /// <summary>The method, local function or lambda; null for a root that is not a method's code.</summary>
    public IMethodSymbol? Symbol { get; }

    /// <summary>The lambda's syntax, for a lambda; null otherwise.</summary>
    public SyntaxNode? Lambda { get; }
}

/// <summary>
/// The work list every flow analysis of a code root shares: lambdas and local functions are analyzed on their own (the flow
/// core does not enter them), so an analysis of one function reports those it met, and each is analyzed once in turn.
/// </summary>
internal static class RootFunctions
{
    /// <summary>
    /// Calls <paramref name="analyze"/> on the root's code and then on every lambda and local function it returns (and they
    /// return), each once. A local function without a body is skipped.
    /// </summary>
    public static void Analyze(IOperation root, IMethodSymbol? function, Func<FunctionCode, IEnumerable<IOperation>> analyze, CancellationToken cancellationToken)
    {
        var pending = new Stack<FunctionCode>();
        var seen = new HashSet<SyntaxNode>();
        pending.Push(new FunctionCode(root, function, null));
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var nested in analyze(pending.Pop()))
            {
                if (!seen.Add(nested.Syntax))
                {
                    continue;
                }

                switch (nested)
                {
                    case ILocalFunctionOperation { Body: { } localBody } localFunction:
                        pending.Push(new FunctionCode(localBody, localFunction.Symbol, null));
                        break;
                    case IAnonymousFunctionOperation anonymous:
                        pending.Push(new FunctionCode(anonymous.Body, anonymous.Symbol, anonymous.Syntax));
                        break;
                }
            }
        }
    }
}
