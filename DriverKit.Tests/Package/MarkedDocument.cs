using System.Text.RegularExpressions;
using DriverKit.Tests.Analyzers;

namespace DriverKit.Tests.Package;

/// <summary>
/// One step of a document's code: an HTML comment marker and the fenced block after it (none for <c>same program</c>).
/// <list type="bullet">
/// <item><c>build: console [version=V]</c>: the block is Program.cs of a new console project with the package; built with
/// <c>-p:DriverKitKernelVersion=V</c>, then run.</item>
/// <item><c>same program: [version=V] [build-version=B] [drop-line="text"]</c>: the last <c>build</c> again, with its
/// <c>"V"</c> literal replaced by the new version, the lines containing <c>text</c> dropped, built for <c>B</c> (default V;
/// <c>build-version=default</c> builds without the setting).</item>
/// <item><c>file: path</c>: the block is written to the document's workspace; <c>contains: path</c>: the file holds these lines.</item>
/// <item><c>run</c>: each line of the block is a dotnet command, run in the workspace.</item>
/// <item><c>output</c>: what the step before printed: its lines appear in that order (<c>…</c> stands for any text).</item>
/// <item><c>pack</c>: the block tells how to pack the package (the test packs its own copy).</item>
/// <item><c>fragment</c>, <c>fix-proof: …</c>: not a program (fix-proof blocks are run by the fix-proof harness).</item>
/// </list>
/// Build, same-program and run steps take <c>expect-exit=N|nonzero</c>, <c>expect-output="text"</c>, <c>expect-error=ID</c>,
/// <c>expect-warning=ID</c> and <c>expect-build-error=ID</c> (the build fails with that error and nothing runs); these may repeat.
/// </summary>
internal sealed record DocStep(string Kind, string? Argument, ILookup<string, string> Attributes, string? Block, int Line)
{
    public string? Single(string key) => Attributes[key].SingleOrDefault();

    public override string ToString() => $"line {Line}: <!-- {Kind}{(Argument is null ? string.Empty : ": " + Argument)} -->";
}

/// <summary>A markdown file's marked code blocks, and what is wrong with its marking.</summary>
internal sealed partial class MarkedDocument
{
    private static readonly string[] Expectations = ["expect-exit", "expect-output", "expect-error", "expect-warning", "expect-build-error"];

    private static readonly Dictionary<string, string[]> AllowedAttributes = new()
    {
        ["build"] = ["version", .. Expectations],
        ["same program"] = ["version", "build-version", "drop-line", .. Expectations],
        ["run"] = Expectations,
        ["file"] = [],
        ["contains"] = [],
        ["output"] = [],
        ["pack"] = [],
        ["fragment"] = [],
        ["fix-proof"] = [],
    };

    private MarkedDocument(string path, IReadOnlyList<DocStep> steps, IReadOnlyList<string> problems)
    {
        Path = path;
        Steps = steps;
        Problems = problems;
    }

    /// <summary>The file, relative to the repository root.</summary>
    public string Path { get; }

    public IReadOnlyList<DocStep> Steps { get; }

    /// <summary>C# blocks without a marker, markers without a block, unknown attributes.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Steps that build, run or write something (the rest only mark blocks).</summary>
    public bool IsExecutable => Steps.Any(step => step.Kind is "build" or "same program" or "run" or "file");

    /// <summary>README.md and every markdown file under docs/.</summary>
    public static IReadOnlyList<MarkedDocument> All() =>
        [.. new[] { System.IO.Path.Combine(RepositoryRoot.Path, "README.md") }
            .Concat(Directory.EnumerateFiles(System.IO.Path.Combine(RepositoryRoot.Path, "docs"), "*.md", SearchOption.AllDirectories))
            .Select(file => System.IO.Path.GetRelativePath(RepositoryRoot.Path, file).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .Select(Load)];

    public static MarkedDocument Load(string relativePath) =>
        Parse(relativePath, System.IO.File.ReadAllText(System.IO.Path.Combine(RepositoryRoot.Path, relativePath)));

    public static MarkedDocument Parse(string path, string text)
    {
        var steps = new List<DocStep>();
        var problems = new List<string>();
        var pending = new List<DocStep>();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (Marker().Match(line) is { Success: true } marker && MarkerStep(marker.Groups["body"].Value, i + 1, path, problems) is { } step)
            {
                if (step.Kind == "same program")
                {
                    steps.Add(step);
                }
                else
                {
                    pending.Add(step);
                }

                continue;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (Fence().Match(line) is not { Success: true } fence)
            {
                foreach (var orphan in pending)
                {
                    problems.Add($"{path}:{orphan.Line}: the marker is not followed by a fenced block");
                }

                pending.Clear();
                continue;
            }

            var indent = fence.Groups["indent"].Value.Length;
            var body = new List<string>();
            for (i++; i < lines.Length && !Fence().IsMatch(lines[i]); i++)
            {
                body.Add(lines[i].Length >= indent && string.IsNullOrWhiteSpace(lines[i][..indent]) ? lines[i][indent..] : lines[i].TrimStart());
            }

            var block = string.Join('\n', body) + "\n";
            if (pending.Count == 0 && fence.Groups["language"].Value == "csharp")
            {
                problems.Add($"{path}:{i - body.Count}: a C# block without a marker (<!-- build: … -->, <!-- fragment --> …)");
            }

            steps.AddRange(pending.Select(step => step with { Block = block }));
            pending.Clear();
        }

        foreach (var orphan in pending)
        {
            problems.Add($"{path}:{orphan.Line}: the marker is not followed by a fenced block");
        }

        return new MarkedDocument(path, steps, problems);
    }

    private static DocStep? MarkerStep(string body, int line, string path, List<string> problems)
    {
        var colon = body.IndexOf(':', StringComparison.Ordinal);
        var kind = (colon < 0 ? body : body[..colon]).Trim();
        if (!AllowedAttributes.TryGetValue(kind, out var allowed))
        {
            return null;
        }

        var rest = colon < 0 ? string.Empty : body[(colon + 1)..];
        var attributes = Attribute().Matches(rest).Select(match => (Key: match.Groups["key"].Value, match.Groups["value"].Value)).ToList();
        var words = Attribute().Replace(rest, " ").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (kind != "fix-proof")
        {
            foreach (var (key, _) in attributes.Where(attribute => !allowed.Contains(attribute.Key)))
            {
                problems.Add($"{path}:{line}: '{key}' is not an attribute of <!-- {kind} -->");
            }
        }

        return new DocStep(kind, words.FirstOrDefault(), attributes.ToLookup(attribute => attribute.Key, attribute => attribute.Value), null, line);
    }

    [GeneratedRegex(@"^\s*<!--\s*(?<body>.*?)\s*-->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"^(?<indent>\s*)```(?<language>[\w-]*)\s*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"(?<key>[a-z][a-z-]*)=(?:""(?<value>[^""]*)""|(?<value>[^\s""]+))")]
    private static partial Regex Attribute();
}
