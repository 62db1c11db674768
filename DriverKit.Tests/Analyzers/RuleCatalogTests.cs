extern alias DriverKitAnalyzers;

using System.Collections.Immutable;
using System.Composition;
using System.Reflection;
using System.Text.RegularExpressions;
using DriverKit.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Descriptors = DriverKitAnalyzers::DriverKit.Analyzers.DiagnosticDescriptors;

namespace DriverKit.Tests.Analyzers;

/// <summary>Meta-tests over every exported analyzer, descriptor and code fix.</summary>
public partial class RuleCatalogTests
{
    internal static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = [.. typeof(Descriptors).Assembly.GetTypes()
        .Where(type => !type.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(type))
        .OrderBy(type => type.Name, StringComparer.Ordinal)
        .Select(type => (DiagnosticAnalyzer)Activator.CreateInstance(type)!)];

    internal static readonly ImmutableArray<CodeFixProvider> Fixers = [.. typeof(DriverKitCodeFix).Assembly.GetTypes()
        .Where(type => !type.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(type))
        .OrderBy(type => type.Name, StringComparer.Ordinal)
        .Select(type => (CodeFixProvider)Activator.CreateInstance(type)!)];

    public static TheoryData<string> DescriptorIds => [.. Descriptors.All.Select(descriptor => descriptor.Id).Distinct()];

    [Fact]
    public void Every_analyzer_is_exported_for_CSharp_and_supports_only_catalogued_descriptors()
    {
        Assert.Equal(13, Analyzers.Length);
        foreach (var analyzer in Analyzers)
        {
            var attribute = analyzer.GetType().GetCustomAttribute<DiagnosticAnalyzerAttribute>();
            Assert.NotNull(attribute);
            Assert.Equal([LanguageNames.CSharp], attribute.Languages);
            Assert.All(analyzer.SupportedDiagnostics, descriptor => Assert.Contains(descriptor, Descriptors.All));
        }

        Assert.All(Descriptors.All, descriptor => Assert.Single(Analyzers, analyzer => analyzer.SupportedDiagnostics.Contains(descriptor)));
    }

    [Fact]
    public void Descriptors_have_unique_ids_per_analyzer_and_one_category()
    {
        var byId = Descriptors.All.GroupBy(descriptor => descriptor.Id);
        foreach (var group in byId)
        {
            Assert.Matches(IdPattern(), group.Key);
            Assert.Single(Analyzers, analyzer => analyzer.SupportedDiagnostics.Any(descriptor => descriptor.Id == group.Key));
            Assert.Single(group.Select(descriptor => descriptor.Category).Distinct());
            Assert.Equal(group.Count(), group.Select(descriptor => descriptor.Title.ToString()).Distinct().Count());
        }

        Assert.All(Descriptors.All, descriptor =>
        {
            Assert.Equal(descriptor.Id.StartsWith("DK1", StringComparison.Ordinal) ? "DriverKit.Configuration" : "DriverKit.Memory", descriptor.Category);
            Assert.True(descriptor.IsEnabledByDefault);
            Assert.False(descriptor.MessageFormat.ToString().EndsWith('.'), $"{descriptor.Id}: messages do not end with a period");
            Assert.NotEmpty(descriptor.Description.ToString());
        });
    }

    [Theory]
    [MemberData(nameof(DescriptorIds))]
    public void Help_link_points_to_an_existing_rule_page(string id)
    {
        foreach (var descriptor in Descriptors.All.Where(descriptor => descriptor.Id == id))
        {
            Assert.Equal($"https://github.com/driverkit/driverkit/blob/main/docs/rules/{id}.md", descriptor.HelpLinkUri);
        }

        // The page's heading and the rules index name the rule as the IDE does: the descriptors' titles, in order, the second
        // and later in lower case unless they start with an acronym (RAM, VMA's).
        var titles = string.Join("; ", Descriptors.All.Where(descriptor => descriptor.Id == id)
            .Select((descriptor, index) => descriptor.Title.ToString() is var title && index > 0 && title.Length > 1 && char.IsLower(title[1])
                ? char.ToLowerInvariant(title[0]) + title[1..]
                : title));
        var page = Path.Combine(RepositoryRoot.Path, "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), $"{page} is missing");
        var text = File.ReadAllText(page);
        Assert.StartsWith($"# {id}: {titles}\n", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        var index = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "rules", "README.md"));
        Assert.Contains($"| [{id}]({id}.md) | {titles} |", index, StringComparison.Ordinal);
        foreach (var section in new[] { "## Cause", "## Kernel history", "## Non-compliant", "## Compliant", "## Eras", "## Configure or suppress" })
        {
            Assert.Contains(section, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Release_tracking_lists_every_rule_with_its_severity()
    {
        var unshipped = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "DriverKit.Analyzers", "AnalyzerReleases.Unshipped.md"));
        foreach (var id in Descriptors.All.Select(descriptor => descriptor.Id).Distinct())
        {
            var descriptor = Descriptors.All.First(descriptor => descriptor.Id == id);
            Assert.Contains($"{id} | {descriptor.Category} | {descriptor.DefaultSeverity} |", unshipped, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_fixer_is_exported_shared_and_supports_Fix_All()
    {
        Assert.Equal(18, Fixers.Length);
        var ids = Descriptors.All.Select(descriptor => descriptor.Id).ToHashSet();
        foreach (var fixer in Fixers)
        {
            var type = fixer.GetType();
            var export = type.GetCustomAttribute<ExportCodeFixProviderAttribute>();
            Assert.NotNull(export);
            Assert.Equal(type.Name, export.Name);
            Assert.Equal([LanguageNames.CSharp], export.Languages);
            Assert.NotNull(type.GetCustomAttribute<SharedAttribute>());
            var fixAll = fixer.GetFixAllProvider();
            Assert.NotNull(fixAll);
            Assert.Contains(FixAllScope.Document, fixAll.GetSupportedFixAllScopes());
            Assert.Contains(FixAllScope.Solution, fixAll.GetSupportedFixAllScopes());
            Assert.NotEmpty(fixer.FixableDiagnosticIds);
            Assert.All(fixer.FixableDiagnosticIds, id => Assert.Contains(id, ids));
            Assert.All(
                type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(field => field.Name.EndsWith("Key", StringComparison.Ordinal)),
                field => Assert.Matches(@"^DK\d{4}\.\w+$", (string)field.GetValue(null)!));
        }

        // DK1000 is about a setting outside the code: nothing to rewrite. DK0009's remedy (VM_MIXEDMAP with vmf_insert_mixed for the
        // pfns, or separate mmap offsets) is a design choice, not a mechanical rewrite (docs/rules/DK0009.md).
        Assert.All(ids.Where(id => id is not ("DK1000" or "DK0009")), id => Assert.Contains(Fixers, fixer => fixer.FixableDiagnosticIds.Contains(id)));
    }

    [GeneratedRegex(@"^DK\d{4}$")]
    private static partial Regex IdPattern();
}

/// <summary>The repository checkout the tests run from (the directory holding DriverKit.sln).</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "DriverKit.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No DriverKit.sln above {AppContext.BaseDirectory}.");
    });

    public static string Path => Root.Value;
}
