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
    public WordOccurrences Find(IEnumerable<string> words, CancellationToken cancellationToken)
    {
        var built = IndexOf(cancellationToken);
        var query = new IdentifierIndex.Query(words as IReadOnlyCollection<string> ?? words.ToList());
        return new WordOccurrences(
            built.Trees,
            tree => built.FindIn(tree, query),
            () => built.Everywhere(query, cancellationToken),
            searchKeepsAnswers: query.Id != 0);
    }

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

/// <summary>
/// Sorted positions of found words per tree, computed for a tree when first asked about it: the analysis of one document asks
/// only about its own tree (and the trees a symbol's declarations or callers are in), so an editor's request does not search
/// the whole solution; enumerating the trees that have an occurrence searches them all, once.
/// </summary>
internal sealed class WordOccurrences
{
    private readonly IReadOnlyList<SyntaxTree> universe;
    private readonly Func<SyntaxTree, int[]> search;

    /// <summary>Every tree's positions from the index, which keeps them for the next compilation of an IDE session.</summary>
    private readonly Func<Dictionary<SyntaxTree, int[]>>? everywhere;
    private readonly ConcurrentDictionary<SyntaxTree, int[]> searched = new();
    private Dictionary<SyntaxTree, int[]>? positions;

    private readonly bool searchKeepsAnswers;


    /// <summary>Occurrences known in advance.</summary>
    public WordOccurrences(Dictionary<SyntaxTree, int[]> positions)
    {
        this.positions = positions;
        universe = positions.Keys.ToArray();
        search = tree => positions.TryGetValue(tree, out var found) ? found : Array.Empty<int>();
    }

    /// <summary>Occurrences in <paramref name="universe"/>, <paramref name="search"/> finding a tree's (empty: none) once per tree.</summary>
    /// <param name="universe">The trees.</param>
    /// <param name="search">A tree's positions.</param>
    /// <param name="everywhere">Every tree's positions, when the index can give them whole (its answers carry over between compilations of an IDE session).</param>
    /// <param name="searchKeepsAnswers">The search keeps its answers itself (the index does, per tree and query), so this does not.</param>
    public WordOccurrences(IReadOnlyList<SyntaxTree> universe, Func<SyntaxTree, int[]> search, Func<Dictionary<SyntaxTree, int[]>>? everywhere = null, bool searchKeepsAnswers = false)
    {
        this.universe = universe;
        this.search = search;
        this.everywhere = everywhere;
        this.searchKeepsAnswers = searchKeepsAnswers;
    }

    /// <summary>The trees with an occurrence.</summary>
    public IEnumerable<SyntaxTree> Trees => Positions.Keys;

    /// <summary>
    /// Whether a word occurs in some tree: from every tree's positions, which an identifier index answers at once and keeps
    /// for the next compilation of an IDE session.
    /// </summary>
    public bool Exists => Positions.Count > 0;

    /// <summary>Whether a word occurs anywhere in <paramref name="tree"/>.</summary>
    public bool AnyIn(SyntaxTree tree) => In(tree).Length > 0;

    /// <summary>Every occurrence, tree by tree.</summary>
    public IEnumerable<(SyntaxTree Tree, int Position)> All =>
        Positions.SelectMany(pair => pair.Value.Select(position => (pair.Key, position)));

    /// <summary>The positions of the words inside <paramref name="span"/> of <paramref name="tree"/>, in order.</summary>
    public IEnumerable<int> Within(SyntaxTree tree, TextSpan span)
    {
        var sorted = In(tree);
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
        var sorted = In(tree);
        var index = Array.BinarySearch(sorted, span.Start);
        if (index < 0)
        {
            index = ~index;
        }

        return index < sorted.Length && sorted[index] < span.End;
    }

    /// <summary>The occurrences for which <paramref name="keep"/>, given the tree's text and the position, holds.</summary>
    public WordOccurrences Where(Func<SyntaxTree, string> textOf, Func<string, int, bool> keep) =>
        new(universe, tree =>
        {
            var found = In(tree);
            if (found.Length == 0)
            {
                return found;
            }

            var text = textOf(tree);
            return Array.FindAll(found, position => keep(text, position));
        });

    /// <summary>The union of two results.</summary>
    public static WordOccurrences Union(WordOccurrences a, WordOccurrences b) =>
        new(ReferenceEquals(a.universe, b.universe) ? a.universe : a.universe.Union(b.universe).ToArray(), tree =>
        {
            var first = a.In(tree);
            var second = b.In(tree);
            return second.Length == 0 ? first
                : first.Length == 0 ? second
                : first.Concat(second).Distinct().OrderBy(position => position).ToArray();
        });

    /// <summary>The positions in one tree (empty when none), searched on first need.</summary>
    private int[] In(SyntaxTree tree) =>
        Volatile.Read(ref positions) is { } known
            ? known.TryGetValue(tree, out var found) ? found : Array.Empty<int>()
            : searchKeepsAnswers ? search(tree) : searched.GetOrAdd(tree, search);

    /// <summary>Every tree's positions, searched once for all trees.</summary>
    private Dictionary<SyntaxTree, int[]> Positions
    {
        get
        {
            if (Volatile.Read(ref positions) is { } known)
            {
                return known;
            }

            if (everywhere?.Invoke() is { } whole)
            {
                Volatile.Write(ref positions, whole);
                return whole;
            }

            // Searched directly rather than through the per-tree memo: once every tree is known, the memo is never read again.
            var all = new Dictionary<SyntaxTree, int[]>();
            foreach (var tree in universe)
            {
                if ((searched.TryGetValue(tree, out var memo) ? memo : search(tree)) is { Length: > 0 } found)
                {
                    all[tree] = found;
                }
            }

            Volatile.Write(ref positions, all);
            return all;
        }
    }
}
