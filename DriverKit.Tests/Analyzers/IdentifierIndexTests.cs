extern alias DriverKitAnalyzers;

using DriverKit.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using IdentifierIndex = DriverKitAnalyzers::DriverKit.Analyzers.Engine.IdentifierIndex;

namespace DriverKit.Tests.Analyzers;

/// <summary>
/// The text search every rule starts from reads identifiers as C# does: whole words, Unicode escapes decoded, formatting
/// characters dropped. A word it misses is a finding the rules miss, so each spelling is pinned here against the index.
/// </summary>
public class IdentifierIndexTests
{
    private const char SoftHyphen = '\u00AD';

    [Fact]
    public void Finds_whole_words_only()
    {
        const string text = "class C { void FreePage() { } void FreePages() { } void xFreePage() { } void FreePage_() { } }";
        Assert.Equal([text.IndexOf("FreePage()", StringComparison.Ordinal)], Find(text, "FreePage"));
    }

    [Theory]
    [InlineData(@"class C { const int Lock\u0065d = 1; }", "Locked")]
    [InlineData(@"class C { void \u0053etPageReserved() { } }", "SetPageReserved")]
    [InlineData(@"class C { int \U00000041bc; }", "Abc")]
    public void Decodes_unicode_escapes(string text, string word)
    {
        var start = text.LastIndexOf(' ', text.IndexOf('\\')) + 1;
        Assert.Equal([start], Find(text, word));
        Assert.Empty(Find(text, word[..2]));
    }

    [Fact]
    public void Drops_formatting_characters_as_the_compiler_does()
    {
        var text = $"class C {{ int M() {{ int Lo{SoftHyphen}cked = 1; return Locked; }} }}";
        Assert.Empty(Compile(text).GetDiagnostics().Where(diagnostic => diagnostic.Severity == DiagnosticSeverity.Error));
        Assert.Equal([text.IndexOf("Lo", StringComparison.Ordinal), text.LastIndexOf("Locked", StringComparison.Ordinal)], Find(text, "Locked"));
    }

    [Fact]
    public void Reads_identifiers_with_letters_beyond_ascii()
    {
        const string text = "class C { int Größe; int Grö; }";
        Assert.Equal([text.IndexOf("Größe", StringComparison.Ordinal)], Find(text, "Größe"));
        Assert.Equal([text.IndexOf("Grö;", StringComparison.Ordinal)], Find(text, "Grö"));
    }

    [Fact]
    public void Backslashes_that_are_no_escape_separate_words()
    {
        const string text = """class C { string a = @"C:\users\u"; string b = "\UFFFFFFFFx"; string c = "\u00"; }""";
        Assert.Equal([text.IndexOf("users", StringComparison.Ordinal)], Find(text, "users"));
        Assert.Equal([text.IndexOf("u\"", StringComparison.Ordinal)], Find(text, "u"));
        Assert.Equal([text.IndexOf("UFFFFFFFFx", StringComparison.Ordinal)], Find(text, "UFFFFFFFFx"));
    }

    [Fact]
    public void Numbers_are_not_words_but_comments_and_strings_are_searched()
    {
        const string text = """class C { ulong a = 0x2000; ulong x2000 = 1; /* Mmap */ string s = "Mmap"; }""";
        Assert.Equal([text.IndexOf("x2000 ", StringComparison.Ordinal)], Find(text, "x2000"));
        Assert.Equal(2, Find(text, "Mmap").Length);
    }

    [Fact]
    public void Several_words_in_one_search_come_in_text_order()
    {
        const string text = "class C { void B() { } void A() { } void B2() { } void A() { } }";
        var found = Find(text, "A", "B", "C");
        Assert.Equal(found.Order(), found);
        Assert.Equal(4, found.Length);
    }

    [Fact]
    public void A_later_compilation_reads_its_edited_tree_again_and_keeps_what_the_others_held()
    {
        // An editor's next compilation shares every tree but the edited one; what the index keeps per tree must follow the edit.
        var kept = CSharpSyntaxTree.ParseText("class A { void FreePage() { } }", path: "A.cs");
        var edited = CSharpSyntaxTree.ParseText("class B { void Other() { } }", path: "B.cs");
        var before = CSharpCompilation.Create("IndexTest", [kept, edited], ReferenceAssemblies.Get(includeDriverKitRuntime: false));
        string[] words = ["FreePage", "Mmap"];
        var first = IdentifierIndex.Build(before, CancellationToken.None).Find(words, CancellationToken.None);

        var text = edited.GetText();
        var changed = edited.WithChangedText(text.WithChanges(new Microsoft.CodeAnalysis.Text.TextChange(new(text.ToString().IndexOf("Other", StringComparison.Ordinal), 5), "Mmap")));
        var after = before.ReplaceSyntaxTree(edited, changed);
        var second = IdentifierIndex.Build(after, CancellationToken.None).Find(words, CancellationToken.None);

        Assert.False(first.ContainsKey(edited));
        Assert.Equal([changed.ToString().IndexOf("Mmap", StringComparison.Ordinal)], second[changed]);
        Assert.Equal(first[kept], second[kept]);
        Assert.Equal(2, second.Count);
    }

    [Fact]
    public void A_later_index_answers_for_every_tree_from_the_last_answer_less_the_gone_trees_plus_its_new_ones()
    {
        // Whole-compilation answers carry over from one IDE compilation to the next: the kept tree's answer is reused, the gone
        // tree's dropped, and the edited and added trees searched.
        var kept = CSharpSyntaxTree.ParseText("class A { void FreePage() { } }", path: "A.cs");
        var edited = CSharpSyntaxTree.ParseText("class B { void Mmap() { } }", path: "B.cs");
        var gone = CSharpSyntaxTree.ParseText("class G { void FreePage() { } }", path: "G.cs");
        var before = CSharpCompilation.Create("IndexTest", [kept, edited, gone], ReferenceAssemblies.Get(includeDriverKitRuntime: false));
        var query = new IdentifierIndex.Query(["FreePage", "Mmap"]);
        var first = IdentifierIndex.Build(before, CancellationToken.None);
        Assert.Equal(3, first.Everywhere(query, CancellationToken.None).Count);

        var changed = edited.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("class B { void Other() { } }"));
        var added = CSharpSyntaxTree.ParseText("class N { void Mmap() { } void FreePage() { } }", path: "N.cs");
        var after = before.ReplaceSyntaxTree(edited, changed).RemoveSyntaxTrees(gone).AddSyntaxTrees(added);
        var second = IdentifierIndex.BuildAfter(first, after, CancellationToken.None).Everywhere(query, CancellationToken.None);

        var fresh = IdentifierIndex.Build(after, CancellationToken.None).Find(["FreePage", "Mmap"], CancellationToken.None);
        Assert.Equal(fresh.OrderBy(pair => pair.Key.FilePath), second.OrderBy(pair => pair.Key.FilePath));
        Assert.Equal(["A.cs", "N.cs"], second.Keys.Select(tree => tree.FilePath).Order());
        Assert.Equal(2, second[added].Length);
    }

    private static int[] Find(string text, params string[] words)
    {
        var compilation = Compile(text);
        var found = IdentifierIndex.Build(compilation, CancellationToken.None).Find(words, CancellationToken.None);
        return found.TryGetValue(compilation.SyntaxTrees.Single(), out var positions) ? positions : [];
    }

    private static CSharpCompilation Compile(string text) => CSharpCompilation.Create(
        "IndexTest",
        [CSharpSyntaxTree.ParseText(text, new CSharpParseOptions(LanguageVersion.Latest))],
        ReferenceAssemblies.Get(includeDriverKitRuntime: false),
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
}
