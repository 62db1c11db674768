using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace DriverKit.Tests.Verification;

/// <summary>
/// Compares a fixed project's documents with the expected sources, after the simplifier and formatter have run on annotated
/// nodes (as the IDE does); texts must match exactly up to line endings.
/// </summary>
internal static partial class FixedCodeVerifier
{
    public static async Task VerifyAsync(
        Project project,
        ImmutableArray<SourceFile> expected,
        string context,
        string? hint,
        CancellationToken cancellationToken)
    {
        var documents = project.Documents.ToDictionary(document => document.FilePath ?? document.Name);
        if (documents.Keys.Except(expected.Select(source => source.Path)).FirstOrDefault() is { } added)
        {
            throw new VerificationException(context, $"The fix added {added}, which the test does not expect.");
        }

        foreach (var source in expected)
        {
            if (!documents.TryGetValue(source.Path, out var document))
            {
                throw new VerificationException(context, $"The fix removed {source.Path}.");
            }

            document = await Simplifier.ReduceAsync(document, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            document = await Formatter.FormatAsync(document, Formatter.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            var actualText = (await document.GetTextAsync(cancellationToken).ConfigureAwait(false)).ToString().ReplaceLineEndings("\n");
            var expectedText = source.Text.ReplaceLineEndings("\n");
            if (actualText != expectedText)
            {
                var whitespaceOnly = Whitespace().Replace(actualText, "") == Whitespace().Replace(expectedText, "")
                    ? "The texts differ only in whitespace.\n"
                    : "";
                throw new VerificationException(
                    context,
                    $"The fixed code of {source.Path} differs from the expected code:\n{TextDiff.Unified(expectedText, actualText)}{whitespaceOnly}" +
                    (hint is null ? "" : hint + "\n"));
            }
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
