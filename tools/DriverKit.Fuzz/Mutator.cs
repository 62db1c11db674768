using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.Fuzz;

/// <summary>
/// Deterministic mutations of driver sources: the half-typed, oddly shaped and plainly broken code an IDE analyzes on every
/// keystroke and a port of a C driver produces. Token-level (truncation at a token, deletion, duplication, swap, a stray
/// brace), preprocessor (<c>#if</c>, <c>#pragma</c>, <c>#line</c>), spelling (Unicode escapes in identifiers, a
/// <c>using</c> alias or <c>using static</c> for VmFlags) and structural (a local function inside a lambda, top-level
/// statements, a class split into partial parts over two files). The same seed number gives the same inputs.
/// </summary>
public sealed class Mutator
{
    /// <summary>The kernels the analyzers are configured for, one per input.</summary>
    private static readonly string[] KernelVersions = ["2.6.14", "2.6.15-rc1", "2.6.20", "2.6.28", "3.7", "6.6", "7.0", "not-a-version"];

    private static readonly (string Name, Func<Mutator, List<FuzzFile>, string?> Apply)[] Mutations =
    [
        ("truncate", (m, files) => m.Truncate(files)),
        ("delete-token", (m, files) => m.DeleteToken(files)),
        ("duplicate-token", (m, files) => m.DuplicateToken(files)),
        ("swap-tokens", (m, files) => m.SwapTokens(files)),
        ("stray-brace", (m, files) => m.StrayBrace(files)),
        ("directive", (m, files) => m.Directive(files)),
        ("unicode-escape", (m, files) => m.UnicodeEscape(files)),
        ("local-function-in-lambda", (m, files) => m.LocalFunctionInLambda(files)),
        ("top-level-statements", (m, files) => m.TopLevelStatements(files)),
        ("partial-split", (m, files) => m.PartialSplit(files)),
        ("alias", (m, files) => m.Alias(files)),
        ("using-static", (m, files) => m.UsingStatic(files)),
    ];

    private readonly Random random;
    private readonly IReadOnlyList<(string Name, string Text)> seeds;

    /// <param name="seed">The run's seed.</param>
    /// <param name="seeds">The sources to mutate (<see cref="SeedSources"/>).</param>
    public Mutator(int seed, IReadOnlyList<(string Name, string Text)> seeds)
    {
        if (seeds.Count == 0)
        {
            throw new ArgumentException("There are no seed sources to mutate.", nameof(seeds));
        }

        random = new Random(seed);
        this.seeds = seeds;
    }

    /// <summary>The next input: a seed with one to three mutations (one in eight inputs is a seed unchanged).</summary>
    public FuzzInput Next(int index)
    {
        var (name, text) = seeds[random.Next(seeds.Count)];
        var files = new List<FuzzFile> { new("Driver.cs", text) };
        var applied = new List<string>();
        var count = random.Next(8) == 0 ? 0 : 1 + random.Next(3);
        for (var i = 0; i < count; i++)
        {
            var (mutation, apply) = Mutations[random.Next(Mutations.Length)];
            if (apply(this, files) is { } detail)
            {
                applied.Add(detail.Length == 0 ? mutation : $"{mutation}({detail})");
            }
        }

        return new FuzzInput(index, name, applied, KernelVersions[random.Next(KernelVersions.Length)], files);
    }

    private int PickFile(List<FuzzFile> files) => random.Next(files.Count);

    private static List<SyntaxToken> Tokens(string text) =>
        CSharpSyntaxTree.ParseText(text).GetRoot().DescendantTokens().Where(token => token.Span.Length > 0).ToList();

    private string? Truncate(List<FuzzFile> files)
    {
        var f = PickFile(files);
        var tokens = Tokens(files[f].Text);
        if (tokens.Count == 0)
        {
            return null;
        }

        var token = tokens[random.Next(tokens.Count)];
        var end = random.Next(2) == 0 ? token.SpanStart : token.Span.End;
        files[f] = files[f] with { Text = files[f].Text[..end] };
        return end.ToString(CultureInfo.InvariantCulture);
    }

    private string? DeleteToken(List<FuzzFile> files) => EditToken(files, (text, token) => text.Remove(token.SpanStart, token.Span.Length));

    private string? DuplicateToken(List<FuzzFile> files) => EditToken(files, (text, token) => text.Insert(token.Span.End, " " + token.Text));

    private string? StrayBrace(List<FuzzFile> files) =>
        EditToken(files, (text, token) => text.Insert(token.SpanStart, random.Next(2) == 0 ? "{ " : "} "));

    private string? EditToken(List<FuzzFile> files, Func<string, SyntaxToken, string> edit)
    {
        var f = PickFile(files);
        var tokens = Tokens(files[f].Text);
        if (tokens.Count == 0)
        {
            return null;
        }

        var index = random.Next(tokens.Count);
        files[f] = files[f] with { Text = edit(files[f].Text, tokens[index]) };
        return index.ToString(CultureInfo.InvariantCulture);
    }

    private string? SwapTokens(List<FuzzFile> files)
    {
        var f = PickFile(files);
        var tokens = Tokens(files[f].Text);
        if (tokens.Count < 2)
        {
            return null;
        }

        var a = random.Next(tokens.Count);
        var b = random.Next(tokens.Count);
        if (a == b)
        {
            return null;
        }

        var (first, second) = a < b ? (tokens[a], tokens[b]) : (tokens[b], tokens[a]);
        var text = files[f].Text;
        var swapped = new StringBuilder()
            .Append(text, 0, first.SpanStart)
            .Append(second.Text)
            .Append(text, first.Span.End, second.SpanStart - first.Span.End)
            .Append(first.Text)
            .Append(text, second.Span.End, text.Length - second.Span.End)
            .ToString();
        files[f] = files[f] with { Text = swapped };
        return $"{Math.Min(a, b)},{Math.Max(a, b)}";
    }

    private string? Directive(List<FuzzFile> files)
    {
        var f = PickFile(files);
        var lines = files[f].Text.Split('\n').ToList();
        var at = random.Next(lines.Count + 1);
        var (kind, inserted) = random.Next(8) switch
        {
            0 => ("if-false", new[] { "#if DRIVERKIT_NEVER", "#endif" }),
            1 => ("if-true", new[] { "#if !DRIVERKIT_NEVER", "#else", "vma.Flags |= VmFlags.Locked;", "#endif" }),
            2 => ("pragma", new[] { "#pragma warning disable DK0001, DK0002, DK0003" }),
            3 => ("line-hidden", new[] { "#line hidden" }),
            4 => ("line-file", new[] { "#line 200 \"Generated.cs\"" }),
            5 => ("line-default", new[] { "#line default" }),
            6 => ("unbalanced-if", new[] { "#if DRIVERKIT_NEVER" }),
            _ => ("region", new[] { "#region driverkit", "#endregion" }),
        };

        if (inserted.Length > 1 && kind is "if-false" or "region")
        {
            // The opening line here, the closing one some lines further down.
            var close = Math.Min(lines.Count, at + random.Next(6));
            lines.Insert(close, inserted[^1]);
            lines.Insert(at, inserted[0]);
        }
        else
        {
            lines.InsertRange(at, inserted);
        }

        files[f] = files[f] with { Text = string.Join('\n', lines) };
        return $"{kind}@{at}";
    }

    private string? UnicodeEscape(List<FuzzFile> files)
    {
        var f = PickFile(files);
        var identifiers = Tokens(files[f].Text).Where(token => token.IsKind(SyntaxKind.IdentifierToken) && token.Text.All(char.IsAsciiLetterOrDigit)).ToList();
        if (identifiers.Count == 0)
        {
            return null;
        }

        var token = identifiers[random.Next(identifiers.Count)];
        var at = random.Next(token.Text.Length);
        var escape = "\\u" + ((int)token.Text[at]).ToString("X4", CultureInfo.InvariantCulture);
        files[f] = files[f] with { Text = files[f].Text.Remove(token.SpanStart + at, 1).Insert(token.SpanStart + at, escape) };
        return token.Text;
    }

    private string? LocalFunctionInLambda(List<FuzzFile> files)
    {
        const string Snippet =
            "System.Action<VmArea> driverkitLambda = driverkitVma => { Inner(driverkitVma); void Inner(VmArea area) { Deeper(area); void Deeper(VmArea w) => w.Flags |= VmFlags.Locked | VmFlags.IO; } };";
        return InsertInBlock(files, Snippet);
    }

    private string? InsertInBlock(List<FuzzFile> files, string statement)
    {
        var f = PickFile(files);
        var blocks = CSharpSyntaxTree.ParseText(files[f].Text).GetRoot().DescendantNodes().OfType<BlockSyntax>().ToList();
        if (blocks.Count == 0)
        {
            return null;
        }

        var block = blocks[random.Next(blocks.Count)];
        files[f] = files[f] with { Text = files[f].Text.Insert(block.OpenBraceToken.Span.End, " " + statement + " ") };
        return "";
    }

    private string? TopLevelStatements(List<FuzzFile> files)
    {
        const string Statements = """
            var driverkitKernel = new Kernel();
            var driverkitPage = driverkitKernel.AllocPage(Gfp.Kernel);
            driverkitKernel.SetPageReserved(driverkitPage);
            Lock(driverkitKernel, driverkitPage);
            driverkitKernel.FreePage(driverkitPage);
            static void Lock(Kernel k, Page p) { k.LockPage(p); }

            """;
        var text = files[0].Text;
        var root = CSharpSyntaxTree.ParseText(text).GetRoot() as CompilationUnitSyntax;
        if (root is null || root.Members.OfType<GlobalStatementSyntax>().Any())
        {
            return null;
        }

        var at = root.Usings.Count > 0 ? root.Usings.Last().FullSpan.End : 0;
        files[0] = files[0] with { Text = text.Insert(at, (root.Usings.Any(u => u.Name?.ToString() == "DriverKit.Runtime") ? "" : "using DriverKit.Runtime;\n") + Statements) };
        return "";
    }

    private string? PartialSplit(List<FuzzFile> files)
    {
        var f = PickFile(files);
        var root = CSharpSyntaxTree.ParseText(files[f].Text).GetRoot();
        var types = root.DescendantNodes().OfType<ClassDeclarationSyntax>().Where(type => type.Members.Count >= 2 && type.Parent is not TypeDeclarationSyntax).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var type = types[random.Next(types.Count)];
        var split = 1 + random.Next(type.Members.Count - 1);
        var moved = type.Members.Skip(split).ToList();
        var kept = type.WithMembers(SyntaxFactory.List(type.Members.Take(split)));
        if (!kept.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            kept = kept.AddModifiers(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space));
        }

        var usings = string.Concat(root.DescendantNodes().OfType<UsingDirectiveSyntax>().Select(directive => directive.ToFullString()));
        var namespaceName = type.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString();
        var part = $"partial class {type.Identifier.Text}{type.TypeParameterList}\n{{\n{string.Concat(moved.Select(member => member.ToFullString()))}\n}}\n";
        var second = usings + (namespaceName is null ? part : $"namespace {namespaceName}\n{{\n{part}}}\n");
        files[f] = files[f] with { Text = root.ReplaceNode(type, kept).ToFullString() };
        files.Add(new FuzzFile($"Part{files.Count}.cs", second));
        return $"{type.Identifier.Text}:{split}";
    }

    private string? Alias(List<FuzzFile> files) =>
        ReplaceSpelling(files, "using DriverKitFlags = DriverKit.Runtime.VmFlags;\n", "VmFlags.", "DriverKitFlags.");

    private string? UsingStatic(List<FuzzFile> files) =>
        ReplaceSpelling(files, "using static DriverKit.Runtime.VmFlags;\n", "VmFlags.", "");

    private string? ReplaceSpelling(List<FuzzFile> files, string directive, string spelling, string replacement)
    {
        var f = PickFile(files);
        var text = files[f].Text;
        if (!text.Contains(spelling, StringComparison.Ordinal))
        {
            return null;
        }

        files[f] = files[f] with { Text = directive + text.Replace(spelling, replacement, StringComparison.Ordinal) };
        return "";
    }
}
