using System.Runtime.CompilerServices;
using DriverKit.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Analyzers.Engine;

/// <summary>
/// The words a block's text must contain for <see cref="FlagSourceFilter"/> to find a reported bit in it, found once per
/// compilation by a text search (no binding), so that the blocks of a driver that never name one — nearly all of them —
/// are ruled out without walking their operations.
/// <para>
/// A VmFlags constant that carries a reported bit is written with the name of a reported VmFlags member (also through
/// <c>using static</c>), a spelling of VmFlags (the name or an alias) that is more than a plain read of an unreported member
/// (a cast, <c>~VmFlags.IO</c>, <c>VmFlags.IO + 0x2000</c>; see <see cref="OccurrenceText"/>), or the name of a constant field
/// of type VmFlags. A helper the filter follows (one that takes a VmArea or returns VmFlags, judged by its signature) is
/// named where it is called, and a const or readonly VmFlags field wherever it is read, so the name of each such member
/// whose text holds a word joins the words — calls only for methods, every mention for fields — until none is added. A
/// type that only declares a return value, parameter or local is no source. A default parameter value is a constant at
/// every call, so its method's name joins too. Names C# calls without spelling them (a constructor through <c>base(…)</c>,
/// GetEnumerator in foreach, Add in a collection initializer, query and await patterns) make the words useless: then every
/// block is a candidate. Identifiers spelt with Unicode escapes are found by their names (<see cref="IdentifierIndex"/>);
/// the judgements of <see cref="OccurrenceText"/> count such a spelling.
/// </para>
/// </summary>
internal sealed class FlagSourceWords
{
    /// <summary>Distinct words beyond which the search gives up and admits every block.</summary>
    private const int MaxWords = 1024;

    /// <summary>Methods C# may call without their name in the text.</summary>
    private static readonly HashSet<string> ImplicitlyCalled = new(StringComparer.Ordinal)
    {
        "GetEnumerator", "GetAsyncEnumerator", "MoveNext", "MoveNextAsync", "Dispose", "DisposeAsync", "Deconstruct", "Add",
        "GetAwaiter", "GetResult", "OnCompleted", "GetPinnableReference", "Slice", "AppendLiteral", "AppendFormatted", "Invoke",
        "Select", "SelectMany", "Where", "OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending", "GroupBy", "Join",
        "GroupJoin", "Cast",
    };

    private readonly WordOccurrences? words;

    private FlagSourceWords(WordOccurrences? words) => this.words = words;

    /// <summary>Whether the text of <paramref name="node"/> may hold a reported flag source (always, when the search gave up).</summary>
    public bool MayHoldSource(SyntaxNode node) => words is null || words.AnyWithin(node);

    /// <summary>Where the words occur; null when the search gave up and every block is a candidate.</summary>
    public WordOccurrences? Occurrences => words;

    /// <summary>
    /// Runs the search; <paramref name="spellings"/> says how VmFlags and VmArea are spelt. A compilation that shares most of
    /// its trees with one searched before (an IDE edit) reuses that search's names when its other trees add none to them.
    /// </summary>
    public static FlagSourceWords Compute(Compilation compilation, DriverKitSymbols symbols, SourceWords text, TypeSpellings spellings, CancellationToken cancellationToken)
    {
        var seeds = Seeds(compilation, symbols, spellings);
        var inertMembers = new HashSet<string>(
            symbols.VmFlags.GetMembers().OfType<IFieldSymbol>()
                .Where(field => field.ConstantValue is ulong bits && (bits & FlagSourceFilter.ReportedBits) == 0)
                .Select(field => field.Name),
            StringComparer.Ordinal);
        foreach (var earlier in SearchOutcome.Recent())
        {
            if (earlier.Covers(compilation, seeds, spellings, text, inertMembers, cancellationToken))
            {
                return new FlagSourceWords(earlier.Occurrences(text, spellings, inertMembers, cancellationToken));
            }
        }

        var result = Search(seeds, text, spellings, inertMembers, cancellationToken, out var names);
        if (names is not null)
        {
            SearchOutcome.Remember(compilation, seeds, spellings, names);
        }

        return result;
    }

    /// <summary>The search itself; <paramref name="names"/> gets every name it followed with whether only calls count (null when it gave up).</summary>
    private static FlagSourceWords Search(
        List<string> seeds, SourceWords text, TypeSpellings spellings, HashSet<string> inertMembers, CancellationToken cancellationToken,
        out Dictionary<string, bool>? names)
    {
        var everything = new FlagSourceWords(null);

        // A spelling of VmFlags is a source unless it reads an unreported member plainly or declares something; a declaration
        // is still judged below, because a const or readonly field's name must join the words.
        var values = Values(text, spellings, inertMembers, cancellationToken);
        var toJudge = WordOccurrences.Union(text.Find(seeds, cancellationToken), values);

        // Names found so far, each with whether only its calls count (methods) or every mention (fields).
        names = InitialNames(seeds, spellings);
        var named = new HashSet<SyntaxNode>();
        var followed = new List<(string Name, bool CallsOnly)>();
        while (true)
        {
            var calls = new List<string>();
            var mentions = new List<string>();
            BaseMethodDeclarationSyntax? last = null;
            foreach (var (tree, position) in toJudge.All)
            {
                // Occurrences come sorted per tree: those after the parameters of the method judged last add nothing new.
                if (last is not null && last.SyntaxTree == tree && position >= last.ParameterList.Span.End && position < last.FullSpan.End)
                {
                    continue;
                }

                followed.Clear();
                if (!NamesToFollow(spellings, tree, position, named, followed, cancellationToken, out last))
                {
                    names = null;
                    return everything;
                }

                foreach (var (name, callsOnly) in followed)
                {
                    if (Holds(names, name, callsOnly))
                    {
                        continue;
                    }

                    names[name] = callsOnly;
                    (callsOnly ? calls : mentions).Add(name);
                }
            }

            if (calls.Count == 0 && mentions.Count == 0)
            {
                return new FlagSourceWords(Found(text, seeds, values, Followed(names, seeds, spellings), cancellationToken));
            }

            if (names.Count > MaxWords)
            {
                names = null;
                return everything;
            }

            toJudge = WordOccurrences.Union(
                text.Where(text.Find(calls, cancellationToken), OccurrenceText.MayBeCall, cancellationToken),
                text.Find(mentions, cancellationToken));
        }
    }

    /// <summary>The names the search starts from, each counting in every mention: the seeds and the spellings of VmFlags.</summary>
    private static Dictionary<string, bool> InitialNames(List<string> seeds, TypeSpellings spellings) =>
        seeds.Concat(spellings.VmFlags).Distinct(StringComparer.Ordinal).ToDictionary(name => name, _ => false, StringComparer.Ordinal);

    /// <summary>Whether <paramref name="names"/> already follows <paramref name="name"/> at least as widely: every mention, or calls when only calls count.</summary>
    private static bool Holds(Dictionary<string, bool> names, string name, bool callsOnly) =>
        names.TryGetValue(name, out var known) && (!known || callsOnly);

    /// <summary>The names a search followed beyond those it started from, each with whether only its calls count.</summary>
    private static Dictionary<string, bool> Followed(Dictionary<string, bool> names, List<string> seeds, TypeSpellings spellings)
    {
        var initial = InitialNames(seeds, spellings);
        return names.Where(pair => !initial.ContainsKey(pair.Key)).ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);
    }

    /// <summary>Where the occurrences of the names judged are: the seeds, the spellings of VmFlags that are values, calls of the
    /// names whose calls count and every mention of the others (the positions <see cref="NamesToFollow"/> is asked about).</summary>
    private static WordOccurrences Judged(SourceWords text, List<string> seeds, WordOccurrences values, IReadOnlyDictionary<string, bool> followed, CancellationToken cancellationToken) =>
        WordOccurrences.Union(
            WordOccurrences.Union(text.Find(seeds, cancellationToken), values),
            WordOccurrences.Union(
                text.Where(text.Find(followed.Where(pair => pair.Value).Select(pair => pair.Key).ToList(), cancellationToken), OccurrenceText.MayBeCall, cancellationToken),
                text.Find(followed.Where(pair => !pair.Value).Select(pair => pair.Key).ToList(), cancellationToken)));

    /// <summary>What the search reports with the names it followed: the judged occurrences less the spellings of VmFlags that declare something.</summary>
    private static WordOccurrences Found(SourceWords text, List<string> seeds, WordOccurrences values, IReadOnlyDictionary<string, bool> followed, CancellationToken cancellationToken) =>
        Judged(text, seeds, text.Where(values, (source, position) => !OccurrenceText.IsDeclarationType(source, position), cancellationToken), followed, cancellationToken);

    /// <summary>The spellings of VmFlags that are more than a plain read of an unreported member.</summary>
    private static WordOccurrences Values(SourceWords text, TypeSpellings spellings, HashSet<string> inertMembers, CancellationToken cancellationToken) =>
        text.Where(text.Find(spellings.VmFlags, cancellationToken), (source, position) => !OccurrenceText.IsInertMemberAccess(source, position, inertMembers), cancellationToken);

    /// <summary>
    /// The names one search ended with, kept for the next compilations. Whether a name list is a sound filter for a compilation
    /// can be checked tree by tree: the search finds the smallest list that holds the seeds and every name an occurrence of a
    /// listed name leads to, so any list that holds the seeds and to which no tree adds a name holds that smallest list, and
    /// admits every block the smallest one does (a few more at most, after an edit removed a source). The trees checked
    /// against a list are remembered with it, so an IDE edit judges only the edited tree.
    /// </summary>
    private sealed class SearchOutcome
    {
        /// <summary>How many outcomes are kept (one per project an IDE edits, roughly).</summary>
        private const int Kept = 4;

        /// <summary>How many trees a compilation may have that were not checked against an outcome for it to be tried.</summary>
        private const int MaxUncheckedTrees = 8;

        private static readonly ConditionalWeakTable<SyntaxTree, StrongBox<SearchOutcome?>> CheckedAgainst = new();
        private static readonly object Gate = new();
        private static SearchOutcome[] recent = Array.Empty<SearchOutcome>();

        private readonly HashSet<string> seeds;
        private readonly List<string> seedList;
        private readonly HashSet<string> vmFlags;
        private readonly HashSet<string> vmArea;
        private readonly bool importedStatically;
        private readonly Dictionary<string, bool> names;
        private readonly Dictionary<string, bool> followed;

        private SearchOutcome(List<string> seeds, TypeSpellings spellings, Dictionary<string, bool> names)
        {
            seedList = seeds;
            this.seeds = new HashSet<string>(seeds, StringComparer.Ordinal);
            vmFlags = new HashSet<string>(spellings.VmFlags, StringComparer.Ordinal);
            vmArea = new HashSet<string>(spellings.VmArea, StringComparer.Ordinal);
            importedStatically = spellings.VmFlagsImportedStatically;
            this.names = names;
            followed = Followed(names, seeds, spellings);
        }

        /// <summary>The outcomes kept, newest first.</summary>
        public static SearchOutcome[] Recent() => Volatile.Read(ref recent);

        /// <summary>Keeps the outcome of a search of <paramref name="compilation"/>: every tree of it is checked against it.</summary>
        public static void Remember(Compilation compilation, List<string> seeds, TypeSpellings spellings, Dictionary<string, bool> names)
        {
            var outcome = new SearchOutcome(seeds, spellings, names);
            foreach (var tree in compilation.SyntaxTrees)
            {
                CheckedAgainst.GetValue(tree, _ => new StrongBox<SearchOutcome?>()).Value = outcome;
            }

            lock (Gate)
            {
                recent = new[] { outcome }.Concat(recent).Take(Kept).ToArray();
            }
        }

        /// <summary>
        /// The occurrences of this outcome's words in a compilation it covers (whose spellings are <paramref name="spellings"/>),
        /// searched per tree on demand: what the search of that compilation would find, with the names this one followed.
        /// </summary>
        public WordOccurrences Occurrences(SourceWords text, TypeSpellings spellings, HashSet<string> inertMembers, CancellationToken cancellationToken) =>
            Found(text, seedList, Values(text, spellings, inertMembers, cancellationToken), followed, cancellationToken);

        /// <summary>
        /// Whether this outcome's names are a sound filter for <paramref name="compilation"/>: same seeds and spellings, and no
        /// tree of it adds a name. Trees checked before are not read again; more than a few unchecked trees are not tried.
        /// </summary>
        public bool Covers(Compilation compilation, List<string> seeds, TypeSpellings spellings, SourceWords text, HashSet<string> inertMembers, CancellationToken cancellationToken)
        {
            if (importedStatically != spellings.VmFlagsImportedStatically || !this.seeds.SetEquals(seeds)
                || !vmFlags.SetEquals(spellings.VmFlags) || !vmArea.SetEquals(spellings.VmArea))
            {
                return false;
            }

            var toCheck = new List<SyntaxTree>();
            foreach (var tree in compilation.SyntaxTrees)
            {
                if (!CheckedAgainst.TryGetValue(tree, out var box) || box.Value != this)
                {
                    toCheck.Add(tree);
                    if (toCheck.Count > MaxUncheckedTrees)
                    {
                        return false;
                    }
                }
            }

            if (toCheck.Count == 0)
            {
                return true;
            }

            var judged = Judged(text, seedList, Values(text, spellings, inertMembers, cancellationToken), followed, cancellationToken);
            var named = new HashSet<SyntaxNode>();
            var found = new List<(string Name, bool CallsOnly)>();
            foreach (var tree in toCheck)
            {
                foreach (var position in judged.Within(tree, new TextSpan(0, tree.Length)))
                {
                    found.Clear();
                    if (!NamesToFollow(spellings, tree, position, named, found, cancellationToken, out _)
                        || found.Any(name => !Holds(names, name.Name, name.CallsOnly)))
                    {
                        return false;
                    }
                }
            }

            foreach (var tree in toCheck)
            {
                CheckedAgainst.GetValue(tree, _ => new StrongBox<SearchOutcome?>()).Value = this;
            }

            return true;
        }
    }

    /// <summary>
    /// The reported VmFlags member names (every member name where VmFlags is imported with <c>using static</c>: bare names
    /// such as IO then spell VmFlags constants, ~IO among them) and the VmFlags constants of referenced assemblies.
    /// </summary>
    private static List<string> Seeds(Compilation compilation, DriverKitSymbols symbols, TypeSpellings spellings)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in symbols.VmFlags.GetMembers().OfType<IFieldSymbol>())
        {
            if (member.ConstantValue is ulong bits && ((bits & FlagSourceFilter.ReportedBits) != 0 || spellings.VmFlagsImportedStatically))
            {
                set.Add(member.Name);
            }
        }

        AddReferencedConstants(compilation, symbols, set);
        return set.ToList();
    }

    /// <summary>Constants of type VmFlags declared in referenced assemblies other than DriverKit.Runtime (driver libraries).</summary>
    private static void AddReferencedConstants(Compilation compilation, DriverKitSymbols symbols, HashSet<string> set)
    {
        var runtime = symbols.VmFlags.ContainingAssembly;
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            if (SymbolEqualityComparer.Default.Equals(assembly, runtime)
                || !assembly.Modules.Any(module => module.ReferencedAssemblySymbols.Any(referenced => SymbolEqualityComparer.Default.Equals(referenced, runtime))))
            {
                continue;
            }

            var namespaces = new Stack<INamespaceOrTypeSymbol>();
            namespaces.Push(assembly.GlobalNamespace);
            while (namespaces.Count > 0)
            {
                foreach (var member in namespaces.Pop().GetMembers())
                {
                    switch (member)
                    {
                        case INamespaceOrTypeSymbol container:
                            namespaces.Push(container);
                            break;
                        case IFieldSymbol { IsConst: true } field when symbols.IsVmFlags(field.Type):
                            set.Add(field.Name);
                            break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// What an occurrence at <paramref name="position"/> adds to the words, into <paramref name="followed"/>: the name of the
    /// member that holds it when the filter may follow calls (methods: only calls count) or reads (const and readonly VmFlags
    /// fields: every mention counts) of that member; each method is judged once (<paramref name="named"/>), from its
    /// declaration's syntax. A type name that only declares a return value, parameter or local adds nothing. False (give
    /// up) when the member is one C# reaches without naming it.
    /// </summary>
    private static bool NamesToFollow(
        TypeSpellings spellings, SyntaxTree tree, int position, HashSet<SyntaxNode> named, List<(string Name, bool CallsOnly)> followed,
        CancellationToken cancellationToken, out BaseMethodDeclarationSyntax? member)
    {
        member = null;
        var token = tree.GetRoot(cancellationToken).FindToken(position);
        if (token.Parent is SimpleNameSyntax name && DeclaringTypeOf(name) is { } declared
            && declared is not VariableDeclarationSyntax { Parent: LocalDeclarationStatementSyntax { IsConst: true } })
        {
            // A const local is a constant of the method; any other declared type is not a value.
            if (declared is VariableDeclarationSyntax { Parent: FieldDeclarationSyntax field } variables && IsConstOrReadOnly(field) && spellings.IsVmFlags(variables.Type))
            {
                followed.AddRange(variables.Variables.Select(variable => (variable.Identifier.ValueText, false)));
            }

            return true;
        }

        for (var node = token.Parent; node is not null; node = node.Parent)
        {
            if (node is MethodDeclarationSyntax or ConstructorDeclarationSyntax)
            {
                member = (BaseMethodDeclarationSyntax)node;
            }

            switch (node)
            {
                case ParameterListSyntax { Parent: MethodDeclarationSyntax method }:
                    // A default value is a constant at every call site.
                    followed.Add((method.Identifier.ValueText, true));
                    return !ImplicitlyCalled.Contains(method.Identifier.ValueText);
                case ParameterListSyntax { Parent: ConstructorDeclarationSyntax or TypeDeclarationSyntax }:
                    return false;
                case MethodDeclarationSyntax method:
                    if (!named.Add(method) || !spellings.MayBeFollowed(method) || method.ExplicitInterfaceSpecifier is not null)
                    {
                        // An explicit interface implementation is called through the interface, whose member the filter does not follow.
                        return true;
                    }

                    followed.Add((method.Identifier.ValueText, true));
                    return !ImplicitlyCalled.Contains(method.Identifier.ValueText);
                case ConstructorDeclarationSyntax constructor:
                    // Reached through base(…) and this(…) without its name.
                    return !(named.Add(constructor) && spellings.MayBeFollowed(constructor));
                case VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: FieldDeclarationSyntax field } declaration } declarator:
                    if (IsConstOrReadOnly(field) && spellings.IsVmFlags(declaration.Type))
                    {
                        followed.Add((declarator.Identifier.ValueText, false));
                    }

                    return true;
                case MemberDeclarationSyntax or AttributeListSyntax or UsingDirectiveSyntax:
                    // Properties, indexers, events, operators and types are not followed by the flag analysis.
                    return true;
            }
        }

        return true;
    }

    private static bool IsConstOrReadOnly(FieldDeclarationSyntax field) =>
        field.Modifiers.Any(modifier => modifier.IsKind(SyntaxKind.ConstKeyword) || modifier.IsKind(SyntaxKind.ReadOnlyKeyword));

    /// <summary>
    /// The declaration whose type <paramref name="name"/> spells (a field or local, a method's or local function's return,
    /// a parameter, a property), or null when the name is used otherwise.
    /// </summary>
    private static SyntaxNode? DeclaringTypeOf(SimpleNameSyntax name)
    {
        var type = NamedOperations.WholeTypeOf(name);
        return type.Parent switch
        {
            VariableDeclarationSyntax declaration when declaration.Type == type => declaration,
            MethodDeclarationSyntax method when method.ReturnType == type => method,
            LocalFunctionStatementSyntax function when function.ReturnType == type => function,
            ParameterSyntax parameter when parameter.Type == type => parameter,
            BasePropertyDeclarationSyntax property when property.Type == type => property,
            _ => null,
        };
    }
}
