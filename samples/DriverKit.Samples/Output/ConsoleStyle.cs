using System.Text;

namespace DriverKit.Samples.Output;

/// <summary>How the terminal report may be drawn: escape codes, colour, box characters, width.</summary>
/// <param name="Ansi">ANSI escape codes allowed (a terminal).</param>
/// <param name="Color">Colour allowed (a terminal, and NO_COLOR unset).</param>
/// <param name="Unicode">Box-drawing characters allowed.</param>
/// <param name="Width">Fixed width, or null for the terminal's width.</param>
public sealed record ConsoleStyle(bool Ansi, bool Color, bool Unicode, int? Width)
{
    /// <summary>Plain text for files, pipes and tests: no escape codes, ASCII tables, 140 columns.</summary>
    public static readonly ConsoleStyle Plain = new(false, false, false, 140);

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
