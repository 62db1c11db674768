using System.Text;

namespace DriverKit.Samples.Output;

/// <summary>How the terminal report may be drawn: escape codes, colour, box characters, width.</summary>
/// <param name="Ansi">ANSI escape codes allowed (a terminal).</param>
/// <param name="Color">Colour allowed (a terminal, and NO_COLOR unset).</param>
/// <param name="Unicode">Box-drawing characters allowed.</param>
/// <param name="Width">Fixed width, or null for the terminal's width; either way at most <see cref="MaxWidth"/>.</param>
public sealed record ConsoleStyle(bool Ansi, bool Color, bool Unicode, int? Width)
{
    /// <summary>The widest output: every line fits a 100-column terminal.</summary>
    public const int MaxWidth = 100;

    /// <summary>Plain text for files, pipes and tests: no escape codes, ASCII tables, <see cref="MaxWidth"/> columns.</summary>
    public static readonly ConsoleStyle Plain = new(false, false, false, MaxWidth);

    /// <summary>What the process's standard output supports (plain when redirected; NO_COLOR and TERM=dumb honoured).</summary>
    public static ConsoleStyle Detect()
    {
        if (Console.IsOutputRedirected || Environment.GetEnvironmentVariable("TERM") == "dumb")
        {
            return Plain;
        }

        var noColor = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        return new ConsoleStyle(true, !noColor, Console.OutputEncoding.CodePage == Encoding.UTF8.CodePage, null);
    }
}
