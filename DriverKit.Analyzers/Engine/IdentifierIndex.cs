using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// Every identifier-like run of a compilation's source text, hashed, per tree: built in one pass over the text, so that a
/// search for any list of words afterwards reads hashes instead of the text. A run is spelt as C# reads an identifier:
/// Unicode escapes (<c>\u0041</c>) are decoded and formatting characters dropped, so <c>Lock\u0065d</c> is found as
/// <c>Locked</c>. Runs in comments, strings and inactive code are indexed too, which only lets more code through.
/// </summary>
internal sealed class IdentifierIndex
{
    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;

    /// <summary>Bits of each tree's filter of the hashes it holds (a power of two).</summary>
    private const int TreeFilterBits = 2048;

    /// <summary>Bits of a query's filter of the hashes it looks for (a power of two).</summary>
    private const int QueryFilterBits = 4096;

    /// <summary>ASCII letters, digits and '_': the characters of a plain identifier.</summary>
    private static readonly bool[] AsciiIdentifierPart = CreateAsciiIdentifierPart();

    private readonly TreeRuns[] trees;
    private readonly SyntaxTree[] treeList;
    private readonly Dictionary<SyntaxTree, TreeRuns> byTree;

    /// <summary>What each query found across all trees, by the query's number.</summary>
    private readonly ConcurrentDictionary<int, Dictionary<SyntaxTree, int[]>> everywhere = new();

    /// <summary>The index built before this one, while this one shares most of its trees (see <see cref="Everywhere"/>).</summary>
    private volatile IdentifierIndex? previous;

    /// <summary>The trees this index holds that <see cref="previous"/> does not.</summary>
    private TreeRuns[] added = Array.Empty<TreeRuns>();

    private IdentifierIndex(TreeRuns[] trees)
    {
        this.trees = trees;
        treeList = trees.Select(runs => runs.Tree).ToArray();
        byTree = trees.ToDictionary(runs => runs.Tree);
    }

    /// <summary>The index built last, which the next one is compared with (held weakly: a closed project's index may go).</summary>
    private static readonly WeakReference<IdentifierIndex?> LastBuilt = new(null);

    /// <summary>How many of an index's trees may be new for it to reuse the whole-compilation answers of the one before.</summary>
    private const int MaxAddedTrees = 16;

    /// <summary>
    /// Links a new index to the last one built when they share all but a few trees (an IDE edit): a question asked of every
    /// tree is then answered from the last index's answer, less the trees that are gone, plus the new trees searched. Only one
    /// link is kept, so indexes do not hold each other alive in a chain.
    /// </summary>
    private void FollowLast()
    {
        IdentifierIndex? last;
        lock (LastBuilt)
        {
            LastBuilt.TryGetTarget(out last);
            LastBuilt.SetTarget(this);
        }

        if (last is not null)
        {
            Follow(last);
        }
    }

    /// <summary>Links this index to <paramref name="last"/> when they share all but a few trees (and cuts the link behind it).</summary>
    private void Follow(IdentifierIndex last)
    {
        last.previous = null;
        var fresh = trees.Where(runs => !last.byTree.ContainsKey(runs.Tree)).Take(MaxAddedTrees + 1).ToArray();
        if (fresh.Length <= MaxAddedTrees)
        {
            added = fresh;
            previous = last;
        }
    }

    /// <summary>The positions of the query's words in every tree that has one (each tree's list in text order).</summary>
    public Dictionary<SyntaxTree, int[]> Everywhere(Query query, CancellationToken cancellationToken)
    {
        if (KnownEverywhere(query) is { } known)
        {
            return known;
        }

        var result = Scan(trees, query, new Dictionary<SyntaxTree, int[]>(), cancellationToken);
        return query.Id == 0 ? result : everywhere.GetOrAdd(query.Id, result);
    }

    /// <summary>
    /// <see cref="Everywhere"/> when it costs no search of every tree: asked before of this index, or of the index before it
    /// (then only the new trees are searched); otherwise null.
    /// </summary>
    private Dictionary<SyntaxTree, int[]>? KnownEverywhere(Query query)
    {
        if (query.Id == 0)
        {
            return null;
        }

        if (everywhere.TryGetValue(query.Id, out var known))
        {
            return known;
        }

        if (previous is not { } last || last.KnownEverywhere(query) is not { } before)
        {
            return null;
        }

        var result = new Dictionary<SyntaxTree, int[]>();
        foreach (var pair in before)
        {
            if (byTree.ContainsKey(pair.Key))
            {
                result[pair.Key] = pair.Value;
            }
        }

        return everywhere.GetOrAdd(query.Id, Scan(added, query, result, CancellationToken.None));
    }

    /// <summary>
    /// The runs of every tree ever indexed, for as long as the tree lives: an edit in an IDE makes a new compilation that
    /// shares all its trees but one with the last, and only that one is scanned again.
    /// </summary>
    private static readonly ConditionalWeakTable<SyntaxTree, TreeRuns> Scanned = new();

    /// <summary>A number per distinct query (its words in order), so that a tree's cache of what queries found is keyed by an int.</summary>
    private static readonly ConcurrentDictionary<string, int> QueryIds = new(StringComparer.Ordinal);

    private static int lastQueryId;

    /// <summary>How many distinct queries are remembered: word lists built from a driver's own names change as it is edited.</summary>
    private const int MaxRememberedQueries = 4096;

    /// <summary>The query's number, or 0 (not remembered) once <see cref="MaxRememberedQueries"/> others are.</summary>
    private static int QueryId(string words) =>
        QueryIds.TryGetValue(words, out var id) ? id
        : QueryIds.Count < MaxRememberedQueries ? QueryIds.GetOrAdd(words, _ => Interlocked.Increment(ref lastQueryId))
        : 0;

    /// <summary>Indexes the text of every tree of <paramref name="compilation"/> (trees indexed before are not read again).</summary>
    public static IdentifierIndex Build(Compilation compilation, CancellationToken cancellationToken)
    {
        var index = Index(compilation, cancellationToken);
        index.FollowLast();
        return index;
    }

    /// <summary>Indexes <paramref name="compilation"/> as the next of <paramref name="last"/> (what an IDE edit does; for tests).</summary>
    public static IdentifierIndex BuildAfter(IdentifierIndex last, Compilation compilation, CancellationToken cancellationToken)
    {
        var index = Index(compilation, cancellationToken);
        index.Follow(last);
        return index;
    }

    private static IdentifierIndex Index(Compilation compilation, CancellationToken cancellationToken)
    {
        var scratch = new RunBuffer();
        var trees = new List<TreeRuns>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Scanned.TryGetValue(tree, out var runs))
            {
                runs = Scanned.GetValue(tree, key => TreeRuns.Scan(key, key.GetText(cancellationToken).ToString(), scratch));
            }

            trees.Add(runs);
        }

        return new IdentifierIndex(trees.ToArray());
    }

    /// <summary>The hash of an identifier's value text, as the index computes it.</summary>
    public static uint Hash(string word)
    {
        var hash = FnvOffset;
        foreach (var c in word)
        {
            hash = (hash ^ c) * FnvPrime;
        }

        return hash;
    }

    /// <summary>The text of <paramref name="tree"/> as indexed, or null for a tree the index does not hold.</summary>
    public string? TextOf(SyntaxTree tree) => byTree.TryGetValue(tree, out var runs) ? runs.Text : null;

    /// <summary>The trees indexed, in the compilation's order.</summary>
    public IReadOnlyList<SyntaxTree> Trees => treeList;

    /// <summary>The start of each run whose value is one of <paramref name="words"/>, in text order, per tree that has one.</summary>
    public Dictionary<SyntaxTree, int[]> Find(IReadOnlyCollection<string> words, CancellationToken cancellationToken)
    {
        return Scan(trees, new Query(words), new Dictionary<SyntaxTree, int[]>(), cancellationToken);
    }

    /// <summary>Adds to <paramref name="result"/> the positions of the query's words in each of <paramref name="scanned"/> that has one.</summary>
    private static Dictionary<SyntaxTree, int[]> Scan(TreeRuns[] scanned, Query query, Dictionary<SyntaxTree, int[]> result, CancellationToken cancellationToken)
    {
        foreach (var runs in scanned)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (FindIn(runs, query) is { Length: > 0 } found)
            {
                result[runs.Tree] = found;
            }
        }

        return result;
    }

    /// <summary>The start of each run of <paramref name="tree"/> whose value is one of the query's words, in text order (empty when none).</summary>
    public int[] FindIn(SyntaxTree tree, Query query) => byTree.TryGetValue(tree, out var runs) ? FindIn(runs, query) : Array.Empty<int>();

    private static int[] FindIn(TreeRuns runs, Query query)
    {
        if (query.IsEmpty || !runs.MayHoldAny(query.TreeFilter))
        {
            return Array.Empty<int>();
        }

        if (query.Id != 0 && runs.Found.TryGetValue(query.Id, out var known))
        {
            return known;
        }

        List<int>? positions = null;
        var hashes = runs.Hashes;
        for (var i = 0; i < hashes.Length; i++)
        {
            var hash = hashes[i];
            if (query.MayBe(hash) && query.ByHash.TryGetValue(hash, out var bucket) && runs.Matches(i, bucket))
            {
                (positions ??= new List<int>()).Add(runs.Starts[i]);
            }
        }

        var found = positions is null ? Array.Empty<int>() : positions.ToArray();
        if (query.Id != 0)
        {
            runs.Found.TryAdd(query.Id, found);
        }

        return found;
    }

    /// <summary>A list of words prepared for searching: their hashes, filters, and the number that keys trees' caches.</summary>
    public sealed class Query
    {
        private readonly ulong[] filter = new ulong[QueryFilterBits / 64];

        public Query(IReadOnlyCollection<string> words)
        {
            TreeFilter = new ulong[TreeFilterBits / 64];
            foreach (var word in words)
            {
                var hash = Hash(word);
                if (!ByHash.TryGetValue(hash, out var bucket))
                {
                    ByHash.Add(hash, bucket = new List<string>(1));
                }

                bucket.Add(word);
                SetBit(filter, hash & (QueryFilterBits - 1));
                SetBit(TreeFilter, hash & (TreeFilterBits - 1));
            }

            IsEmpty = words.Count == 0;
            Id = IsEmpty ? 0 : QueryId(string.Join("\0", words));
        }

        public bool IsEmpty { get; }

        /// <summary>The query's number (0: not remembered per tree).</summary>
        public int Id { get; }

        public Dictionary<uint, List<string>> ByHash { get; } = new();

        /// <summary>The hashes as a tree-sized filter, to skip trees that hold none of them.</summary>
        public ulong[] TreeFilter { get; }

        public bool MayBe(uint hash) => (filter[(hash & (QueryFilterBits - 1)) >> 6] & (1UL << (int)(hash & 63))) != 0;
    }

    private static void SetBit(ulong[] bits, uint index) => bits[index >> 6] |= 1UL << (int)(index & 63);

    private static bool[] CreateAsciiIdentifierPart()
    {
        var part = new bool[128];
        for (var c = 0; c < 128; c++)
        {
            part[c] = c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_';
        }

        return part;
    }

    /// <summary>The runs of one tree: hash and start of each, in text order; the decoded value of the few spelt with escapes.</summary>
    private sealed class TreeRuns
    {
        private readonly ulong[] filter;
        private readonly Dictionary<int, string>? decoded;

        private TreeRuns(SyntaxTree tree, string text, uint[] hashes, int[] starts, ulong[] filter, Dictionary<int, string>? decoded)
        {
            Tree = tree;
            Text = text;
            Hashes = hashes;
            Starts = starts;
            this.filter = filter;
            this.decoded = decoded;
        }

        public SyntaxTree Tree { get; }

        public string Text { get; }

        /// <summary>
        /// What each query found in this tree, by the query's words: the tree outlives the compilation in an IDE, and the
        /// next compilation asks the same questions of every tree the edit did not touch.
        /// </summary>
        public ConcurrentDictionary<int, int[]> Found { get; } = new();

        public uint[] Hashes { get; }

        public int[] Starts { get; }

        /// <summary>Whether some hash set in <paramref name="query"/> (a tree-sized filter) may be one of this tree's.</summary>
        public bool MayHoldAny(ulong[] query)
        {
            for (var i = 0; i < query.Length; i++)
            {
                if ((query[i] & filter[i]) != 0)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Whether run <paramref name="index"/> spells one of <paramref name="words"/> (the hash matched; this rules out collisions).</summary>
        public bool Matches(int index, List<string> words)
        {
            var start = Starts[index];
            if (decoded is not null && decoded.TryGetValue(start, out var value))
            {
                return words.Contains(value, StringComparer.Ordinal);
            }

            foreach (var word in words)
            {
                // A plain run is ASCII only (anything else made it a decoded one): it is the word when the text holds the
                // word there and no ASCII identifier character follows.
                var end = start + word.Length;
                if (end <= Text.Length
                    && string.CompareOrdinal(Text, start, word, 0, word.Length) == 0
                    && (end == Text.Length || Text[end] >= 128 || !AsciiIdentifierPart[Text[end]]))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// One pass over <paramref name="text"/>. Runs that start with a digit are numbers and are not kept. Compiled fully
        /// optimized at once (AggressiveOptimization, which netstandard2.0 does not name): it reads every character of the
        /// compilation and would otherwise start in the unoptimized tier.
        /// </summary>
        [MethodImpl((MethodImplOptions)512)]
        public static TreeRuns Scan(SyntaxTree tree, string text, RunBuffer buffer)
        {
            buffer.Clear();
            Dictionary<int, string>? decoded = null;
            var chars = text.AsSpan();
            var part = AsciiIdentifierPart;
            var at = 0;
            while (at < chars.Length)
            {
                var c = chars[at];
                if (c < 128 && part[c])
                {
                    // The common case: a run of ASCII identifier characters.
                    var start = at;
                    var hash = FnvOffset;
                    do
                    {
                        hash = (hash ^ c) * FnvPrime;
                        at++;
                    }
                    while (at < chars.Length && (c = chars[at]) < 128 && part[c]);

                    if (at < text.Length && (c >= 128 || c == '\\') && ContinuesRun(text, at))
                    {
                        at = ScanDecoded(text, start, ref decoded, buffer);
                    }
                    else if (!IsDigit(text[start]))
                    {
                        buffer.Add(hash, start);
                    }
                }
                else if ((c >= 128 || c == '\\') && ContinuesRun(text, at))
                {
                    at = ScanDecoded(text, at, ref decoded, buffer);
                }
                else
                {
                    at++;
                }
            }

            return new TreeRuns(tree, text, buffer.Hashes(), buffer.Starts(), buffer.Filter(), decoded);
        }

        /// <summary>
        /// A run with a non-ASCII character or an escape, read from <paramref name="start"/> as C# reads an identifier; returns
        /// where it ends.
        /// </summary>
        private static int ScanDecoded(string text, int start, ref Dictionary<int, string>? decoded, RunBuffer buffer)
        {
            var value = new StringBuilder();
            var at = start;
            while (at < text.Length && NextPart(text, at, out var c, out var length))
            {
                if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.Format)
                {
                    // C# drops formatting characters (soft hyphen, zero-width joiner) from an identifier's name.
                    value.Append(c);
                }

                at += length;
            }

            if (value.Length > 0 && !IsDigit(value[0]))
            {
                var name = value.ToString();
                buffer.Add(Hash(name), start);
                (decoded ??= new Dictionary<int, string>())[start] = name;
            }

            return at;
        }

        /// <summary>Whether an identifier character (a non-ASCII one or an escape) starts or continues a run at <paramref name="at"/>.</summary>
        private static bool ContinuesRun(string text, int at) => NextPart(text, at, out _, out _);

        /// <summary>The identifier character at <paramref name="at"/>, plain or spelt as <c>\uXXXX</c> or <c>\UXXXXXXXX</c>.</summary>
        private static bool NextPart(string text, int at, out char c, out int length)
        {
            c = text[at];
            length = 1;
            if (c == '\\')
            {
                if (!TryEscape(text, at, out c, out length))
                {
                    return false;
                }
            }

            return c < 128 ? AsciiIdentifierPart[c] : SyntaxFacts.IsIdentifierPartCharacter(c);
        }

        /// <summary>A <c>\uXXXX</c> or <c>\UXXXXXXXX</c> escape of a character of the basic plane (others never spell an identifier character).</summary>
        private static bool TryEscape(string text, int at, out char c, out int length)
        {
            c = '\0';
            length = 0;
            if (at + 1 >= text.Length || text[at + 1] is not ('u' or 'U'))
            {
                return false;
            }

            var digits = text[at + 1] == 'u' ? 4 : 8;
            if (at + 2 + digits > text.Length)
            {
                return false;
            }

            uint value = 0;
            for (var i = at + 2; i < at + 2 + digits; i++)
            {
                var digit = HexValue(text[i]);
                if (digit < 0)
                {
                    return false;
                }

                value = (value << 4) | (uint)digit;
            }

            if (value > char.MaxValue)
            {
                return false;
            }

            c = (char)value;
            length = 2 + digits;
            return true;
        }

        private static int HexValue(char c) => c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };

        private static bool IsDigit(char c) => c is >= '0' and <= '9';
    }

    /// <summary>The runs of the tree being scanned and the filter of their hashes, reused from tree to tree.</summary>
    private sealed class RunBuffer
    {
        private uint[] hashes = new uint[4096];
        private int[] starts = new int[4096];
        private ulong[] filter = new ulong[TreeFilterBits / 64];
        private int count;

        public void Clear() => count = 0;

        public void Add(uint hash, int start)
        {
            if (count == hashes.Length)
            {
                Array.Resize(ref hashes, count * 2);
                Array.Resize(ref starts, count * 2);
            }

            hashes[count] = hash;
            starts[count] = start;
            count++;
            SetBit(filter, hash & (TreeFilterBits - 1));
        }

        public uint[] Hashes() => Copy(hashes);

        public int[] Starts() => Copy(starts);

        /// <summary>The filter of the tree's hashes, handed over: the next tree starts with an empty one.</summary>
        public ulong[] Filter()
        {
            var full = filter;
            filter = new ulong[TreeFilterBits / 64];
            return full;
        }

        private T[] Copy<T>(T[] source)
        {
            var copy = new T[count];
            Array.Copy(source, copy, count);
            return copy;
        }
    }
}
