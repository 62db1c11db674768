using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverKit.Fuzz;

/// <summary>
/// The sources mutations start from: the repository's sample drivers, and the driver sources written inside its analyzer
/// and fix-proof tests (every string literal of a test file that uses DriverKit.Runtime, with the test markup removed and
/// the holes of interpolated strings left empty). Read in a fixed order, so a seed gives the same inputs everywhere.
/// </summary>
public static partial class SeedSources
{
    /// <summary>Every seed of the repository at <paramref name="repositoryRoot"/>, as (name, text), sorted by name.</summary>
    public static IReadOnlyList<(string Name, string Text)> Load(string repositoryRoot)
    {
        var seeds = new List<(string Name, string Text)>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(repositoryRoot, "samples"), "*.cs", SearchOption.AllDirectories))
        {
            if (!IsBuildOutput(file) && File.ReadAllText(file) is var text && text.Contains("DriverKit.Runtime", StringComparison.Ordinal))
            {
                seeds.Add((Relative(repositoryRoot, file), text));
            }
        }

        foreach (var folder in new[] { "Analyzers", "FixProof" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(repositoryRoot, "DriverKit.Tests", folder), "*.cs"))
            {
                var number = 0;
                foreach (var literal in DriverLiterals(File.ReadAllText(file)))
                {
                    seeds.Add(($"{Relative(repositoryRoot, file)}#{++number}", literal));
                }
            }
        }

        seeds.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return seeds;
    }

    /// <summary>The string literals of a C# file that hold driver code, markup removed.</summary>
    private static IEnumerable<string> DriverLiterals(string text)
    {
        var root = CSharpSyntaxTree.ParseText(text).GetRoot();
        foreach (var node in root.DescendantNodes())
        {
            var value = node switch
            {
                LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression) => literal.Token.ValueText,
                InterpolatedStringExpressionSyntax interpolated => string.Concat(interpolated.Contents.OfType<InterpolatedStringTextSyntax>().Select(part => part.TextToken.ValueText)),
                _ => null,
            };
            if (value is not null && value.Contains("DriverKit.Runtime", StringComparison.Ordinal))
            {
                yield return Markup().Replace(value, "");
            }
        }
    }

    private static bool IsBuildOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        || path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    /// <summary>The test verifier's markup: <c>{|#0:</c>, <c>{|DK0001:</c>, <c>|}</c>, <c>[|</c>, <c>|]</c>.</summary>
    [GeneratedRegex(@"\{\|[^:|]*:|\|\}|\[\||\|\]")]
    private static partial Regex Markup();
}
