using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Whole-word occurrences of identifiers in the source text of a compilation's trees, read from an
/// <see cref="IdentifierIndex"/> built on first use: a search with no binding and no operation tree that rules out code
/// which cannot name a symbol. Comments, strings and inactive regions count as well, which only lets more code through.
/// </summary>
internal sealed class SourceWords
{
    private readonly Compilation compilation;
    private readonly ConcurrentDictionary<IReadOnlyCollection<string>, WordOccurrences> cache = new();
    private readonly object gate = new();
    private IdentifierIndex? index;

    public SourceWords(Compilation compilation) => this.compilation = compilation;

    /// <summary>
    /// The occurrences of any of <paramref name="words"/>, cached per word list instance (pass a static list). Searched once:
    /// concurrent callers wait for the first instead of searching again.
    /// </summary>
    public WordOccurrences Cached(IReadOnlyCollection<string> words, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(words, out var found))
        {
            return found;
        }

        lock (gate)
        {
            return cache.TryGetValue(words, out found) ? found : cache[words] = Find(words, cancellationToken);
        }
    }

    /// <summary>The occurrences of any of <paramref name="words"/> in every tree.</summary>
    public WordOccurrences Find(IEnumerable<string> words, CancellationToken cancellationToken) =>
        new(IndexOf(cancellationToken).Find(words as IReadOnlyCollection<string> ?? words.ToList(), cancellationToken));

    /// <summary>The occurrences for which <paramref name="keep"/>, given a tree's text and the position, holds.</summary>
    public WordOccurrences Where(WordOccurrences occurrences, Func<string, int, bool> keep, CancellationToken cancellationToken)
    {
        var built = IndexOf(cancellationToken);
        return occurrences.Where(tree => built.TextOf(tree) ?? tree.GetText(cancellationToken).ToString(), keep);
    }

    /// <summary>The index, built once (again after a cancelled build); concurrent callers wait for the first.</summary>
    private IdentifierIndex IndexOf(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref index) is { } built)
        {
            return built;
        }

        lock (gate)
        {
            return index ??= IdentifierIndex.Build(compilation, cancellationToken);
        }
    }
}

/// <summary>Sorted positions of found words per tree.</summary>
internal sealed class WordOccurrences
{
    private readonly Dictionary<SyntaxTree, int[]> positions;

    public WordOccurrences(Dictionary<SyntaxTree, int[]> positions) => this.positions = positions;

    /// <summary>The trees with an occurrence.</summary>
    public IEnumerable<SyntaxTree> Trees => positions.Keys;

    /// <summary>Whether a word occurs anywhere in <paramref name="tree"/>.</summary>
    public bool AnyIn(SyntaxTree tree) => positions.ContainsKey(tree);

    /// <summary>Every occurrence, tree by tree.</summary>
    public IEnumerable<(SyntaxTree Tree, int Position)> All =>
        positions.SelectMany(pair => pair.Value.Select(position => (pair.Key, position)));

    /// <summary>The positions of the words inside <paramref name="span"/> of <paramref name="tree"/>, in order.</summary>
    public IEnumerable<int> Within(SyntaxTree tree, TextSpan span)
    {
        if (!positions.TryGetValue(tree, out var sorted))
        {
            yield break;
        }

        var index = Array.BinarySearch(sorted, span.Start);
        for (index = index < 0 ? ~index : index; index < sorted.Length && sorted[index] < span.End; index++)
        {
            yield return sorted[index];
        }
    }

    /// <summary>Whether a word occurs inside the span of <paramref name="node"/>.</summary>
    public bool AnyWithin(SyntaxNode node) => AnyWithin(node.SyntaxTree, node.Span);

    /// <summary>Whether a word occurs inside <paramref name="span"/> of <paramref name="tree"/>.</summary>
    public bool AnyWithin(SyntaxTree tree, TextSpan span)
    {
        if (!positions.TryGetValue(tree, out var sorted))
        {
            return false;
        }

        var index = Array.BinarySearch(sorted, span.Start);
        if (index < 0)
        {
            index = ~index;
        }

        return index < sorted.Length && sorted[index] < span.End;
    }

    /// <summary>The occurrences for which <paramref name="keep"/>, given the tree's text and the position, holds.</summary>
    public WordOccurrences Where(Func<SyntaxTree, string> textOf, Func<string, int, bool> keep)
    {
        var kept = new Dictionary<SyntaxTree, int[]>();
        foreach (var pair in positions)
        {
            var text = textOf(pair.Key);
            var filtered = Array.FindAll(pair.Value, position => keep(text, position));
            if (filtered.Length > 0)
            {
                kept.Add(pair.Key, filtered);
            }
        }

        return new WordOccurrences(kept);
    }

    /// <summary>The union of two results.</summary>
    public static WordOccurrences Union(WordOccurrences a, WordOccurrences b)
    {
        var merged = new Dictionary<SyntaxTree, int[]>(a.positions);
        foreach (var pair in b.positions)
        {
            merged[pair.Key] = merged.TryGetValue(pair.Key, out var existing)
                ? existing.Concat(pair.Value).Distinct().OrderBy(position => position).ToArray()
                : pair.Value;
        }

        return new WordOccurrences(merged);
    }
}
