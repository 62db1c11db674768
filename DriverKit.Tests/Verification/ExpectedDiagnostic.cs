using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace DriverKit.Tests.Verification;

/// <summary>
/// A diagnostic a test expects. Immutable; build it with the <c>With…</c> methods. Lines and columns are 1-based.
/// Severity is checked when known (from a descriptor, a compiler factory, or <see cref="WithSeverity"/>); the message is
/// checked when <see cref="WithMessage"/> or <see cref="WithArguments"/> was given. Expectations created from markup
/// check only id and span.
/// </summary>
public sealed record ExpectedDiagnostic
{
    private ExpectedDiagnostic(string id, DiagnosticSeverity? severity, bool isCompilerDiagnostic)
    {
        Id = id;
        Severity = severity;
        IsCompilerDiagnostic = isCompilerDiagnostic;
    }

    public string Id { get; }

    public DiagnosticSeverity? Severity { get; private init; }

    internal bool IsCompilerDiagnostic { get; }

    internal bool SeverityIsExplicit { get; private init; }

    internal string? Message { get; private init; }

    internal object?[]? Arguments { get; private init; }

    /// <summary>The file of the span; null means the primary test source.</summary>
    internal string? Path { get; private init; }

    /// <summary>0-based start; null when there is no explicit span.</summary>
    internal LinePosition? Start { get; private init; }

    /// <summary>0-based end; null for a point location, which checks the start only.</summary>
    internal LinePosition? End { get; private init; }

    internal int? MarkupKey { get; private init; }

    internal bool HasNoLocation { get; private init; }

    internal bool IsFromMarkup { get; private init; }

    internal bool HasLocation => Start is not null || MarkupKey is not null || HasNoLocation;

    /// <summary>A diagnostic with this id; severity is not checked unless given.</summary>
    public static ExpectedDiagnostic Create(string id) => new(id, severity: null, isCompilerDiagnostic: false);

    /// <summary>A diagnostic of this descriptor at its default severity.</summary>
    public static ExpectedDiagnostic Create(DiagnosticDescriptor descriptor) =>
        new(descriptor.Id, descriptor.DefaultSeverity, isCompilerDiagnostic: false);

    public static ExpectedDiagnostic CompilerError(string id) => new(id, DiagnosticSeverity.Error, isCompilerDiagnostic: true);

    public static ExpectedDiagnostic CompilerWarning(string id) => new(id, DiagnosticSeverity.Warning, isCompilerDiagnostic: true);

    /// <summary>Span from (line1, column1) to (line2, column2); start and end are checked.</summary>
    public ExpectedDiagnostic WithSpan(int line1, int column1, int line2, int column2) =>
        WithSpanCore(null, line1, column1, line2, column2);

    public ExpectedDiagnostic WithSpan(string path, int line1, int column1, int line2, int column2) =>
        WithSpanCore(TestPaths.Normalize(path), line1, column1, line2, column2);

    /// <summary>A point location: only the start is checked.</summary>
    public ExpectedDiagnostic WithLocation(int line, int column) => WithPointCore(null, line, column);

    public ExpectedDiagnostic WithLocation(string path, int line, int column) => WithPointCore(TestPaths.Normalize(path), line, column);

    /// <summary>The span of the <c>{|#markupKey:…|}</c> marker in the test's sources; start and end are checked.</summary>
    public ExpectedDiagnostic WithLocation(int markupKey) => ClearLocation() with { MarkupKey = markupKey };

    /// <summary>A diagnostic reported without a source location (<see cref="Location.None"/>).</summary>
    public ExpectedDiagnostic WithNoLocation() => ClearLocation() with { HasNoLocation = true };

    public ExpectedDiagnostic WithArguments(params object?[] arguments) => this with { Arguments = arguments };

    /// <summary>The exact expected message; overrides <see cref="WithArguments"/>.</summary>
    public ExpectedDiagnostic WithMessage(string message) => this with { Message = message };

    public ExpectedDiagnostic WithSeverity(DiagnosticSeverity severity) => this with { Severity = severity, SeverityIsExplicit = true };

    internal static ExpectedDiagnostic FromMarkup(string id, bool isCompilerDiagnostic, string path, LinePositionSpan span) =>
        new ExpectedDiagnostic(id, severity: null, isCompilerDiagnostic) { IsFromMarkup = true }.WithResolvedSpan(path, span);

    /// <summary>The copy-pasteable description of an actual diagnostic.</summary>
    internal static ExpectedDiagnostic FromActual(Diagnostic diagnostic)
    {
        // Compiler errors and warnings print as CompilerError/CompilerWarning; everything else as Diagnostic(id),
        // with an explicit severity when it differs from what that factory implies.
        var isCompiler = diagnostic.Descriptor.CustomTags.Contains(WellKnownDiagnosticTags.Compiler)
            && diagnostic.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning;
        DiagnosticSeverity? factorySeverity = isCompiler ? diagnostic.Severity : diagnostic.DefaultSeverity;
        var result = new ExpectedDiagnostic(diagnostic.Id, factorySeverity, isCompiler);
        if (diagnostic.Severity != factorySeverity)
        {
            result = result.WithSeverity(diagnostic.Severity);
        }

        result = diagnostic.Location.IsInSource
            ? result.WithResolvedSpan(diagnostic.Location.GetLineSpan().Path, diagnostic.Location.GetLineSpan().Span)
            : result.WithNoLocation();
        var arguments = DiagnosticArguments.TryGet(diagnostic);
        return arguments is null
            ? result.WithMessage(diagnostic.GetMessage(CultureInfo.InvariantCulture))
            : arguments.Length == 0 ? result : result.WithArguments(arguments);
    }

    internal ExpectedDiagnostic WithResolvedSpan(string path, LinePositionSpan span) =>
        ClearLocation() with { Path = path, Start = span.Start, End = span.End };

    internal ExpectedDiagnostic WithDefaultPath(string path) => Start is not null && Path is null ? this with { Path = path } : this;

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(IsCompilerDiagnostic ? Severity == DiagnosticSeverity.Warning ? "CompilerWarning" : "CompilerError" : "Diagnostic");
        text.Append('(').Append(Literal(Id)).Append(')');
        var path = Path is null or TestPaths.PrimarySource ? "" : Literal(Path) + ", ";
        if (MarkupKey is { } key)
        {
            text.Append(CultureInfo.InvariantCulture, $".WithLocation({key})");
        }
        else if (HasNoLocation)
        {
            text.Append(".WithNoLocation()");
        }
        else if (Start is { } start)
        {
            text.Append(End is { } end
                ? $".WithSpan({path}{start.Line + 1}, {start.Character + 1}, {end.Line + 1}, {end.Character + 1})"
                : $".WithLocation({path}{start.Line + 1}, {start.Character + 1})");
        }

        if (SeverityIsExplicit)
        {
            text.Append(CultureInfo.InvariantCulture, $".WithSeverity(DiagnosticSeverity.{Severity})");
        }

        if (Message is not null)
        {
            text.Append(".WithMessage(").Append(Literal(Message)).Append(')');
        }
        else if (Arguments is not null)
        {
            text.Append(".WithArguments(").AppendJoin(", ", Arguments.Select(ArgumentLiteral)).Append(')');
        }

        return text.ToString();
    }

    private ExpectedDiagnostic ClearLocation() =>
        this with { Path = null, Start = null, End = null, MarkupKey = null, HasNoLocation = false };

    private ExpectedDiagnostic WithSpanCore(string? path, int line1, int column1, int line2, int column2)
    {
        var start = Position(line1, column1);
        var end = Position(line2, column2);
        if (end < start)
        {
            throw new ArgumentException($"The span end ({line2}, {column2}) precedes its start ({line1}, {column1}).");
        }

        return ClearLocation() with { Path = path, Start = start, End = end };
    }

    private ExpectedDiagnostic WithPointCore(string? path, int line, int column) =>
        ClearLocation() with { Path = path, Start = Position(line, column) };

    private static LinePosition Position(int line, int column) =>
        line >= 1 && column >= 1
            ? new LinePosition(line - 1, column - 1)
            : throw new ArgumentOutOfRangeException(nameof(line), $"Lines and columns are 1-based; got ({line}, {column}).");

    private static string ArgumentLiteral(object? argument) =>
        argument is null ? "null" : Literal(string.Format(CultureInfo.InvariantCulture, "{0}", argument));

    private static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);
}
