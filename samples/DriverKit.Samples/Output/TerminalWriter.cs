using Spectre.Console;

namespace DriverKit.Samples.Output;

/// <summary>
/// Writes styled lines through Spectre (escape codes and colour as the terminal allows), each fitted to
/// <see cref="Width"/> by word wrapping here: Spectre itself never has to wrap.
/// </summary>
internal sealed class TerminalWriter
{
    /// <summary>Spectre's width: wider than any line, so that it never wraps one.</summary>
    private const int NeverWrap = 10_000;

    private readonly IAnsiConsole console;

    public TerminalWriter(TextWriter output, ConsoleStyle style)
    {
        ArgumentNullException.ThrowIfNull(style);
        console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = style.Ansi ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = style.Color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        Width = Math.Min(ConsoleStyle.MaxWidth, style.Width ?? console.Profile.Width);
        console.Profile.Width = NeverWrap;
        console.Profile.Capabilities.Unicode = style.Unicode;
        Unicode = style.Unicode;
    }

    /// <summary>Columns every line fits in.</summary>
    public int Width { get; }

    /// <summary>Box-drawing characters allowed.</summary>
    public bool Unicode { get; }

    /// <summary>Writes one line of markup that already fits.</summary>
    /// <param name="markup">Spectre markup.</param>
    public void Line(string markup = "") => console.MarkupLine(markup);

    /// <summary>Writes <paramref name="spans"/> wrapped: the first line indented by <paramref name="indent"/>, later ones by <paramref name="indent"/> + <paramref name="hang"/>.</summary>
    /// <param name="indent">Columns before the first line.</param>
    /// <param name="hang">Further columns before each later line.</param>
    /// <param name="spans">The text.</param>
    public void Paragraph(int indent, int hang, params IEnumerable<Span> spans)
    {
        var lines = new StyledText(spans).Wrap(Width - indent, Width - indent - hang);
        for (var i = 0; i < lines.Count; i++)
        {
            Line(new string(' ', i == 0 ? indent : indent + hang) + lines[i].Markup);
        }
    }
}
