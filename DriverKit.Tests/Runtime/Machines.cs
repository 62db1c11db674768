using DriverKit.Runtime;

namespace DriverKit.Tests.Runtime;

/// <summary>Small helpers to boot simulated machines in tests.</summary>
internal static class Machines
{
    /// <summary>One version per era, for theories that walk the eras.</summary>
    public const string E0 = "2.6.14";
    public const string E1 = "2.6.15-rc1";
    public const string E2 = "2.6.15-rc2-git5";
    public const string E3 = "2.6.20";
    public const string E3Fault = "2.6.24";
    public const string E4 = "2.6.30";
    public const string E5 = "3.7";
    public const string E6 = "6.6";
    public const string E7 = "7.0";

    public static Kernel Boot(string version, bool strict = false, bool debugVm = false, bool checkPages = false, ulong memory = 32UL << 20, bool pteSpecial = true)
        => new(new KernelOptions
        {
            Version = version,
            MemoryBytes = memory,
            CheckerMode = strict ? CheckerMode.Strict : CheckerMode.Faithful,
            DebugVm = debugVm,
            CheckPages = checkPages,
            ArchHasPteSpecial = pteSpecial,
        });

    public static UserAddr Map(this Process p, ulong bytes, Prot prot = Prot.Read | Prot.Write, MapFlags flags = MapFlags.Shared, int fd = -1, ulong offset = 0)
    {
        if (fd < 0)
        {
            flags |= MapFlags.Anonymous;
        }

        var r = p.Mmap(default, bytes, prot, flags, fd, offset);
        Assert.True(r.IsOk, $"mmap failed: {r}");
        return r.Value;
    }

    public static int OpenOk(this Process p, string path, OpenFlags flags = OpenFlags.ReadWrite)
    {
        var r = p.Open(path, flags);
        Assert.True(r.IsOk, $"open {path} failed: {r}");
        return (int)r.Value;
    }

    public static int[] Refcounts(this Kernel k, IEnumerable<Page> pages) => pages.Select(k.PageCount).ToArray();

    public static int[] Mapcounts(this Kernel k, IEnumerable<Page> pages) => pages.Select(k.PageMapcount).ToArray();

    public static int[] Repeat(int value, int count) => Enumerable.Repeat(value, count).ToArray();

    public static void ReadAll(this Process p, UserAddr start, int pages)
    {
        for (var i = 0; i < pages; i++)
        {
            var r = p.Touch(start + (ulong)i * Kernel.PageSize);
            Assert.True(r.IsOk, $"touch of page {i} failed: {r}");
        }
    }
}
