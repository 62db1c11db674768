namespace DriverKit.Runtime;

/// <summary>
/// Interned call sites of driver calls into the kernel ("Open (Scullp.cs:42)"), taken from the caller-info
/// parameters of the kernel functions, and interned owner names. Reports and the reference ledger name them.
/// </summary>
internal sealed class CallSites
{
    private readonly Dictionary<(string, string, int), int> siteIds = new();
    private readonly List<string> sites = new() { "kernel" };
    private readonly Dictionary<string, int> ownerIds = new(StringComparer.Ordinal) { ["kernel"] = 0 };
    private readonly List<string> owners = new() { "kernel" };

    /// <summary>Site id 0: the kernel itself.</summary>
    internal const int Kernel = 0;

    internal int Intern(string member, string file, int line)
    {
        if (member.Length == 0 && file.Length == 0)
        {
            return Kernel;
        }

        // Caller-info arguments are string literals, the same objects on every call from one site: a small cache
        // keyed by line and compared by reference spares hashing the file path on every driver call.
        ref var hit = ref recent[line & (recent.Length - 1)];
        if (hit.Line == line && ReferenceEquals(hit.File, file) && ReferenceEquals(hit.Member, member))
        {
            return hit.Id;
        }

        var key = (member, file, line);
        if (!siteIds.TryGetValue(key, out var id))
        {
            id = sites.Count;
            sites.Add($"{member} ({Path.GetFileName(file)}:{line})");
            siteIds.Add(key, id);
        }

        hit = new RecentSite(member, file, line, id);
        return id;
    }

    private readonly record struct RecentSite(string? Member, string? File, int Line, int Id);

    private readonly RecentSite[] recent = new RecentSite[32];

    internal string Site(int id) => (uint)id < (uint)sites.Count ? sites[id] : "?";

    /// <summary>From now on <paramref name="from"/>'s name resolves to the owner <paramref name="to"/>.</summary>
    internal void Alias(int from, int to) => ownerIds[owners[from]] = to;

    internal int Owner(string name)
    {
        if (!ownerIds.TryGetValue(name, out var id))
        {
            id = owners.Count;
            owners.Add(name);
            ownerIds.Add(name, id);
        }

        return id;
    }

    internal string OwnerName(int id) => (uint)id < (uint)owners.Count ? owners[id] : "?";
}
