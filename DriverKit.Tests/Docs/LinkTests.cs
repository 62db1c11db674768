using System.Text.RegularExpressions;
using DriverKit.Runtime;
using DriverKit.Tests.Analyzers;
using File = System.IO.File;

namespace DriverKit.Tests.Docs;

/// <summary>
/// No page the project points to is missing: every link of every markdown file in the repository, every analyzer
/// descriptor's help link, every report's help links and every document a source file cites resolve to a file of this
/// repository (and, with a fragment, to an anchor in it).
/// </summary>
public sealed partial class LinkTests
{
    private static readonly string RepositoryUrl = ReportLinks.Root;

    public static TheoryData<string> MarkdownFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in RepositoryFiles("*.md"))
        {
            data.Add(Path.GetRelativePath(RepositoryRoot.Path, file).Replace('\\', '/'));
        }

        return data;
    }

    [Fact]
    public void The_repository_url_is_known_so_links_can_be_checked()
        => Assert.StartsWith("https://", RepositoryUrl, StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void Every_link_of_a_markdown_file_resolves(string relative)
    {
        var path = Path.Combine(RepositoryRoot.Path, relative);
        var text = WithoutCode(File.ReadAllText(path));
        var broken = MarkdownLink().Matches(text).Select(m => m.Groups["target"].Value)
            .Concat(HtmlLink().Matches(text).Select(m => m.Groups["target"].Value))
            .Select(target => (target, problem: Problem(Path.GetDirectoryName(path)!, target, path)))
            .Where(x => x.problem is not null)
            .Select(x => $"{x.target}: {x.problem}")
            .ToArray();
        Assert.True(broken.Length == 0, $"{relative}:\n" + string.Join("\n", broken));
    }

    [Fact]
    public void Every_descriptor_help_link_names_a_page_of_the_repository()
    {
        var descriptors = RuleCatalogTests.Analyzers.SelectMany(a => a.SupportedDiagnostics).ToArray();
        Assert.NotEmpty(descriptors);
        Assert.All(descriptors, d => Assert.Null(Problem(RepositoryRoot.Path, d.HelpLinkUri)));
    }

    [Fact]
    public void Every_invariant_and_rule_a_report_can_name_has_its_anchor_and_page()
    {
        var sources = RepositoryFiles("*.cs", "DriverKit.Runtime").Select(File.ReadAllText).ToArray();
        var invariants = sources.SelectMany(s => ReportInvariant().Matches(s).Select(m => m.Groups["id"].Value)).Append("OOPS").Distinct().ToArray();
        var rules = sources.SelectMany(s => RuleLiteral().Matches(s).Select(m => m.Value.Trim('"'))).Distinct().ToArray();
        Assert.True(invariants.Length > 15, string.Join(", ", invariants));
        Assert.True(rules.Length > 15, string.Join(", ", rules));
        Assert.All(invariants, id => Assert.Null(Problem(RepositoryRoot.Path, ReportLinks.ForInvariant(id))));
        Assert.All(rules, id => Assert.Null(Problem(RepositoryRoot.Path, ReportLinks.ForRule(id))));
    }

    [Fact]
    public void Every_document_a_source_file_cites_is_in_the_repository()
    {
        var missing = RepositoryFiles("*.cs").Where(file => Path.GetFileName(file) != nameof(LinkTests) + ".cs")
            .SelectMany(file => CitedDocument().Matches(File.ReadAllText(file)).Select(m => (file, doc: m.Value)))
            .Where(x => !x.doc.Contains("xxxx", StringComparison.Ordinal) && !File.Exists(Path.Combine(RepositoryRoot.Path, x.doc)))
            .Select(x => $"{Path.GetRelativePath(RepositoryRoot.Path, x.file)} cites {x.doc}")
            .Distinct()
            .ToArray();
        Assert.True(missing.Length == 0, string.Join("\n", missing));
    }

    [Theory]
    [InlineData("docs/nope.md", "no file")]
    [InlineData("docs/kernel-semantics.md#inv-99", "no anchor")]
    [InlineData("docs/kernel-semantics.md#inv-06", null)]
    [InlineData("docs/kernel-semantics.md#4-scenarios", null)]
    [InlineData("https://github.com/driverkit/driverkit/blob/main/docs/rules/DK9999.md", "no file")]
    public void The_checker_itself_finds_broken_links(string target, string? problem)
    {
        var found = Problem(RepositoryRoot.Path, target.Replace("https://github.com/driverkit/driverkit/", RepositoryUrl[..RepositoryUrl.IndexOf("blob/", StringComparison.Ordinal)], StringComparison.Ordinal));
        if (problem is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.StartsWith(problem, found, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("### INV-06 — no live PTE to a freed or re-owned frame", "inv-06--no-live-pte-to-a-freed-or-re-owned-frame")]
    [InlineData("## 5. Invariants", "5-invariants")]
    [InlineData("### `VM_IO` and `PG_reserved`", "vm_io-and-pg_reserved")]
    public void Heading_anchors_follow_githubs_rule(string heading, string anchor)
        => Assert.Contains(anchor, Anchors(heading + "\n"));

    /// <summary>Why <paramref name="target"/> (relative to <paramref name="directory"/>, or an anchor of <paramref name="page"/>) does not resolve, or null.</summary>
    private static string? Problem(string directory, string target, string? page = null)
    {
        if (target.StartsWith("mailto:", StringComparison.Ordinal))
        {
            return null;
        }

        if (target.StartsWith("http://", StringComparison.Ordinal) || target.StartsWith("https://", StringComparison.Ordinal))
        {
            if (!target.StartsWith(RepositoryUrl, StringComparison.Ordinal))
            {
                return "a link outside the repository (the project stands alone)";
            }

            directory = RepositoryRoot.Path;
            target = target[RepositoryUrl.Length..];
        }

        var hash = target.IndexOf('#', StringComparison.Ordinal);
        var file = hash < 0 ? target : target[..hash];
        var full = file.Length == 0 ? null : Path.GetFullPath(Path.Combine(directory, Uri.UnescapeDataString(file)));
        if (full is not null && !File.Exists(full) && !Directory.Exists(full))
        {
            return $"no file {file}";
        }

        if (hash < 0)
        {
            return null;
        }

        var anchor = target[(hash + 1)..];
        var anchored = full ?? page ?? throw new ArgumentException($"{target} is an anchor with no page", nameof(target));
        return File.Exists(anchored) && Anchors(File.ReadAllText(anchored)).Contains(anchor) ? null : $"no anchor #{anchor} in {Path.GetFileName(anchored)}";
    }

    /// <summary>The anchors of a page: explicit ids and names, and GitHub's slug of every heading (with -1, -2 … for repeats).</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(ExplicitAnchor().Matches(markdown).Select(m => m.Groups["id"].Value), StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match heading in Heading().Matches(WithoutCode(markdown, keepInline: true)))
        {
            var slug = Slug(heading.Groups["text"].Value);
            var n = seen.TryGetValue(slug, out var count) ? count : 0;
            seen[slug] = n + 1;
            anchors.Add(n == 0 ? slug : $"{slug}-{n}");
        }

        return anchors;
    }

    private static string Slug(string heading)
    {
        var text = ExplicitAnchor().Replace(heading, string.Empty).Trim().ToLowerInvariant();
        var chars = text.Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').Select(c => c == ' ' ? '-' : c);
        return new string(chars.ToArray());
    }

    private static string WithoutCode(string markdown, bool keepInline = false)
    {
        var noFences = Fence().Replace(markdown, string.Empty);
        return keepInline ? noFences : InlineCode().Replace(noFences, string.Empty);
    }

    private static IEnumerable<string> RepositoryFiles(string pattern, string under = "")
        => Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, under), pattern, SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(RepositoryRoot.Path, f).Replace('\\', '/').Split('/')
                .Any(part => part is "bin" or "obj" or "TestResults" or ".git" or "node_modules"));

    [GeneratedRegex(@"\[[^\]]*\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"<a\s+href=""(?<target>[^""]+)""")]
    private static partial Regex HtmlLink();

    [GeneratedRegex(@"<a\s+(?:id|name)=""(?<id>[^""]+)""")]
    private static partial Regex ExplicitAnchor();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+?)\s*#*\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"^ {0,3}(```|~~~).*?^ {0,3}\1", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"new Report\([^,]+,\s*""(?<id>INV-\d\d|OOPS)""|Refuse\(""(?<id>INV-\d\d)""|""(?<id>INV-\d\d)"",\s*""DK")]
    private static partial Regex ReportInvariant();

    [GeneratedRegex(@"""DK\d{4}""")]
    private static partial Regex RuleLiteral();

    [GeneratedRegex(@"(?<![\w/.-])(?:docs|samples|bench|fidelity|tools)/[\w./-]+\.md\b")]
    private static partial Regex CitedDocument();
}
