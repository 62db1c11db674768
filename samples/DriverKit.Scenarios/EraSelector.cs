using DriverKit.Runtime;

namespace DriverKit.Scenarios;

/// <summary>The --era choice: a whole era ("E1") or one kernel version ("2.6.15-rc1").</summary>
public sealed class EraSelector
{
    private EraSelector(Era? era, KernelVersion? version, string text)
    {
        Era = era;
        Version = version;
        Text = text;
    }

    /// <summary>The era, when an era key was given.</summary>
    public Era? Era { get; }

    /// <summary>The version, when a version was given.</summary>
    public KernelVersion? Version { get; }

    /// <summary>What the user typed.</summary>
    public string Text { get; }

    /// <summary>Parses "E0" … "E7" or a kernel version; <paramref name="error"/> says why not.</summary>
    /// <param name="text">The argument.</param>
    /// <param name="selector">The selector.</param>
    /// <param name="error">The reason it was refused (KernelVersion's message for a malformed version).</param>
    public static bool TryParse(string text, out EraSelector? selector, out string error)
    {
        selector = null;
        var trimmed = text.Trim();
        if (trimmed.Length == 2 && (trimmed[0] == 'E' || trimmed[0] == 'e') && trimmed[1] is >= '0' and <= '7')
        {
            selector = new EraSelector((Era)(trimmed[1] - '0'), null, trimmed.ToUpperInvariant());
            error = string.Empty;
            return true;
        }

        if (!KernelVersion.TryParse(trimmed, out var version, out error))
        {
            error = $"--era takes an era key E0 … E7 or a kernel version. {error}";
            return false;
        }

        selector = new EraSelector(null, version, trimmed);
        return true;
    }

    /// <summary>
    /// The points of <paramref name="eras"/> this selector picks. A version that is not among them is played
    /// anyway, with default machine options: the user asked for that kernel.
    /// </summary>
    /// <param name="eras">A variant's eras.</param>
    public IReadOnlyList<EraPoint> Pick(IReadOnlyList<EraPoint> eras)
    {
        if (Era is { } era)
        {
            return eras.Where(p => p.Parsed.Era == era).ToArray();
        }

        var matching = eras.Where(p => p.Parsed == Version).ToArray();
        return matching.Length > 0 ? matching : [new EraPoint(Text)];
    }
}
