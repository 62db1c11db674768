using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Whole-word occurrences of identifiers in the source text of a compilation's trees: a search over plain text, with no
/// binding and no operation tree, that rules out code which cannot name a symbol. Comments, strings and inactive regions
/// count as well, which only lets more code through.
/// </summary>
internal sealed class SourceWords
{
    /// <summary>Up to this many words, each is searched for on its own (vectorized IndexOf); beyond, identifiers are hashed in one pass.</summary>
    private const int SeparateSearches = 8;

    private readonly Compilation compilation;
    private readonly ConcurrentDictionary<IReadOnlyCollection<string>, WordOccurrences> cache = new();
    private readonly object gate = new();

    public SourceWords(Compilation compilation) => this.compilation = compilation;

    /// <summary>
    /// The occurrences of any of <paramref name="words"/>, cached per word list instance (pass a static list). Searched once:
    /// concurrent callers wait for the first instead of scanning the text again.
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
    public WordOccurrences Find(IEnumerable<string> words, CancellationToken cancellationToken)
    {
        var list = words as IReadOnlyCollection<string> ?? words.ToList();
        var table = list.Count > SeparateSearches ? new WordTable(list) : null;
        var result = new Dictionary<SyntaxTree, int[]>();
        var positions = new List<int>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var text = TextOf(tree, cancellationToken);
            positions.Clear();
            if (table is null)
            {
                foreach (var word in list)
                {
                    SearchEach(text, word, positions);
                }

                positions.Sort();
            }
            else
            {
                table.SearchAll(text, positions);
            }

            if (positions.Count > 0)
            {
                result.Add(tree, positions.ToArray());
            }
        }

        return new WordOccurrences(result);
    }

    /// <summary>The occurrences for which <paramref name="keep"/>, given a tree's text and the position, holds.</summary>
    public WordOccurrences Where(WordOccurrences occurrences, Func<string, int, bool> keep, CancellationToken cancellationToken) =>
        occurrences.Where(tree => TextOf(tree, cancellationToken), keep);

    private static void SearchEach(string text, string word, List<int> positions)
    {
        for (var at = text.IndexOf(word, StringComparison.Ordinal); at >= 0; at = text.IndexOf(word, at + word.Length, StringComparison.Ordinal))
        {
            if ((at == 0 || !SyntaxFacts.IsIdentifierPartCharacter(text[at - 1]))
                && (at + word.Length == text.Length || !SyntaxFacts.IsIdentifierPartCharacter(text[at + word.Length])))
            {
                positions.Add(at);
            }
        }
    }

    /// <summary>
    /// Whether some tree holds a Unicode escape (<c>\u0041</c>): identifiers may then be spelt with escapes that a text
    /// search does not see, so callers must not rely on it.
    /// </summary>
    public bool HasUnicodeEscapes(CancellationToken cancellationToken) =>
        compilation.SyntaxTrees.Any(tree =>
        {
            var text = TextOf(tree, cancellationToken);
            return text.IndexOf("\\u", StringComparison.Ordinal) >= 0 || text.IndexOf("\\U", StringComparison.Ordinal) >= 0;
        });

    private static string TextOf(SyntaxTree tree, CancellationToken cancellationToken) => tree.GetText(cancellationToken).ToString();

    /// <summary>Words by hash, for one pass over every identifier-like run of a text.</summary>
    private sealed class WordTable
    {
        private readonly Dictionary<int, List<string>> byHash = new();

        public WordTable(IEnumerable<string> words)
        {
            foreach (var word in words)
            {
                var hash = Hash(word, 0, word.Length);
                if (!byHash.TryGetValue(hash, out var bucket))
                {
                    byHash.Add(hash, bucket = new List<string>(1));
                }

                bucket.Add(word);
            }
        }

        public void SearchAll(string text, List<int> positions)
        {
            var at = 0;
            while (at < text.Length)
            {
                if (!SyntaxFacts.IsIdentifierPartCharacter(text[at]))
                {
                    at++;
                    continue;
                }

                var start = at;
                while (at < text.Length && SyntaxFacts.IsIdentifierPartCharacter(text[at]))
                {
                    at++;
                }

                if (byHash.TryGetValue(Hash(text, start, at - start), out var bucket) && Contains(bucket, text, start, at - start))
                {
                    positions.Add(start);
                }
            }
        }

        private static bool Contains(List<string> bucket, string text, int start, int length)
        {
            foreach (var word in bucket)
            {
                if (word.Length == length && string.CompareOrdinal(text, start, word, 0, length) == 0)
                {
                    return true;
                }
            }

            return false;
        }

        private static int Hash(string text, int start, int length)
        {
            unchecked
            {
                var hash = (int)2166136261;
                for (var i = start; i < start + length; i++)
                {
                    hash = (hash ^ text[i]) * 16777619;
                }

                return hash;
            }
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
