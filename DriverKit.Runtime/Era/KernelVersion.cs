using System.Globalization;

namespace DriverKit.Runtime;

/// <summary>
/// A Linux kernel version such as "2.6.14", "2.6.15-rc1", "3.7", "6.1.0-27-amd64" or "7.0".
/// Release candidates order before their release (2.6.15-rc1 &lt; 2.6.15); a distribution suffix after the numbers
/// ("-27-amd64") is kept for display and ignored for ordering.
/// </summary>
/// <remarks>This file is compiled into DriverKit.Runtime and, linked, into DriverKit.Analyzers.</remarks>
public readonly struct KernelVersion : IComparable<KernelVersion>, IEquatable<KernelVersion>
{
    private const int Final = int.MaxValue;

    /// <summary>The oldest version the simulator models (remap_pfn_range appeared in 2.6.10).</summary>
    public static readonly KernelVersion Oldest = new(2, 6, 10, 0, Final, null);

    /// <summary>The newest mainline series the simulator models (7.x).</summary>
    public static readonly KernelVersion Newest = new(7, 0, 0, 0, Final, null);

    /// <summary>A short text listing the accepted forms, used in error messages.</summary>
    public const string AcceptedForms =
        "accepted: \"2.6.N\" (N >= 10, optionally \"-rcK\" or a fourth stable number such as \"2.6.16.62\"), " +
        "\"3.N\" … \"7.N\" with an optional patch level and release candidate (\"3.7\", \"6.6.12\", \"6.1.0-27-amd64\", \"7.0-rc5\"), " +
        "optionally a daily snapshot (\"2.6.15-rc2-git4\"); " +
        "a distribution suffix after the numbers is ignored";

    private KernelVersion(int major, int minor, int patch, int stable, int rc, string? text, int git = 0)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        Stable = stable;
        ReleaseCandidate = rc;
        GitSnapshot = git;
        this.text = text;
    }

    private readonly string? text;

    /// <summary>Major number (2 in 2.6.15).</summary>
    public int Major { get; }

    /// <summary>Minor number (6 in 2.6.15).</summary>
    public int Minor { get; }

    /// <summary>Patch level (15 in 2.6.15; 0 when absent).</summary>
    public int Patch { get; }

    /// <summary>The fourth number of 2.6.x.y stable releases (0 when absent).</summary>
    public int Stable { get; }

    /// <summary>The release candidate number, or <see cref="int.MaxValue"/> for a release.</summary>
    public int ReleaseCandidate { get; }

    /// <summary>The number of a "-gitN" daily snapshot after the release or release candidate (0 when absent).</summary>
    public int GitSnapshot { get; }

    /// <summary>True when this is a release candidate ("-rcN").</summary>
    public bool IsReleaseCandidate => ReleaseCandidate != Final;

    /// <summary>Creates a release or release-candidate version from its numbers.</summary>
    /// <param name="major">Major number.</param>
    /// <param name="minor">Minor number.</param>
    /// <param name="patch">Patch level.</param>
    /// <param name="rc">Release candidate number, or 0 for a release.</param>
    public static KernelVersion Of(int major, int minor, int patch = 0, int rc = 0)
        => new(major, minor, patch, 0, rc == 0 ? Final : rc, null);

    /// <summary>Parses a version string; throws <see cref="FormatException"/> naming the accepted forms.</summary>
    /// <param name="value">The version string.</param>
    public static KernelVersion Parse(string value)
    {
        if (TryParse(value, out var version, out var error))
        {
            return version;
        }

        throw new FormatException(error);
    }

    /// <summary>Parses a version string without throwing.</summary>
    /// <param name="value">The version string.</param>
    /// <param name="version">The parsed version.</param>
    /// <param name="error">Why it was refused, when it was.</param>
    public static bool TryParse(string? value, out KernelVersion version, out string error)
    {
        version = default;
        if (value is null || value.Trim().Length == 0)
        {
            error = "The kernel version is empty; " + AcceptedForms + ".";
            return false;
        }

        var s = value.Trim();
        var numbers = new List<int>(4);
        var i = 0;
        while (true)
        {
            var start = i;
            while (i < s.Length && s[i] >= '0' && s[i] <= '9')
            {
                i++;
            }

            if (i == start || i - start > 6)
            {
                error = $"'{value}' is not a kernel version; " + AcceptedForms + ".";
                return false;
            }

            numbers.Add(int.Parse(s.Substring(start, i - start), CultureInfo.InvariantCulture));
            if (i < s.Length && s[i] == '.' && numbers.Count < 4)
            {
                i++;
                continue;
            }

            break;
        }

        var rc = Final;
        var rest = s.Substring(i);
        if (rest.StartsWith("-rc", StringComparison.OrdinalIgnoreCase))
        {
            var j = 3;
            while (j < rest.Length && rest[j] >= '0' && rest[j] <= '9')
            {
                j++;
            }

            if (j == 3 || !int.TryParse(rest.Substring(3, j - 3), NumberStyles.None, CultureInfo.InvariantCulture, out rc) || rc == 0)
            {
                error = $"'{value}' has a malformed release candidate; " + AcceptedForms + ".";
                return false;
            }

            rest = rest.Substring(j);
        }

        var git = 0;
        if (rest.StartsWith("-git", StringComparison.OrdinalIgnoreCase))
        {
            var j = 4;
            while (j < rest.Length && rest[j] >= '0' && rest[j] <= '9')
            {
                j++;
            }

            if (j == 4 || !int.TryParse(rest.Substring(4, j - 4), NumberStyles.None, CultureInfo.InvariantCulture, out git) || git == 0)
            {
                error = $"'{value}' has a malformed -git snapshot number; " + AcceptedForms + ".";
                return false;
            }

            rest = rest.Substring(j);
        }

        if (rest.Length > 0 && rest[0] != '-' && rest[0] != '+' && rest[0] != '_' && rest[0] != '~')
        {
            error = $"'{value}' has unexpected text '{rest}' after the version numbers; " + AcceptedForms + ".";
            return false;
        }

        if (numbers.Count < 2)
        {
            error = $"'{value}' needs at least a major and a minor number; " + AcceptedForms + ".";
            return false;
        }

        var major = numbers[0];
        var minor = numbers[1];
        var patch = numbers.Count > 2 ? numbers[2] : 0;
        var stable = numbers.Count > 3 ? numbers[3] : 0;
        if (numbers.Count > 3 && !(major == 2 && minor == 6))
        {
            error = $"'{value}' has four numbers, which only 2.6.x.y stable releases use; " + AcceptedForms + ".";
            return false;
        }

        if (major == 2 && minor == 6 && numbers.Count < 3)
        {
            error = $"'{value}' names the whole 2.6 series; give a release such as 2.6.14 or 2.6.15-rc1; " + AcceptedForms + ".";
            return false;
        }

        var candidate = new KernelVersion(major, minor, patch, stable, rc, s, git);
        if (candidate.CompareTo(Oldest) < 0 || major > Newest.Major || (major == 2 && minor != 6))
        {
            error = $"Kernel version '{value}' is not supported: the simulator models 2.6.10 through 7.x; " + AcceptedForms + ".";
            return false;
        }

        version = candidate;
        error = string.Empty;
        return true;
    }

    /// <summary>The era this version belongs to (docs/kernel-semantics.md §2).</summary>
    public Era Era
    {
        get
        {
            if (this < Of(2, 6, 15, rc: 1))
            {
                return Era.E0;
            }

            // VM_UNPAGED lived only in the -git snapshots between 2.6.15-rc2 and -rc3 (docs/kernel-verification.md Q1).
            if (this <= Of(2, 6, 15, rc: 2))
            {
                return Era.E1;
            }

            if (this < Of(2, 6, 15, rc: 3))
            {
                return Era.E2;
            }

            if (this < Of(2, 6, 26))
            {
                return Era.E3;
            }

            if (this < Of(3, 7))
            {
                return Era.E4;
            }

            if (Major < 6)
            {
                return Era.E5;
            }

            return Major == 6 ? Era.E6 : Era.E7;
        }
    }

    /// <inheritdoc />
    public int CompareTo(KernelVersion other)
    {
        var c = Major.CompareTo(other.Major);
        if (c == 0) c = Minor.CompareTo(other.Minor);
        if (c == 0) c = Patch.CompareTo(other.Patch);
        if (c == 0) c = ReleaseCandidate.CompareTo(other.ReleaseCandidate);
        if (c == 0) c = GitSnapshot.CompareTo(other.GitSnapshot);
        if (c == 0) c = Stable.CompareTo(other.Stable);
        return c;
    }

    /// <inheritdoc />
    public bool Equals(KernelVersion other) => CompareTo(other) == 0;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is KernelVersion v && Equals(v);

    /// <inheritdoc />
    public override int GetHashCode() => ((Major * 397 ^ Minor) * 397 ^ Patch) * 397 ^ ReleaseCandidate ^ (Stable << 20) ^ (GitSnapshot << 12);

    /// <summary>The version as given (or composed from its numbers).</summary>
    public override string ToString()
    {
        if (text is not null)
        {
            return text;
        }

        var core = Major == 2 || Patch != 0 ? $"{Major}.{Minor}.{Patch}" : $"{Major}.{Minor}";
        return IsReleaseCandidate ? core + "-rc" + ReleaseCandidate.ToString(CultureInfo.InvariantCulture) : core;
    }

    /// <summary>Orders versions.</summary>
    public static bool operator <(KernelVersion a, KernelVersion b) => a.CompareTo(b) < 0;

    /// <summary>Orders versions.</summary>
    public static bool operator >(KernelVersion a, KernelVersion b) => a.CompareTo(b) > 0;

    /// <summary>Orders versions.</summary>
    public static bool operator <=(KernelVersion a, KernelVersion b) => a.CompareTo(b) <= 0;

    /// <summary>Orders versions.</summary>
    public static bool operator >=(KernelVersion a, KernelVersion b) => a.CompareTo(b) >= 0;

    /// <summary>Compares versions.</summary>
    public static bool operator ==(KernelVersion a, KernelVersion b) => a.Equals(b);

    /// <summary>Compares versions.</summary>
    public static bool operator !=(KernelVersion a, KernelVersion b) => !a.Equals(b);
}
