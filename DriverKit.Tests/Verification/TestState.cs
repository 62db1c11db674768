using System.Collections.Immutable;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Tests.Verification;

internal sealed record SourceFile(string Path, string Text);

/// <summary>
/// One state of a test (input, fixed or Fix All): the sources with markup removed and the expected diagnostics,
/// markup-created ones included and location keys resolved.
/// </summary>
internal sealed class TestState
{
    private TestState(ImmutableArray<SourceFile> sources, ImmutableArray<ExpectedDiagnostic> expectedDiagnostics)
    {
        Sources = sources;
        ExpectedDiagnostics = expectedDiagnostics;
    }

    public ImmutableArray<SourceFile> Sources { get; }

    public ImmutableArray<ExpectedDiagnostic> ExpectedDiagnostics { get; }

    /// <summary>Parses the sources' markup and binds the explicit expectations to it.</summary>
    /// <exception cref="ArgumentException">Malformed markup, an unknown location key, or an expectation without a location.</exception>
    public static TestState Create(
        IEnumerable<(string Path, string Markup)> sources,
        IEnumerable<ExpectedDiagnostic> explicitExpectations,
        ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var analyzerIds = analyzers.SelectMany(analyzer => analyzer.SupportedDiagnostics).Select(descriptor => descriptor.Id).ToHashSet();
        var files = ImmutableArray.CreateBuilder<SourceFile>();
        var expected = ImmutableArray.CreateBuilder<ExpectedDiagnostic>();
        var locations = new Dictionary<int, (string Path, LinePositionSpan Span)>();
        foreach (var (rawPath, markup) in sources)
        {
            var path = TestPaths.Normalize(rawPath);
            if (files.Any(file => file.Path == path))
            {
                throw new ArgumentException($"Two test sources have the path {path}.");
            }

            var parsed = ParseMarkup(path, markup);
            var lines = SourceText.From(parsed.Text).Lines;
            files.Add(new SourceFile(path, parsed.Text));
            foreach (var span in parsed.Spans)
            {
                var id = span.Id ?? DefaultDiagnosticId(analyzers);
                expected.Add(ExpectedDiagnostic.FromMarkup(id, !analyzerIds.Contains(id), path, lines.GetLinePositionSpan(span.Span)));
            }

            foreach (var (key, span) in parsed.Locations)
            {
                if (!locations.TryAdd(key, (path, lines.GetLinePositionSpan(span))))
                {
                    throw new ArgumentException($"Location key #{key} is declared in more than one source file.");
                }
            }
        }

        foreach (var expectation in explicitExpectations)
        {
            expected.Add(Resolve(expectation, locations));
        }

        return new TestState(files.ToImmutable(), expected.ToImmutable());
    }

    private static MarkupResult ParseMarkup(string path, string markup)
    {
        try
        {
            return MarkupParser.Parse(markup);
        }
        catch (ArgumentException exception)
        {
            throw new ArgumentException($"{path}: {exception.Message}", exception);
        }
    }

    private static ExpectedDiagnostic Resolve(ExpectedDiagnostic expectation, Dictionary<int, (string Path, LinePositionSpan Span)> locations)
    {
        if (expectation.MarkupKey is { } key)
        {
            return locations.TryGetValue(key, out var location)
                ? expectation.WithResolvedSpan(location.Path, location.Span)
                : throw new ArgumentException($"{expectation} refers to location #{key}, but no source declares {{|#{key}:…|}}.");
        }

        return expectation.HasLocation
            ? expectation.WithDefaultPath(TestPaths.PrimarySource)
            : throw new ArgumentException($"{expectation} has no location; call WithSpan, WithLocation or WithNoLocation.");
    }

    /// <summary>The id for <c>[|…|]</c>: the only descriptor of the first tested analyzer.</summary>
    private static string DefaultDiagnosticId(ImmutableArray<DiagnosticAnalyzer> analyzers)
    {
        var descriptors = analyzers.IsEmpty ? [] : analyzers[0].SupportedDiagnostics;
        return descriptors.Length == 1
            ? descriptors[0].Id
            : throw new ArgumentException(
                $"'[|…|]' needs a default descriptor, but the first analyzer supports {descriptors.Length} " +
                $"({string.Join(", ", descriptors.Select(descriptor => descriptor.Id))}); use {{|ID:…|}} instead.");
    }
}
